"""``matrix.html``: one self-contained page (inline CSS and SVG, no script, no external asset).

At the top each target's verdict and gate, under them a picture per target of its status counts by
area, then the trend against a previous matrix when there is one, then requirement x target: each
cell links to the requirement's row in that target's ``report.html``.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from conformance.matrix.build import STATUSES
from conformance.reporting.html_assets import STATUS_COLOURS

__all__ = ["render_matrix"]

#: the report's palette, without the suite-error colour
COLOURS = {status: STATUS_COLOURS[status] for status in STATUSES}
_MARKS = {"newly failing": "▼", "newly passing": "▲", "changed": "●"}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header,main{max-width:1400px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:24px 0 8px}
.small{color:#59636e;font-size:12px}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.chip{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.c-pass{background:#1a7f37}.c-fail{background:#cf222e}.c-incomplete{background:#9a6700}
.c-error,.c-not-verified{background:#57606a}.c-none{background:#8c959f}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px}
.card.bad{border-color:#cf222e}.card h3{margin:0 0 6px;font-size:16px}
.card .why{color:#cf222e;font-size:12px;margin-top:6px}
.areas{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.areas figure{margin:0;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:8px}
.legend span{display:inline-block;margin-right:10px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
table{border-collapse:collapse;background:#fff;border:1px solid #d0d7de}
th,td{border:1px solid #d8dee4;padding:3px 8px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#eaeef2}
tr.area td{background:#eaeef2;font-weight:600}
td.cell{text-align:center;white-space:nowrap;font-weight:600}
td.cell a{color:inherit;text-decoration:none}td.cell a:hover{text-decoration:underline}
td.nv{color:#8c959f;font-weight:400}
td.chg{outline:2px solid #1f2328;outline-offset:-3px}
.mark{margin-left:4px}
"""


def _chip(value: str | None, label: str | None = None) -> str:
    shown = label or value or "none"
    return f'<span class="chip c-{escape((value or "none").replace(" ", "-"))}">{escape(shown)}</span>'


def _report_href(links: dict[str, str], name: str) -> str | None:
    link = links.get(name)
    return quote(link) if link else None


def _card(target: dict[str, Any], links: dict[str, str]) -> str:
    name = target["name"]
    href = _report_href(links, name)
    title = f'<a href="{escape(href)}">{escape(name)}</a>' if href else escape(name)
    if target["state"] == "not verified":
        body = _chip("not verified")
    elif target.get("verdict") is None:
        body = _chip("error", "errored")
    else:
        body = f"verdict {_chip(target['verdict'])} gate {_chip(target['gate'])}"
        if target["state"] == "error":
            body += " " + _chip("error", "suite error")
        elif target["state"] == "untested":
            body += " " + _chip("error", "untested")
    where = target.get("base_url") or ""
    if target.get("bundled"):
        where = f"{target['bundled']} ({where})" if where else target["bundled"]
    facts = ""
    if target.get("summary"):
        facts = ", ".join(f"{value} {key}" for key, value in target["summary"].items() if value)
    if target.get("profile"):
        facts += (
            f" · profile {target['profile']}, seed {target.get('seed')}, "
            f"max examples {target.get('max_examples')}"
        )
        if target.get("coverage_cases") is not None:
            facts += f", coverage cases {target['coverage_cases']}"
    why = f"<div class=why>{escape(str(target['reason']))}</div>" if target.get("reason") else ""
    reasons = [] if target["state"] == "untested" else target.get("gate_reasons") or []
    for reason in reasons[:3]:
        why += f"<div class=why>gate: {escape(str(reason))}</div>"
    if len(reasons) > 3:
        why += f"<div class=why>gate: and {len(reasons) - 3} more (in its report)</div>"
    return (
        f'<div class="card{"" if target["passed"] else " bad"}"><h3>{title}</h3><div>{body}</div>'
        f'<div class="small mono">{escape(where)}</div><div class=small>{escape(facts)}</div>{why}</div>'
    )


def _area_svg(name: str, counts: dict[str, dict[str, int]]) -> str:
    """Stacked bars of status counts, one per area."""
    row, label_width, bar_width = 20, 90, 300
    most = max((sum(c.values()) for c in counts.values()), default=1) or 1
    parts = []
    for index, (area, statuses) in enumerate(counts.items()):
        y = index * row
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(area)}</text>')
        x = float(label_width)
        for status in STATUSES:
            count = statuses.get(status, 0)
            if not count:
                continue
            width = bar_width * count / most
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="14" fill="{COLOURS[status]}">'
                f"<title>{escape(area)}: {count} {status}</title></rect>"
            )
            x += width
        total = sum(statuses.values())
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}" font-size="11" fill="#59636e">{total}</text>')
    height = max(len(counts), 1) * row
    width = label_width + bar_width + 40
    return (
        f"<figure><figcaption><b>{escape(name)}</b></figcaption>"
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="status counts by area for {escape(name)}">'
        + "".join(parts)
        + "</svg></figure>"
    )


def _legend() -> str:
    return (
        "<div class=legend>"
        + "".join(
            f'<span><i style="background:{colour}"></i>{status}</span>' for status, colour in COLOURS.items()
        )
        + "</div>"
    )


def _trend(trend: dict[str, Any] | None) -> str:
    if not trend:
        return ""
    counts = ", ".join(f"{n} {kind}" for kind, n in trend["counts"].items())
    since = escape(str(trend["previous"].get("created_at") or trend["previous"]["file"]))
    items = "".join(
        f"<li>{_MARKS[c['change']]} <span class=mono>{escape(c['requirement'])}</span> on "
        f"<b>{escape(c['target'])}</b>: {escape(c['was'])} → {escape(c['now'])} ({escape(c['change'])})</li>"
        for c in trend["changes"]
    )
    extra = ""
    if trend.get("targets_added"):
        extra += f"<p>New targets: {escape(', '.join(trend['targets_added']))}</p>"
    if trend.get("targets_gone"):
        extra += f"<p>Targets no longer in the matrix: {escape(', '.join(trend['targets_gone']))}</p>"
    body = f"<ul>{items}</ul>" if items else "<p>No cell changed.</p>"
    heading = f"<h2>Since the matrix of {since}</h2>"
    return f"<section id=trend>{heading}<p>{escape(counts)}</p>{body}{extra}</section>"


def _table(matrix: dict[str, Any], links: dict[str, str]) -> str:
    targets = matrix["targets"]
    changed = {(c["requirement"], c["target"]): c for c in ((matrix.get("trend") or {}).get("changes") or [])}
    head = "".join(f"<th>{escape(t['name'])}</th>" for t in targets)
    rows, area = [], None
    for requirement in matrix["requirements"]:
        rid = requirement["id"]
        if requirement["area"] != area:
            area = requirement["area"]
            rows.append(f'<tr class=area><td colspan="{len(targets) + 2}">{escape(area)}</td></tr>')
        cells = []
        for target in targets:
            status = matrix["cells"].get(rid, {}).get(target["name"])
            if status is None:
                label = "not verified" if target["state"] == "not verified" else "—"
                cells.append(f"<td class='cell nv'>{label}</td>")
                continue
            href = _report_href(links, target["name"])
            shown = (
                f'<a href="{escape(href)}#{quote(rid, safe="")}">{escape(status)}</a>'
                if href
                else escape(status)
            )
            change = changed.get((rid, target["name"]))
            extra, tip = "", f"{rid} on {target['name']}: {status}"
            if change:
                extra = f"<span class=mark>{_MARKS[change['change']]}</span>"
                tip += f" ({change['change']}: was {change['was']})"
            cls = "cell chg" if change else "cell"
            cells.append(
                f'<td class="{cls}" style="color:{COLOURS.get(status, "#1f2328")}" title="{escape(tip)}">'
                f"{shown}{extra}</td>"
            )
        rows.append(
            f"<tr><td class=mono>{escape(rid)}</td><td>{escape(requirement['level'])} "
            f"{escape(requirement['title'])}</td>{''.join(cells)}</tr>"
        )
    return (
        "<section id=matrix><h2>Requirements</h2><table><thead><tr><th>ID</th><th>requirement</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def render_matrix(matrix: dict[str, Any]) -> str:
    """The page of a matrix document."""
    links = (matrix.get("source") or {}).get("reports") or {}
    targets = matrix["targets"]
    passed = sum(1 for t in targets if t["passed"])
    cards = "".join(_card(t, links) for t in targets)
    pictures = "".join(_area_svg(name, counts) for name, counts in matrix["areas"].items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>Leads conformance matrix ({len(targets)} targets)</title><style>{_CSS}</style></head><body>"
        f"<header><h1>Leads conformance matrix {_chip(matrix['gate'], 'gate ' + matrix['gate'])}</h1>"
        f"<div class=small>{passed} of {len(targets)} targets passed their gate"
        f" · made {escape(matrix['created_at'])} · leads-conformance {escape(matrix['suite']['version'])}"
        f" · catalog {escape(matrix['catalog_sha256'][:12])}"
        f"</div></header><main><section id=targets><h2>Targets</h2><div class=cards>{cards}</div></section>"
        f"<section id=areas><h2>By area</h2>{_legend()}<div class=areas>{pictures}</div></section>"
        f"{_trend(matrix.get('trend'))}{_table(matrix, links)}</main></body></html>\n"
    )
