"""One certification run: target -> preflight -> pytest with the plugin -> verdicts -> reports.

The CLI is a thin layer over ``run``; tests and other programs may call it directly.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from conformance import __version__, tolerances
from conformance._cache import cache_folder
from conformance._outcomes import (
    TargetError,
    UsageError,
)
from conformance._preflight import TargetNotTestable, preflight, resolve_target, validate
from conformance._results import OutcomeCollector, TestOutcome
from conformance.evidence import EvidenceLog
from conformance.options import (
    DEFAULT_CONCURRENCY,
    DEFAULT_COVERAGE_CASES,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_SEED,
    DEFAULT_WRITE_BUDGET,
)
from conformance.plugin import install_collector, install_model, install_target
from conformance.reporting import RunInfo, build_report, roll_up, write_reports
from conformance.reporting.attestation import write_attestation
from conformance.reporting.baseline import load_baseline
from conformance.reporting.checks_html import check_records
from conformance.spec import catalog_path, fragment_sha256, load_catalog
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.domain import declared_domains
from conformance.target import Target

__all__ = ["RunOptions", "RunResult", "TargetNotTestable", "preflight", "run", "validate"]

SUITE_DIR = Path(__file__).resolve().parent / "suite"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


@dataclass
class RunOptions:
    """Everything ``conformance run`` takes."""

    base_url: str | None = None
    token: str | None = None
    account_token: str | None = None
    second_account_token: str | None = None
    profile: str = "full"
    max_examples: int = DEFAULT_MAX_EXAMPLES
    coverage_cases: int | None = DEFAULT_COVERAGE_CASES
    seed: int = DEFAULT_SEED
    strict: bool = False
    report_dir: Path | None = None
    insecure: bool = False
    timeout: float = 20.0
    max_duration: float = 3600.0
    select: str | None = None
    run_id: str | None = None
    certify: bool = False
    baseline: Path | None = None
    sign_key: Path | None = None
    write_budget: int = DEFAULT_WRITE_BUDGET
    concurrency: int = DEFAULT_CONCURRENCY
    pytest_args: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """The outcome of a run: its exit status, the report document and where it was written."""

    exit_code: int
    report: dict[str, Any]
    paths: dict[str, Path]


class Progress(Protocol):
    """What the run shows while it goes."""

    def start(self, total: int) -> None: ...

    def advance(self, nodeid: str, outcome: str) -> None: ...

    def stop(self) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, nodeid: str, outcome: str) -> None:
        pass

    def stop(self) -> None:
        pass


def _run_info(
    options: RunOptions,
    target: Target,
    baseline: Any,
    started: datetime,
    clock: float,
    *,
    tests: int,
    notes: list[str],
    checks: list[dict[str, Any]] | None = None,
    tolerances: list[dict[str, Any]] | None = None,
    model: RunModel | None = None,
) -> RunInfo:
    """The facts of a run for its report: the suite, the fragment, the target, the options, the times."""
    return RunInfo(
        suite_name="leads-conformance",
        suite_version=__version__,
        spec_path="specs/leads.openapi.yaml",
        spec_sha256=fragment_sha256(),
        catalog_sha256=_sha256(catalog_path()),
        base_url=target.base_url,
        bundled=None if options.base_url else f"leads-conformance reference server {__version__}",
        profile=options.profile,
        seed=options.seed,
        max_examples=options.max_examples,
        coverage_cases=options.coverage_cases,
        strict=options.strict,
        run_id=target.run_id,
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_seconds=round(time.monotonic() - clock, 2),
        tests=tests,
        notes=notes,
        tools=tool_versions(),
        select=options.select,
        tenant=bool(target.second_account_token),
        certify=options.certify,
        baseline=baseline,
        insecure=options.insecure,
        evidence_lines=target.evidence.lines if target.evidence is not None else 0,
        checks=checks or [],
        tolerances=tolerances or [],
        write_budget=options.write_budget,
        concurrency=options.concurrency,
        created=created_leads(model, target),
        dimensions={rid: model.coverage.report(rid) for rid in declared_domains()} if model else {},
        time={**target.time_spent(), "concurrency": target.limit.report()},
    )


def created_leads(model: RunModel | None, target: Target) -> dict[str, Any]:
    """The leads the run created (each stays in the target): how many, the run tag they carry, their ids."""
    leads = model.ledger.leads() if model is not None else []
    return {
        "count": len(leads),
        "run_tag": target.run_id,
        "leads": [
            {"id": lead.id, "account": lead.account, "created_at": lead.answer.get("created_at"),
             "exchange": lead.line}
            for lead in leads
        ],
    }


def _untested(
    error: TargetError,
    options: RunOptions,
    catalog: Any,
    baseline: Any,
    target: Target,
    report_dir: Path,
    started: datetime,
    clock: float,
) -> TargetError:
    """Write the report folder of a run that could test nothing; returns the error to raise."""
    if target.evidence is not None:
        target.evidence.close()
    # every requirement is left undecided by the preflight, for the reason it gave
    undecided = TestOutcome("preflight", [r.id for r in catalog], "inconclusive", reason=str(error))
    verdict = roll_up(
        catalog, [undecided], strict=options.strict, baseline=baseline, selection=options.select
    )
    notes = [f"nothing was tested: the first requests (in evidence.ndjson) showed that {error}"]
    info = _run_info(options, target, baseline, started, clock, tests=0, notes=notes)
    try:
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        write_attestation(report_dir, report, options.sign_key)
    except OSError as exc:
        why = exc.strerror or exc
        return type(error)(f"{error} (the report could not be written to {report_dir}: {why})")
    return type(error)(f"{error} (what was tried: {paths['html']})")


class _Bridge:
    """Hands the run's target and collector to the plugin, and reports progress."""

    def __init__(self, target: Target, outcomes: OutcomeCollector, progress: Progress, model: RunModel):
        self.target = target
        self.outcomes = outcomes
        self.model = model
        self.progress = progress
        self.collected = 0
        self.errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        install_target(config, self.target)
        install_collector(config, self.outcomes)
        install_model(config, self.model)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.progress.start(self.collected)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(
                f"could not collect {report.nodeid}: {self.target.redact(str(report.longrepr))[-500:]}"
            )

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        outcome = self.outcomes.outcomes.get(nodeid)
        self.progress.advance(nodeid, outcome.outcome if outcome else "done")


def tool_versions() -> dict[str, str]:
    """The versions of what the run is made of, for the record."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    tools = {"python": platform.python_version()}
    for name in ("pytest", "schemathesis", "hypothesis", "httpx", "jsonschema"):
        try:
            tools[name] = version(name)
        except PackageNotFoundError:
            tools[name] = "absent"
    return tools


def _pytest_args(options: RunOptions, report_dir: Path | None = None) -> list[str]:
    args = [
        str(SUITE_DIR),
        # Only the plugins a run uses: no other installed plugin is imported, and since the checks
        # raise their own failures (the suite holds no bare assert), no module is assertion-rewritten.
        "--disable-plugin-autoload",
        "--assert=plain",
        "-p",
        "pytest_metadata.plugin",
        "-p",
        "pytest_html.plugin",
        "-p",
        "conformance.plugin",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-c",
        os.devnull,
        "--rootdir",
        str(SUITE_DIR),
        "-o",
        "python_files=*.py",
        "-o",
        "python_functions=test_*",
        "-o",
        "console_output_style=classic",
        "--seed",
        str(options.seed),
        "--max-examples",
        str(options.max_examples),
        "--profile",
        options.profile,
        "--write-budget",
        str(options.write_budget),
        "--concurrency",
        str(options.concurrency),
    ]
    args += ["--coverage-cases", "all" if options.coverage_cases is None else str(options.coverage_cases)]
    if options.select:
        args += ["-k", options.select]
    if report_dir is not None:
        args += ["-p", "conformance.reporting.checks_html", "--html", str(report_dir / "checks.html")]
        args += ["--self-contained-html"]
    return args + list(options.pytest_args)


@contextmanager
def _hypothesis_home() -> Iterator[None]:
    """Where Hypothesis keeps its working files: never the folder the run was started from.

    The run uses no example database, so the files are only Hypothesis' Unicode tables, which take
    seconds to build: they are kept in the user's cache folder, or a temporary one when it cannot be
    written.
    """
    from hypothesis import configuration

    cache = cache_folder("hypothesis")
    with tempfile.TemporaryDirectory(prefix="leads-conformance-") as scratch:
        configuration.set_hypothesis_home_dir(str(cache) if cache is not None else scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(None)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_report_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path("reports") / stamp
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path("reports") / f"{stamp}-{suffix}"
    return folder


#: what a run writes into its report folder; a rerun into the same folder replaces them
RUN_FILES = (
    "report.json", "junit.xml", "report.html", "checks.html", "evidence.ndjson", "attestation.json",
    "suite-errors.log", "conformance-error.log",
)


def prepare_report_dir(folder: Path) -> None:
    """Create the report folder (or empty it of an earlier run's files); unwritable is a usage error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
        probe = folder / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--report-dir: cannot write to {folder}: {exc.strerror or exc}") from None


def _suite_error_log(folder: Path, errors: list[dict[str, Any]]) -> Path:
    path = folder / "suite-errors.log"
    blocks = [
        f"== {error['test']} ({', '.join(error['requirements']) or 'no requirement'})\n"
        f"{error['error']}\n\n{error['traceback']}\n"
        for error in errors
    ]
    path.write_text(
        "The suite failed inside these checks. This is a fault of the suite, not of the target;\n"
        "the requirements they name were not verified by them.\n\n" + "\n".join(blocks),
        encoding="utf-8",
    )
    return path


def run(options: RunOptions, progress: Progress | None = None) -> RunResult:
    """Certify the target the options name; writes the report folder and returns the result."""
    validate(options)
    catalog = load_catalog()
    baseline = load_baseline(options.baseline, (r.id for r in catalog)) if options.baseline else None
    progress = progress or _Silent()
    started = datetime.now(UTC)
    clock = time.monotonic()
    report_dir = options.report_dir or default_report_dir()
    prepare_report_dir(report_dir)
    with resolve_target(options) as target:
        evidence = EvidenceLog(report_dir / "evidence.ndjson", target.redactor)
        target.evidence = evidence
        try:
            try:
                preflight(target)
            except TargetError as exc:
                raise _untested(exc, options, catalog, baseline, target, report_dir, started, clock) from None
            outcomes = OutcomeCollector()
            model = RunModel()
            bridge = _Bridge(target, outcomes, progress, model)
            try:
                tolerances.reset()
                with _hypothesis_home():
                    code = pytest.main(_pytest_args(options, report_dir), plugins=[bridge])
            finally:
                progress.stop()
        finally:
            evidence.close()
        if code == pytest.ExitCode.NO_TESTS_COLLECTED and options.select and not bridge.errors:
            raise UsageError(f"-k {options.select!r} selects no check")
        notes = [*bridge.errors, *target.notes]
        for operation, why in target.unresponsive_operations().items():
            notes.append(f"{operation} stopped answering ({why}); later calls to it were not sent")
        storm = target.storm_note()
        if storm:
            notes.append(storm)
        if target.out_of_time():
            notes.append(f"the run reached --max-duration ({options.max_duration:g} s): no request after it")
        complete = int(code) in (0, 1)
        if not complete:
            notes.append(
                f"the run did not complete (pytest exit status {int(code)}); the verdict cannot be pass"
            )
        verdict = roll_up(
            catalog, outcomes.all(), strict=options.strict, baseline=baseline, selection=options.select
        )
        if not complete and not verdict.suite_errors:
            verdict.suite_errors.append(
                {"test": "collection", "requirements": [], "error": notes[-1],
                 "traceback": "\n".join(bridge.errors)}
            )
        info = _run_info(
            options, target, baseline, started, clock, tests=bridge.collected, notes=notes,
            checks=check_records(outcomes.all()),
            tolerances=tolerances.report_entries(
                rid for done in outcomes.all() if done.outcome != "skipped" for rid in done.requirements
            ),
            model=model,
        )
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        if verdict.suite_errors:
            errors = target.redactor.tree(verdict.suite_errors, ours=True)
            paths["log"] = _suite_error_log(report_dir, errors)
        paths["evidence"] = report_dir / "evidence.ndjson"
        if (report_dir / "checks.html").exists():
            paths["checks"] = report_dir / "checks.html"
    paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    if verdict.suite_errors:
        exit_code = EXIT_USAGE
    elif options.certify:
        exit_code = EXIT_PASS if report["verdict"] == "pass" and report["gate"] == "pass" else EXIT_FAIL
    else:
        exit_code = EXIT_PASS if report["gate"] == "pass" else EXIT_FAIL
    return RunResult(exit_code=exit_code, report=report, paths=paths)
