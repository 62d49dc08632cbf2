"""report.html: one self-contained page a person reads (no script, no external asset)."""

from __future__ import annotations

from html import escape
from typing import Any

__all__ = ["render_html"]

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;color:#1b1f24;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:700;color:#fff}
.v-pass{background:#1a7f37}.v-fail{background:#cf222e}.v-incomplete{background:#9a6700}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaeef2;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.status{font-weight:700;text-transform:uppercase;font-size:.8rem;white-space:nowrap}
.s-pass{color:#1a7f37}.s-fail{color:#cf222e}.s-warn{color:#9a6700}.s-skip{color:#57606a}.s-inconclusive{color:#8250df}.s-known{color:#0969da}
.id{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;white-space:nowrap}
.meta td:first-child{color:#57606a;width:12rem}.summary span{margin-right:1.2rem}
details{margin:.25rem 0}pre{background:#f6f8fa;padding:.5rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.25rem 0}
.small{color:#57606a;font-size:.85rem}
"""


def _status(status: str) -> str:
    return f'<span class="status s-{escape(status)}">{escape(status)}</span>'


def _details(requirement: dict[str, Any]) -> str:
    parts = []
    for failure in requirement.get("failures", []):
        block = f"<div><b>{escape(failure['test'])}</b><pre>{escape(failure['message'])}</pre>"
        if failure.get("reproduce"):
            block += f"<div class=small>reproduce</div><pre>{escape(failure['reproduce'])}</pre>"
        if failure.get("exchange"):
            block += f"<div class=small>evidence.ndjson line {escape(str(failure['exchange']))}</div>"
        parts.append(block + "</div>")
    for known in requirement.get("known", []):
        parts.append(f"<div class=small>known failure (baseline): {escape(known['reason'])}</div>")
    for reason in requirement.get("reasons", []):
        parts.append(f"<div class=small>{escape(reason)}</div>")
    if requirement.get("tests"):
        tests = "".join(f"<li>{escape(t)}</li>" for t in requirement["tests"])
        parts.append(
            f"<details><summary class=small>checks ({len(requirement['tests'])})</summary><ul>{tests}</ul></details>"
        )
    parts.append(f"<div class=small>source: {escape(requirement.get('source', ''))}</div>")
    return "".join(parts)


def render_html(report: dict[str, Any]) -> str:
    """The report.html text of a report.json document."""
    summary = report["summary"]
    verdict = report["verdict"]
    rows = []
    area = None
    for requirement in report["requirements"]:
        if requirement.get("area") != area:
            area = requirement.get("area")
            rows.append(f"<tr><th colspan=4>{escape(str(area))}</th></tr>")
        rows.append(
            "<tr>"
            f"<td class=id>{escape(requirement['id'])}</td>"
            f"<td>{escape(requirement['level'])}</td>"
            f"<td>{_status(requirement['status'])}</td>"
            f"<td>{escape(requirement['title'])}{_details(requirement)}</td>"
            "</tr>"
        )
    meta = [
        ("target", report["target"]["base_url"] + (f" ({report['target']['bundled']})" if report["target"].get("bundled") else "")),
        ("gate", report.get("gate", "")),
        ("certification", "yes" if report.get("certification") else "no"),
        ("selection", f"-k {report['selection']['k']}" if report.get("selection", {}).get("k") else "the whole catalog"),
        ("baseline", (report.get("baseline") or {}).get("source") or "none"),
        ("profile", report["profile"]),
        ("seed", str(report["seed"])),
        ("max examples", str(report.get("max_examples", ""))),
        ("strict", "yes" if report.get("strict") else "no"),
        ("run id", report.get("run_id", "")),
        ("started", report["started_at"]),
        ("finished", report["finished_at"]),
        ("suite", f"{report['suite']['name']} {report['suite']['version']}"),
        ("fragment sha256", report["spec"]["sha256"]),
        ("catalog sha256", report["spec"]["catalog_sha256"]),
        ("tools", ", ".join(f"{k} {v}" for k, v in report.get("tools", {}).items())),
    ]
    meta_rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in meta)
    notes = "".join(
        f"<li>{escape(n)}</li>" for n in [*report.get("gate_reasons", []), *report.get("notes", [])]
    )
    unverified = report.get("must_not_verified", {})
    if unverified.get("count"):
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(unverified["why"].items()))
        notes = f"<li>{unverified['count']} of the {unverified['of']} MUST requirements were not verified ({escape(why)})</li>" + notes
    counts = "".join(f"<span><b>{summary[k]}</b> {k}</span>" for k in summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Leads conformance: {escape(verdict)} — {escape(report["target"]["base_url"])}</title>
<style>{_STYLE}</style></head><body>
<h1>Merge CRM Leads API conformance</h1>
<p><span class="verdict v-{escape(verdict)}">{escape(verdict.upper())}</span> <span class=small>gate {escape(report.get("gate", ""))}{"; certified" if report.get("certification") else ""}</span>
<span class=small>MUST requirements decide the verdict; SHOULD ones warn{" and count (strict)" if report.get("strict") else ""}.</span></p>
<p class=summary>{counts}</p>
<table class=meta>{meta_rows}</table>
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
<h2>Requirements</h2>
<table><tr><th>ID</th><th>Level</th><th>Status</th><th>Requirement</th></tr>
{"".join(rows)}
</table>
</body></html>
"""
