"""Broken servers whose lead list filters fail on a later page, at a bound, or in combination.

Each fault is the reference app with one filter behaviour broken, and declares every requirement
the whole suite sees broken against it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import fields
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Scope

from conformance.reference import ReferenceConfig, create_app
from conformance.reference.store import LeadFilters, Page, PageRequest, Store
from conformance.reference.timestamps import format_instant, parse_rfc3339, to_key
from tests.faults._base import Fault, RewriteRequest, fault, query_pairs, query_param, reference, with_query

LEADS = "/crm/v1/leads"
FILTER_001, FILTER_002, FILTER_004 = "LEADS-FILTER-001", "LEADS-FILTER-002", "LEADS-FILTER-004"
FILTER_005, FILTER_006 = "LEADS-FILTER-005", "LEADS-FILTER-006"
DATE_TIME_FILTERS = ("created_after", "created_before", "modified_after", "modified_before")
LEAD_FILTERS = (*DATE_TIME_FILTERS, "remote_id", "owner_id", "converted_account_id", "converted_contact_id",
                "email_addresses", "phone_numbers")


def on_lead_list(edit: Callable[[Scope], Scope]) -> Callable[[], ASGIApp]:
    return lambda: RewriteRequest(reference(), edit=edit, method="GET", path_suffix=LEADS)


def applicable(name: str, value: str) -> bool:
    """Whether the reference would apply the filter (a malformed date-time is still refused)."""
    return to_key(value) is not None if name in DATE_TIME_FILTERS else True


# ------------------------------------------------------------------------------ later pages
def _filters_forgotten_on_cursor_pages(scope: Scope) -> Scope:
    """A request that carries a cursor is served as if it carried no filter."""
    if not query_param(scope, "cursor"):
        return scope
    pairs = query_pairs(scope)
    return with_query(scope, [(k, v) for k, v in pairs if k not in LEAD_FILTERS or not applicable(k, v)])


# ------------------------------------------------------------------------------ inclusive bounds
def inclusive(*names: str) -> Callable[[Scope], Scope]:
    """The named bounds count the bound itself: each is moved one microsecond outwards."""

    def edit(scope: Scope) -> Scope:
        pairs = []
        for key, value in query_pairs(scope):
            moment = parse_rfc3339(value, clamp=False) if key in names else None
            if moment is not None:
                step = timedelta(microseconds=-1 if key.endswith("_after") else 1)
                with contextlib.suppress(OverflowError):
                    value = format_instant(moment + step)
            pairs.append((key, value))
        return with_query(scope, pairs)

    return edit


# ------------------------------------------------------------------------------ combined filters
def _one_created_bound(scope: Scope) -> Scope:
    """Given created_after and created_before, only created_after applies."""
    pairs = query_pairs(scope)
    names = {k for k, v in pairs if applicable(k, v)}
    if not {"created_after", "created_before"} <= names:
        return scope
    return with_query(scope, [(k, v) for k, v in pairs if k != "created_before"])


class _CreatedAfterOrOwner(LeadFilters):
    """created_after and owner_id ORed with each other (every other filter ANDed)."""

    def where(self) -> tuple[list[str], list[Any]]:
        if self.created_after is None or self.owner_id is None:
            return super().where()
        rest = {f.name: getattr(self, f.name) for f in fields(LeadFilters)}
        rest.update(created_after=None, owner_id=None)
        clauses, params = LeadFilters(**rest).where()
        return [*clauses, "(created_at > ? OR owner = ?)"], [*params, self.created_after, self.owner_id]


def _ored(store: Store) -> None:
    own = store.page_leads

    def page_leads(account: str, filters: LeadFilters, request: PageRequest) -> Page:
        values = {f.name: getattr(filters, f.name) for f in fields(LeadFilters)}
        return own(account, _CreatedAfterOrOwner(**values), request)

    store.page_leads = page_leads  # type: ignore[method-assign]


def _created_after_or_owner() -> ASGIApp:
    app = create_app(ReferenceConfig())
    _ored(app.state.store)
    return app


FAULTS: list[Fault] = [
    fault("filter-forgotten-on-cursor-pages", {FILTER_001, FILTER_002, FILTER_004, FILTER_005, FILTER_006},
          on_lead_list(_filters_forgotten_on_cursor_pages),
          "the lead list applies its filters to the first page only; a page reached by next is unfiltered"),
    fault("filter-created-after-inclusive", {FILTER_001}, on_lead_list(inclusive("created_after")),
          "created_after keeps the leads created at the bound itself (>= instead of >)"),
    fault("filter-modified-before-inclusive", {FILTER_002}, on_lead_list(inclusive("modified_before")),
          "modified_before keeps the leads modified at the bound itself (<= instead of <)"),
    fault("filter-created-window-keeps-one-bound", {FILTER_001}, on_lead_list(_one_created_bound),
          "given created_after and created_before, the list applies created_after only"),
    fault("filter-created-after-or-owner-id", {FILTER_001, FILTER_004}, _created_after_or_owner,
          "created_after and owner_id given together are ORed instead of ANDed"),
]
