"""What ``conformance run`` says while it goes and when it ends.

Results go to stdout: the verdict line, then each requirement that failed, warned, stayed
inconclusive or is a known failure, with its one-line reason and its anchor in report.html, then the
report's path. Progress and diagnostics go to stderr: the run's first line, a line per area as its
checks finish, each failed check with its parameter, notes. On a terminal a live bar shows the
check being run; without one (CI logs, ``2> file``) a line every few seconds says the run is alive:
elapsed time, requests sent, leads written.

Text is wrapped at word boundaries to the terminal's width, never cut inside a word; written to a
file or a pipe, each result is one line. Under GitHub Actions the run also writes a job summary
(``$GITHUB_STEP_SUMMARY``) and one ``::error`` annotation per failed MUST requirement.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from conformance.run.runner import PlannedCheck, RunCounters

__all__ = [
    "LineProgress",
    "TerminalProgress",
    "check_label",
    "fit_words",
    "github_annotations",
    "github_summary",
    "print_plan",
    "print_results",
    "progress_for",
    "result_rows",
    "summary_line",
]

_STATUS_STYLE = {
    "pass": "green",
    "fail": "bold red",
    "warn": "yellow",
    "skip": "dim",
    "inconclusive": "magenta",
    "known": "cyan",
    "not run": "magenta",
    "stale": "bold red",
    "cause": "bold",
    "error": "bold red",
}
#: seconds without a line after which a run without a terminal says it is still going
HEARTBEAT_SECONDS = 10.0
#: characters of a failure's message shown on its result line
REASON_CHARS = 160


# ------------------------------------------------------------------------------ words
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


def _clip_words(text: str, limit: int) -> str:
    first = " ".join((text.strip().splitlines() or [""])[0].split())
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return cut + " …"


# ------------------------------------------------------------------------------ progress
def _outcome_counts(outcomes: Sequence[str]) -> str:
    names = {"passed": "passed", "failed": "failed", "skipped": "skipped", "inconclusive": "inconclusive",
             "error": "suite errors", "done": "done"}
    counts: dict[str, int] = {}
    for outcome in outcomes:
        name = names.get(outcome, outcome)
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {name}" for name, n in counts.items())


class _Stretches:
    """The run's checks in runs of one area, in run order: a line is said when one is done."""

    def __init__(self, checks: Sequence[PlannedCheck]):
        self.ends: dict[str, tuple[str, int]] = {}
        self.area_of: dict[str, str] = {}
        start = 0
        for index, check in enumerate(checks):
            self.area_of[check.nodeid] = check.area
            last = index + 1 == len(checks) or checks[index + 1].area != check.area
            if last:
                self.ends[check.nodeid] = (check.area, index + 1 - start)
                start = index + 1


class _Reporter:
    """What both kinds of progress share: the line per area, the failed checks, the counters."""

    def __init__(self, console: Console):
        self.console = console
        self._stretches = _Stretches(())
        self._outcomes: list[str] = []
        self._counters: Callable[[], RunCounters] | None = None
        self._since = (0.0, 0)
        self.current = ""

    def _begin(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        self._stretches = _Stretches(checks)
        self._counters = counters
        self._since = (0.0, 0)

    def counters(self) -> RunCounters:
        return self._counters() if self._counters is not None else RunCounters(0, 0, 0.0)

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""), highlight=False)

    def _finished(self, nodeid: str, outcome: str) -> None:
        area = self._stretches.area_of.get(nodeid, "")
        if outcome in ("failed", "error"):
            what = "suite error in" if outcome == "error" else "failed:"
            self.say(f"✗ {area} {what} {check_label(nodeid)}", "red")
        self._outcomes.append(outcome)
        end = self._stretches.ends.get(nodeid)
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
        area = self._stretches.area_of.get(nodeid, "")
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
        area = self._stretches.area_of.get(nodeid, "")
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


# ------------------------------------------------------------------------------ results
def summary_line(report: Mapping[str, Any]) -> str:
    """The verdict line: verdict, gate, counts, and how many MUST requirements were not verified."""
    verdict, gate = report["verdict"], report["gate"]
    counts = ", ".join(f"{value} {key}" for key, value in report["summary"].items() if value)
    unverified = report["must_not_verified"]
    line = (
        f"{verdict.upper()} (gate {gate}"
        + ("; certified" if report.get("certification") else "")
        + ("; interrupted by " + str(report["interrupted"]) if report.get("interrupted") else "")
        + f"): {counts}; {report['duration_seconds']} s."
    )
    if unverified["count"]:
        why = ", ".join(f"{n} {reason}" for reason, n in sorted(unverified["why"].items()))
        line += (
            f" {unverified['count']} of the {unverified['of']} MUST requirements were not verified ({why})."
        )
    else:
        line += f" All {unverified['of']} MUST requirements verified."
    return line


def _reason(requirement: Mapping[str, Any]) -> str:
    failures = requirement.get("failures") or []
    if requirement["status"] == "known":
        known = requirement.get("known") or [{}]
        said = f"known failure (baseline: {known[0].get('reason', '')})"
        return _clip_words(said, REASON_CHARS)
    if failures:
        first = failures[0]
        said = _clip_words(str(first.get("message", "")), REASON_CHARS)
        check = str(first.get("test", ""))
        where = f" (check: {check_label(check)})" if check else ""
        more = len({f.get("test") for f in failures}) - 1
        also = f" and {more} more check{'s' if more != 1 else ''}" if more > 0 else ""
        return said + where + also
    reasons = requirement.get("reasons") or [""]
    said = str(reasons[0])
    for marker in (": inconclusive: ", ": not run: ", ": skipped: "):
        if marker in said:
            check, _, said = said.partition(marker)
            said = f"{said} (check: {check_label(check)})"
            break
    if requirement.get("known"):
        said += f"; accepted by the baseline: {requirement['known'][0].get('reason', '')}"
    return _clip_words(said, REASON_CHARS)


def result_rows(report: Mapping[str, Any], html: str) -> list[tuple[str, str]]:
    """The results worth a line, worst first: ``(status, text)``, each text ending with its anchor."""
    order = {"fail": 0, "inconclusive": 1, "warn": 2, "known": 3}
    problems = [
        r for r in report.get("requirements", [])
        if r["status"] in order and not r.get("not_run")
    ]
    problems.sort(key=lambda r: (order[r["status"]], r.get("level") != "MUST"))
    rows = []
    for number, cause in enumerate(report.get("causes", []), start=1):
        ids = ", ".join(cause.get("requirements", []))
        rows.append(("cause", f"{cause.get('summary')}: {ids} {html}#cause-{number}"))
    for requirement in problems:
        label = "inconclusive" if requirement["status"] == "inconclusive" else requirement["status"]
        rows.append(
            (
                label,
                f"{requirement['id']} ({requirement.get('level')}) {_reason(requirement)} "
                f"{html}#{requirement['id']}",
            )
        )
    not_run = [r["id"] for r in report.get("requirements", []) if r.get("not_run")]
    if not_run:
        rows.append(("not run", f"{len(not_run)} requirements: the run was interrupted before their checks"))
    for entry in (report.get("baseline") or {}).get("stale", []):
        check = f" ({entry['check']})" if entry.get("check") else ""
        said = f"stale baseline entry: {entry['id']}{check} now passes; remove it"
        rows.append(("stale", f"{said} {html}#{entry['id']}"))
    for error in report.get("suite_errors", []):
        said = _clip_words(str(error.get("error")), 120)
        rows.append(("error", f"suite error in {error.get('test')}: {said}"))
    return rows


def print_results(report: Mapping[str, Any], paths: Mapping[str, Path], out: Console) -> None:
    """The verdict, each problem with its reason and anchor (``report.html#ID``), and where the
    report is: on stdout."""
    html = str(paths.get("html", "report.html"))
    verdict = str(report["verdict"])
    colour = {"pass": "green", "fail": "red", "incomplete": "yellow"}.get(verdict, "")
    line = summary_line(report)
    head, _, rest = line.partition(" ")
    if out.is_terminal:
        out.print(Text.assemble((head, f"bold {colour}"), " ", rest), highlight=False)
    else:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    rows = result_rows(report, "report.html")
    if out.is_terminal and rows:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for status, text in rows:
            grid.add_row(Text(status, style=_STATUS_STYLE.get(status, "")), Text(text))
        out.print(grid)
    else:
        width = max((len(status) for status, _ in rows), default=0)
        for status, text in rows:
            out.print(f"{status:<{width}} {text}", highlight=False, markup=False, soft_wrap=True)
    created = report.get("created") or {}
    if created.get("count"):
        out.print(created_line(created), highlight=False, markup=False, soft_wrap=True)
    out.print(f"report: {html}", highlight=False, markup=False, soft_wrap=True)


def created_line(created: Mapping[str, Any]) -> str:
    """The leads the run left in the target, and the tag a person finds them by."""
    return f"created {created['count']} lead(s), tagged {created['run_tag']} (ids in report.json)"


#: how a run of the bundled server ends: how to point the suite at your own server
OWN_SERVER_HINT = (
    "This run certified the bundled reference server. To certify your own server:",
    "  conformance run --base-url URL --token KEY --account-token TOKEN \\",
    "    --second-account-token TOKEN",
    "Each option also reads an environment variable (CONFORMANCE_BASE_URL,",
    "CONFORMANCE_TOKEN, ...); 'conformance run --list' shows what a run would do,",
    "sending nothing.",
)


# ------------------------------------------------------------------------------ --list
def print_plan(
    planned: Sequence[PlannedCheck], deselected: Sequence[PlannedCheck], catalog: Any, out: Console,
    selection: str | None,
) -> None:
    """``conformance run --list``: the checks that would run, those that would be skipped and why,
    and the requirements no selected check verifies."""
    runs = [check for check in planned if check.skip is None]
    skips = [check for check in planned if check.skip is not None]
    verified = {rid for check in runs for rid in check.requirements}
    out.print(
        f"{len(runs)} checks would run and {len(skips)} would be skipped; nothing is sent now.",
        highlight=False, markup=False,
    )
    for check in runs:
        out.print(f"run   {check.nodeid}  {', '.join(check.requirements)}", highlight=False, markup=False,
                  soft_wrap=True)
    for check in skips:
        out.print(f"skip  {check.nodeid}  {', '.join(check.requirements)}: {check.skip}", highlight=False,
                  markup=False, soft_wrap=True)
    if deselected:
        out.print(f"{len(deselected)} checks not selected ({selection})", highlight=False, markup=False,
                  soft_wrap=True)
    missing = [r.id for r in catalog if r.id not in verified]
    if missing:
        out.print(f"requirements no check that runs verifies ({len(missing)}): {', '.join(missing)}",
                  highlight=False, markup=False, soft_wrap=not out.is_terminal)


# ------------------------------------------------------------------------------ GitHub Actions
def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Mapping[str, Any], html: str) -> list[str]:
    """One ``::error`` workflow command per failed MUST requirement (a warning per inconclusive MUST
    and per warned SHOULD)."""
    lines = []
    for requirement in report.get("requirements", []):
        status, level = requirement["status"], requirement.get("level")
        if status == "fail" and level == "MUST":
            command = "error"
        elif status == "warn" or (
            status == "inconclusive" and level == "MUST" and not requirement.get("known")
        ):
            command = "warning"
        else:
            continue
        title = _escape_property(f"{requirement['id']} ({level}) {status}")
        anchor = f"{html}#{requirement['id']}"
        message = _escape_data(f"{requirement.get('title', '')}: {_reason(requirement)} ({anchor})")
        lines.append(f"::{command} title={title}::{message}")
    return lines


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def github_summary(report: Mapping[str, Any], html: str) -> str:
    """The job summary (Markdown): verdict, gate, counts, and each problem with its reason."""
    target = (report.get("target") or {}).get("base_url", "")
    lines = [
        f"## Leads API conformance: {str(report['verdict']).upper()}",
        "",
        _cell(summary_line(report)),
        "",
        f"Target: `{target}`. Gate: **{report['gate']}**"
        + (" (certified)" if report.get("certification") else "") + ".",
        "",
    ]
    rows = result_rows(report, "report.html")
    if rows:
        lines += ["| status | requirement and reason |", "| --- | --- |"]
        lines += [f"| {status} | {_cell(text)} |" for status, text in rows]
        lines.append("")
    lines.append(f"The whole report: `{html}` (the anchors above are in it).")
    return "\n".join(lines) + "\n"


def github_actions(report: Mapping[str, Any], paths: Mapping[str, Path], out: Console) -> None:
    """Under GitHub Actions: the job summary and the annotations (nothing elsewhere)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for line in github_annotations(report, "report.html"):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(github_summary(report, str(paths.get("html", "report.html"))))
        except OSError as exc:
            print(f"conformance: warning: cannot write the job summary to {summary}: {exc.strerror or exc}",
                  file=sys.stderr)
