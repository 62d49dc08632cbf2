"""Broken servers whose isolation between accounts fails on one read path of the lead list.

Each leaks the first account's leads to the second account on one path only (a filter, a
replayed cursor, a slow write beside a leaking list) while the default list and the retrieve by
id stay isolated, and declares every requirement the whole suite sees broken against it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference import ReferenceConfig, create_app
from conformance.reference.store import LeadFilters, Page, PageRequest, Store
from tests.faults._base import (
    Fault,
    RewriteRequest,
    RewriteResponse,
    fault,
    header,
    query_param,
    reference,
    set_header,
)

CONFIG = ReferenceConfig()
ACCOUNT_A, ACCOUNT_B = CONFIG.account_tokens[0], CONFIG.account_tokens[1]
LEADS = "/crm/v1/leads"
#: how long a create under the second account takes on the slow server
SLOW_CREATE_SECONDS = 1.5

FilterTest = Callable[[LeadFilters], bool]


# ------------------------------------------------------------------------------ leaking store
def merged_page(pages: list[Page], request: PageRequest) -> Page:
    """One keyset page over several accounts' pages read with the same request."""
    rows = sorted((row for page in pages for row in page.rows), key=lambda row: (row[0].key, row[0].id))
    overflow = len(rows) > request.size
    if request.before is not None:
        return Page(rows=rows[-request.size:], has_previous=overflow or any(p.has_previous for p in pages),
                    has_next=any(p.has_next for p in pages))
    return Page(rows=rows[: request.size], has_previous=any(p.has_previous for p in pages),
                has_next=overflow or any(p.has_next for p in pages))


def leak_list(store: Store, when: FilterTest) -> None:
    """The second account's list also holds the first account's leads when ``when(filters)`` is true."""
    own = store.page_leads

    def page_leads(account: str, filters: LeadFilters, request: PageRequest) -> Page:
        if account != ACCOUNT_B or not when(filters):
            return own(account, filters, request)
        return merged_page([own(ACCOUNT_A, filters, request), own(ACCOUNT_B, filters, request)], request)

    store.page_leads = page_leads  # type: ignore[method-assign]


def leaking(when: FilterTest) -> Callable[[], ASGIApp]:
    def build() -> ASGIApp:
        app = create_app(ReferenceConfig())
        leak_list(app.state.store, when)
        return app

    return build


# ------------------------------------------------------------------------------ slow creates
@dataclass
class SlowCreates:
    """A POST /leads under the second account waits before the app stores it."""

    app: ASGIApp
    seconds: float

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/").endswith(LEADS)
            and header(scope, "x-account-token") == ACCOUNT_B
        ):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def _slow_creates_leaking_list() -> ASGIApp:
    return SlowCreates(leaking(lambda _filters: True)(), SLOW_CREATE_SECONDS)


# ------------------------------------------------------------------------------ replayed cursors
@dataclass
class CursorOwners:
    """Which account each cursor of a lead list answer was minted for."""

    minted: dict[str, str] = field(default_factory=dict)

    def remember(self, body: Any, scope: Scope) -> Any:
        account = header(scope, "x-account-token")
        if isinstance(body, dict) and account is not None:
            for key in ("next", "previous"):
                if isinstance(body.get(key), str):
                    self.minted[body[key]] = account
        return body

    def follow(self, scope: Scope) -> Scope:
        """A request carrying another account's cursor reads that account's page."""
        cursor = query_param(scope, "cursor")
        owner = self.minted.get(cursor) if cursor else None
        if owner is not None and owner != header(scope, "x-account-token"):
            return set_header(scope, "x-account-token", owner)
        return scope


def _cursor_replay_reads_minting_account() -> ASGIApp:
    owners = CursorOwners()
    app: ASGIApp = RewriteResponse(reference(), edit=owners.remember, method="GET", path_suffix=LEADS,
                                   only_status=200)
    return RewriteRequest(app, edit=owners.follow, method="GET", path_suffix=LEADS)


FAULTS: list[Fault] = [
    fault(
        "tenant-slow-creates-leaking-list",
        {"LEADS-TENANT-002"},
        _slow_creates_leaking_list,
        f"the second account's list also holds the first account's leads, and a create under the "
        f"second account takes {SLOW_CREATE_SECONDS} s",
    ),
    fault(
        "tenant-remote-id-filter-leaks",
        {"LEADS-TENANT-002"},
        leaking(lambda filters: filters.remote_id is not None),
        "the second account's list filtered by remote_id also holds the first account's leads",
    ),
    fault(
        "tenant-deleted-data-leaks",
        {"LEADS-TENANT-002"},
        leaking(lambda filters: filters.include_deleted_data),
        "the second account's list with include_deleted_data=true also holds the first account's leads",
    ),
    fault(
        "tenant-replayed-cursor-leaks",
        {"LEADS-TENANT-002", "LEADS-TENANT-003"},
        _cursor_replay_reads_minting_account,
        "a cursor minted under one account reads that account's page under the other",
    ),
]
