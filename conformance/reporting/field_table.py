"""The field-support table of report.html and matrix.html: report.json's ``field_support`` laid out as
rows of coloured cells, one per stage, and the fields where the vendor's claims and the run disagree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from conformance.suite.oracle.field_support import STAGES

__all__ = ["FIELD_COLOURS", "STAGE_LABELS", "field_rows", "field_section"]

#: a cell's status -> its colour class
FIELD_COLOURS = {
    "supported": "pass",
    "partial": "warn",
    "not supported": "fail",
    "not observed": "skip",
}
STAGE_LABELS = {stage: stage.replace("_", " ") for stage in STAGES}


def _cell(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    status = str(value.get("status", "not observed"))
    lines = [str(line) for line in value.get("evidence_lines") or []]
    return {
        "status": status,
        "colour": FIELD_COLOURS.get(status, "skip"),
        "reason": str(value.get("reason") or ""),
        "lines": ", ".join(lines),
    }


def _populated(entry: Mapping[str, Any]) -> str:
    parts = []
    for account, share in sorted((entry.get("populated") or {}).items()):
        if isinstance(share, Mapping) and share.get("leads"):
            parts.append(f"{account}: {share.get('holding')}/{share.get('leads')}")
    return ", ".join(parts)


def _offered(entry: Mapping[str, Any]) -> str:
    said = []
    for account, declared in sorted((entry.get("offered") or {}).items()):
        if declared is None:
            said.append(f"{account}: not offered")
        elif isinstance(declared, Mapping):
            words = " ".join(f"{k}={v}" for k, v in declared.items() if k != "enum")
            said.append(f"{account}: {words or 'offered'}")
    return "; ".join(said)


def field_rows(field_support: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per field: its summary and each stage's cell (None where the stage does not apply)."""
    stages = list(field_support.get("stages") or STAGE_LABELS)
    rows = []
    for name, entry in (field_support.get("fields") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        summary = str(entry.get("summary", "not observed"))
        rows.append({
            "name": name,
            "nested": "." in name,
            "summary": summary,
            "colour": FIELD_COLOURS.get(summary, "skip"),
            "cells": [_cell(entry.get(stage)) for stage in stages],
            "populated": _populated(entry),
            "offered": _offered(entry),
        })
    return rows


def field_section(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """What report.html shows of field support (None when the run measured none)."""
    field_support = report.get("field_support") or {}
    if not field_support.get("fields"):
        return None
    rows = field_rows(field_support)
    counts = Counter(row["summary"] for row in rows)
    declared = field_support.get("declared") or {}
    return {
        "stages": [STAGE_LABELS.get(stage, stage) for stage in field_support.get("stages") or STAGE_LABELS],
        "rows": rows,
        "counts": [(status, counts.get(status, 0), FIELD_COLOURS[status]) for status in FIELD_COLOURS],
        "declared": declared or None,
        "disagreements": declared.get("disagreements") or [],
        "unverified": declared.get("unverified") or [],
    }
