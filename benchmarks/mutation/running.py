"""Running one mutant: its own copy of the package, a whole conformance run, its outcome."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mutation.common import PACKAGE
from mutation.population import Mutant

# --------------------------------------------------------------------------- running one mutant


@dataclass
class Outcome:
    status: str  # killed | survived | crashed | timeout
    exit_code: int | None
    seconds: float
    verdict: str | None = None  # the run's verdict (pass, fail, incomplete), when it wrote a report
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)  # a warned requirement: its first message
    suite_errors: list[str] = field(default_factory=list)  # checks that broke against the mutant
    message: str = ""


def classify(exit_code: int | None, timed_out: bool) -> str:
    """A run's exit status as a mutant's status."""
    if timed_out:
        return "timeout"
    if exit_code == 0:
        return "survived"
    if exit_code == 1:
        return "killed"
    return "crashed"


class Runner:
    """Runs ``conformance run`` against the reference server built from a private copy of the package."""

    def __init__(
        self, root: Path, scratch: Path, suite_args: Sequence[str], timeout: float, keep: Path | None = None
    ):
        #: where a crashed run's console log and report folder are kept (None: nowhere)
        self.keep = keep
        self.root = root
        self.scratch = scratch
        self.suite_args = list(suite_args)
        self.timeout = timeout
        self.template = scratch / "pristine"
        self.cache = scratch / "cache"
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._count = 0

    def prepare(self) -> None:
        """A snapshot of the package, compiled, that every mutant's copy starts from."""
        shutil.copytree(
            self.root / PACKAGE,
            self.template / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(self.template / PACKAGE)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.cache.mkdir()

    def _folder(self) -> Path:
        with self._lock:
            self._count += 1
            folder = self.scratch / f"run-{self._count:04d}"
        folder.mkdir()
        return folder

    def _environment(self, folder: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
        env.update(
            PYTHONPATH=str(folder / "src"),
            XDG_CACHE_HOME=str(folder / "cache"),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONHASHSEED="0",
        )
        return env

    def origin(self) -> str:
        """Where a run imports the reference server from (must be the private copy)."""
        folder = self._folder()
        shutil.copytree(self.template, folder / "src")
        done = subprocess.run(
            [sys.executable, "-c", f"import {PACKAGE}.reference.app as m; print(m.__file__)"],
            env=self._environment(folder),
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
        path = done.stdout.strip()
        return path if path.startswith(str(folder / "src")) else path or done.stderr.strip()[-300:]

    def run(self, mutant: Mutant | None, fill_cache: bool = False) -> Outcome:
        """One whole ``conformance run``: against the mutant, or the unmutated server when None."""
        folder = self._folder()
        try:
            shutil.copytree(self.template, folder / "src")
            if mutant is not None:
                assert mutant.mutated_code is not None
                target = folder / "src" / mutant.file
                target.write_text(mutant.mutated_code, encoding="utf-8")
                for stale in (target.parent / "__pycache__").glob(target.stem + ".*.pyc"):
                    stale.unlink()
            if fill_cache:
                (folder / "cache").symlink_to(self.cache, target_is_directory=True)
            else:
                shutil.copytree(self.cache, folder / "cache")
            (folder / "work").mkdir()
            outcome = self._execute(folder)
            if outcome.status == "crashed" and self.keep is not None:
                kept = self.keep / folder.name
                skipped = shutil.ignore_patterns("src", "cache")
                shutil.copytree(folder, kept, ignore=skipped, dirs_exist_ok=True)
                outcome.message = f"{outcome.message} (kept in {kept})"
            return outcome
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _execute(self, folder: Path) -> Outcome:
        report = folder / "report"
        command = [sys.executable, "-m", PACKAGE, "run", *self.suite_args, "--report-dir", str(report)]
        log = folder / "console.log"
        started = time.monotonic()
        timed_out = False
        with log.open("wb") as out:
            child = subprocess.Popen(
                command,
                cwd=folder / "work",
                env=self._environment(folder),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            with self._lock:
                self._live.add(child)
            try:
                child.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(child)
                child.wait()
            finally:
                with self._lock:
                    self._live.discard(child)
        seconds = time.monotonic() - started
        code = None if timed_out else child.returncode
        outcome = Outcome(classify(code, timed_out), code, round(seconds, 2))
        record = _record(report / "report.json")
        statuses = {r["id"]: r["status"] for r in record.get("requirements", [])}
        outcome.verdict = record.get("verdict")
        for status, names in (
            ("fail", outcome.failed),
            ("warn", outcome.warned),
            ("inconclusive", outcome.inconclusive),
            ("skip", outcome.skipped),
        ):
            names += sorted(i for i, s in statuses.items() if s == status)
        for requirement in record.get("requirements", []):
            if requirement["status"] == "warn" and requirement.get("failures"):
                outcome.warnings[requirement["id"]] = str(requirement["failures"][0].get("message", ""))[:300]
        outcome.suite_errors = [
            f"{e.get('test')}: {e.get('error')}"[:300] for e in record.get("suite_errors", [])
        ]
        if outcome.status in ("crashed", "timeout") or not statuses:
            lines = [ln.strip()[-300:] for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            outcome.message = " / ".join(lines[-2:])
        return outcome

    def stop_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for child in live:
            _kill_group(child)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _record(path: Path) -> dict[str, Any]:
    """The run's report.json, or an empty record when it wrote none (or one that cannot be read)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict) and all(
            isinstance(r, dict) and "id" in r and "status" in r for r in record.get("requirements", [])
        ):
            return record
    except (OSError, ValueError):
        pass
    return {}


