"""One certification run: target -> preflight -> pytest with the plugin -> verdicts -> reports.

The CLI is a thin layer over ``run``; tests and other programs may call it directly.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from conformance.contract import tolerances
from conformance.contract.catalog import load_catalog
from conformance.http.evidence import EvidenceLog
from conformance.outcomes import TargetError, UsageError
from conformance.reporting import build_report, roll_up, write_reports
from conformance.reporting.attestation import write_attestation
from conformance.reporting.baseline import load_baseline
from conformance.reporting.declared import load_declared
from conformance.run.bridge import Bridge, PlannedCheck, Progress, Silent, hypothesis_home, pytest_args
from conformance.run.context import RunContext, resolve_target
from conformance.run.html_hooks import check_records
from conformance.run.options import RunOptions
from conformance.run.preflight import TargetNotTestable, preflight, validate
from conformance.run.record import (
    default_report_dir,
    prepare_report_dir,
    run_info,
    suite_error_log,
    untested_error,
    write_untested,
)

__all__ = [
    "RunResult",
    "TargetNotTestable",
    "plan",
    "preflight",
    "run",
    "validate",
]

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


#: the exit status of a run stopped by a signal: 128 + its number (130 for Ctrl-C, 143 for SIGTERM)
EXIT_SIGNAL_BASE = 128


@dataclass
class RunResult:
    """The outcome of a run: its exit status, the report document and where it was written."""

    exit_code: int
    report: dict[str, Any]
    paths: dict[str, Path]


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
                if current is not signal.SIG_IGN:
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


def plan(options: RunOptions) -> tuple[list[PlannedCheck], list[PlannedCheck]]:
    """What a run with these options would do (``--list``): the checks it would run, each with the
    reason it would be skipped when the options alone say so, and the checks it would not select.
    Nothing is sent and no server is started.
    """
    validate(options)
    bridge = Bridge(RunContext(options), Silent(), load_catalog())
    args = [*pytest_args(options), "--collect-only"]
    code = pytest.main(args, plugins=[bridge])
    if bridge.errors:
        raise UsageError(bridge.errors[0])
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and options.selects:
        raise UsageError(f"{options.selection(quoted=True)} selects no check")
    if int(code) not in (0, int(pytest.ExitCode.NO_TESTS_COLLECTED)):
        raise UsageError(f"the checks could not be listed (pytest exit status {int(code)})")
    return bridge.planned, bridge.deselected


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
    declared = load_declared(options.declared) if options.declared else None
    progress = progress or Silent()
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
                raise untested_error(exc, *untested) from None
            bridge = Bridge(context, progress, catalog)
            try:
                with hypothesis_home():
                    code = pytest.main(pytest_args(options, report_dir), plugins=[bridge])
            finally:
                interrupts.hold = True
                progress.stop()
        except KeyboardInterrupt:
            interrupts.hold = True
            report, paths = write_untested(None, *untested, interrupted=interrupts.signal or "SIGINT")
            return RunResult(exit_code=interrupts.exit_code(), report=report, paths=paths)
        finally:
            evidence.close()
        interrupted = interrupts.signal or ("SIGINT" if code == pytest.ExitCode.INTERRUPTED else None)
        selected_none = code == pytest.ExitCode.NO_TESTS_COLLECTED and options.selects and not bridge.errors
        if selected_none and not interrupted:
            raise UsageError(f"{options.selection(quoted=True)} selects no check")
        notes = [*bridge.errors, *context.notes]
        for operation, why in target.unresponsive_operations().items():
            notes.append(f"{operation} stopped answering ({why}); later calls to it were not sent")
        storm = target.storm_note()
        if storm:
            notes.append(storm)
        if target.out_of_time():
            notes.append(f"the run reached --max-duration ({options.max_duration:g} s): no request after it")
        finished = context.collector.all()
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
        info = run_info(
            options, target, baseline, started, clock, tests=bridge.collected, notes=notes,
            checks=check_records(finished),
            tolerances=tolerances.report_entries(
                (rid for done in finished if done.outcome not in ("skipped", "not run")
                 for rid in done.requirements),
                context.tolerated,
            ),
            model=context.model,
            interrupted=interrupted,
            declared=declared,
        )
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        if verdict.suite_errors:
            errors = target.redactor.tree(verdict.suite_errors, ours=True)
            paths["log"] = suite_error_log(report_dir, errors)
        paths["evidence"] = report_dir / "evidence.ndjson"
        if (report_dir / "checks.html").exists():
            paths["checks"] = report_dir / "checks.html"
        paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    if interrupted:
        exit_code = interrupts.exit_code()
    elif verdict.suite_errors:
        exit_code = EXIT_USAGE
    else:
        passed = report["gate"] == "pass" and (report["verdict"] == "pass" or not options.certify)
        exit_code = EXIT_PASS if passed else EXIT_FAIL
    return RunResult(exit_code=exit_code, report=report, paths=paths)
