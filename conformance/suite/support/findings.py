"""Violations as the suite keeps them: one seen and kept (``Finding``), and a check's soft assertions
(``Findings``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.http.target import Target
from conformance.outcomes import Violation, ViolationGroup

__all__ = ["MAX_LISTED", "Finding", "Findings", "short", "summarise", "violation_at"]

#: the most problems one message lists before it summarises the rest
MAX_LISTED = 5


@dataclass
class Finding:
    """One violation seen and kept for later: the requirement it breaks, what was seen, the evidence line
    of the exchange that shows it, a command that sends that exchange again (credentials masked), and how
    often it was seen."""

    requirement: str
    message: str
    line: int | None
    reproduce: str | None = None
    count: int = 1

    def violation(self, message: str | None = None) -> Violation:
        return Violation(self.message if message is None else message, [self.requirement], self.reproduce,
                         self.line)


@dataclass
class Findings:
    """Soft assertions: collect every violation a check sees, then fail once with all of them."""

    target: Target
    items: list[Violation] = field(default_factory=list)

    def check(self, condition: bool, requirement: str, message: str, where: httpx.Response) -> bool:
        if not condition:
            self.fail(requirement, message, where)
        return condition

    def fail(self, requirement: str, message: str, where: httpx.Response) -> None:
        """Keep a violation of ``requirement``, shown by the exchange that answered ``where``."""
        self.items.append(violation_at(self.target, requirement, message, where))

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise ViolationGroup(self.items)


def violation_at(target: Target, requirement: str, message: str, where: httpx.Response) -> Violation:
    """A violation of ``requirement``, shown by the exchange that answered ``where`` (its evidence line,
    and a command that sends it again)."""
    return Violation(message, [requirement], target.reproduce_of(where), target.line_of(where))


def summarise(problems: list[str], limit: int = MAX_LISTED) -> str:
    """The first ``limit`` problems, and how many more there were."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


def short(value: Any, limit: int = 100) -> str:
    """``repr(value)``, cut to ``limit`` characters for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
