"""Test outcomes -> requirement verdicts. Pure: no I/O, no pytest.

A requirement's status rolls up from the checks that name it: fail > inconclusive > warn > pass > skip.
A failed check makes a MUST requirement ``fail`` and a SHOULD requirement ``warn``. Skip stands only
where every check that names the requirement was skipped (a missing precondition, with its reason).
The run's verdict fails on a failed or undecided MUST, and under strict on a warned or undecided SHOULD.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.spec import Catalog, Requirement

__all__ = ["STATUSES", "RequirementVerdict", "RunVerdict", "roll_up"]

STATUSES = ("pass", "fail", "warn", "skip", "inconclusive")
_ORDER = {"skip": 0, "pass": 1, "warn": 2, "inconclusive": 3, "fail": 4}


@dataclass
class RequirementVerdict:
    """One requirement's status, the tests that name it, and what they found."""

    requirement: Requirement
    status: str = "skip"
    tests: list[str] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def raise_to(self, status: str) -> None:
        if _ORDER[status] > _ORDER[self.status]:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.requirement.id,
            "level": self.requirement.level,
            "title": self.requirement.title,
            "area": self.requirement.area,
            "source": self.requirement.source,
            "status": self.status,
            "tests": self.tests,
            "failures": self.failures,
        }
        if self.reasons:
            data["reasons"] = self.reasons
        return data


@dataclass
class RunVerdict:
    """Every requirement's verdict, and the run's."""

    requirements: list[RequirementVerdict]
    strict: bool

    @property
    def summary(self) -> dict[str, int]:
        counts = {"passed": 0, "failed": 0, "warned": 0, "skipped": 0, "inconclusive": 0}
        names = {
            "pass": "passed",
            "fail": "failed",
            "warn": "warned",
            "skip": "skipped",
            "inconclusive": "inconclusive",
        }
        for verdict in self.requirements:
            counts[names[verdict.status]] += 1
        return counts

    def blocking(self) -> list[RequirementVerdict]:
        """The requirements that make the verdict fail.

        A MUST requirement fails the run when it failed, or when its checks could not decide
        (a certificate needs evidence); under strict, a SHOULD one does when it warned or could not
        decide.
        """
        return [
            v
            for v in self.requirements
            if v.status == "fail"
            or (v.status == "inconclusive" and (v.requirement.is_must or self.strict))
            or (v.status == "warn" and self.strict)
        ]

    @property
    def verdict(self) -> str:
        return "fail" if self.blocking() else "pass"


def _get(outcome: Any, name: str) -> Any:
    return outcome[name] if isinstance(outcome, Mapping) else getattr(outcome, name)


def _failure_dict(test: str, failure: Any) -> dict[str, Any]:
    return {
        "test": test,
        "message": _get(failure, "message"),
        "reproduce": _get(failure, "reproduce"),
    }


def roll_up(catalog: Catalog, outcomes: Iterable[Any], strict: bool = False) -> RunVerdict:
    """Fold test outcomes (TestOutcome objects or their dicts) into one verdict per catalog entry."""
    verdicts = {r.id: RequirementVerdict(r) for r in catalog}
    for outcome in outcomes:
        nodeid = _get(outcome, "nodeid")
        kind = _get(outcome, "outcome")
        names = [i for i in _get(outcome, "requirements") if i in verdicts]
        failures = list(_get(outcome, "failures") or [])
        charged: dict[str, list[Any]] = {}
        for failure in failures:
            for rid in _get(failure, "requirements") or names:
                if rid in verdicts:
                    charged.setdefault(rid, []).append(failure)
        inconclusive_ids = set(names) if kind == "inconclusive" else set()
        for rid in names:
            verdict = verdicts[rid]
            if nodeid not in verdict.tests:
                verdict.tests.append(nodeid)
            if rid in charged:
                verdict.raise_to("fail" if verdict.requirement.is_must else "warn")
                verdict.failures.extend(_failure_dict(nodeid, f) for f in charged[rid])
            elif rid in inconclusive_ids:
                verdict.raise_to("inconclusive")
                verdict.reasons.append(f"{nodeid}: inconclusive: {_get(outcome, 'reason')}")
            elif kind == "skipped":
                verdict.reasons.append(f"{nodeid}: skipped: {_get(outcome, 'reason')}")
            elif kind in ("passed", "failed"):
                verdict.raise_to("pass")
    for verdict in verdicts.values():
        if not verdict.tests:
            verdict.reasons.append("no check in this run names this requirement")
    return RunVerdict(requirements=[verdicts[r.id] for r in catalog], strict=strict)
