"""The matrix document (``matrix.json``): requirement x target, read from verified report folders.

Every target entry and every cell comes from the target's report folder alone (after
``verify_folder``), so ``--merge`` of the folders a matrix run wrote gives the same ``targets``,
``requirements``, ``cells``, ``areas`` and ``gate``; only ``created_at``, ``source`` (how the matrix was
made: run or merge, where the folders are, how each run ended) and ``trend`` differ.

A target's ``state`` is ``ok``; ``untested`` (its run could test nothing: the reason says why);
``error`` (a fault of the suite inside a check, or a run that ended without a finished report folder);
or ``not verified`` (its folder fails ``conformance verify``: the reason says why; it has no cells).
Its ``passed`` is whether its gate passed; the matrix's ``gate`` passes when every target's did.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.contract.catalog import catalog_path, load_catalog
from conformance.outcomes import UsageError
from conformance.reporting.verdicts import STATUSES
from conformance.reporting.verify import verify_folder

__all__ = [
    "FORMAT_VERSION",
    "KIND",
    "STATUSES",
    "build_matrix",
    "content_of",
    "errored_target",
    "load_previous",
    "load_target",
    "trend_of",
]

FORMAT_VERSION = "1.0"
KIND = "leads-conformance matrix"
#: statuses a change into counts as newly failing (a failed MUST, a known failure, a failed SHOULD)
FAILING = frozenset({"fail", "known", "warn"})
#: the keys that differ between a run and a merge of its folders
PROVENANCE = ("created_at", "source", "trend")
_REPORT_FIELDS = (
    "verdict",
    "gate",
    "certification",
    "mode",
    "profile",
    "strict",
    "seed",
    "max_examples",
    "coverage_cases",
    "selection",
    "run_id",
    "started_at",
    "finished_at",
    "duration_seconds",
    "summary",
    "must_not_verified",
    "gate_reasons",
)


def _reason(problems: list[str]) -> str:
    shown = "; ".join(problems[:3])
    return shown + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


def load_target(folder: Path, name: str) -> tuple[dict[str, Any], dict[str, str] | None]:
    """The target entry and the cells (requirement id -> status) of a report folder.

    The folder is verified first; one that fails (a changed byte, another catalog) gives an entry in
    the state ``not verified`` with the reason, and no cells. A folder that is not a report folder at
    all is a UsageError naming it.
    """
    result = verify_folder(folder)
    if not result.ok:
        entry = _entry(name, "not verified", _reason(result.problems))
        entry["suite_version"] = result.suite_version
        return entry, None
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        cells = {r["id"]: r["status"] for r in report["requirements"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{folder}: report.json is not a report ({type(exc).__name__}: {exc})") from None
    state, reason = "ok", None
    if report.get("suite_errors"):
        count = len(report["suite_errors"])
        state, reason = (
            "error",
            f"a fault of the suite inside {count} check{'s' if count != 1 else ''} "
            "(see suite-errors.log in its folder); not counted against the target",
        )
    elif report.get("tests") == 0:
        state, reason = "untested", (report.get("notes") or ["nothing was tested"])[0]
    entry = _entry(name, state, reason)
    target = report.get("target") or {}
    entry.update(
        base_url=target.get("base_url"),
        bundled=target.get("bundled"),
        suite_version=(report.get("suite") or {}).get("version"),
        signed=result.signed,
        **{key: report.get(key) for key in _REPORT_FIELDS},
    )
    fields = (report.get("field_support") or {}).get("fields") or {}
    entry["field_support"] = {
        name: str(value.get("summary")) for name, value in fields.items() if isinstance(value, dict)
    }
    entry["passed"] = (
        state == "ok"
        and report.get("gate") == "pass"
        and (report.get("mode") != "certify" or report.get("verdict") == "pass")
    )
    return entry, cells


def _entry(name: str, state: str, reason: str | None) -> dict[str, Any]:
    return {"name": name, "state": state, "reason": reason, "passed": False}


def errored_target(name: str, reason: str) -> dict[str, Any]:
    """The entry of a target whose run ended without a finished report folder."""
    return _entry(name, "error", reason)


def _areas(catalog: Any, cells: dict[str, str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for requirement in catalog:
        area = counts.setdefault(requirement.area, dict.fromkeys(STATUSES, 0))
        status = cells.get(requirement.id)
        if status in area:
            area[status] += 1
    return counts


def build_matrix(
    loaded: list[tuple[dict[str, Any], dict[str, str] | None]], source: dict[str, Any]
) -> dict[str, Any]:
    """The matrix document of the loaded targets (sorted by name, so the order given does not matter)."""
    catalog = load_catalog()
    loaded = sorted(loaded, key=lambda item: item[0]["name"])
    targets = [{key: value for key, value in entry.items() if key != "field_support"} for entry, _ in loaded]
    fields: dict[str, dict[str, str]] = {}
    for entry, _ in loaded:
        for name, summary in (entry.get("field_support") or {}).items():
            fields.setdefault(name, {})[entry["name"]] = summary
    cells: dict[str, dict[str, str]] = {r.id: {} for r in catalog}
    areas: dict[str, dict[str, dict[str, int]]] = {}
    for entry, target_cells in loaded:
        if target_cells is None:
            continue
        for rid, row in cells.items():
            if rid in target_cells:
                row[entry["name"]] = target_cells[rid]
        areas[entry["name"]] = _areas(catalog, target_cells)
    return {
        "format_version": FORMAT_VERSION,
        "kind": KIND,
        "suite": {"name": "leads-conformance", "version": __version__},
        "catalog_sha256": hashlib.sha256(catalog_path().read_bytes()).hexdigest(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "source": source,
        "gate": "pass" if targets and all(t["passed"] for t in targets) else "fail",
        "targets": targets,
        "requirements": [{"id": r.id, "level": r.level, "area": r.area, "title": r.title} for r in catalog],
        "cells": cells,
        "areas": areas,
        "fields": fields,
        "trend": None,
    }


def content_of(matrix: dict[str, Any]) -> dict[str, Any]:
    """The matrix without what says how and when it was made: equal for a run and a merge of its folders."""
    return {key: value for key, value in matrix.items() if key not in PROVENANCE}


def load_previous(path: Path) -> dict[str, Any]:
    """An earlier matrix.json; anything else is a UsageError."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"--previous: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UsageError(f"--previous: {path} is not JSON: {exc}") from None
    if (
        not isinstance(document, dict)
        or document.get("kind") != KIND
        or not isinstance(document.get("cells"), dict)
    ):
        raise UsageError(f"--previous: {path} is not a matrix.json")
    return document


def _change(was: str, now: str) -> str:
    if now in FAILING and was not in FAILING:
        return "newly failing"
    if now == "pass":
        return "newly passing"
    return "changed"


def trend_of(matrix: dict[str, Any], previous: dict[str, Any], previous_path: Path) -> dict[str, Any]:
    """Each cell whose status differs from the previous matrix's, and the targets added or gone."""
    before: dict[str, dict[str, str]] = {
        rid: row for rid, row in previous["cells"].items() if isinstance(row, dict)
    }
    changes = []
    for rid, row in matrix["cells"].items():
        for name, now in row.items():
            was = before.get(rid, {}).get(name)
            if isinstance(was, str) and was != now:
                changes.append(
                    {"requirement": rid, "target": name, "was": was, "now": now, "change": _change(was, now)}
                )
    fields_before: dict[str, Any] = previous["fields"] if isinstance(previous.get("fields"), dict) else {}
    field_changes = [
        {"field": name, "target": target, "was": was, "now": now}
        for name, row in (matrix.get("fields") or {}).items()
        for target, now in row.items()
        for was in [(fields_before.get(name) or {}).get(target)]
        if isinstance(was, str) and was != now
    ]
    names_then = {t.get("name") for t in previous.get("targets") or [] if isinstance(t, dict)}
    names_now = {t["name"] for t in matrix["targets"]}
    counts = {
        kind: sum(1 for c in changes if c["change"] == kind)
        for kind in ("newly failing", "newly passing", "changed")
    }
    return {
        "previous": {"file": str(previous_path), "created_at": previous.get("created_at")},
        "counts": counts,
        "changes": changes,
        "field_changes": field_changes,
        "targets_added": sorted(names_now - names_then),
        "targets_gone": sorted(str(n) for n in names_then - names_now if n),
    }
