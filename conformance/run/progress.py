"""What ``conformance run`` says while it goes, on stderr: the run's first line, a line per area as its
checks finish, each failed check with its parameter. On a terminal a live bar shows the check being
run; without one (CI logs, ``2> file``) a line every few seconds says the run is alive: elapsed time,
requests sent, leads written. Text is wrapped at word boundaries, never cut inside a word.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from conformance.run.bridge import PlannedCheck, RunCounters

__all__ = [
    "STATUS_STYLE",
    "LineProgress",
    "TerminalProgress",
    "check_label",
    "clip_words",
    "fit_words",
    "own_stderr",
    "progress_for",
]

STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "warn": "yellow",
    "skip": "dim",
    "inconclusive": "magenta",
    "known": "cyan",
    "not run": "magenta",
    "stale": "bold red",
    "declared": "bold yellow",
    "cause": "bold",
    "error": "bold red",
}


#: seconds without a line after which a run without a terminal says it is still going
HEARTBEAT_SECONDS = 10.0


def check_label(nodeid: str) -> str:
    """A check in words, its parameter kept: ``no list query shows … [owner_id]``."""
    name = nodeid.rsplit("::", 1)[-1]
    base, bracket, parameter = name.partition("[")
    words = base.removeprefix("test_").replace("_", " ")
    return f"{words} [{parameter.rstrip(']')}]" if bracket else words


def fit_words(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, whole words only: words are dropped from the end of
    its first part (a trailing ``[parameter]`` is kept), and `` …`` says so."""
    if len(text) <= width:
        return text
    head, bracket, tail = text.rpartition(" [")
    keep = f"[{tail}" if bracket and len(tail) + 1 < width - 2 else ""
    words = (head if keep else text).split(" ")
    while words:
        candidate = " ".join([*words, "…", keep]).strip()
        if len(candidate) <= width:
            return candidate
        words.pop()
    candidate = f"… {keep}".strip()
    return candidate if len(candidate) <= width else ""


def clip_words(text: str, limit: int) -> str:
    first = " ".join((text.strip().splitlines() or [""])[0].split())
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + " …"


# ------------------------------------------------------------------------------ progress


def _outcome_counts(outcomes: Sequence[str]) -> str:
    counts = Counter("suite errors" if outcome == "error" else outcome for outcome in outcomes)
    return ", ".join(f"{n} {name}" for name, n in counts.items())


class _Reporter:
    """What both kinds of progress share: the line per area, the failed checks, the counters."""

    def __init__(self, console: Console):
        self.console = console
        self._area_of: dict[str, str] = {}
        #: the last check of each stretch of one area, in run order -> (area, checks): a line when it is done
        self._ends: dict[str, tuple[str, int]] = {}
        self._outcomes: list[str] = []
        self._counters: Callable[[], RunCounters] | None = None
        self._since = (0.0, 0)
        self.current = ""

    def _begin(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        self._area_of = {check.nodeid: check.area for check in checks}
        self._ends = {}
        for area, stretch in itertools.groupby(checks, key=lambda check: check.area):
            run = list(stretch)
            self._ends[run[-1].nodeid] = (area, len(run))
        self._counters = counters
        self._since = (0.0, 0)

    def counters(self) -> RunCounters:
        return self._counters() if self._counters is not None else RunCounters(0, 0, 0.0)

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""), highlight=False)

    def _finished(self, nodeid: str, outcome: str) -> None:
        area = self._area_of.get(nodeid, "")
        if outcome in ("failed", "error"):
            what = "suite error in" if outcome == "error" else "failed:"
            self.say(f"✗ {area} {what} {check_label(nodeid)}", "red")
        self._outcomes.append(outcome)
        end = self._ends.get(nodeid)
        if end is None:
            return
        area, count = end
        now = self.counters()
        seconds, requests = now.seconds - self._since[0], now.requests - self._since[1]
        self._since = (now.seconds, now.requests)
        self.say(
            f"{area:<8} {count} check{'s' if count != 1 else ''}: {_outcome_counts(self._outcomes)} "
            f"({seconds:.1f} s, {requests} requests)"
        )
        self._outcomes = []


class TerminalProgress(_Reporter):
    """On a terminal: a line per area and per failed check above a live bar (removed at the end)."""

    def __init__(self, console: Console):
        super().__init__(console)
        self._bar = Progress(
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}", markup=False),
            console=console,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task: Any = None
        self._total = 0

    def start(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        self._begin(checks, counters)
        self._total = len(checks)
        self._bar.start()
        self._task = self._bar.add_task("checks", total=self._total, current="")
        if checks:
            self._show(checks[0].nodeid)

    def _room(self) -> int:
        fixed = 16 + 2 * len(str(self._total)) + 1 + 7 + 3
        return max(0, self.console.width - fixed - 1)

    def _show(self, nodeid: str) -> None:
        area = self._area_of.get(nodeid, "")
        label = fit_words(f"{area} {check_label(nodeid)}", self._room())
        self._bar.update(self._task, current=label)

    def advance(self, nodeid: str, outcome: str) -> None:
        if self._task is None:
            return
        self._finished(nodeid, outcome)
        self._bar.update(self._task, advance=1)

    def next(self, nodeid: str) -> None:
        if self._task is not None:
            self._show(nodeid)

    def stop(self) -> None:
        self._bar.stop()


class LineProgress(_Reporter):
    """Without a terminal: a line per area and per failed check, and one every ``interval`` seconds
    without a line (elapsed time, requests sent, leads written, the check being run)."""

    def __init__(self, console: Console, interval: float = HEARTBEAT_SECONDS):
        super().__init__(console)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = time.monotonic()

    def start(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        self._begin(checks, counters)
        self.say(f"running {len(checks)} checks")
        self._last = time.monotonic()
        self._thread = threading.Thread(target=self._beat, name="conformance-progress", daemon=True)
        self._thread.start()

    def say(self, text: str, style: str | None = None) -> None:
        self._last = time.monotonic()
        super().say(text, style)

    def _beat(self) -> None:
        while not self._stop.wait(min(1.0, self.interval)):
            if time.monotonic() - self._last < self.interval:
                continue
            now = self.counters()
            running = f", running {self.current}" if self.current else ""
            self.say(
                f"… {now.seconds:.0f} s elapsed, {now.requests} requests sent, "
                f"{now.leads_written} leads written{running}"
            )

    def advance(self, nodeid: str, outcome: str) -> None:
        self._finished(nodeid, outcome)

    def next(self, nodeid: str) -> None:
        area = self._area_of.get(nodeid, "")
        self.current = f"{area} {check_label(nodeid)}".strip()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def progress_for(console: Console) -> TerminalProgress | LineProgress:
    """The bar on a terminal, lines elsewhere."""
    return TerminalProgress(console) if console.is_terminal else LineProgress(console)


def own_stderr() -> IO[str]:
    """A stream on the process's stderr that the checks' output capture does not redirect."""
    try:
        return os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    except (OSError, ValueError, AttributeError):
        return sys.stderr
