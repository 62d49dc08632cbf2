"""What ``conformance run`` says when it ends, on stdout: the verdict line, then each requirement that
failed, warned, stayed inconclusive or is a known failure, with its one-line reason and its anchor in
report.html, then the report's path (and, for ``--list``, the plan).

Text is wrapped at word boundaries to the terminal's width, never cut inside a word; written to a
file or a pipe, each result is one line. While the run goes, ``conformance.run.progress`` speaks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from conformance.run.bridge import PlannedCheck
from conformance.run.progress import STATUS_STYLE, check_label, clip_words

__all__ = ["OWN_SERVER_HINT", "print_plan", "print_results", "result_rows", "summary_line"]

#: characters of a failure's message shown on its result line
REASON_CHARS = 160


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


def requirement_reason(requirement: Mapping[str, Any]) -> str:
    failures = requirement.get("failures") or []
    if requirement["status"] == "known":
        known = requirement.get("known") or [{}]
        said = f"known failure (baseline: {known[0].get('reason', '')})"
        return clip_words(said, REASON_CHARS)
    if failures:
        first = failures[0]
        said = clip_words(str(first.get("message", "")), REASON_CHARS)
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
    return clip_words(said, REASON_CHARS)


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
        said = f"{requirement['id']} ({requirement.get('level')}) {requirement_reason(requirement)}"
        rows.append((requirement["status"], f"{said} {html}#{requirement['id']}"))
    not_run = [r["id"] for r in report.get("requirements", []) if r.get("not_run")]
    if not_run:
        rows.append(("not run", f"{len(not_run)} requirements: the run was interrupted before their checks"))
    for entry in (report.get("baseline") or {}).get("stale", []):
        check = f" ({entry['check']})" if entry.get("check") else ""
        said = f"stale baseline entry: {entry['id']}{check} now passes; remove it"
        rows.append(("stale", f"{said} {html}#{entry['id']}"))
    declared = (report.get("field_support") or {}).get("declared") or {}
    for claim in declared.get("disagreements") or []:
        claimed = "supported" if claim.get("declared") else "not supported"
        reason = f" ({clip_words(str(claim['reason']), 80)})" if claim.get("reason") else ""
        said = (
            f"{claim.get('field')}: declared {claimed} for {claim.get('capability')}, measured "
            f"{claim.get('measured')}{reason}"
        )
        rows.append(("declared", f"{said} {html}#field-support"))
    for error in report.get("suite_errors", []):
        said = clip_words(str(error.get("error")), 120)
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
        _say(out, line)
    rows = result_rows(report, "report.html")
    if out.is_terminal and rows:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for status, text in rows:
            grid.add_row(Text(status, style=STATUS_STYLE.get(status, "")), Text(text))
        out.print(grid)
    else:
        width = max((len(status) for status, _ in rows), default=0)
        for status, text in rows:
            _say(out, f"{status:<{width}} {text}")
    # the leads the run left in the target, and the tag a person finds them by
    created = report.get("created") or {}
    if created.get("count"):
        _say(out, f"created {created['count']} lead(s), tagged {created['run_tag']} (ids in report.json)")
    _say(out, f"report: {html}")


def _say(out: Console, text: str) -> None:
    """One line of plain text (no markup), never wrapped by rich."""
    out.print(text, highlight=False, markup=False, soft_wrap=True)


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
        _say(out, f"run   {check.nodeid}  {', '.join(check.requirements)}")
    for check in skips:
        _say(out, f"skip  {check.nodeid}  {', '.join(check.requirements)}: {check.skip}")
    if deselected:
        _say(out, f"{len(deselected)} checks not selected ({selection})")
    missing = [r.id for r in catalog if r.id not in verified]
    if missing:
        out.print(f"requirements no check that runs verifies ({len(missing)}): {', '.join(missing)}",
                  highlight=False, markup=False, soft_wrap=not out.is_terminal)
