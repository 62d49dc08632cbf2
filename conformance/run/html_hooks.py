"""checks.html: pytest-html's own page of the run, one row per check, shaped through its hooks.

Loaded with ``-p conformance.run.html_hooks`` beside ``--html=<folder>/checks.html
--self-contained-html`` (``conformance run`` does both). It adds a column of the requirement IDs a
check verifies, attaches to a failed check the exchanges it failed on (read from evidence.ndjson), and
fills the environment table with the run's facts: target base URL, suite version, seed, profile and
run id, never a credential. Every row's id is the check's node id, so report.html links to
``checks.html#<node id>``. Captured output is redacted like every other field of the run.

``check_records`` gives report.json its ``checks``: one entry per check with its obligation (the
first line of its docstring).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Generator, Iterable
from html import escape
from pathlib import Path
from typing import IO, Any

import pytest
from pytest_html import extras as html_extras

from conformance import __version__
from conformance.http.redaction import Redactor
from conformance.reporting.evidence_lookup import (
    evidence_for,
    request_of_command,
    same_request,
    search_evidence,
)
from conformance.reporting.exchanges import exchange_html
from conformance.reporting.html_parts import describe_coverage
from conformance.run.plugin import context_of, get_target

__all__ = ["check_records", "obligation"]

#: exchanges attached to one failed check
EXTRAS_PER_CHECK = 3
_PHASES = ("::setup", "::teardown")
_READER_KEY = pytest.StashKey["_EvidenceReader"]()
_EXTRAS_DONE_KEY = pytest.StashKey[set[str]]()


def obligation(nodeid: str, package: str = "conformance.suite") -> str:
    """The first line of a check's docstring (what it obliges the target to do); empty when none."""
    path, _, rest = nodeid.partition("::")
    names = [name.split("[", 1)[0] for name in rest.split("::") if name]
    if not path.endswith(".py") or not names:
        return ""
    module_name = package + "." + path[: -len(".py")].replace("/", ".")
    try:
        obj: Any = importlib.import_module(module_name)
        for name in names:
            obj = getattr(obj, name)
    except (ImportError, AttributeError):
        return ""
    doc = (getattr(obj, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def check_records(outcomes: Iterable[Any]) -> list[dict[str, Any]]:
    """report.json's ``checks``: each check's node id, outcome, duration, requirements and obligation."""
    records = []
    for outcome in outcomes:
        record: dict[str, Any] = {
            "test": outcome.nodeid,
            "outcome": outcome.outcome,
            "duration_seconds": round(float(outcome.duration or 0.0), 3),
            "requirements": list(outcome.requirements),
            "obligation": obligation(outcome.nodeid),
        }
        if outcome.outcome == "inconclusive" and outcome.inconclusive:
            record["inconclusive"] = list(outcome.inconclusive)
        records.append(record)
    return records


def _redactor(config: pytest.Config) -> Redactor:
    return Redactor(context_of(config).secrets)


class _EvidenceReader:
    """Reads lines of the evidence file as it grows: forward from the last line read, or from the start."""

    def __init__(self, path: Path):
        self.path = path
        self._handle: IO[str] | None = None
        self._line = 0

    def read(self, number: int) -> dict[str, Any] | None:
        if self._handle is None or number <= self._line:
            self.close()
            self._handle = self.path.open(encoding="utf-8")
            self._line = 0
        text = ""
        while self._line < number:
            text = self._handle.readline()
            if not text:
                return None
            self._line += 1
        try:
            entry = json.loads(text)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


# ----------------------------------------------------------------------------- pytest-html hooks
def pytest_html_report_title(report: Any) -> None:
    report.title = "Leads API conformance: every check of the run"


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells[1] = '<th class="sortable" data-column-type="testId">Check</th>'
    cells.insert(2, '<th class="sortable" data-column-type="requirements">Requirements</th>')


def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    ids = dict(getattr(report, "user_properties", [])).get("requirements", "")
    cells[1] = f'<td class="col-testId">{escape(report.nodeid)}</td>'
    cells.insert(2, f'<td class="col-requirements">{escape(str(ids).replace(",", ", "))}</td>')


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    if report.failed and report.longrepr:
        report.longrepr = _redactor(collector.config).text(str(report.longrepr))
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    redact = _redactor(item.config)
    if report.sections:
        report.sections = [(header, redact.text(content)) for header, content in report.sections]
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        path, line, message = report.longrepr
        report.longrepr = (path, line, redact.text(str(message)))
    elif report.longrepr is not None:
        report.longrepr = redact.text(str(report.longrepr))
    if call.excinfo is not None and not report.passed:
        extras = _failure_extras(item)
        if extras:
            # pytest-html reads a report's ``extras`` attribute
            setattr(report, "extras", [*getattr(report, "extras", []), *extras])  # noqa: B010
    return report


def _failure_extras(item: pytest.Item) -> list[dict[str, Any]]:
    """The exchanges a failed check failed on, as pytest-html extras (once per check)."""
    done = item.config.stash.setdefault(_EXTRAS_DONE_KEY, set())
    outcome = context_of(item.config).collector.outcomes.get(item.nodeid)
    if outcome is None or outcome.outcome != "failed" or item.nodeid in done:
        return []
    done.add(item.nodeid)
    target = get_target(item.config)
    evidence = target.evidence
    if evidence is None or evidence.path is None:
        return []
    evidence.flush()
    reader = item.config.stash.setdefault(_READER_KEY, _EvidenceReader(evidence.path))
    extras = []
    shown: set[int] = set()
    for failure in outcome.failures:
        line, entry = _exchange_of(item.nodeid, failure, reader, evidence.path)
        if line is None or entry is None or line in shown:
            continue
        shown.add(line)
        block = exchange_html(entry, line, insecure=not target.verify_tls, base_url=target.base_url)
        extras.append(html_extras.html(f"<div class=conformance-exchange>{block}</div>"))
        if len(extras) == EXTRAS_PER_CHECK:
            break
    return extras


def _exchange_of(
    nodeid: str, failure: Any, reader: _EvidenceReader, path: Path
) -> tuple[int | None, dict[str, Any] | None]:
    """A failure's evidence line: the one it names, or else the one holding its reproduce request."""
    candidates: dict[int, dict[str, Any]] = {}
    entry = reader.read(failure.exchange) if failure.exchange else None
    if entry is not None:
        candidates[failure.exchange] = entry
    request = request_of_command(failure.reproduce)
    if request is not None and (entry is None or not same_request(entry, request)):
        candidates.update(search_evidence(path, [request]))
    record = {
        "test": nodeid,
        "message": failure.message,
        "reproduce": failure.reproduce,
        "exchange": failure.exchange,
    }
    return evidence_for(record, candidates)


#: the few rules an exchange needs inside pytest-html's page, and long lines wrapped
_STYLE = (
    "<style>#results-table .log,#results-table td{overflow-wrap:anywhere}.conformance-exchange{color:#1f2328}"
    ".conformance-exchange dl{display:grid;grid-template-columns:9rem 1fr;gap:.2rem .8rem;"
    "margin:.4rem 0}.conformance-exchange dt{color:#57606a}.conformance-exchange dd{margin:0;min-width:0}"
    ".conformance-exchange pre{background:#f6f8fa;padding:.4rem;white-space:pre-wrap;overflow-wrap:anywhere;"
    "max-height:20rem;overflow:auto;margin:.2rem 0}"
    ".conformance-exchange .small{color:#57606a;font-size:.85em}"
    ".conformance-exchange button{display:none}</style>"
)


def pytest_html_results_summary(prefix: list[str], summary: list[str], postfix: list[str]) -> None:
    prefix.append(
        f"{_STYLE}<p>The compliance page of this run, with the verdict and what failed, is "
        '<a href="report.html">report.html</a> in this folder. Each row below is one check; the '
        "Requirements column names the catalog IDs it verifies, and a failed check shows the exchange it "
        "failed on.</p>"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """The environment table holds the run's facts only (pytest-html reads it after this hook)."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover - pytest-html depends on pytest-metadata
        return
    metadata = session.config.stash.get(metadata_key, None)
    if metadata is None:
        return
    target = get_target(session.config)
    options = context_of(session.config).options
    metadata.clear()
    metadata.update(
        {
            "Target base URL": target.redact(target.base_url),
            "Suite": f"leads-conformance {__version__}",
            "Seed": str(options.seed),
            "Max examples": str(options.max_examples),
            "Coverage cases": describe_coverage(options.coverage_cases),
            "Profile": target.profile,
            "Run id": target.run_id,
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    reader = session.config.stash.get(_READER_KEY, None)
    if reader is not None:
        reader.close()
