"""The top of report.html: the verdict, the gate and certification, what failed, a picture per area.

Also the small pieces the rest of the page shares: status chips, row anchors, links to checks.html.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any
from urllib.parse import quote

from conformance.reporting.evidence_lookup import evidence_for
from conformance.reporting.exchanges import clip, describe_exchange

STATUS_LABEL = {
    "pass": "passed",
    "fail": "failed",
    "known": "known failure",
    "warn": "warning",
    "skip": "not verified",
    "inconclusive": "inconclusive",
}
PROBLEMS = ("fail", "warn", "inconclusive", "known")
CHECK_LABEL = {
    "passed": "pass",
    "failed": "fail",
    "skipped": "skip",
    "inconclusive": "inconclusive",
    "error": "error",
}


def chip(status: str, text: str | None = None) -> str:
    return f'<span class="chip c-{escape(status)}">{escape(text or STATUS_LABEL.get(status, status))}</span>'


def requirement_chip(requirement: Mapping[str, Any]) -> str:
    """A requirement's status chip: ``not run`` for one an interrupted run did not reach."""
    return chip(requirement["status"], "not run" if requirement.get("not_run") else None)


def anchor(rid: str) -> str:
    return "#" + quote(rid, safe="")


def checks_link(checks_page: str | None, nodeid: str) -> str:
    if not checks_page:
        return f"<span class=mono>{escape(nodeid)}</span>"
    return f'<a class=mono href="{escape(checks_page)}#{quote(nodeid, safe="")}">{escape(nodeid)}</a>'


def counted(requirement: Mapping[str, Any], report: Mapping[str, Any]) -> bool:
    return requirement.get("level") == "MUST" or bool(report.get("strict"))


def _verdict_sentence(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    verdict = report.get("verdict")
    target = report.get("target", {}).get("base_url", "the target")
    if verdict == "pass":
        scope = "MUST and SHOULD" if report.get("strict") else "MUST"
        return f"{target} conforms: every {scope} requirement of the catalog passed with evidence."
    if verdict == "fail":
        failed = [r for r in requirements if r["status"] in ("fail", "known") or (r["status"] == "warn" and report.get("strict"))]
        must = sum(1 for r in failed if r.get("level") == "MUST")
        known = sum(1 for r in failed if r["status"] == "known")
        extra = ""
        if known:
            extra = f", {known} of them {'a known failure' if known == 1 else 'known failures'} the baseline accepts"
        unverified = report.get("must_not_verified", {}).get("count", 0)
        unseen = ""
        if unverified:
            unseen = f" {unverified} MUST requirement{' was' if unverified == 1 else 's were'} not verified."
        return (
            f"{target} does not conform: {len(failed)} requirement{'s' if len(failed) != 1 else ''} failed "
            f"({must} MUST){extra}.{unseen}"
        )
    unverified = report.get("must_not_verified", {})
    count = unverified.get("count", 0)
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(unverified.get("why", {}).items()))
    if count:
        return (
            f"Nothing failed, but {count} of the {unverified.get('of')} MUST requirements were not verified"
            f" ({why}): this run cannot say that {target} conforms."
        )
    return f"Nothing failed, but the run is incomplete: this run cannot say that {target} conforms."


def _certification(report: Mapping[str, Any]) -> str:
    if report.get("certification"):
        return "certified: a --certify run whose verdict is pass"
    if report.get("mode") == "certify":
        return "not certified: a --certify run whose verdict is not pass"
    return "not a certification: run without --certify"


def _gate(report: Mapping[str, Any]) -> str:
    if report.get("interrupted"):
        code = 143 if report["interrupted"] == "SIGTERM" else 130
        return f"fail (exit status {code}: the run was interrupted by {report['interrupted']})"
    if report.get("suite_errors"):
        return "fail (exit status 2: the suite itself failed in a check)"
    return "pass (exit status 0)" if report.get("gate") == "pass" else "fail (exit status 1)"


def hero(report: Mapping[str, Any]) -> str:
    verdict = str(report.get("verdict", ""))
    summary = report.get("summary", {})
    names = {"passed": "pass", "failed": "fail", "known": "known", "warned": "warn", "skipped": "skip", "inconclusive": "inconclusive"}
    counts = "".join(
        f'<li class="c-{names.get(key, key)}"><a href="#requirements" data-filter="status={names.get(key, key)}" '
        f'style="color:inherit;text-decoration:none"><b>{value}</b> {escape(key)}</a></li>'
        for key, value in summary.items()
    )
    target = report.get("target", {})
    bundled = f" <span class=small>({escape(target['bundled'])})</span>" if target.get("bundled") else ""
    reasons = [*report.get("gate_reasons", [])]
    why = (
        "<p class=small>The gate failed because: " + "; ".join(escape(r) for r in reasons) + ".</p>" if reasons else ""
    )
    if report.get("interrupted"):
        not_run = sum(1 for r in report.get("requirements", []) if r.get("not_run"))
        why = (
            f"<p class=note><b>Interrupted</b> by {escape(str(report['interrupted']))}: the checks the run did not "
            f"reach are listed as <i>not run</i> ({not_run} requirements); this folder is complete for what ran.</p>"
            + why
        )
    return f"""<section class="hero c-{escape(verdict)}" id=verdict>
<div class=line1><span class=verdict>{escape(verdict.upper())}</span><span class=lead>{escape(_verdict_sentence(report))}</span></div>
<div class=facts3>
<div><b>CI gate</b>{escape(_gate(report))}</div>
<div><b>Certification</b>{escape(_certification(report))}</div>
<div><b>Target</b><span class=mono>{escape(str(target.get('base_url', '')))}</span>{bundled}</div>
<div><b>Finished</b>{escape(str(report.get('finished_at', '')))}</div>
</div>
<ul class=counts>{counts}</ul>
{why}
<p class=small>MUST requirements decide the verdict; a failed SHOULD is a warning{" and, with --strict, counts as a MUST" if report.get("strict") else ""}.</p>
</section>"""


def _first_failure_sentence(
    requirement: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], base_url: str | None
) -> str:
    for failure in requirement.get("failures", []):
        _, entry = evidence_for(failure, evidence)
        if entry is not None:
            return describe_exchange(entry, base_url)
    for failure in requirement.get("failures", []):
        return str(failure.get("message", ""))
    for reason in requirement.get("reasons", []):
        return str(reason).split(": ", 1)[-1]
    return ""


def _problem_item(requirement: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], base_url: str | None) -> str:
    said = _first_failure_sentence(requirement, evidence, base_url)
    more = len(requirement.get("failures", []))
    count = f" <span class=small>({more} failures)</span>" if more > 1 else ""
    return (
        f'<li>{requirement_chip(requirement)}<span class=what><a class=id href="{anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
        f'<b>{escape(requirement.get("level", ""))}</b> {escape(requirement.get("title", ""))}{count}'
        + (f" <span class=said>— {escape(clip(said, 220))}</span>" if said else "")
        + "</span></li>"
    )


def _causes(report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """The failing exchanges several requirements share, each with the requirements under it."""
    base_url = report.get("target", {}).get("base_url")
    blocks = []
    for number, cause in enumerate(report.get("causes", []), start=1):
        lines = cause.get("exchanges", [])
        entry = evidence.get(cause.get("exchange"))
        seen = describe_exchange(entry, base_url) if entry is not None else ""
        count = int(cause.get("exchange_count", len(lines)))
        where = ", ".join(str(line) for line in lines) + (f" and {count - len(lines)} more" if count > len(lines) else "")
        items = "".join(_problem_item(by_id[rid], evidence, base_url) for rid in cause.get("requirements", []) if rid in by_id)
        blocks.append(
            f'<div class=cause id="cause-{number}"><p><b>{escape(str(cause.get("summary", "")))}</b>: '
            f'{len(cause.get("requirements", []))} requirements share it'
            + (f" <span class=small>(evidence.ndjson line{'s' if count > 1 else ''} {escape(where)})</span>" if where else "")
            + "</p>"
            + (f"<p class=small>For example: {escape(clip(seen, 300))}</p>" if seen else "")
            + f"<ul class=problems>{items}</ul></div>"
        )
    if not blocks:
        return ""
    return (
        "<h3>One cause, several requirements</h3><p class=small>These requirements failed (or were left undecided) "
        "on the same answer of the target: fixing it may fix them all.</p>" + "".join(blocks)
    )


def what_failed(report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]) -> str:
    base_url = report.get("target", {}).get("base_url")
    order = {"fail": 0, "inconclusive": 1, "warn": 2, "known": 3}
    by_id = {r["id"]: r for r in report.get("requirements", [])}
    grouped = {rid for cause in report.get("causes", []) for rid in cause.get("requirements", [])}
    problems = sorted(
        (r for r in report.get("requirements", []) if r["status"] in PROBLEMS and not r.get("not_run")),
        key=lambda r: (order[r["status"]], r.get("level") != "MUST"),
    )
    causes = _causes(report, evidence, by_id)
    items = [_problem_item(r, evidence, base_url) for r in problems if r["id"] not in grouped]
    not_run = [r for r in report.get("requirements", []) if r.get("not_run")]
    if not_run:
        items.append(
            f'<li>{chip("inconclusive", "not run")}<span class=what>{len(not_run)} requirements were not run: the run was '
            f"interrupted ({escape(str(report.get('interrupted') or ''))}) before their checks. They are listed as "
            "<i>not run</i> in the table below.</span></li>"
        )
    for entry in report.get("baseline", {}).get("stale", []):
        items.append(
            f'<li>{chip("error", "stale entry")}<span class=what><a class=id href="{anchor(entry["id"])}">{escape(entry["id"])}</a> '
            f"the baseline lists it as a known failure, but it now passes: remove the entry"
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + "</span></li>"
        )
    for error in report.get("suite_errors", []):
        items.append(
            f'<li>{chip("error", "suite error")}<span class=what><span class=mono>{escape(error.get("test", ""))}</span> '
            f"— {escape(clip(str(error.get('error', '')), 220))} (a fault of the suite, not of the target: see suite-errors.log)</span></li>"
        )
    if not items and not causes:
        if report.get("verdict") == "pass":
            body = "<p>Nothing failed: every requirement that ran passed.</p>"
        else:
            body = "<p>Nothing failed. The requirements without evidence are listed as <i>not verified</i> in the table below.</p>"
    else:
        rest = ("<h3>Other problems</h3>" if causes else "") + f"<ul class=problems>{''.join(items)}</ul>" if items else ""
        body = causes + rest
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.get("notes", []))
    if notes:
        body += f"<h3>Notes on the run</h3><ul>{notes}</ul>"
    return f"<section id=what-failed><h2>What failed</h2>{body}</section>"


_SQUARE, _GAP, _PER_ROW = 14, 3, 12


def _area_svg(requirements: list[Mapping[str, Any]]) -> str:
    rows = (len(requirements) + _PER_ROW - 1) // _PER_ROW
    width = min(len(requirements), _PER_ROW) * (_SQUARE + _GAP)
    height = rows * (_SQUARE + _GAP)
    squares = []
    for index, requirement in enumerate(requirements):
        x = (index % _PER_ROW) * (_SQUARE + _GAP)
        y = (index // _PER_ROW) * (_SQUARE + _GAP)
        status = requirement["status"]
        shown = "not run" if requirement.get("not_run") else STATUS_LABEL.get(status, status)
        label = f"{requirement['id']} ({requirement.get('level')}): {shown} — {requirement.get('title', '')}"
        mark = ""
        if status in ("fail", "warn"):
            mark = f'<path d="M{x + 4} {y + 4}l6 6m0-6l-6 6" stroke="#fff" stroke-width="1.6"/>'
        elif status == "inconclusive":
            mark = f'<circle cx="{x + 7}" cy="{y + 7}" r="2" fill="#fff"/>'
        squares.append(
            f'<g><title>{escape(label)}</title><rect x="{x}" y="{y}" width="{_SQUARE}" height="{_SQUARE}" rx="2" '
            f'fill="var(--{escape(status)})"/>{mark}</g>'
        )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{len(requirements)} requirements">{"".join(squares)}</svg>'
    )


def areas(report: Mapping[str, Any]) -> str:
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for requirement in report.get("requirements", []):
        by_area.setdefault(str(requirement.get("area")), []).append(requirement)
    cards = []
    for area, requirements in by_area.items():
        counts: dict[str, int] = {}
        for requirement in requirements:
            label = "not run" if requirement.get("not_run") else STATUS_LABEL.get(requirement["status"], "")
            counts[label] = counts.get(label, 0) + 1
        said = " · ".join(f"{n} {label}" for label, n in counts.items() if label)
        cards.append(
            f'<a class=area href="#area-{escape(area)}" data-filter="area={escape(area)}"><b>{escape(area)}</b>'
            f"{_area_svg(requirements)}<span class=small>{escape(said)}</span></a>"
        )
    legend = "".join(f'<span class="c-{s}"><i></i>{escape(label)}</span>' for s, label in STATUS_LABEL.items())
    return (
        "<section id=areas><h2>By area</h2><div class=areas>" + "".join(cards) + "</div>"
        f"<div class=legend>{legend}<span>one square per requirement; ✕ failed, • inconclusive</span></div></section>"
    )


def describe_coverage(limit: int | None) -> str:
    """The run's coverage-phase bound (``--coverage-cases``) in words."""
    return "all" if limit is None else f"at most {limit} per operation"
