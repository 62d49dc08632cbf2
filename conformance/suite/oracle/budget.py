"""The run's write budget: ``--write-budget`` creates, split once among those who write.

Every lead a run creates stays in the customer's CRM (Merge has no DELETE), so a run creates few.
``WriteBudget`` splits ``--write-budget`` once, before anything is sent, among the planned leads, the
bodies generated from meta/post, the stateful phase, the exploration and the generated cases: the same
budget and seed make the same writes, whatever runs first. A check that needs a write beyond its share
is inconclusive, naming the budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.outcomes import Inconclusive

__all__ = ["EXPLORATION_CREATES", "PURPOSES", "STATEFUL_STEPS", "WriteBudget"]

#: who writes, in the order the budget serves them
PURPOSES = ("plan", "meta-generated", "stateful", "exploration", "generated")
#: the planned creates: the first account's four, the second's two, and room for a few more (refused
#: creates sent again, a lead to complete the timeline)
PLANNED = 6
PLAN_SPARE = 5
#: the share of what is left after the plan, per purpose (the generated cases take the rest)
PROPORTIONS = {"meta-generated": 0.15, "stateful": 0.20, "exploration": 0.05}
#: steps of one stateful scenario (each may create a lead)
STATEFUL_STEPS = 2
#: creates the exploration may make, at most
EXPLORATION_CREATES = 4


@dataclass
class WriteBudget:
    """``--write-budget`` creates, split once among the purposes that write (``PURPOSES``)."""

    total: int
    shares: dict[str, int]
    used: dict[str, int] = field(default_factory=dict)
    #: writes the budget held back (a create not sent, a check left inconclusive)
    denied: int = 0

    @classmethod
    def for_run(cls, total: int, max_examples: int) -> WriteBudget:
        """``total`` split among the planned leads, meta/post's generated bodies, the stateful phase, the
        exploration and the generated cases, as far as a run of ``max_examples`` can use each."""
        scenarios = max(2, max_examples // 2)
        demands = {"meta-generated": max_examples, "stateful": STATEFUL_STEPS * scenarios,
                   "exploration": EXPLORATION_CREATES}
        return cls.split(total, demands)

    @classmethod
    def split(cls, total: int, demands: dict[str, int]) -> WriteBudget:
        """Shares of ``total``: the plan first, then fixed proportions of the rest, each capped by what its
        purpose can use (``demands``); the generated cases take what is left."""
        shares = {"plan": min(total, demands.get("plan", PLANNED + PLAN_SPARE))}
        rest = total - shares["plan"]
        for purpose, part in PROPORTIONS.items():
            shares[purpose] = min(demands.get(purpose, 0), int(rest * part))
        shares["generated"] = max(0, rest - sum(shares[p] for p in PROPORTIONS))
        return cls(total, shares)

    def allow(self, purpose: str) -> bool:
        """Whether one more create of ``purpose`` fits its share (and count it when it does)."""
        used = self.used.get(purpose, 0)
        if used >= self.shares.get(purpose, 0):
            self.denied += 1
            return False
        self.used[purpose] = used + 1
        return True

    def left(self, purpose: str) -> int:
        return self.shares.get(purpose, 0) - self.used.get(purpose, 0)

    def exhausted(
        self, purpose: str, what: str, requirements: list[str] | tuple[str, ...] = ()
    ) -> Inconclusive:
        """The inconclusive outcome of a check that needed a write beyond ``purpose``'s share."""
        self.denied += 1
        return Inconclusive(
            f"{what} needs a write beyond the --write-budget of {self.total} creates "
            f"({self.shares.get(purpose, 0)} of them for {purpose})",
            requirements,
        )
