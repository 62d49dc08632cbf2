"""What each check of a run found (``TestOutcome``), kept by the plugin and read by the reporting.

The target-facing exceptions a check raises (``Violation``, ``Inconclusive``) are in ``_outcomes``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

__all__ = ["Failure", "OutcomeCollector", "TestOutcome"]


@dataclass
class Failure:
    requirements: list[str]
    message: str
    reproduce: str | None = None
    #: the failing exchange's line in evidence.ndjson
    exchange: int | None = None


@dataclass
class TestOutcome:
    """What one test found: ``outcome`` is passed, failed, skipped, inconclusive or error.

    ``inconclusive`` names the requirements left undecided (empty: all the test names); the others
    count as verified when nothing failed them. ``error`` is a fault of the suite itself (a bug in a
    check), with its ``traceback``: it says nothing about the target.
    """

    nodeid: str
    requirements: list[str]
    outcome: str
    failures: list[Failure] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    inconclusive: list[str] = field(default_factory=list)
    traceback: str = ""
    #: requirements a passed check gave no evidence for (no observation of it fell in their domain)
    unverified: list[str] = field(default_factory=list)


class OutcomeCollector:
    """Keeps one TestOutcome per test, in run order."""

    def __init__(self) -> None:
        self.outcomes: dict[str, TestOutcome] = {}
        self.started = time.time()

    def add(self, outcome: TestOutcome) -> None:
        previous = self.outcomes.get(outcome.nodeid)
        if previous is None or _rank(outcome.outcome) > _rank(previous.outcome):
            self.outcomes[outcome.nodeid] = outcome

    def all(self) -> list[TestOutcome]:
        return list(self.outcomes.values())


def _rank(outcome: str) -> int:
    return {"skipped": 0, "passed": 1, "inconclusive": 2, "failed": 3, "error": 4}.get(outcome, 0)
