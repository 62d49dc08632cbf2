"""LEADS-PAGE-004 on lists too long to walk whole: the window search and the checks built on it.

The search runs against lists held in memory, in every order a target may list its leads in; the
checks run against served accounts of a few thousand leads, conformant and broken.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

import tests.variants as variants
from conformance.contract.formats import isoformat_z
from conformance.outcomes import Inconclusive, Violation
from conformance.reference import ReferenceConfig, serve_in_thread
from conformance.suite import pagination
from conformance.suite.support import exactly_once
from conformance.suite.support.paging import Pages
from conformance.suite.support.windows import Window, WindowPage, find_window
from tests.faults import all_faults
from tests.faults import read_path as read_path_faults
from tests.variants.large_account import ACCOUNT, fill

PAGE_004 = "LEADS-PAGE-004"
CONFIG = ReferenceConfig()
#: more leads than the prefix walk reaches, so only a window can show the list's end
LEADS_IN_ACCOUNT = 1_500
#: leads of the accounts the search runs against: twenty times what the run's first pages show
SEARCHED = 20_000


# ------------------------------------------------------------------------------ the search
@dataclass
class Listing:
    """An account's leads in the order its list shows them, read one window page at a time."""

    leads: list[dict[str, Any]]
    moments: list[datetime]
    page: int = 100
    reads: int = 0

    def inside(self, window: Window) -> list[dict[str, Any]]:
        return [lead for lead, moment in zip(self.leads, self.moments, strict=True)
                if window.after < moment < window.before]

    def read(self, window: Window) -> WindowPage:
        self.reads += 1
        inside = self.inside(window)
        return WindowPage(window, inside[: self.page], whole=len(inside) <= self.page)


@functools.cache
def rows(count: int, order: str, ties: int) -> tuple[tuple[dict[str, Any], datetime], ...]:
    start = datetime(2021, 5, 1, tzinfo=UTC)
    made = [(str(uuid.UUID(int=n + 1)), start + timedelta(minutes=n // ties)) for n in range(count)]
    if order == "newest-first":
        made.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(made)
    return tuple(({"id": ident, "created_at": isoformat_z(moment)}, moment) for ident, moment in made)


def account(count: int, order: str, ties: int = 1, page: int = 100) -> Listing:
    """``count`` leads a minute apart (``ties`` of them at each instant), listed in ``order``."""
    made = rows(count, order, ties)
    return Listing([lead for lead, _ in made], [moment for _, moment in made], page)


@pytest.mark.parametrize("order", ["oldest-first", "newest-first", "shuffled"])
@pytest.mark.parametrize("ties", [1, 5])
def test_a_window_one_page_holds_is_found_in_any_order(order, ties):
    listing = account(SEARCHED, order, ties)
    search = find_window(listing.read, listing.leads[:1000], 40, 100, 24)
    assert search.found is not None, search.problem
    inside = listing.inside(search.found.window)
    assert 40 <= len(inside) <= 100
    assert {lead["id"] for lead in inside} == {lead["id"] for lead in search.found.leads}
    assert listing.reads == search.reads <= (2 if order != "shuffled" else 12)


def test_a_window_never_splits_leads_that_share_an_instant():
    listing = account(20_000, "shuffled", ties=7)
    search = find_window(listing.read, listing.leads[:1000], 40, 100, 24)
    assert search.found is not None, search.problem
    instants = Counter(lead["created_at"] for lead in search.found.leads)
    assert set(instants.values()) == {7}


def test_pages_shorter_than_asked_give_a_smaller_window():
    listing = account(SEARCHED, "shuffled", page=30)
    search = find_window(listing.read, listing.leads[:300], 15, 30, 24)
    assert search.found is not None, search.problem
    assert 15 <= len(search.found.leads) <= 30


def test_an_instant_holding_more_than_a_page_leaves_no_window():
    listing = account(3_000, "oldest-first", ties=500)
    search = find_window(listing.read, listing.leads[:1000], 40, 100, 24)
    assert search.found is None
    assert search.reads <= 24 and search.problem


def test_the_search_stops_at_its_budget():
    listing = account(SEARCHED, "shuffled")
    search = find_window(listing.read, listing.leads[:1000], 40, 100, 2)
    assert (search.found, search.reads) == (None, 2)
    assert "within 2 pages" in search.problem


def test_no_created_at_no_window():
    sample = [{"id": "a"}, {"id": "b", "created_at": "yesterday"}]
    search = find_window(account(0, "oldest-first").read, sample, 40, 100, 24)
    assert search.found is None and search.reads == 0 and "created_at" in search.problem


# ------------------------------------------------------------------------------ served accounts
def large_reference(**overrides: Any) -> ASGIApp:
    """The reference app (ReferenceConfig overridden) with LEADS_IN_ACCOUNT older leads in the account."""
    from conformance.reference import create_app

    app = create_app(ReferenceConfig(**overrides))
    fill(app.state.store, ACCOUNT, LEADS_IN_ACCOUNT)
    return app


@contextmanager
def client_of(build: Callable[[], ASGIApp]) -> Iterator[httpx.Client]:
    with serve_in_thread(build()) as server, httpx.Client(
        base_url=server.base_url + "/",
        headers={"Authorization": f"Bearer {CONFIG.api_key}", "X-Account-Token": ACCOUNT},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Faults and variants built from now on serve a large account."""
    monkeypatch.setattr(read_path_faults, "reference", large_reference)
    monkeypatch.setattr(variants, "reference", large_reference)


def by_name(name: str) -> Callable[[], ASGIApp]:
    return next(f for f in all_faults() if f.name == name).build


def prefix_of(client: httpx.Client) -> Pages:
    prefix = exactly_once.visit(client, {"page_size": 100}, exactly_once.PREFIX_PAGES)
    assert not prefix.ended, "the account must be longer than the prefix walk"
    return prefix


def test_a_long_conformant_list_passes(large):
    with client_of(large_reference) as client:
        pagination.test_following_next_visits_every_lead_once_and_ends(client)


@pytest.mark.parametrize("name", ["newest-first-signed-cursors", "offset-dates-reworded-errors"])
def test_a_long_list_of_a_conformant_variant_passes(large, name):
    build = next(v for v in variants.VARIANTS if v.name == name).build
    with client_of(build) as client:
        pagination.test_following_next_visits_every_lead_once_and_ends(client)


@pytest.mark.parametrize(
    "name", ["page-boundary-repeats-an-item", "page-boundary-skips-an-item", "page-next-loops"]
)
def test_the_window_alone_catches_a_broken_boundary(large, name):
    with client_of(by_name(name)) as client:
        first_page = exactly_once.visit(client, {"page_size": 100}, 1)
        with pytest.raises(Violation) as caught:
            exactly_once.check_window(client, first_page, decisive=True)
    assert caught.value.requirements == (PAGE_004,)


def test_the_start_of_a_long_list_walked_again_catches_a_skipped_lead(large):
    with client_of(by_name("page-boundary-skips-an-item")) as client:
        prefix = prefix_of(client)
        with pytest.raises(Violation) as caught:
            exactly_once.check_prefix(client, prefix)
    assert "passed over" in str(caught.value)


@pytest.mark.parametrize(
    "name", ["page-boundary-repeats-an-item", "page-boundary-skips-an-item", "page-next-loops"]
)
def test_a_long_list_with_a_broken_boundary_fails(large, name):
    with client_of(by_name(name)) as client, pytest.raises(Violation) as caught:
        pagination.test_following_next_visits_every_lead_once_and_ends(client)
    assert caught.value.requirements == (PAGE_004,)


def test_a_long_list_that_cannot_be_narrowed_is_inconclusive(large):
    with client_of(by_name("filter-created-ignored")) as client, pytest.raises(Inconclusive) as caught:
        pagination.test_following_next_visits_every_lead_once_and_ends(client)
    assert caught.value.requirements == (PAGE_004,)
    assert f"within {exactly_once.PREFIX_PAGES} pages" in str(caught.value)
