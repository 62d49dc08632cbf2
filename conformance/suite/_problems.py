"""Every problem object of the run: the warnings and errors of each write answer, whoever sent it.

``ProblemAudit`` watches every exchange the target answers (hand-written checks and generated cases
alike) and keeps, for each write answer, how its ``warnings`` and ``errors`` break Merge's shape,
with the exchange's evidence line and a command that repeats it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.suite._support import problem_shape_issues, problems_of
from conformance.target import Exchange, Target

__all__ = ["MalformedProblem", "ProblemAudit"]

#: at most this many broken problem objects are kept (the first ones)
MAX_KEPT = 20


@dataclass(frozen=True)
class MalformedProblem:
    """A warning or error that breaks the shape, and the exchange it came in."""

    what: str
    issue: str
    line: int
    reproduce: str


@dataclass
class ProblemAudit:
    """Collects the problem objects of every write answer of the run."""

    target: Target
    seen: int = 0
    writes: int = 0
    malformed: list[MalformedProblem] = field(default_factory=list)

    def start(self) -> ProblemAudit:
        self.target.observe(self)
        return self

    def __call__(self, exchange: Exchange, body: bytes) -> None:
        if exchange.method != "POST" or not exchange.url.split("?")[0].rstrip("/").endswith("/crm/v1/leads"):
            return
        self.writes += 1
        try:
            answer: Any = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            return
        for key, item in problems_of(answer):
            self.seen += 1
            for issue in problem_shape_issues(item):
                if len(self.malformed) < MAX_KEPT:
                    what = f"POST {exchange.url.split('?')[0]} answered {exchange.status}"
                    self.malformed.append(
                        MalformedProblem(
                            what, f"an item of {key} {issue}", exchange.line, self.target.curl(exchange)
                        )
                    )
