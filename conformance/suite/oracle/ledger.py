"""The ledger: what the run wrote, per account, as the target answered it.

Every create the target answered 2xx with a model holding an id is a ``Written`` lead: the model sent
(as it went on the wire), the answer's model, the fields the answer's warnings declined, when it was
sent and answered, and its evidence line. Every write the target refused is a ``Refused`` one, with
the run tags its body carried (a lead found later carrying one was stored although refused). Every
write, whatever its answer, is a ``Write`` with its times, so a walk can tell whether the account
changed while it was read.

The ledger is filled by the oracle, which sees every exchange of the run; checks read it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from conformance.contract.formats import parse_datetime

__all__ = ["Ledger", "Refused", "Write", "Written", "tags_in"]


@dataclass
class Written:
    """A lead the run created."""

    account: str
    id: str
    sent: dict[str, Any]
    answer: dict[str, Any]
    declined: frozenset[str]
    line: int
    sent_at: float
    answered_at: float
    status: int = 201
    #: the create's query (``is_debug_mode`` ...)
    params: dict[str, str] = field(default_factory=dict)
    #: the run tags the body carried
    tags: frozenset[str] = frozenset()
    #: the latest rendering of the lead any read showed (timestamps move with the target's own writes)
    latest: dict[str, Any] = field(default_factory=dict)

    @property
    def created_at(self) -> datetime | None:
        return parse_datetime(self.shown.get("created_at"))

    @property
    def shown(self) -> dict[str, Any]:
        """The latest rendering seen, else the create's answer."""
        return self.latest or self.answer


@dataclass(frozen=True)
class Refused:
    """A write the target refused, and what a lead stored from it anyway would break."""

    account: str | None
    tags: frozenset[str]
    requirement: str
    status: int
    line: int
    answered_at: float


@dataclass(frozen=True)
class Write:
    """One write request to an account, whatever its answer: when it was sent and answered."""

    account: str | None
    sent_at: float
    answered_at: float


@lru_cache(maxsize=8)
def _tag_pattern(run_id: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(run_id)}(?:-[A-Za-z-]*\d+)?(?![\w-])")


def tags_in(value: Any, run_id: str) -> set[str]:
    """The run tags (``<run id>-<label><n>``, or the run id alone) in the strings of ``value``."""
    if not run_id:
        return set()
    pattern = _tag_pattern(run_id)
    found: set[str] = set()

    def scan(node: Any, depth: int) -> None:
        if isinstance(node, str):
            if run_id in node:
                found.update(pattern.findall(node))
        elif depth < 6 and isinstance(node, dict | list):
            for item in node.values() if isinstance(node, dict) else node:
                scan(item, depth + 1)

    scan(value, 0)
    return found


class Ledger:
    """What the run wrote and what the target refused, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leads: dict[str, Written] = {}
        self._refused: list[Refused] = []
        self._writes: list[Write] = []
        #: grows with every lead and refusal kept, so readers can cache what they derive from the ledger
        self.version = 0
        self._cache: dict[Any, Any] = {}

    # -- writing -------------------------------------------------------------------------------
    def add(self, lead: Written) -> Written | None:
        """Keep a created lead; returns the earlier lead when a create answered an id seen before."""
        with self._lock:
            earlier = self._leads.get(lead.id)
            if earlier is not None:
                return earlier
            self._leads[lead.id] = lead
            self.version += 1
            return None

    def refuse(self, refused: Refused) -> None:
        with self._lock:
            self._refused.append(refused)
            self.version += 1

    def cached(self, key: Any, compute: Any) -> Any:
        """``compute()``, kept until the ledger next changes."""
        with self._lock:
            version = self.version
            hit = self._cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        with self._lock:
            self._cache[key] = (version, value)
        return value

    def wrote(self, write: Write) -> None:
        with self._lock:
            self._writes.append(write)

    def seen(self, lead_id: str, rendering: dict[str, Any]) -> None:
        """Note the latest rendering a read showed of a lead the run created."""
        with self._lock:
            written = self._leads.get(lead_id)
            if written is not None:
                written.latest = rendering

    # -- reading -------------------------------------------------------------------------------
    def get(self, lead_id: Any) -> Written | None:
        if not isinstance(lead_id, str):
            return None
        with self._lock:
            return self._leads.get(lead_id)

    def leads(self, account: str | None = None) -> list[Written]:
        """The leads the run created (of one account), in the order their creates were answered."""
        return list(self.cached(("leads", account), lambda: self._select(account)))

    def _select(self, account: str | None) -> list[Written]:
        with self._lock:
            found = list(self._leads.values())
        return [lead for lead in found if account is None or lead.account == account]

    def refused(self) -> list[Refused]:
        with self._lock:
            return list(self._refused)

    def refused_tags(self) -> dict[str, Refused]:
        """Each tag of a refused write that no created lead carries, and the refusal."""
        return dict(self.cached("refused-tags", self._refused_tags))

    def _refused_tags(self) -> dict[str, Refused]:
        created = {tag for lead in self._select(None) for tag in lead.tags}
        return {tag: refusal for refusal in self.refused() for tag in refusal.tags if tag not in created}

    def writes_during(self, account: str | None, start: float, end: float) -> bool:
        """Whether a write to ``account`` was in flight at some moment between ``start`` and ``end``."""
        with self._lock:
            writes = list(self._writes)
        return any(
            write.account == account and write.sent_at < end and write.answered_at > start for write in writes
        )

    def created_before(self, account: str, moment: float) -> list[Written]:
        """The account's leads whose create was answered before ``moment`` (a monotonic time)."""
        return [lead for lead in self.leads(account) if lead.answered_at < moment]
