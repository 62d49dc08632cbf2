"""``matrix.html``: one self-contained page (inline CSS and SVG, no script, no external asset).

At the top each target's verdict and gate, under them a picture per target of its status counts by
area, then the trend against a previous matrix when there is one, then requirement x target: each
cell links to the requirement's row in that target's ``report.html``. This module says what the page
holds; ``conformance/reporting/templates/matrix.html`` lays it out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from conformance.matrix.build import STATUSES
from conformance.reporting.field_table import FIELD_COLOURS
from conformance.reporting.html_parts import STATUS_COLOURS
from conformance.reporting.templating import render

__all__ = ["render_matrix"]

#: the report's palette, without the suite-error colour
COLOURS = {status: STATUS_COLOURS[status] for status in STATUSES}
_MARKS = {"newly failing": "▼", "newly passing": "▲", "changed": "●"}


def _chip(value: str | None, label: str | None = None) -> dict[str, str]:
    return {"class": (value or "none").replace(" ", "-"), "text": label or value or "none"}


def _report_href(links: dict[str, str], name: str) -> str | None:
    link = links.get(name)
    return quote(link) if link else None


def _card(target: dict[str, Any], links: dict[str, str]) -> dict[str, Any]:
    """A target's verdict and gate, where it was reached, its run's settings, and why it failed."""
    if target["state"] == "not verified":
        chips = [("", _chip("not verified"))]
    elif target.get("verdict") is None:
        chips = [("", _chip("error", "errored"))]
    else:
        chips = [("verdict ", _chip(target["verdict"])), (" gate ", _chip(target["gate"]))]
        if target["state"] == "error":
            chips.append((" ", _chip("error", "suite error")))
        elif target["state"] == "untested":
            chips.append((" ", _chip("error", "untested")))
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
    why = [str(target["reason"])] if target.get("reason") else []
    reasons = [] if target["state"] == "untested" else target.get("gate_reasons") or []
    why += [f"gate: {reason}" for reason in reasons[:3]]
    if len(reasons) > 3:
        why.append(f"gate: and {len(reasons) - 3} more (in its report)")
    return {
        "name": target["name"],
        "href": _report_href(links, target["name"]),
        "passed": target["passed"],
        "chips": chips,
        "where": where,
        "facts": facts,
        "why": why,
    }


def _picture(name: str, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Stacked bars of status counts, one per area."""
    row, label_width, bar_width = 20, 90, 300
    most = max((sum(c.values()) for c in counts.values()), default=1) or 1
    rows = []
    for index, (area, statuses) in enumerate(counts.items()):
        y = index * row
        x = float(label_width)
        bars = []
        for status in STATUSES:
            count = statuses.get(status, 0)
            if not count:
                continue
            width = bar_width * count / most
            bars.append({
                "x": f"{x:.1f}", "width": f"{width:.1f}", "colour": COLOURS[status], "count": count,
                "status": status,
            })
            x += width
        total = sum(statuses.values())
        rows.append({"area": area, "y": y, "bars": bars, "total_x": f"{x + 4:.1f}", "total": total})
    height = max(len(counts), 1) * row
    return {"name": name, "rows": rows, "height": height, "width": label_width + bar_width + 40}


def _trend(trend: dict[str, Any] | None) -> dict[str, Any] | None:
    if not trend:
        return None
    return {
        "since": str(trend["previous"].get("created_at") or trend["previous"]["file"]),
        "counts": ", ".join(f"{n} {kind}" for kind, n in trend["counts"].items()),
        "changes": [{**change, "mark": _MARKS[change["change"]]} for change in trend["changes"]],
        "added": ", ".join(trend.get("targets_added") or []),
        "gone": ", ".join(trend.get("targets_gone") or []),
    }


def _cell(
    matrix: dict[str, Any], rid: str, target: dict[str, Any], links: dict[str, str], change: Any
) -> dict[str, Any]:
    """One requirement on one target: its status, linked to the target's report, and how it changed."""
    status = matrix["cells"].get(rid, {}).get(target["name"])
    if status is None:
        return {"missing": "not verified" if target["state"] == "not verified" else "—"}
    tip = f"{rid} on {target['name']}: {status}"
    if change:
        tip += f" ({change['change']}: was {change['was']})"
    return {
        "missing": None,
        "status": status,
        "href": _report_href(links, target["name"]),
        "colour": COLOURS.get(status, "#1f2328"),
        "tip": tip,
        "mark": _MARKS[change["change"]] if change else None,
    }


def _rows(matrix: dict[str, Any], links: dict[str, str]) -> list[dict[str, Any]]:
    """The table's rows, each area's first with the area's name."""
    targets = matrix["targets"]
    changed = {(c["requirement"], c["target"]): c for c in ((matrix.get("trend") or {}).get("changes") or [])}
    rows, area = [], None
    for requirement in matrix["requirements"]:
        rid = requirement["id"]
        rows.append(
            {
                "area": requirement["area"] if requirement["area"] != area else None,
                "id": rid,
                "level": requirement["level"],
                "title": requirement["title"],
                "cells": [_cell(matrix, rid, t, links, changed.get((rid, t["name"]))) for t in targets],
            }
        )
        area = requirement["area"]
    return rows


def _field_rows(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    """Field x target: each field's measured summary per target, and whether it changed since the
    previous matrix."""
    names = [t["name"] for t in matrix["targets"]]
    changed = {
        (c["field"], c["target"]): c["was"] for c in ((matrix.get("trend") or {}).get("field_changes") or [])
    }
    rows = []
    for name, row in (matrix.get("fields") or {}).items():
        cells = []
        for target in names:
            summary = row.get(target)
            cells.append({
                "status": summary or "no report",
                "colour": FIELD_COLOURS.get(summary or "", "skip"),
                "was": changed.get((name, target)),
            })
        rows.append({"name": name, "cells": cells})
    return rows


def render_matrix(matrix: dict[str, Any]) -> str:
    """The page of a matrix document."""
    links = (matrix.get("source") or {}).get("reports") or {}
    targets = matrix["targets"]
    return render(
        "matrix.html",
        targets=[t["name"] for t in targets],
        passed=sum(1 for t in targets if t["passed"]),
        gate=_chip(matrix["gate"], "gate " + matrix["gate"]),
        created_at=matrix["created_at"],
        version=matrix["suite"]["version"],
        catalog=matrix["catalog_sha256"][:12],
        cards=[_card(t, links) for t in targets],
        colours=COLOURS,
        pictures=[_picture(name, counts) for name, counts in matrix["areas"].items()],
        trend=_trend(matrix.get("trend")),
        rows=_rows(matrix, links),
        fields=_field_rows(matrix),
    )
