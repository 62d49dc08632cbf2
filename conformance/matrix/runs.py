"""One ``conformance run`` subprocess per target, a few at a time, each bounded from outside.

A run that hangs past its bound is killed (its whole process group) and marked errored; a run that
crashes or fails is recorded as it ended. Neither stops the others. Credentials go to each run by
its environment only; the run's console output is kept, credentials masked, in ``<name>.log`` beside
its report folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from conformance.http.redaction import Redactor
from conformance.matrix.targets import TargetSpec

__all__ = ["GRACE_SECONDS", "Job", "RunRecord", "job_for", "run_jobs"]

#: seconds a run may take beyond its own --max-duration (and one request's --timeout): start-up, reports
GRACE_SECONDS = 120.0


@dataclass
class Job:
    """One subprocess to run: its command (no secret in it), environment, and outer bound."""

    name: str
    command: list[str]
    env: dict[str, str]
    folder: Path
    log: Path
    timeout: float
    secrets: list[str]


@dataclass
class RunRecord:
    """How one run ended."""

    name: str
    exit_code: int | None
    seconds: float
    timed_out: bool
    log: Path
    #: one line: why the run did not finish its report, or what it said on exit 2
    error: str | None = None


def job_for(spec: TargetSpec, report_dir: Path, grace: float = GRACE_SECONDS) -> Job:
    """The ``python -m conformance run`` subprocess of a target, into ``report_dir/<name>``."""
    folder = (report_dir / spec.name).resolve()
    command = [sys.executable, "-m", "conformance", "run", *spec.arguments(), "--report-dir", str(folder)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONFORMANCE_")}
    env.update(spec.environment())
    return Job(
        name=spec.name,
        command=command,
        env=env,
        folder=folder,
        log=(report_dir / f"{spec.name}.log").resolve(),
        timeout=float(spec.setting("max_duration")) + float(spec.setting("timeout")) + grace,
        secrets=spec.secrets(),
    )


class _Live:
    """The process groups still running, so an interrupted matrix leaves none behind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen[str]] = set()
        self.stopping = False

    def add(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._processes.add(process)
        if self.stopping:
            _kill(process)

    def remove(self, process: subprocess.Popen[str]) -> None:
        with self._lock:
            self._processes.discard(process)

    def kill_all(self) -> None:
        self.stopping = True
        with self._lock:
            processes = list(self._processes)
        for process in processes:
            _kill(process)


def _kill(process: subprocess.Popen[str]) -> None:
    """Kill the run and whatever it started (it leads its own process group)."""
    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - not POSIX
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("conformance: error:")]
    return (said or lines or [""])[-1][:300]


def _run(job: Job, live: _Live) -> RunRecord:
    redactor = Redactor(job.secrets)
    started = time.monotonic()
    timed_out = False
    job.folder.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        job.command,
        env=job.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    live.add(process)
    try:
        try:
            output, _ = process.communicate(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process)
            output, _ = process.communicate()
    finally:
        live.remove(process)
    seconds = round(time.monotonic() - started, 2)
    output = redactor.text(output or "")
    job.log.write_text(output, encoding="utf-8", errors="backslashreplace")
    code = process.returncode
    error = None
    if timed_out:
        error = f"the run did not end within {job.timeout:g} s and was stopped"
    elif live.stopping and code is not None and code < 0:
        error = "the run was stopped (the matrix was interrupted)"
    elif code is not None and code < 0:
        error = f"the run was ended by signal {-code}"
    elif code not in (0, 1):
        error = _last_line(output) or f"the run exited with status {code}"
    return RunRecord(job.name, None if timed_out else code, seconds, timed_out, job.log, error)


def run_jobs(
    jobs: Sequence[Job], parallel: int, on_done: Callable[[RunRecord], None] | None = None
) -> dict[str, RunRecord]:
    """Run every job, ``parallel`` at a time; returns each one's record by name."""
    live = _Live()
    records: dict[str, RunRecord] = {}

    def one(job: Job) -> RunRecord:
        if live.stopping:
            record = RunRecord(job.name, None, 0.0, False, job.log, "not run (the matrix was interrupted)")
        else:
            try:
                record = _run(job, live)
            except OSError as exc:
                record = RunRecord(
                    job.name, None, 0.0, False, job.log, f"could not start: {exc.strerror or exc}"
                )
        if on_done is not None:
            on_done(record)
        return record

    with ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="matrix-run") as pool:
        futures = [pool.submit(one, job) for job in jobs]
        try:
            for job, future in zip(jobs, futures, strict=True):
                records[job.name] = future.result()
        except BaseException:
            live.kill_all()
            raise
    return records
