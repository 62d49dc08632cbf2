"""Test outcomes -> requirement statuses -> the run's verdict and gate. Pure: no I/O, no pytest.

A requirement's status rolls up from the checks that name it: fail > inconclusive > warn > pass > skip.
A failed check makes a MUST requirement ``fail`` and a SHOULD requirement ``warn``; a failure the
baseline lists is ``known`` instead. Skip stands where no check gave evidence: not selected, excluded
by the profile, or a missing precondition, always with the reason. A check an interrupted run never
reached (outcome ``not run``) leaves its requirements ``inconclusive``, marked ``not_run``: they were
neither skipped for a reason nor decided. An inconclusive requirement the baseline lists as such
(``status: inconclusive``) keeps its status, with the entry beside it, and does not fail the gate.

Two answers come out of it (CONTRACT.md, "Verdict and gate"):

- the **verdict**, the truth about the target against the whole catalog: ``fail`` when a requirement
  failed (known failures included; under strict a warned SHOULD too), else ``incomplete`` when some
  MUST (under strict, some requirement) has no evidence, else ``pass``;
- the **gate**, what the exit status tells CI given the user's choices: ``pass`` when nothing that
  ran failed outside the baseline, no MUST that ran is inconclusive outside the baseline (under
  strict, no SHOULD either), no baseline entry is stale, the run was not interrupted and the suite
  itself did not break; else ``fail``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.catalog import Catalog, Requirement
from conformance.outcomes import NOT_SELECTED, SKIP_KINDS, SKIPPED, SUITE_ERROR
from conformance.reporting.baseline import Baseline, BaselineEntry

__all__ = ["STATUSES", "SUMMARY_NAMES", "RequirementVerdict", "RunVerdict", "roll_up"]

STATUSES = ("pass", "fail", "known", "warn", "skip", "inconclusive")
_ORDER = {"skip": 0, "pass": 1, "warn": 2, "known": 3, "inconclusive": 4, "fail": 5}
#: report.json's summary counts, by the status they count
SUMMARY_NAMES = {
    "pass": "passed",
    "fail": "failed",
    "known": "known",
    "warn": "warned",
    "skip": "skipped",
    "inconclusive": "inconclusive",
}


@dataclass
class RequirementVerdict:
    """One requirement's status, the tests that name it, and what they found."""

    requirement: Requirement
    status: str = "skip"
    tests: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    #: seconds spent in the checks that name it
    duration: float = 0.0
    #: the baseline entries that waive its failures (or, for an inconclusive one, its undecided checks)
    waived_by: list[BaselineEntry] = field(default_factory=list)
    #: the checks that left it undecided
    undecided: list[str] = field(default_factory=list)
    #: its checks an interrupted run never reached
    not_run: list[str] = field(default_factory=list)
    #: why its checks were skipped (``SKIP_KINDS``), when they were
    skipped_because: set[str] = field(default_factory=set)

    def raise_to(self, status: str) -> None:
        if _ORDER[status] > _ORDER[self.status]:
            self.status = status

    @property
    def only_not_run(self) -> bool:
        """Inconclusive only because an interrupted run did not reach its checks."""
        if self.status != "inconclusive" or not self.not_run:
            return False
        return set(self.undecided) <= set(self.not_run)

    @property
    def accepted(self) -> bool:
        """An inconclusive requirement the baseline lists as such: it does not fail the gate."""
        return self.status == "inconclusive" and bool(self.waived_by)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.requirement.id,
            "level": self.requirement.level,
            "title": self.requirement.title,
            "area": self.requirement.area,
            "source": self.requirement.source,
            "status": self.status,
            "tests": self.tests,
            "duration_seconds": round(self.duration, 3),
            "failures": self.failures,
        }
        if self.reasons:
            data["reasons"] = self.reasons
        if self.waived_by:
            data["known"] = [entry.to_dict() for entry in self.waived_by]
        if self.undecided:
            data["undecided_by"] = self.undecided
        if self.only_not_run:
            data["not_run"] = True
        return data


@dataclass
class RunVerdict:
    """Every requirement's verdict, and the run's verdict and gate."""

    requirements: list[RequirementVerdict]
    strict: bool
    stale: list[BaselineEntry] = field(default_factory=list)
    suite_errors: list[dict[str, Any]] = field(default_factory=list)
    #: the signal that interrupted the run (``SIGINT``, ``SIGTERM``), or None
    interrupted: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(SUMMARY_NAMES.values(), 0)
        for verdict in self.requirements:
            counts[SUMMARY_NAMES[verdict.status]] += 1
        return counts

    def _counts(self, verdict: RequirementVerdict) -> bool:
        """Whether the requirement decides the verdict: every MUST, and under strict every SHOULD."""
        return verdict.requirement.is_must or self.strict

    def failing(self) -> list[RequirementVerdict]:
        """The requirements that make the verdict ``fail`` (known failures included)."""
        return [
            v
            for v in self.requirements
            if v.status in ("fail", "known") or (v.status == "warn" and self.strict)
        ]

    def unverified(self) -> list[RequirementVerdict]:
        """The requirements that decide the verdict but have no evidence (skipped or inconclusive)."""
        return [v for v in self.requirements if self._counts(v) and v.status in ("skip", "inconclusive")]

    def blocking(self) -> list[RequirementVerdict]:
        """The requirements that make the gate fail: new failures, and undecided ones that ran."""
        return [
            v
            for v in self.requirements
            if v.status == "fail"
            or (v.status == "warn" and self.strict)
            or (v.status == "inconclusive" and self._counts(v) and not v.accepted and not v.only_not_run)
        ]

    @property
    def verdict(self) -> str:
        if self.failing():
            return "fail"
        if self.unverified() or self.suite_errors or self.interrupted:
            return "incomplete"
        return "pass"

    @property
    def gate(self) -> str:
        failed = self.blocking() or self.stale or self.suite_errors or self.interrupted
        return "fail" if failed else "pass"

    def gate_reasons(self) -> list[str]:
        """Why the gate failed, one line each (empty when it passed)."""
        reasons = []
        if self.interrupted:
            not_run = sum(1 for v in self.requirements if v.only_not_run)
            reasons.append(
                f"the run was interrupted ({self.interrupted}): {not_run} requirements were not run"
            )
        reasons += [
            f"{v.requirement.id} ({v.requirement.level}) {v.status}"
            + (" outside the baseline" if v.waived_by else "")
            for v in self.blocking()
        ]
        reasons += [f"stale baseline entry: {entry.describe()} now passes; remove it" for entry in self.stale]
        reasons += [f"suite error in {error['test']}" for error in self.suite_errors]
        return reasons

    def not_verified(self) -> dict[str, int]:
        """How many MUST requirements were not verified, by why (not selected, skipped, ...)."""
        why: dict[str, int] = {}
        for v in self.requirements:
            if not v.requirement.is_must or v.status not in ("skip", "inconclusive"):
                continue
            if v.only_not_run:
                key = "not run (interrupted)"
            elif v.status == "inconclusive":
                key = "inconclusive (known)" if v.accepted else "inconclusive"
            else:
                key = next((kind for kind in SKIP_KINDS if kind in v.skipped_because), SKIPPED)
            why[key] = why.get(key, 0) + 1
        return why


def _get(outcome: Any, name: str, default: Any = None) -> Any:
    if isinstance(outcome, Mapping):
        return outcome.get(name, default)
    return getattr(outcome, name, default)


def _failure_dict(test: str, failure: Any) -> dict[str, Any]:
    return {
        "test": test,
        "message": _get(failure, "message"),
        "reproduce": _get(failure, "reproduce"),
        "exchange": _get(failure, "exchange"),
    }


def roll_up(
    catalog: Catalog,
    outcomes: Iterable[Any],
    strict: bool = False,
    baseline: Baseline | None = None,
    selection: str | None = None,
    interrupted: str | None = None,
    picked: str | None = None,
) -> RunVerdict:
    """Fold test outcomes (TestOutcome objects or their dicts) into one verdict per catalog entry.

    ``selection`` is the ``-k`` expression the run was given, and ``picked`` its ``--requirement`` and
    ``--area`` options in the words of the command line: requirements no selected check names are
    then "not selected" rather than unchecked. ``interrupted`` names the signal that stopped the run
    early, if one did.
    """
    chosen = " ".join(part for part in (picked, f"-k {selection}" if selection else None) if part)
    verdicts = {r.id: RequirementVerdict(r) for r in catalog}
    errors: list[dict[str, Any]] = []
    for outcome in outcomes:
        nodeid = _get(outcome, "nodeid")
        kind = _get(outcome, "outcome")
        names = [i for i in _get(outcome, "requirements") if i in verdicts]
        if kind == "error":
            errors.append(
                {
                    "test": nodeid,
                    "requirements": names,
                    "error": _get(outcome, "reason"),
                    "traceback": _get(outcome, "traceback", ""),
                }
            )
        failures = list(_get(outcome, "failures") or [])
        charged: dict[str, list[Any]] = {}
        for failure in failures:
            for rid in _get(failure, "requirements") or names:
                if rid in verdicts:
                    charged.setdefault(rid, []).append(failure)
        undecided = set(_get(outcome, "inconclusive") or names) if kind == "inconclusive" else set()
        unverified = set(_get(outcome, "unverified") or [])
        for rid in names:
            verdict = verdicts[rid]
            if nodeid not in verdict.tests:
                verdict.tests.append(nodeid)
            verdict.duration += float(_get(outcome, "duration", 0.0) or 0.0)
            if rid in charged:
                verdict.raise_to("fail" if verdict.requirement.is_must else "warn")
                verdict.failures.extend(_failure_dict(nodeid, f) for f in charged[rid])
            elif rid in undecided:
                verdict.raise_to("inconclusive")
                verdict.undecided.append(nodeid)
                verdict.reasons.append(f"{nodeid}: inconclusive: {_get(outcome, 'reason')}")
            elif rid in unverified:
                verdict.reasons.append(f"{nodeid}: no evidence: {_get(outcome, 'reason')}")
            elif kind == "not run":
                verdict.raise_to("inconclusive")
                verdict.undecided.append(nodeid)
                verdict.not_run.append(nodeid)
                verdict.reasons.append(f"{nodeid}: not run: {_get(outcome, 'reason')}")
            elif kind == "error":
                verdict.reasons.append(f"{nodeid}: not verified: {_get(outcome, 'reason')}")
                verdict.skipped_because.add(SUITE_ERROR)
            elif kind == "skipped":
                verdict.reasons.append(f"{nodeid}: skipped: {_get(outcome, 'reason')}")
                verdict.skipped_because.add(_get(outcome, "skip_kind") or SKIPPED)
            elif kind in ("passed", "failed", "inconclusive"):
                verdict.raise_to("pass")
    for verdict in verdicts.values():
        if not verdict.tests:
            verdict.reasons.append(
                f"not selected ({chosen})"
                if chosen
                else "no check in this run names this requirement"
            )
            verdict.skipped_because.add(NOT_SELECTED if chosen else SKIPPED)
    stale = _apply_baseline(verdicts, baseline) if baseline is not None else []
    return RunVerdict(
        requirements=[verdicts[r.id] for r in catalog],
        strict=strict,
        stale=stale,
        suite_errors=errors,
        interrupted=interrupted,
    )


def _apply_baseline(verdicts: dict[str, RequirementVerdict], baseline: Baseline) -> list[BaselineEntry]:
    """Mark listed failures ``known``; return the entries that are stale (their failure is gone).

    An entry without a check waives every failure of its requirement; one with a check waives that
    check's failures only, so a new failure from another check still fails. An entry is stale when
    its requirement passed, or when its check ran and no longer fails. A requirement that did not
    run says nothing about its entries. Inconclusive entries follow the same rules for the checks
    that left their requirement undecided.
    """
    stale: list[BaselineEntry] = []
    by_id: dict[str, list[BaselineEntry]] = {}
    for entry in baseline.entries:
        if entry.id in verdicts:
            by_id.setdefault(entry.id, []).append(entry)
    for rid, all_entries in by_id.items():
        verdict = verdicts[rid]
        if verdict.status == "pass":
            stale.extend(all_entries)
            continue
        undecided = [e for e in all_entries if e.inconclusive]
        entries = [e for e in all_entries if not e.inconclusive]
        if verdict.status == "inconclusive" and undecided and not verdict.only_not_run:
            stale.extend(_accept_undecided(verdict, undecided))
        if verdict.status not in ("fail", "warn"):
            continue
        live = []
        for entry in entries:
            if entry.check is None or any(_same_check(f["test"], entry.check) for f in verdict.failures):
                live.append(entry)
            elif any(_same_check(t, entry.check) for t in verdict.tests):
                stale.append(entry)
        verdict.waived_by.extend(live)
        waived_all = any(entry.check is None for entry in live)
        uncovered = [
            f
            for f in verdict.failures
            if not waived_all and not any(e.check and _same_check(f["test"], e.check) for e in live)
        ]
        if live and not uncovered:
            verdict.status = "known"
    return stale


def _accept_undecided(verdict: RequirementVerdict, entries: list[BaselineEntry]) -> list[BaselineEntry]:
    """Accept an inconclusive requirement its entries cover; returns the entries that are stale."""
    stale, live = [], []
    for entry in entries:
        if entry.check is None or any(_same_check(t, entry.check) for t in verdict.undecided):
            live.append(entry)
        elif any(_same_check(t, entry.check) for t in verdict.tests):
            stale.append(entry)
    covered = any(entry.check is None for entry in live) or all(
        any(entry.check and _same_check(t, entry.check) for entry in live) for t in verdict.undecided
    )
    if live and covered:
        verdict.waived_by.extend(live)
    return stale


def _same_check(nodeid: str, check: str) -> bool:
    """A baseline's check name matches a node id by its full id or its last part(s)."""
    return nodeid == check or nodeid.endswith("::" + check) or nodeid.split("::")[-1] == check
