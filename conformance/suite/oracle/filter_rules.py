"""Filters: every filter a list query carries holds for every lead of every page (FILTER-001..006).

Each filter of a query is read as a ``QueryFilter``: ``param=value``, charged to its requirement, with
whether a lead satisfies it. Date-time bounds are strict and compared as instants; exact filters compare
the id a field names; contact filters keep a lead holding one of the values given.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from conformance.contract.formats import parse_datetime
from conformance.suite.oracle.domain import DomainCoverage
from conformance.suite.oracle.exchanges import Seen, single
from conformance.suite.oracle.state import OracleState, Rules
from conformance.suite.support.filtering import lies_beyond, same_email, same_phone
from conformance.suite.support.findings import short
from conformance.suite.support.leads import Lead, relation_id

__all__ = [
    "BOUND_MARGIN",
    "CONTACT_FILTERS",
    "DATE_FILTERS",
    "EXACT_FILTERS",
    "ContactFilter",
    "DateFilter",
    "ExactFilter",
    "FilterRules",
    "QueryFilter",
    "filtered_only",
]

#: how far a lead's instant must lie from a bound before its absence from a walk counts (a target may
#: store finer instants than it shows, or round them)
BOUND_MARGIN = timedelta(seconds=1)
#: filter parameter -> (lead field, requirement)
DATE_FILTERS = {
    "created_after": ("created_at", "LEADS-FILTER-001"),
    "created_before": ("created_at", "LEADS-FILTER-001"),
    "modified_after": ("modified_at", "LEADS-FILTER-002"),
    "modified_before": ("modified_at", "LEADS-FILTER-002"),
}
EXACT_FILTERS = {"remote_id": ("remote_id", "LEADS-FILTER-003"), "owner_id": ("owner", "LEADS-FILTER-004")}
CONTACT_FILTERS = {
    "email_addresses": ("email_addresses", "email_address", "LEADS-FILTER-005"),
    "phone_numbers": ("phone_numbers", "phone_number", "LEADS-FILTER-006"),
}


@dataclass
class QueryFilter:
    """One filter of a list query: ``param=value``, charged to ``requirement``."""

    param: str
    requirement: str
    value: str
    #: the value classes of the filter's domain that it covers
    classes: list[str]

    @property
    def shown(self) -> str:
        return f"{self.param}={self.value}"

    def holds(self, lead: Lead) -> bool | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def surely_holds(self, lead: Lead) -> bool:
        """Whether the lead satisfies the filter beyond doubt (before its absence is called a
        violation)."""
        return self.holds(lead) is True

    def explain(self, lead: Lead) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def covered(self, coverage: DomainCoverage, page: str, account: str) -> None:
        """Note the part of the filter's domain a page covered."""
        coverage.note(
            self.requirement, parameter=self.param, page=page, values=self.classes, account=account
        )

    def judge(self, state: OracleState, seen: Seen, lead: Lead, page: str, account: str) -> None:
        verdict = self.holds(lead)
        if verdict is None:
            return
        self.covered(state.coverage, page, account)
        state.fields.filtered(self.param, verdict, seen.line)
        state.verdicts.check(
            verdict,
            self.requirement,
            lambda: (
                f"{seen.shown} ({'first page' if page == 'first' else 'a page reached by next'}) "
                "returned the lead "
                f"{lead.get('id')!r}, which {self.shown} excludes: {self.explain(lead)}"
            ),
            seen.line,
        )


@dataclass
class DateFilter(QueryFilter):
    field_name: str
    moment: datetime
    after: bool

    def holds(self, lead: Lead) -> bool | None:
        return lies_beyond(lead.get(self.field_name), self.moment, self.after)

    def surely_holds(self, lead: Lead) -> bool:
        moment = parse_datetime(lead.get(self.field_name))
        if moment is None:
            return False
        return moment > self.moment + BOUND_MARGIN if self.after else moment < self.moment - BOUND_MARGIN

    def explain(self, lead: Lead) -> str:
        value = lead.get(self.field_name)
        if parse_datetime(value) == self.moment:
            return f"its {self.field_name} {value!r} is the bound itself"
        return f"its {self.field_name} is {value!r}"


@dataclass
class ExactFilter(QueryFilter):
    field_name: str

    def holds(self, lead: Lead) -> bool | None:
        if self.field_name not in lead:
            return None
        return relation_id(lead[self.field_name]) == self.value

    def explain(self, lead: Lead) -> str:
        return f"its {self.field_name} is {short(relation_id(lead.get(self.field_name)))}"


@dataclass
class ContactFilter(QueryFilter):
    list_field: str
    sub_field: str
    wanted: list[str]

    def _values(self, lead: Lead) -> list[str]:
        items = lead.get(self.list_field)
        items = items if isinstance(items, list) else []
        values = [item.get(self.sub_field) for item in items if isinstance(item, dict)]
        return [value for value in values if isinstance(value, str)]

    def _same(self, a: str, b: str) -> bool:
        return same_email(a, b) if self.list_field == "email_addresses" else same_phone(a, b)

    def holds(self, lead: Lead) -> bool | None:
        if self.list_field not in lead:
            return None
        return any(self._same(value, wanted) for value in self._values(lead) for wanted in self.wanted)

    def explain(self, lead: Lead) -> str:
        return f"its {self.list_field} are {short(self._values(lead))}"


def filtered_only(names: Iterable[str], neutral: Iterable[str]) -> bool:
    """Whether every parameter named is a filter the oracle reads, or one of ``neutral``."""
    known = {*neutral, *DATE_FILTERS, *EXACT_FILTERS, *CONTACT_FILTERS}
    return all(name in known for name in names)


class FilterRules(Rules):
    """The filters a list query carries, read with the value classes of the domain they cover."""

    def filters_of(self, query: list[tuple[str, str]], account: str) -> list[QueryFilter]:
        filters: list[QueryFilter] = []
        for name, (lead_field, requirement) in DATE_FILTERS.items():
            value = single(query, name)
            moment = parse_datetime(value)
            if moment is not None:
                filters.append(
                    DateFilter(
                        name,
                        requirement,
                        str(value),
                        self._bound_class(moment, lead_field, account),
                        lead_field,
                        moment,
                        name.endswith("_after"),
                    )
                )
        for name, (lead_field, requirement) in EXACT_FILTERS.items():
            value = single(query, name)
            if value:
                filters.append(
                    ExactFilter(
                        name, requirement, value, [self._value_class(value, lead_field, account)], lead_field
                    )
                )
        for name, (list_field, sub, requirement) in CONTACT_FILTERS.items():
            value = single(query, name)
            wanted = [part for part in (value or "").split(",") if part.strip()]
            if wanted:
                filters.append(ContactFilter(name, requirement, str(value), [], list_field, sub, wanted))
        return filters

    def _known_values(self, lead_field: str, account: str) -> set[str]:
        shown = {relation_id(lead.shown.get(lead_field)) for lead in self.ledger.leads(account)}
        values = {value for value in shown if isinstance(value, str) and value}
        return values | self.state.relations[account] if lead_field == "owner" else values

    def _value_class(self, value: str, lead_field: str, account: str) -> str:
        known = self._known_values(lead_field, account)
        if value in known:
            return "exact"
        for other in known:
            if other.lower() == value.lower():
                return "case"
            if other.startswith(value):
                return "prefix"
            if value.startswith(other):
                return "suffix"
            if value in other:
                return "substring"
        return "other"

    def _bound_class(self, moment: datetime, lead_field: str, account: str) -> list[str]:
        classes = ["utc" if moment.utcoffset() == timedelta(0) else "offset"]
        if any(
            lead.shown.get(lead_field) is not None and parse_datetime(lead.shown.get(lead_field)) == moment
            for lead in self.ledger.leads(account)
        ):
            classes.append("own-instant")
        return classes

