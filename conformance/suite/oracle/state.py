"""What the oracle holds while it watches a run, and the base of each concern's rules.

Every concern (credentials, answers, writes, reads, filters, pages) judges from the same state: the
target, the ledger of what the run wrote, the domain covered, the verdicts, and what the target's
answers have shown so far, per account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.contract.fragment import load_fragment
from conformance.http.target import Target
from conformance.suite.oracle.domain import DomainCoverage
from conformance.suite.oracle.exchanges import PRIMARY, SECOND, Seen
from conformance.suite.oracle.field_support import FieldSupport
from conformance.suite.oracle.ledger import Ledger, Refused, tags_in
from conformance.suite.oracle.verdicts import Verdicts
from conformance.suite.support.fitting import fits, takes_null
from conformance.suite.support.generation import field_schema
from conformance.suite.support.leads import NESTED_FIELDS, RELATION_FIELDS, relation_id
from conformance.suite.support.meta import model_schema_of

__all__ = ["OracleState", "Rules", "request_fields"]


def _per_account() -> dict[str, Any]:
    return {PRIMARY: set(), SECOND: set()}


def request_fields() -> tuple[set[str], dict[str, set[str]]]:
    """LeadRequest's properties, and the properties of each nested request item, from the fragment."""
    schemas = load_fragment()["components"]["schemas"]
    known = set((schemas.get("LeadRequest") or {}).get("properties") or {})
    items = {
        "addresses": "AddressRequest",
        "email_addresses": "EmailAddressRequest",
        "phone_numbers": "PhoneNumberRequest",
    }
    nested = {
        name: set((schemas.get(record) or {}).get("properties") or {}) for name, record in items.items()
    }
    return known, {name: keys for name, keys in nested.items() if name in NESTED_FIELDS and keys}


@dataclass
class OracleState:
    """The oracle's state: where it charges verdicts, and what the run's answers have shown so far."""

    target: Target
    ledger: Ledger
    coverage: DomainCoverage
    verdicts: Verdicts = field(default_factory=Verdicts)
    #: relation ids each account's reads showed (owner, converted_contact, converted_account)
    relations: dict[str, set[str]] = field(default_factory=_per_account)
    #: the ids each account's list pages have shown
    listed: dict[str, set[str]] = field(default_factory=_per_account)
    #: per account, the relation ids a read expanded to an object (and its line), and the ones a read
    #: expanded to null where the run wrote them (their line and what to say)
    expanded: dict[str, dict[str, int]] = field(default_factory=lambda: {PRIMARY: {}, SECOND: {}})
    expanded_to_null: dict[str, dict[str, list[tuple[int, str]]]] = field(
        default_factory=lambda: {PRIMARY: {}, SECOND: {}}
    )
    #: what meta/post said, per account (its model's properties)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: LeadRequest's properties, and those of each nested request item
    request_fields: tuple[set[str], dict[str, set[str]]] = field(default_factory=request_fields)
    #: what the target does with each field, as the run's exchanges show it
    fields: FieldSupport = field(default_factory=FieldSupport)

    def remember_meta(self, seen: Seen, account: str) -> None:
        """Keep the model properties a meta/post answer offers the account."""
        model = model_schema_of(seen.answer) if isinstance(seen.answer, dict) else None
        properties = model.get("properties") if model is not None else None
        if isinstance(properties, dict):
            self.meta[account] = properties
            self.fields.offered(account, properties)

    def fitting_meta(self, sent: dict[str, Any], account: str) -> dict[str, Any]:
        """The fields of ``sent`` whose values the account's meta/post allows (all, without meta/post)."""
        properties = self.meta.get(account) or {}
        return {name: value for name, value in sent.items() if _allows(properties.get(name), name, value)}

    def not_compared(self, sent: dict[str, Any], account: str) -> set[str]:
        """The relations of ``sent`` naming an id no read of the account showed (not compared, as the
        contract lets a server refuse or drop them)."""
        known = self.relations[account]
        return {
            name
            for name in RELATION_FIELDS
            if isinstance(relation_id(sent.get(name)), str) and relation_id(sent.get(name)) not in known
        }


def _allows(schema: Any, name: str, value: Any) -> bool:
    """Whether a field's schema in meta/post allows ``value`` (anything, without a schema)."""
    if schema is None:
        return True
    if value is None:
        return takes_null(schema)
    try:
        return fits(value, field_schema(name, schema))
    except Exception:  # a schema the suite cannot read constrains nothing it can tell
        return True


class Rules:
    """One concern's rules, judging from the oracle's state and charging its verdicts."""

    def __init__(self, state: OracleState) -> None:
        self.state = state
        self.target = state.target
        self.ledger = state.ledger
        self.coverage = state.coverage
        self.verdicts = state.verdicts

    def refused(self, seen: Seen, account: str | None, requirement: str) -> None:
        """Keep the run tags a refused write carried: a lead shown later with one breaks ``requirement``."""
        tags = frozenset(tags_in(seen.sent, self.target.run_id))
        if tags:
            answered = seen.exchange.answered_at
            self.ledger.refuse(Refused(account, tags, requirement, seen.status, seen.line, answered))
