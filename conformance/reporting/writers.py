"""Build a run's report.json document, and write the folder: report.json, junit.xml, report.html.

The document is redacted structurally (``conformance.http.redaction``: every string field, never a mapping
key, before anything is serialised); the JUnit and HTML writers render that clean document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract.fragment import load_fragment
from conformance.http.redaction import Redactor
from conformance.reporting.attestation import file_sha256, write_bytes
from conformance.reporting.baseline import Baseline
from conformance.reporting.causes import documented_statuses, find_causes
from conformance.reporting.evidence_lookup import exchanges_of
from conformance.reporting.html import render_html
from conformance.reporting.junit import render_junit
from conformance.reporting.verdicts import RunVerdict

__all__ = ["FORMAT_VERSION", "RunInfo", "build_report", "write_file", "write_reports"]

#: keys whose values are the suite's own data (catalog entries, digests, versions, settings), not redacted
SUITE_DATA = frozenset(
    {
        "format_version",
        "suite",
        "spec",
        "tools",
        "id",
        "level",
        "title",
        "area",
        "source",
        "status",
        "tests",
        "test",
        "requirements_ids",
        "seed",
        "max_examples",
        "coverage_cases",
        "run_id",
        "started_at",
        "finished_at",
        "verdict",
        "gate",
        "summary",
        "mode",
        "must_not_verified",
        "evidence",
        "exchange",
        "checks",
        "tolerances",
        "dimensions",
        "write_budget",
        "concurrency",
        "time",
        "causes",
        "interrupted",
        "undecided_by",
        "not_run",
    }
)

#: version of the report.json layout; bumped when a field changes meaning or goes away
FORMAT_VERSION = "2.0"


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
    #: "leads-conformance reference server <version>" when the run served the bundled server
    bundled: str | None = None
    tools: dict[str, str] = field(default_factory=dict)
    #: coverage-phase cases per operation, at most (None: every case the phase makes)
    coverage_cases: int | None = None
    #: the -k expression, or None for the whole suite
    select: str | None = None
    #: whether the TENANT checks could run (a second account token was given)
    tenant: bool = False
    certify: bool = False
    baseline: Baseline | None = None
    insecure: bool = False
    evidence_lines: int = 0
    #: every check of the run: node id, outcome, duration, requirement IDs and its obligation
    checks: list[dict[str, Any]] = field(default_factory=list)
    #: the contract's tolerances the run applied (``conformance.contract.tolerances.report_entries``)
    tolerances: list[dict[str, Any]] = field(default_factory=list)
    write_budget: int | None = None
    concurrency: int | None = None
    #: the leads the run created: count, run tag, and each id with its account and evidence line
    created: dict[str, Any] = field(default_factory=dict)
    #: per requirement, the dimensions of its domain: declared, covered and missing values
    dimensions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: every option report.json records, by name (the option table's ``reported`` ones)
    options: dict[str, Any] = field(default_factory=dict)
    #: what the target does with each field, measured (``FieldSupport.report``), and what it declared
    field_support: dict[str, Any] = field(default_factory=dict)
    #: where the run's time went (``Target.time_spent``)
    time: dict[str, Any] = field(default_factory=dict)
    #: the catalog IDs and areas the run selected (``--requirement``, ``--area``)
    requirements_selected: list[str] = field(default_factory=list)
    areas_selected: list[str] = field(default_factory=list)
    #: the signal that interrupted the run (``SIGINT``, ``SIGTERM``), or None
    interrupted: str | None = None
    #: how the run reached the target: extra header names, CA bundle, client certificate, proxy
    network: dict[str, Any] = field(default_factory=dict)


def build_report(info: RunInfo, verdict: RunVerdict) -> dict[str, Any]:
    """The report.json document."""
    not_verified = verdict.not_verified()
    return {
        "format_version": FORMAT_VERSION,
        "suite": {"name": info.suite_name, "version": info.suite_version},
        "spec": {"path": info.spec_path, "sha256": info.spec_sha256, "catalog_sha256": info.catalog_sha256},
        "tools": info.tools,
        "target": {"base_url": info.base_url, "bundled": info.bundled},
        "profile": info.profile,
        "selection": {
            "k": info.select,
            "requirements": info.requirements_selected,
            "areas": info.areas_selected,
            "tenant": info.tenant,
            "whole_catalog": not (info.select or info.requirements_selected or info.areas_selected),
        },
        "seed": info.seed,
        "max_examples": info.max_examples,
        "coverage_cases": info.coverage_cases,
        "strict": info.strict,
        "insecure": info.insecure,
        "run_id": info.run_id,
        "started_at": info.started_at,
        "finished_at": info.finished_at,
        "duration_seconds": info.duration_seconds,
        "tests": info.tests,
        "interrupted": info.interrupted,
        "verdict": verdict.verdict,
        "gate": verdict.gate,
        "gate_reasons": verdict.gate_reasons(),
        "certification": info.certify and verdict.verdict == "pass",
        "mode": "certify" if info.certify else "check",
        "summary": verdict.summary,
        "must_not_verified": {
            "count": sum(not_verified.values()),
            "of": sum(1 for v in verdict.requirements if v.requirement.is_must),
            "why": not_verified,
        },
        "baseline": {
            **(info.baseline.to_dict() if info.baseline else {"source": None, "entries": []}),
            "stale": [entry.to_dict() for entry in verdict.stale],
        },
        "suite_errors": [
            {key: error[key] for key in ("test", "requirements", "error")} for error in verdict.suite_errors
        ],
        "evidence": {"file": "evidence.ndjson", "exchanges": info.evidence_lines},
        "notes": info.notes,
        "write_budget": info.write_budget,
        "concurrency": info.concurrency,
        "created": info.created or {"count": 0, "run_tag": info.run_id, "leads": []},
        "time": {"duration_seconds": info.duration_seconds, **info.time},
        "requirements": [
            {**v.to_dict(), **({"dimensions": info.dimensions[v.requirement.id]}
                               if v.requirement.id in info.dimensions else {})}
            for v in verdict.requirements
        ],
        "checks": info.checks,
        "tolerances": info.tolerances,
        "network": info.network,
        "options": info.options,
        "field_support": info.field_support,
    }


def write_file(path: Path, text: str) -> None:
    """Write ``text`` whole or not at all. A lone surrogate a target sent (valid JSON text, not valid
    Unicode) is written as its escape, ``\ud800``."""
    write_bytes(path, text.encode("utf-8", "backslashreplace"))


def write_reports(
    report: dict[str, Any], folder: Path, redactor: Redactor
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Write report.json, junit.xml and report.html; returns the clean document and the paths.

    The report gains its ``causes``: the failing exchanges two or more requirements share.
    """
    folder.mkdir(parents=True, exist_ok=True)
    evidence = folder / "evidence.ndjson"
    report = {**report, "causes": find_causes(report, evidence, documented_statuses(load_fragment()))}
    clean = redactor.tree(report, keep=SUITE_DATA, ours=True)
    paths = {
        "json": folder / "report.json",
        "junit": folder / "junit.xml",
        "html": folder / "report.html",
    }
    write_file(paths["json"], json.dumps(clean, indent=2, ensure_ascii=False) + "\n")
    write_file(paths["junit"], render_junit(clean))
    vouched = [name for name in ("report.json", "evidence.ndjson") if (folder / name).exists()]
    files = {name: file_sha256(folder / name) for name in vouched}
    checks_page = "checks.html" if (folder / "checks.html").exists() else None
    page = render_html(clean, exchanges_of(clean, evidence), files=files, checks_page=checks_page)
    write_file(paths["html"], page)
    return clean, paths
