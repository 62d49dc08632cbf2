"""The model of what the run wrote, and the oracle that judges every answer of the run against it.

- ``ledger``: per account, every lead the run created (the model sent, the 201 answer, the id, when),
  and every write the target refused (with the run tag it carried).
- ``core``: the oracle. It sees every exchange the target answered, hand-written checks and generated
  cases alike, and judges it against the contract and the ledger, with the rules of each concern in
  its own ``*_rules`` module (listed in ``core``); ``verdicts`` keeps the tallies, ``state`` what the
  rules share, ``exchanges`` how an exchange is read.
- ``domain``: the dimensions of each requirement's domain (account, page, parameter, value class), and
  which of them the run covered.
- ``edges``: the edge values a written lead carries on purpose (whitespace, long text, any code point,
  several items, date-times with offsets), fitted to what meta/post allows.
- ``budget``: the run's write budget, split once among those who write.
- ``plan``: the run's planned, shared leads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.http.target import Target
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.core import Oracle
from conformance.suite.oracle.domain import DomainCoverage
from conformance.suite.oracle.ledger import Ledger, Refused, Written
from conformance.suite.oracle.verdicts import Verdicts

__all__ = ["DomainCoverage", "Ledger", "Oracle", "Refused", "RunModel", "Verdicts", "Written"]


@dataclass
class RunModel:
    """One run's model of what it wrote, the oracle watching it, and the domain it covered."""

    ledger: Ledger = field(default_factory=Ledger)
    coverage: DomainCoverage = field(default_factory=DomainCoverage)
    oracle: Oracle | None = None
    #: the run's write budget, once a check asked for it
    budget: WriteBudget | None = None

    def conclude(self, check: str, requirements: list[str] | tuple[str, ...]) -> None:
        """Raise what the oracle saw on the exchanges of ``check`` for ``requirements`` (see
        ``Oracle.conclude``)."""
        if self.oracle is None:
            raise RuntimeError("the oracle was not watching this run")
        self.oracle.conclude(check, requirements)

    def attach(self, target: Target) -> Oracle:
        """Start the oracle on ``target`` (once): from now on it judges every answered exchange."""
        if self.oracle is None:
            self.oracle = Oracle(target, self.ledger, self.coverage).start()
        return self.oracle
