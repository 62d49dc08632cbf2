"""The top of report.html, as data for its template: the verdict, the gate and certification, what
failed, a picture per area.

Also the words and colours of the statuses, which every page the suite writes shares.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from conformance.reporting.evidence_lookup import evidence_for
from conformance.reporting.exchanges import clip, describe_exchange
from conformance.reporting.verdicts import SUMMARY_NAMES

STATUS_LABEL = {
    "pass": "passed",
    "fail": "failed",
    "known": "known failure",
    "warn": "warning",
    "skip": "not verified",
    "inconclusive": "inconclusive",
}
#: one colour per status, for every page the suite writes (report.html, matrix.html)
STATUS_COLOURS = {
    "pass": "#1a7f37",
    "fail": "#cf222e",
    "known": "#0969da",
    "warn": "#9a6700",
    "skip": "#6e7781",
    "inconclusive": "#8250df",
    "error": "#bc4c00",
}
PROBLEMS = ("fail", "warn", "inconclusive", "known")
#: the summary's counts, by the status their chips show
_SUMMARY_STATUS = {name: status for status, name in SUMMARY_NAMES.items()}
#: the status a check's chip shows, by its outcome (``passed``, ``failed``, ``skipped``, ``error``, ...)
CHECK_LABEL = {**_SUMMARY_STATUS, "error": "error"}


def label(requirement: Mapping[str, Any]) -> str:
    """What a requirement's chip says: its status, or ``not run`` for one an interrupted run did not reach."""
    if requirement.get("not_run"):
        return "not run"
    return STATUS_LABEL.get(requirement["status"], requirement["status"])


def stale_entries(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The baseline's entries for failures that now pass: the requirement, the check and the reason."""
    return [
        {"id": entry["id"], "check": entry.get("check"), "reason": str(entry.get("reason", ""))}
        for entry in (report.get("baseline") or {}).get("stale", [])
    ]


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


def hero(report: Mapping[str, Any]) -> dict[str, Any]:
    """The verdict in a sentence, the gate, the certification state and the counts."""
    target = report.get("target", {})
    return {
        "verdict": str(report.get("verdict", "")),
        "sentence": _verdict_sentence(report),
        "gate": _gate(report),
        "certification": _certification(report),
        "base_url": str(target.get("base_url", "")),
        "bundled": target.get("bundled"),
        "finished": str(report.get("finished_at", "")),
        "counts": [
            {"status": _SUMMARY_STATUS.get(key, key), "name": key, "count": value}
            for key, value in report.get("summary", {}).items()
        ],
        "reasons": [*report.get("gate_reasons", [])],
        "interrupted": str(report["interrupted"]) if report.get("interrupted") else None,
        "not_run": sum(1 for r in report.get("requirements", []) if r.get("not_run")),
        "strict": bool(report.get("strict")),
    }


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


def _problem(requirement: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], base_url: str | None) -> dict[str, Any]:
    """A problem's line: its requirement and, in a sentence, what its first failure saw."""
    return {
        "id": requirement["id"],
        "status": requirement["status"],
        "label": label(requirement),
        "level": requirement.get("level", ""),
        "title": requirement.get("title", ""),
        "failures": len(requirement.get("failures", [])),
        "said": clip(_first_failure_sentence(requirement, evidence, base_url), 220),
    }


def _causes(
    report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], by_id: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The failing exchanges several requirements share, each with the requirements under it."""
    base_url = report.get("target", {}).get("base_url")
    causes = []
    for number, cause in enumerate(report.get("causes", []), start=1):
        lines = cause.get("exchanges", [])
        entry = evidence.get(cause.get("exchange"))
        seen = describe_exchange(entry, base_url) if entry is not None else ""
        count = int(cause.get("exchange_count", len(lines)))
        where = ", ".join(str(line) for line in lines) + (f" and {count - len(lines)} more" if count > len(lines) else "")
        causes.append(
            {
                "number": number,
                "summary": str(cause.get("summary", "")),
                "requirements": len(cause.get("requirements", [])),
                "where": where,
                "lines": count,
                "seen": clip(seen, 300),
                "problems": [
                    _problem(by_id[rid], evidence, base_url) for rid in cause.get("requirements", []) if rid in by_id
                ],
            }
        )
    return causes


def what_failed(report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    """The problems, those that share a cause under it; the requirements not run, stale baseline
    entries and the suite's own errors; the notes on the run."""
    base_url = report.get("target", {}).get("base_url")
    order = {"fail": 0, "inconclusive": 1, "warn": 2, "known": 3}
    by_id = {r["id"]: r for r in report.get("requirements", [])}
    grouped = {rid for cause in report.get("causes", []) for rid in cause.get("requirements", [])}
    problems = sorted(
        (r for r in report.get("requirements", []) if r["status"] in PROBLEMS and not r.get("not_run")),
        key=lambda r: (order[r["status"]], r.get("level") != "MUST"),
    )
    listed = {
        "problems": [_problem(r, evidence, base_url) for r in problems if r["id"] not in grouped],
        "not_run": sum(1 for r in report.get("requirements", []) if r.get("not_run")),
        "stale": stale_entries(report),
        "suite_errors": [
            {"test": error.get("test", ""), "error": clip(str(error.get("error", "")), 220)}
            for error in report.get("suite_errors", [])
        ],
    }
    return {
        **listed,
        "causes": _causes(report, evidence, by_id),
        "listed": any(listed.values()),
        "interrupted": str(report.get("interrupted") or ""),
        "passed": report.get("verdict") == "pass",
        "notes": report.get("notes", []),
    }


_SQUARE, _GAP, _PER_ROW = 14, 3, 12


def _picture(requirements: list[Mapping[str, Any]]) -> dict[str, Any]:
    """An area's requirements as squares, a row of twelve after another."""
    squares = []
    for index, requirement in enumerate(requirements):
        status = requirement["status"]
        squares.append(
            {
                "x": (index % _PER_ROW) * (_SQUARE + _GAP),
                "y": (index // _PER_ROW) * (_SQUARE + _GAP),
                "status": status,
                "title": f"{requirement['id']} ({requirement.get('level')}): {label(requirement)} — {requirement.get('title', '')}",
                "mark": "cross" if status in ("fail", "warn") else "dot" if status == "inconclusive" else None,
            }
        )
    return {
        "width": min(len(requirements), _PER_ROW) * (_SQUARE + _GAP),
        "height": (len(requirements) + _PER_ROW - 1) // _PER_ROW * (_SQUARE + _GAP),
        "side": _SQUARE,
        "squares": squares,
    }


def areas(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per area, its picture and its counts in words."""
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for requirement in report.get("requirements", []):
        by_area.setdefault(str(requirement.get("area")), []).append(requirement)
    cards = []
    for area, requirements in by_area.items():
        said = " · ".join(f"{n} {shown}" for shown, n in Counter(map(label, requirements)).items())
        cards.append({"area": area, "picture": _picture(requirements), "said": said})
    return cards


def describe_coverage(limit: int | None) -> str:
    """The run's coverage-phase bound (``--coverage-cases``) in words."""
    return "all" if limit is None else f"at most {limit} per operation"
