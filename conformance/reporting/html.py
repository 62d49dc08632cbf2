"""report.html: the one self-contained page a person reads (inline CSS, SVG and script only).

The page leads with the verdict, the gate and the certification state, then what failed, one line
each, then a picture per area, the requirement table (filtered and searched with the script; read
whole without it), known failures apart, and the run's facts. Every failure shows what was expected,
what came back (the request and the answer from ``evidence.ndjson``, credentials masked, bodies
pretty-printed and capped) and a curl command that sends the request again.

The document rendered is report.json, already redacted; the evidence lines are redacted at the
source. The helpers that present one exchange (``describe_exchange``, ``request_text``,
``response_text``, ``curl_command``, ``exchange_html``) also serve checks.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from conformance.reporting.evidence_lookup import (
    evidence_for,
    exchanges_of,
    request_of_command,
    same_request,
    search_evidence,
)
from conformance.reporting.exchanges import (
    BODY_SHOWN,
    EXCHANGES_PER_REQUIREMENT,
    clip,
    curl_command,
    describe_exchange,
    exchange_html,
    reproduce_note,
    request_text,
    response_text,
)
from conformance.reporting.html_assets import SCRIPT, STYLE
from conformance.reporting.html_parts import (
    CHECK_LABEL,
    PROBLEMS,
    STATUS_LABEL,
    anchor,
    areas,
    checks_link,
    chip,
    describe_coverage,
    hero,
    requirement_chip,
    what_failed,
)

__all__ = [
    "BODY_SHOWN",
    "curl_command",
    "describe_exchange",
    "evidence_for",
    "exchange_html",
    "exchanges_of",
    "render_html",
    "request_of_command",
    "request_text",
    "response_text",
    "same_request",
    "search_evidence",
]

#: characters of exchange text the whole page may hold, so a badly broken target still gives a small page
EXCHANGE_BUDGET = 350_000


def _seconds(value: float) -> str:
    return "under 0.01 s" if value < 0.01 else f"{value:.2f} s"


def _check_rows(
    requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]], checks_page: str | None
) -> str:
    failing = {f.get("test") for f in requirement.get("failures", [])}
    rows = []
    for nodeid in requirement.get("tests", []):
        check = checks.get(nodeid, {})
        outcome = CHECK_LABEL.get(str(check.get("outcome", "")), "")
        own = outcome
        if nodeid in failing:
            own = "fail" if requirement["status"] == "fail" else requirement["status"]
        elif outcome == "fail" or (
            outcome == "inconclusive" and check.get("inconclusive") and requirement["id"] not in check["inconclusive"]
        ):
            own = "pass"
        also = " <span class=small>(the check failed on another requirement)</span>" if own != outcome and outcome == "fail" else ""
        duration = check.get("duration_seconds")
        took = _seconds(duration) if isinstance(duration, int | float) else ""
        badge = chip(own, {"pass": "pass", "skip": "skipped"}.get(own, own)) if own else ""
        rows.append(
            f"<div class=check><div>{badge}</div><div>{escape(str(check.get('obligation') or ''))}{also}</div>"
            f"<div class=small>{escape(took)}</div><div class=nodeid>{checks_link(checks_page, nodeid)}</div></div>"
        )
    return "".join(rows)


class _Budget:
    """How much exchange text the page may still hold."""

    def __init__(self, chars: int):
        self.left = chars

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def _failure_block(
    requirement: Mapping[str, Any],
    index: int,
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    status = requirement["status"]
    kind = {"known": "known", "warn": "warn"}.get(status, "")
    nodeid = str(failure.get("test", ""))
    obligation = checks.get(nodeid, {}).get("obligation")
    line, entry = evidence_for(failure, evidence)
    parts = [
        f'<div class="failure {kind}" id="{escape(requirement["id"])}-failure-{index}">',
        f"<h4>{'Warning' if status == 'warn' else 'Known failure' if status == 'known' else 'Failure'} {index}</h4>",
        "<dl class=ev>",
        f"<dt>Expected</dt><dd>{escape(requirement.get('title', ''))}"
        + (
            f"<div class=small>checked by: {escape(str(obligation))}</div>"
            if obligation and str(obligation).rstrip(".") != requirement.get("title", "").rstrip(".")
            else ""
        )
        + f"<div class=small>{checks_link(checks_page, nodeid)}</div></dd>",
        f"<dt>The check found</dt><dd>{escape(clip(str(failure.get('message', '')), 400))}</dd>",
        "</dl>",
    ]
    shown = False
    if entry is not None:
        block = exchange_html(
            entry,
            line,
            insecure=bool(report.get("insecure")),
            base_url=report.get("target", {}).get("base_url"),
            report=report,
        )
        if budget.take(block):
            parts.append(block)
            shown = True
    if not shown:
        parts.append(_reproduce_only(requirement, failure, report, line, entry))
    parts.append("</div>")
    return "".join(parts)


def _reproduce_only(
    requirement: Mapping[str, Any],
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    line: int | None,
    entry: Mapping[str, Any] | None,
) -> str:
    """A failure's exchange named by its line, and its reproduce command, when the page shows no more."""
    parts = []
    if line:
        why = " (not shown here, to keep the page small)" if entry is not None else ""
        parts.append(f"<p class=small>The exchange is line {line} of evidence.ndjson{why}.</p>")
    request = request_of_command(failure.get("reproduce"))
    source: Mapping[str, Any] | None = entry
    if source is None and request is not None:
        source = {"request": request, "requirements": [requirement["id"]]}
    if source is not None:
        command = curl_command(source, bool(report.get("insecure")), line if source is entry else None)
        note = reproduce_note(source, report)
    elif failure.get("reproduce"):
        command, note = str(failure["reproduce"]), "Put the run's credentials in place of ***."
    else:
        return "".join(parts)
    parts.append(
        "<dl class=ev><dt>Reproduce</dt><dd><button type=button class=copy hidden>copy</button>"
        f"<pre class=curl>{escape(command)}</pre>" + (f"<div class=small>{escape(note)}</div>" if note else "") + "</dd></dl>"
    )
    return "".join(parts)


def _requirement_body(
    requirement: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    parts = []
    for entry in requirement.get("known", []):
        check = f" (check {escape(entry['check'])})" if entry.get("check") else ""
        parts.append(f"<p class=note><b>Known failure</b>{check}: {escape(str(entry.get('reason', '')))}</p>")
    for index, failure in enumerate(requirement.get("failures", []), start=1):
        if index > EXCHANGES_PER_REQUIREMENT:
            rest = requirement["failures"][index - 1 :]
            listed = "".join(f"<li>{escape(clip(str(f.get('message', '')), 200))}</li>" for f in rest[:10])
            parts.append(f"<p class=small>{len(rest)} more failures:</p><ul class=small>{listed}</ul>")
            break
        parts.append(_failure_block(requirement, index, failure, report, evidence, checks, checks_page, budget))
    reasons = requirement.get("reasons", [])
    if reasons:
        items = "".join(f"<li>{escape(str(r))}</li>" for r in reasons[:12])
        parts.append(f"<h3>Why it is {escape(STATUS_LABEL.get(requirement['status'], requirement['status']))}</h3><ul class=small>{items}</ul>")
    if requirement.get("tests"):
        took = requirement.get("duration_seconds")
        parts.append(
            f"<h3>Checks ({len(requirement['tests'])}"
            + (f", {_seconds(took)}" if isinstance(took, int | float) else "")
            + f")</h3>{_check_rows(requirement, checks, checks_page)}"
        )
    parts.append(f"<p class=small>Source: {escape(str(requirement.get('source', '')))}</p>")
    return "<div class=body>" + "".join(parts) + "</div>"


def _search_text(requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]]) -> str:
    words = [requirement["id"], requirement.get("title", ""), requirement.get("status", ""), STATUS_LABEL.get(requirement["status"], "")]
    for nodeid in requirement.get("tests", []):
        words += [nodeid, str(checks.get(nodeid, {}).get("obligation") or "")]
    words += [str(f.get("message", ""))[:200] for f in requirement.get("failures", [])[:5]]
    return " ".join(words).lower()


def _filters(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    counts: dict[str, int] = {}
    for requirement in requirements:
        counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
    problems = sum(counts.get(s, 0) for s in PROBLEMS)
    status = "".join(
        f'<option value="{s}">{escape(STATUS_LABEL[s])} ({counts[s]})</option>' for s in STATUS_LABEL if counts.get(s)
    )
    areas = list(dict.fromkeys(str(r.get("area")) for r in requirements))
    area = "".join(f'<option value="{escape(a)}">{escape(a)}</option>' for a in areas)
    return f"""<form id=filters class=filters hidden>
<label>Status<select name=status><option value=all>all</option><option value=problems>problems ({problems})</option>{status}</select></label>
<label>Area<select name=area><option value=all>all</option>{area}</select></label>
<label>Level<select name=level><option value=all>all</option><option value=MUST>MUST</option><option value=SHOULD>SHOULD</option></select></label>
<label>Search ID or text<input type=search name=q placeholder="e.g. RETRIEVE-001 or 404"></label>
<button type=reset>Show all</button><span id=shown></span>
</form>"""


def _table(
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
) -> str:
    budget = _Budget(EXCHANGE_BUDGET)
    bodies = []
    area = None
    for requirement in report.get("requirements", []):
        if requirement.get("area") != area:
            area = requirement.get("area")
            bodies.append(
                f'<div class=area-head data-area="{escape(str(area))}" id="area-{escape(str(area))}">{escape(str(area))}</div>'
            )
        rid = requirement["id"]
        status = requirement["status"]
        bodies.append(
            f'<div class=req id="{escape(rid)}" data-status="{escape(status)}" data-area="{escape(str(area))}" '
            f'data-level="{escape(requirement.get("level", ""))}" data-text="{escape(_search_text(requirement, checks))}">'
            f"<details class=req><summary class=cols><span>{requirement_chip(requirement)}</span><span class=id>{escape(rid)}</span>"
            f"<span>{escape(requirement.get('level', ''))}</span><span class=title>{escape(requirement.get('title', ''))}</span>"
            f"</summary>{_requirement_body(requirement, report, evidence, checks, checks_page, budget)}</details></div>"
        )
    return (
        "<section id=requirements><h2>Requirements</h2>"
        "<p class=small>Each requirement opens to the checks that verify it; each failure shows what was expected, "
        "the request and the answer, and a command that sends the request again.</p>"
        + _filters(report)
        + "<div class=reqs><div class='reqs-head cols'><span>Status</span><span>ID</span><span>Level</span>"
        "<span>Requirement</span></div>"
        + "".join(bodies)
        + "</div></section>"
    )


def _known(report: Mapping[str, Any]) -> str:
    baseline = report.get("baseline") or {}
    known = [r for r in report.get("requirements", []) if r["status"] == "known" or r.get("known")]
    stale = baseline.get("stale", [])
    if not (known or stale or baseline.get("source")):
        return ""
    items = []
    for requirement in known:
        reasons = "; ".join(
            str(e.get("reason", "")) + (f" (check {e['check']})" if e.get("check") else "") for e in requirement.get("known", [])
        )
        if requirement["status"] == "known":
            state = ""
        elif requirement["status"] == "inconclusive":
            state = " — it stays inconclusive, as the baseline expects: it does not fail the gate"
        else:
            state = f" — but it is {STATUS_LABEL.get(requirement['status'])}: a failure the baseline does not cover"
        items.append(
            f'<li>{chip(requirement["status"])}<span class=what><a class=id href="{anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
            f"{escape(requirement.get('title', ''))}<div class=small>accepted because: {escape(reasons)}{escape(state)}</div></span></li>"
        )
    for entry in stale:
        items.append(
            f'<li>{chip("error", "stale entry")}<span class=what><a class=id href="{anchor(entry["id"])}">{escape(entry["id"])}</a>'
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + f" now passes, so this entry is stale and fails the gate: remove it from the baseline."
            f"<div class=small>its reason was: {escape(str(entry.get('reason', '')))}</div></span></li>"
        )
    if not items:
        items.append("<li>No failure of this run is in the baseline, and no entry is stale.</li>")
    source = escape(str(baseline.get("source") or "none"))
    return (
        "<section id=known><h2>Known failures</h2>"
        f"<p class=small>Baseline: <span class=mono>{source}</span>, {len(baseline.get('entries', []))} entries. "
        "A known failure still makes the verdict fail but does not fail the gate; a stale entry fails the gate.</p>"
        f"<ul class=problems>{''.join(items)}</ul></section>"
    )


def _selection_words(selection: Mapping[str, Any]) -> str:
    words = [f"--requirement {rid}" for rid in selection.get("requirements") or []]
    words += [f"--area {area}" for area in selection.get("areas") or []]
    if selection.get("k"):
        words.append(f"-k {selection['k']}")
    return " ".join(words)


def _network_words(network: Mapping[str, Any]) -> str:
    """How the run reached the target, when it took more than the base URL (header values are not shown)."""
    said = []
    if network.get("headers"):
        said.append("extra headers " + ", ".join(network["headers"]))
    if network.get("secret_headers"):
        said.append("secret headers (values masked) " + ", ".join(network["secret_headers"]))
    if network.get("ca_bundle"):
        said.append(f"CA bundle {network['ca_bundle']}")
    if network.get("client_cert"):
        said.append(f"client certificate {network['client_cert']}")
    if network.get("proxy"):
        said.append(f"proxy {network['proxy']}")
    return "; ".join(said)


def _facts(report: Mapping[str, Any], files: Mapping[str, str], checks_page: str | None) -> str:
    selection = report.get("selection", {})
    target = report.get("target", {})
    spec = report.get("spec", {})
    rows = [
        ("target", str(target.get("base_url", "")) + (f" ({target['bundled']})" if target.get("bundled") else "")),
        ("suite", f"{report.get('suite', {}).get('name', '')} {report.get('suite', {}).get('version', '')}"),
        ("fragment", f"{spec.get('path', '')} sha256 {spec.get('sha256', '')}"),
        ("catalog sha256", str(spec.get("catalog_sha256", ""))),
        ("tools", ", ".join(f"{k} {v}" for k, v in report.get("tools", {}).items())),
        ("seed", str(report.get("seed", ""))),
        ("max examples", str(report.get("max_examples", ""))),
        ("coverage cases", describe_coverage(report.get("coverage_cases"))),
        ("profile", str(report.get("profile", ""))),
        ("selection", (_selection_words(selection) or "the whole catalog")
         + ("; TENANT checks ran (second account token given)" if selection.get("tenant") else "; TENANT checks could not run (no second account token)")),
        ("strict", "yes" if report.get("strict") else "no"),
        ("TLS", "not verified (--insecure)" if report.get("insecure") else "verified"),
        ("run id", str(report.get("run_id", "")) + " (tagged into every lead the run wrote)"),
        ("started", str(report.get("started_at", ""))),
        ("finished", str(report.get("finished_at", ""))),
        ("duration", f"{report.get('duration_seconds', '')} s, {report.get('tests', '')} checks"),
        ("evidence", f"{report.get('evidence', {}).get('exchanges', '')} exchanges in evidence.ndjson"),
    ]
    if report.get("interrupted"):
        rows.append(("interrupted", f"by {report['interrupted']}: the checks it did not reach are listed as not run"))
    network = report.get("network") or {}
    said = _network_words(network)
    if said:
        rows.append(("network", said))
    for name, digest in files.items():
        rows.append((f"{name} sha256", digest))
    body = "".join(
        f"<tr><td>{escape(k)}</td><td class=mono>{escape(v)}</td></tr>" for k, v in rows
    )
    checks = (
        f' Every check of the run, one row each, is in <a href="{escape(checks_page)}">{escape(checks_page)}</a>.'
        if checks_page
        else ""
    )
    tolerated = "".join(
        f"<li><b>{escape(str(t.get('id', '')))}</b>: {escape(str(t.get('reason', '')))} "
        f"<span class=small>({escape(', '.join(t.get('requirements', [])))}"
        + (f"; kept {t['applied']} generated case{'s' if t['applied'] != 1 else ''} from being charged"
           if t.get("applied") else "")
        + ")</span></li>"
        for t in report.get("tolerances", [])
    )
    tolerances = (
        "<h3 id=tolerances>Tolerances applied</h3><p class=small>Merge quirks and inputs Merge leaves open, "
        f"which the contract says are not violations:</p><ul>{tolerated}</ul>"
        if tolerated
        else ""
    )
    return (
        "<section id=facts><h2>The run</h2>"
        f"<table class=meta>{body}</table>{tolerances}"
        "<p class=note>attestation.json, written after this page, records the sha256 digest of every file in this "
        "folder, this page included; <code>conformance verify &lt;folder&gt;</code> recomputes them and says which file "
        f"changed.{checks}</p></section>"
    )


def render_html(
    report: dict[str, Any],
    evidence: Mapping[int, dict[str, Any]] | None = None,
    *,
    files: Mapping[str, str] | None = None,
    checks_page: str | None = None,
) -> str:
    """The report.html text of a report.json document.

    ``evidence`` maps evidence.ndjson line numbers to their exchanges (at least the failures' ones),
    ``files`` names the sha256 of files the page vouches for (report.json, evidence.ndjson), and
    ``checks_page`` is the file name of the run's checks.html, when there is one.
    """
    evidence = evidence or {}
    checks = {str(c.get("test")): c for c in report.get("checks", []) if isinstance(c, Mapping)}
    verdict = str(report.get("verdict", ""))
    target = str(report.get("target", {}).get("base_url", ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(verdict.upper())} — Leads API conformance of {escape(target)}</title>
<style>{STYLE}</style></head><body><main>
<h1>Merge CRM Leads API conformance report</h1>
{hero(report)}
{what_failed(report, evidence)}
{areas(report)}
{_table(report, evidence, checks, checks_page)}
{_known(report)}
{_facts(report, files or {}, checks_page)}
</main><script>{SCRIPT}</script></body></html>
"""
