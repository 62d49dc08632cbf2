"""What the store is asked and answers: list positions, page requests and pages, filters, seed data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JSONObject = dict[str, Any]


def normalize_email(value: str) -> str:
    """Return the form in which email addresses are matched: trimmed and lower-case."""
    return value.strip().lower()


def normalize_phone(value: str) -> str:
    """Return the form in which phone numbers are matched: their digits only."""
    return re.sub(r"\D", "", value)


@dataclass(frozen=True)
class Position:
    """A place in a list: the sort key and id of one row."""

    key: str
    id: str


@dataclass(frozen=True)
class PageRequest:
    """Which page to read: rows after ``after``, before ``before``, or from the start."""

    size: int
    after: Position | None = None
    before: Position | None = None


@dataclass(frozen=True)
class Page:
    """One page of rows, in list order, and whether rows exist on either side of it."""

    rows: list[tuple[Position, JSONObject]]
    has_previous: bool
    has_next: bool


@dataclass(frozen=True)
class LeadFilters:
    """Lead list filters. Date-time bounds are stored-form keys and compare strictly."""

    created_after: str | None = None
    created_before: str | None = None
    modified_after: str | None = None
    modified_before: str | None = None
    remote_id: str | None = None
    owner_id: str | None = None
    converted_account_id: str | None = None
    converted_contact_id: str | None = None
    email_addresses: tuple[str, ...] | None = None
    phone_numbers: tuple[str, ...] | None = None
    include_deleted_data: bool = False

    def where(self) -> tuple[list[str], list[Any]]:
        """Return SQL conditions and their parameters (the account condition excluded)."""
        clauses: list[str] = []
        params: list[Any] = []
        comparisons = (
            ("created_at >", self.created_after),
            ("created_at <", self.created_before),
            ("modified_at >", self.modified_after),
            ("modified_at <", self.modified_before),
            ("remote_id =", self.remote_id),
            ("owner =", self.owner_id),
            ("converted_account =", self.converted_account_id),
            ("converted_contact =", self.converted_contact_id),
        )
        for column, value in comparisons:
            if value is not None:
                clauses.append(f"{column} ?")
                params.append(value)
        for kind, values in (("email", self.email_addresses), ("phone", self.phone_numbers)):
            if values is not None:
                marks = ",".join("?" * len(values))
                clauses.append(
                    "id IN (SELECT lead_id FROM lead_contact_points"
                    f" WHERE account = leads.account AND kind = ? AND value IN ({marks}))"
                )
                params.extend([kind, *values])
        if not self.include_deleted_data:
            clauses.append("remote_was_deleted = 0")
        return clauses, params


@dataclass(frozen=True)
class RemoteFieldClassFilters:
    """Remote field class list filters; ``None`` means either value."""

    is_custom: bool | None = None
    is_common_model_field: bool | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """Return SQL conditions and their parameters (the account condition excluded)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("is_custom", self.is_custom),
            ("is_common_model_field", self.is_common_model_field),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(int(value))
        return clauses, params


@dataclass
class SeedData:
    """The objects one linked account starts with."""

    users: list[JSONObject] = field(default_factory=list)
    contacts: list[JSONObject] = field(default_factory=list)
    accounts: list[JSONObject] = field(default_factory=list)
    remote_field_classes: list[JSONObject] = field(default_factory=list)
    leads: list[JSONObject] = field(default_factory=list)
