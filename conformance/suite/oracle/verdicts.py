"""The oracle's tallies: per requirement, and per check, how many observations it judged and what broke."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.suite.support.findings import Finding

__all__ = ["MAX_KEPT", "Tally", "Verdicts"]

#: violations kept per requirement (the rest are counted)
MAX_KEPT = 50


@dataclass
class Tally:
    """What the oracle judged of one requirement on the exchanges of one check."""

    judged: int = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Verdicts:
    """Per requirement: how many observations were judged, and the violations seen (the first ones);
    and the same per check whose exchange was judged (``by_check``)."""

    judged: Counter[str] = field(default_factory=Counter)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    by_check: dict[str, dict[str, Tally]] = field(default_factory=dict)
    #: the check whose exchange is being judged now
    current: str = ""
    #: makes a reproduce command for the exchange of an evidence line being judged now
    reproduce: Callable[[int], str | None] = lambda _line: None

    def _tally(self, requirement: str) -> Tally:
        return self.by_check.setdefault(self.current, {}).setdefault(requirement, Tally())

    def ok(self, requirement: str) -> None:
        self.judged[requirement] += 1
        self._tally(requirement).judged += 1

    def fail(self, requirement: str, message: str, line: int) -> None:
        self.judged[requirement] += 1
        self.counts[requirement] += 1
        tally = self._tally(requirement)
        tally.judged += 1
        finding = Finding(requirement, message, line, self.reproduce(line))
        for kept in (self.findings.setdefault(requirement, []), tally.findings):
            if len(kept) < MAX_KEPT and all(f.message != message for f in kept):
                kept.append(finding)

    def check(self, condition: bool, requirement: str, message: Callable[..., str], line: int) -> bool:
        if condition:
            self.ok(requirement)
        else:
            self.fail(requirement, message(), line)
        return condition

    def of_check(self, check: str, requirement: str) -> Tally:
        """What was judged of ``requirement`` on the exchanges of ``check`` (an empty tally: nothing)."""
        return self.by_check.get(check, {}).get(requirement, Tally())
