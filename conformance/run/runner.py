"""One certification run: target -> preflight -> pytest with the plugin -> verdicts -> reports.

The CLI is a thin layer over ``run``; tests and other programs may call it directly.
"""

from __future__ import annotations

import hashlib
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

import pytest

from conformance import __version__
from conformance.contract import tolerances
from conformance.contract.catalog import Catalog, catalog_path, load_catalog
from conformance.contract.domains import declared_domains
from conformance.contract.files import cache_folder
from conformance.contract.fragment import fragment_sha256
from conformance.http.evidence import EvidenceLog
from conformance.http.target import Exchange, Target
from conformance.outcomes import (
    TargetError,
    TestOutcome,
    UsageError,
)
from conformance.reporting import RunInfo, build_report, roll_up, write_reports
from conformance.reporting.attestation import write_attestation
from conformance.reporting.baseline import load_baseline
from conformance.run.context import RunContext, resolve_target
from conformance.run.html_hooks import check_records
from conformance.run.options import RunOptions
from conformance.run.plugin import install_context, requirement_ids
from conformance.run.preflight import TargetNotTestable, preflight, validate
from conformance.suite.oracle import RunModel

__all__ = [
    "PlannedCheck",
    "RunCounters",
    "RunOptions",
    "RunResult",
    "TargetNotTestable",
    "plan",
    "preflight",
    "run",
    "validate",
]

SUITE_DIR = Path(__file__).resolve().parents[1] / "suite"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
#: the exit status of a run stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM)
EXIT_SIGNAL_BASE = 128


@dataclass
class RunResult:
    """The outcome of a run: its exit status, the report document and where it was written."""

    exit_code: int
    report: dict[str, Any]
    paths: dict[str, Path]


@dataclass(frozen=True)
class PlannedCheck:
    """A check the run will run (or, in ``--list``, would): its node id, requirement IDs and area."""

    nodeid: str
    requirements: tuple[str, ...]
    area: str
    #: why it would be skipped, when that is known before it runs
    skip: str | None = None


@dataclass(frozen=True)
class RunCounters:
    """How far the run is, in what a person can check on the target."""

    requests: int
    leads_written: int
    seconds: float


class Progress(Protocol):
    """What the run shows while it goes."""

    def start(
        self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]
    ) -> None: ...

    def next(self, nodeid: str) -> None: ...

    def advance(self, nodeid: str, outcome: str) -> None: ...

    def stop(self) -> None: ...


class _Silent:
    def start(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        pass

    def next(self, nodeid: str) -> None:
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
    interrupted: str | None = None,
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
        requirements_selected=list(options.requirement),
        areas_selected=list(options.area),
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
        interrupted=interrupted,
        network=_network_facts(target),
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


def _network_facts(target: Target) -> dict[str, Any]:
    """How the run reached the target, for the record: header names (never their values), TLS, proxy."""
    network = target.network
    return {
        "headers": [name for name, _ in network.headers if name.lower() not in network.secret_names],
        "secret_headers": [name for name, _ in network.headers if name.lower() in network.secret_names],
        "ca_bundle": network.ca_bundle,
        "client_cert": network.client_cert,
        "client_key": network.client_key,
        "proxy": target.redact(target.proxy) if target.proxy else None,
    }


def _untested(
    error: TargetError | None,
    options: RunOptions,
    catalog: Any,
    baseline: Any,
    target: Target,
    report_dir: Path,
    started: datetime,
    clock: float,
    interrupted: str | None = None,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Write the report folder of a run that tested nothing: the preflight refused the target, or
    the run was interrupted before its checks began."""
    if target.evidence is not None:
        target.evidence.close()
    if interrupted:
        nothing = TestOutcome(
            "preflight", [r.id for r in catalog], "not run",
            reason=f"the run was interrupted ({interrupted}) before its checks began",
        )
        notes = [f"the run was interrupted ({interrupted}) before its checks began: nothing was tested"]
    else:
        # every requirement is left undecided by the preflight, for the reason it gave
        nothing = TestOutcome("preflight", [r.id for r in catalog], "inconclusive", reason=str(error))
        notes = [f"nothing was tested: the first requests (in evidence.ndjson) showed that {error}"]
    verdict = roll_up(
        catalog, [nothing], strict=options.strict, baseline=baseline, selection=options.select,
        interrupted=interrupted, picked=options.picked(),
    )
    info = _run_info(options, target, baseline, started, clock, tests=0, notes=notes, interrupted=interrupted)
    report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
    paths["evidence"] = report_dir / "evidence.ndjson"
    paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    return report, paths


def _untested_error(error: TargetError, *args: Any) -> TargetError:
    """Write the folder of a run the preflight refused; returns the error to raise."""
    report_dir: Path = args[5]
    try:
        _, paths = _untested(error, *args)
    except OSError as exc:
        why = exc.strerror or exc
        return type(error)(f"{error} (the report could not be written to {report_dir}: {why})")
    return type(error)(f"{error} (what was tried: {paths['html']})")


class _Interrupts:
    """Ctrl-C (SIGINT) and SIGTERM stop the checks, and the run still writes its whole folder.

    A signal raises KeyboardInterrupt where the run is (pytest then ends the session as
    interrupted); one that comes while the folder is written (``hold``) is only noted, so the folder
    is written whole. A signal the process was started ignoring (a background job, nohup) stays
    ignored.
    Handlers are installed in the main thread only.
    """

    def __init__(self) -> None:
        self.signal: str | None = None
        self.hold = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupts:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                current = signal.getsignal(number)
                if current is signal.SIG_IGN:
                    continue
                self._previous[number] = current
                signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.signal = self.signal or signal.Signals(number).name
        if not self.hold:
            raise KeyboardInterrupt

    def exit_code(self) -> int:
        number = getattr(signal, self.signal or "SIGINT", signal.SIGINT)
        return EXIT_SIGNAL_BASE + int(number)


class _Bridge:
    """Hands the run (its RunContext) to the plugin, and reports progress."""

    def __init__(self, context: RunContext, progress: Progress, catalog: Catalog):
        self.context = context
        self.target = context.target
        self.outcomes = context.collector
        self.progress = progress
        self.catalog = catalog
        self.options = context.options
        self.collected = 0
        self.errors: list[str] = []
        self.planned: list[PlannedCheck] = []
        self.deselected: list[PlannedCheck] = []
        self.running: str | None = None
        self._leads = 0
        self._clock = time.monotonic()

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        install_context(config, self.context)
        if self.target is not None:
            self.target.observe(self._count)

    def _count(self, exchange: Exchange, body: bytes) -> None:
        created = exchange.method == "POST" and 200 <= (exchange.status or 0) < 300
        if created and exchange.url.split("?")[0].endswith("/leads"):
            self._leads += 1

    def counters(self) -> RunCounters:
        evidence = self.target.evidence if self.target is not None else None
        return RunCounters(
            requests=evidence.lines if evidence is not None else 0,
            leads_written=self._leads,
            seconds=time.monotonic() - self._clock,
        )

    def _planned(self, item: pytest.Item) -> PlannedCheck:
        ids = tuple(requirement_ids(item))
        area = self.catalog[ids[0]].area if ids and ids[0] in self.catalog else "other"
        return PlannedCheck(item.nodeid, ids, area, _known_skip(item, self.options))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.extend(self._planned(item) for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.planned = [self._planned(item) for item in session.items]
        if self.target is not None:
            self.progress.start(self.planned, self.counters)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            said = str(report.longrepr)
            if self.target is not None:
                said = self.target.redact(said)
            self.errors.append(f"could not collect {report.nodeid}: {said[-500:]}")

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.running = nodeid
        self.progress.next(nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.running = None
        outcome = self.outcomes.outcomes.get(nodeid)
        self.progress.advance(nodeid, outcome.outcome if outcome else "done")

    def not_run(self, interrupted: str) -> list[TestOutcome]:
        """The checks an interrupted run never finished, as ``not run`` outcomes."""
        missing = []
        for check in self.planned:
            if check.nodeid in self.outcomes.outcomes:
                continue
            when = "while it ran" if check.nodeid == self.running else "before it ran"
            missing.append(
                TestOutcome(
                    check.nodeid, list(check.requirements), "not run",
                    reason=f"the run was interrupted ({interrupted}) {when}",
                )
            )
        if not self.planned:
            missing.append(
                TestOutcome(
                    "collection", [r.id for r in self.catalog], "not run",
                    reason=f"the run was interrupted ({interrupted}) before its checks were collected",
                )
            )
        return missing


def _known_skip(item: pytest.Item, options: RunOptions) -> str | None:
    """Why a check would be skipped, when the options alone say so (``--list``)."""
    if item.get_closest_marker("writes") is not None and options.profile == "read-only":
        return "the read-only profile sends no request that writes"
    fixtures = getattr(item, "fixturenames", ())
    if "second_client" in fixtures and options.base_url and not options.second_account_token:
        return "no second account token was given (--second-account-token)"
    return None


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
        # pytest-base-url, when installed, would own --base-url; the run gives the plugin its target
        "-p",
        "no:base_url",
        "-p",
        "pytest_metadata.plugin",
        "-p",
        "pytest_html.plugin",
        "-p",
        "conformance.run.plugin",
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
    ]
    if options.select:
        args += ["-k", options.select]
    if report_dir is not None:
        args += ["-p", "conformance.run.html_hooks", "--html", str(report_dir / "checks.html")]
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
        errors="backslashreplace",
    )
    return path


def plan(options: RunOptions) -> tuple[list[PlannedCheck], list[PlannedCheck]]:
    """What a run with these options would do (``--list``): the checks it would run, each with the
    reason it would be skipped when the options alone say so, and the checks it would not select.
    Nothing is sent and no server is started.
    """
    validate(options)
    bridge = _Bridge(RunContext(options), _Silent(), load_catalog())
    args = [*_pytest_args(options), "--collect-only"]
    code = pytest.main(args, plugins=[bridge])
    if bridge.errors:
        raise UsageError(bridge.errors[0])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and options.selects:
        raise UsageError(f"{_selection_words(options)} selects no check")
    if int(code) not in (0, int(pytest.ExitCode.NO_TESTS_COLLECTED)):
        raise UsageError(f"the checks could not be listed (pytest exit status {int(code)})")
    return bridge.planned, bridge.deselected


def _selection_words(options: RunOptions) -> str:
    words = [options.picked() or "", f"-k {options.select!r}" if options.select else ""]
    return " ".join(word for word in words if word)


def run(
    options: RunOptions,
    progress: Progress | None = None,
    on_context: Callable[[RunContext], None] | None = None,
) -> RunResult:
    """Certify the target the options name; writes the report folder and returns the result.
    ``on_context`` is shown the run's context as soon as it has its target.

    Ctrl-C (SIGINT) or SIGTERM stops the checks; the folder is still written whole, says
    ``interrupted``, and the exit status is 128 + the signal's number (130, 143).
    """
    validate(options)
    catalog = load_catalog()
    baseline = load_baseline(options.baseline, (r.id for r in catalog)) if options.baseline else None
    progress = progress or _Silent()
    started = datetime.now(UTC)
    clock = time.monotonic()
    report_dir = options.report_dir or default_report_dir()
    prepare_report_dir(report_dir)
    with _Interrupts() as interrupts, resolve_target(options) as target:
        evidence = EvidenceLog(report_dir / "evidence.ndjson", target.redactor)
        target.evidence = evidence
        context = RunContext(options, target)
        if on_context is not None:
            on_context(context)
        untested = (options, catalog, baseline, target, report_dir, started, clock)
        try:
            try:
                preflight(target)
            except TargetError as exc:
                raise _untested_error(exc, *untested) from None
            outcomes, model = context.collector, context.model
            bridge = _Bridge(context, progress, catalog)
            try:
                with _hypothesis_home():
                    code = pytest.main(_pytest_args(options, report_dir), plugins=[bridge])
            finally:
                interrupts.hold = True
                progress.stop()
        except KeyboardInterrupt:
            interrupts.hold = True
            report, paths = _untested(None, *untested, interrupted=interrupts.signal or "SIGINT")
            return RunResult(exit_code=interrupts.exit_code(), report=report, paths=paths)
        finally:
            evidence.close()
        interrupted = interrupts.signal or (
            "SIGINT" if code == pytest.ExitCode.INTERRUPTED else None
        )
        if (
            not interrupted
            and code == pytest.ExitCode.NO_TESTS_COLLECTED
            and options.selects
            and not bridge.errors
        ):
            raise UsageError(f"{_selection_words(options)} selects no check")
        notes = [*bridge.errors, *context.notes]
        for operation, why in target.unresponsive_operations().items():
            notes.append(f"{operation} stopped answering ({why}); later calls to it were not sent")
        storm = target.storm_note()
        if storm:
            notes.append(storm)
        if target.out_of_time():
            notes.append(f"the run reached --max-duration ({options.max_duration:g} s): no request after it")
        finished = list(outcomes.all())
        if interrupted:
            never = bridge.not_run(interrupted)
            ran = sum(1 for done in finished if done.outcome != "not run")
            notes.append(
                f"the run was interrupted ({interrupted}) after {ran} of {bridge.collected} checks: "
                f"the {len(never)} it did not finish are listed as not run"
            )
            finished += never
        complete = int(code) in (0, 1) or bool(interrupted)
        if not complete:
            notes.append(
                f"the run did not complete (pytest exit status {int(code)}); the verdict cannot be pass"
            )
        verdict = roll_up(
            catalog, finished, strict=options.strict, baseline=baseline, selection=options.select,
            interrupted=interrupted, picked=options.picked(),
        )
        if not complete and not verdict.suite_errors:
            verdict.suite_errors.append(
                {"test": "collection", "requirements": [], "error": notes[-1],
                 "traceback": "\n".join(bridge.errors)}
            )
        info = _run_info(
            options, target, baseline, started, clock, tests=bridge.collected, notes=notes,
            checks=check_records(finished),
            tolerances=tolerances.report_entries(
                (rid for done in finished if done.outcome not in ("skipped", "not run")
                 for rid in done.requirements),
                context.tolerated,
            ),
            model=model,
            interrupted=interrupted,
        )
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        if verdict.suite_errors:
            errors = target.redactor.tree(verdict.suite_errors, ours=True)
            paths["log"] = _suite_error_log(report_dir, errors)
        paths["evidence"] = report_dir / "evidence.ndjson"
        if (report_dir / "checks.html").exists():
            paths["checks"] = report_dir / "checks.html"
        paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    if interrupted:
        exit_code = interrupts.exit_code()
    elif verdict.suite_errors:
        exit_code = EXIT_USAGE
    elif options.certify:
        exit_code = EXIT_PASS if report["verdict"] == "pass" and report["gate"] == "pass" else EXIT_FAIL
    else:
        exit_code = EXIT_PASS if report["gate"] == "pass" else EXIT_FAIL
    return RunResult(exit_code=exit_code, report=report, paths=paths)
