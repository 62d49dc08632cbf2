"""Write a run's report folder: report.json, junit.xml and report.html.

Everything written passes through the target's redaction first, so no credential reaches a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.reporting.html import render_html
from conformance.reporting.junit import render_junit
from conformance.reporting.verdicts import RunVerdict

__all__ = ["RunInfo", "build_report", "write_reports"]


@dataclass
class RunInfo:
    """What the report says about the run besides the verdicts."""

    suite_name: str
    suite_version: str
    spec_path: str
    spec_sha256: str
    catalog_sha256: str
    base_url: str
    profile: str
    seed: int
    max_examples: int
    strict: bool
    run_id: str
    started_at: str
    finished_at: str
    duration_seconds: float
    tests: int
    notes: list[str]


def build_report(info: RunInfo, verdict: RunVerdict) -> dict[str, Any]:
    """The report.json document."""
    return {
        "suite": {"name": info.suite_name, "version": info.suite_version},
        "spec": {"path": info.spec_path, "sha256": info.spec_sha256, "catalog_sha256": info.catalog_sha256},
        "target": {"base_url": info.base_url},
        "profile": info.profile,
        "seed": info.seed,
        "max_examples": info.max_examples,
        "strict": info.strict,
        "run_id": info.run_id,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "duration_seconds": info.duration_seconds,
        "tests": info.tests,
        "verdict": verdict.verdict,
        "summary": verdict.summary,
        "notes": info.notes,
        "requirements": [v.to_dict() for v in verdict.requirements],
    }


def write_reports(report: dict[str, Any], folder: Path, redact: Callable[[str], str]) -> dict[str, Path]:
    """Write the three files; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    text = redact(json.dumps(report, indent=2, ensure_ascii=False))
    clean = json.loads(text)
    paths = {
        "json": folder / "report.json",
        "junit": folder / "junit.xml",
        "html": folder / "report.html",
    }
    paths["json"].write_text(text + "\n", encoding="utf-8")
    paths["junit"].write_text(redact(render_junit(clean)), encoding="utf-8")
    paths["html"].write_text(redact(render_html(clean)), encoding="utf-8")
    return paths
