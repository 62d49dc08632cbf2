"""Outcome and failure types.

The tree::

    ConformanceError                 anything the suite reports about itself or its input
    ├── CatalogError                 the requirement catalog is malformed, or a test names an unknown ID
    ├── UsageError                   bad options (exit 2)
    └── TargetError                  the target cannot be certified at all (exit 2)
        ├── TargetUnreachable        no connection, TLS failure, timeout on the first request
        └── CredentialsRejected      the target answers 401/403 to the given credentials

    Violation (AssertionError)       a check found the target breaking one or more requirements
    └── ViolationGroup               several violations one check collected before failing
    Inconclusive (Exception)         a check could not decide (throttled, the target would not answer)
    Unverified (Exception)           a check decided some of its requirements; no observation of its fell
                                     in the domain of the others (they get no evidence from it)
    skip(kind, why)                  a check's precondition is missing; ``kind`` says which (SKIP_KINDS)

What each check of a run found is a ``TestOutcome`` (with its ``Failure`` items), kept by an
``OutcomeCollector`` and read by the reporting.

Any other exception inside a check is a fault of the suite (an ``error`` outcome): it is reported with
its traceback and never counted against the target.

A check fails by raising ``Violation`` (or a plain ``AssertionError``, which is charged to every
requirement the test names). ``Violation`` may name a subset of the test's requirements, so one
test can verify several requirements and fail only the ones it saw broken.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NoReturn

import pytest

__all__ = [
    "NO_SECOND_ACCOUNT",
    "NOT_SELECTED",
    "READ_ONLY",
    "SKIPPED",
    "SKIP_KINDS",
    "SUITE_ERROR",
    "CatalogError",
    "ConformanceError",
    "CredentialsRejected",
    "Failure",
    "Inconclusive",
    "OutcomeCollector",
    "TestOutcome",
    "TargetError",
    "TargetUnreachable",
    "Unverified",
    "UsageError",
    "Violation",
    "ViolationGroup",
    "skip",
    "skip_kind",
]


class ConformanceError(Exception):
    """Base of the errors the suite reports about itself, its input or its target."""


class CatalogError(ConformanceError):
    """The requirement catalog is malformed, or a test names an ID that is not in it."""


class UsageError(ConformanceError):
    """Bad command-line input."""


class TargetError(ConformanceError):
    """The target cannot be certified at all."""


class TargetUnreachable(TargetError):
    """The target could not be reached."""


class CredentialsRejected(TargetError):
    """The target rejected the given credentials outright."""


class Violation(AssertionError):
    """A requirement (or several) was seen broken.

    ``requirements`` empty means: every requirement the failing test names.
    ``reproduce`` is a command a person can run to see it again (credentials masked); ``exchange`` is
    the line of the exchange in the run's evidence log.
    """

    def __init__(
        self,
        message: str,
        requirements: Iterable[str] = (),
        reproduce: str | None = None,
        exchange: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.requirements = tuple(requirements)
        self.reproduce = reproduce
        #: the exchange's line in evidence.ndjson, when the check knows it (else the latest one)
        self.exchange = exchange


class ViolationGroup(Violation):
    """Several violations found by one check, reported together."""

    def __init__(self, violations: Iterable[Violation]):
        self.violations = tuple(violations)
        ids = dict.fromkeys(i for violation in self.violations for i in violation.requirements)
        message = "; ".join(v.message for v in self.violations)
        super().__init__(message, ids, self.violations[0].reproduce if self.violations else None)


class Inconclusive(Exception):
    """The check could not decide: the target throttled it, or would not answer in time.

    ``requirements`` names what is left undecided; the check's other requirements count as decided
    by it (empty: every requirement the check names is undecided).
    """

    def __init__(self, message: str, requirements: Iterable[str] = ()):
        super().__init__(message)
        self.message = message
        self.requirements = tuple(requirements)


class Unverified(Exception):
    """The check passed for its requirements but ``requirements``: no observation of its fell in their
    domain, so it gives them no evidence (neither a pass nor an undecided outcome)."""

    def __init__(self, message: str, requirements: Iterable[str]):
        super().__init__(message)
        self.message = message
        self.requirements = tuple(requirements)


# ------------------------------------------------------------------------------ why a check was skipped
NOT_SELECTED = "not selected"
READ_ONLY = "excluded by the read-only profile"
NO_SECOND_ACCOUNT = "no second account token"
SUITE_ERROR = "suite error"
SKIPPED = "skipped"
#: why a requirement went unverified by a skip, in the order a report names the first that applies
SKIP_KINDS = (NOT_SELECTED, READ_ONLY, NO_SECOND_ACCOUNT, SUITE_ERROR, SKIPPED)


def skip(kind: str, why: str) -> NoReturn:
    """Skip the check: its precondition ``kind`` (one of ``SKIP_KINDS``) is missing, as ``why`` says."""
    exc = pytest.skip.Exception(why)
    exc.kind = kind  # type: ignore[attr-defined]
    raise exc


def skip_kind(exc: BaseException) -> str:
    """The kind of a skip (``SKIPPED`` for one raised by a plain ``pytest.skip``)."""
    kind = getattr(exc, "kind", SKIPPED)
    return kind if kind in SKIP_KINDS else SKIPPED


# ------------------------------------------------------------------------------ what the checks found
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
    #: for a skipped check, why (one of ``SKIP_KINDS``)
    skip_kind: str = ""


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
