"""Soft assertions: a check collects every violation it sees, then fails once with all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from conformance.http.target import Target
from conformance.outcomes import Violation, ViolationGroup

__all__ = ["MAX_LISTED", "Findings", "summarise"]

#: the most problems one message lists before it summarises the rest
MAX_LISTED = 5


@dataclass
class Findings:
    """Soft assertions: collect every violation a check sees, then fail once with all of them."""

    target: Target
    items: list[Violation] = field(default_factory=list)

    def check(
        self, condition: bool, requirement: str, message: str, where: httpx.Response | None = None
    ) -> bool:
        if not condition:
            self.fail(requirement, message, where)
        return condition

    def fail(self, requirement: str, message: str, where: httpx.Response | None = None) -> None:
        """Keep a violation of ``requirement``, shown by the exchange that answered ``where`` (when given;
        else by the latest exchange of the check)."""
        if where is None:
            self.items.append(Violation(message, [requirement], self.target.last_reproduce()))
            return
        target = self.target
        reproduce, line = target.reproduce_of(where), target.line_of(where)
        self.items.append(Violation(message, [requirement], reproduce, line))

    def failed(self, requirement: str) -> bool:
        return any(requirement in v.requirements for v in self.items)

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise ViolationGroup(self.items)


def summarise(problems: list[str], limit: int = MAX_LISTED) -> str:
    """The first ``limit`` problems, and how many more there were."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")
