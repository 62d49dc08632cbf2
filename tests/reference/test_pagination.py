"""Cursor pagination of GET /crm/v1/leads: sizes, full traversal, previous, cursors, no scans."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from conformance.reference import ReferenceConfig
from conformance.reference.store import LeadFilters, PageRequest, Position

from ._support import ACCOUNT_A, LEADS, TestClient, all_pages, auth, make_client


def _page(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(LEADS, headers=auth(), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(page: dict[str, Any]) -> list[str]:
    return [lead["id"] for lead in page["results"]]


def test_default_page_holds_30(client: TestClient) -> None:
    """Without page_size a page holds 30 leads; the first page has no previous."""
    page = _page(client)
    assert set(page) == {"next", "previous", "results"}
    assert len(page["results"]) == 30
    assert page["previous"] is None and isinstance(page["next"], str)


@pytest.mark.parametrize(
    ("asked", "got"), [("1", 1), ("100", 100), ("101", 100), ("100000000000000000000000", 100)]
)
def test_page_size_is_honoured_up_to_100(client: TestClient, asked: str, got: int) -> None:
    """page_size=n gives n results, never more than 100."""
    assert len(_page(client, page_size=asked)["results"]) == got


@pytest.mark.parametrize("asked", ["0", "-5", "-99999999999999999999999"])
def test_page_size_below_one_falls_back_to_the_default(client: TestClient, asked: str) -> None:
    """page_size below 1 is read as the default, a tolerant 200."""
    assert len(_page(client, page_size=asked)["results"]) == 30


@pytest.mark.parametrize("asked", ["abc", "1.5", "1e3", "0x10", "١٢", ""])
def test_non_integer_page_size_gets_400(client: TestClient, asked: str) -> None:
    """A page_size that is not an integer gets 400 with a detail."""
    response = client.get(LEADS, headers=auth(), params={"page_size": asked})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)


def test_uncapped_variant_returns_what_is_asked() -> None:
    """With max_page_size None (a broken variant) a page can exceed 100."""
    with make_client(ReferenceConfig(max_page_size=None, default_page_size=10)) as client:
        assert len(_page(client)["results"]) == 10
        assert len(_page(client, page_size=130)["results"]) == 130


@pytest.mark.parametrize("size", [1, 7, 30, 100])
def test_following_next_visits_every_lead_once_in_order(client: TestClient, size: int) -> None:
    """Following next until null visits all 130 visible leads exactly once, by created_at then id."""
    leads = all_pages(client, page_size=size)
    ids = [lead["id"] for lead in leads]
    assert len(ids) == len(set(ids)) == 130
    keys = [(lead["created_at"], lead["id"]) for lead in leads]
    assert keys == sorted(keys)


def test_last_page_has_no_next(client: TestClient) -> None:
    """The last page's next is null and it holds the remainder."""
    first = _page(client, page_size=100)
    last = _page(client, page_size=100, cursor=first["next"])
    assert len(last["results"]) == 30 and last["next"] is None


def test_previous_from_page_two_gives_back_page_one(client: TestClient) -> None:
    """previous on page 2 returns exactly page 1, whose previous is null again."""
    one = _page(client)
    two = _page(client, cursor=one["next"])
    assert isinstance(two["previous"], str)
    back = _page(client, cursor=two["previous"])
    assert _ids(back) == _ids(one)
    assert back["previous"] is None
    assert _ids(_page(client, cursor=back["next"])) == _ids(two)


def test_walking_backwards_from_the_end_visits_everything(client: TestClient) -> None:
    """Following previous from the last page reaches the first page, each lead once."""
    page = _page(client, page_size=13)
    while page["next"] is not None:
        page = _page(client, page_size=13, cursor=page["next"])
    seen = _ids(page)
    while page["previous"] is not None:
        page = _page(client, page_size=13, cursor=page["previous"])
        seen = _ids(page) + seen
    assert seen == [lead["id"] for lead in all_pages(client, page_size=100)]


def test_a_lead_created_while_paging_is_found_at_the_end(client: TestClient) -> None:
    """A lead created mid-traversal shows up, once, on the last page."""
    first = _page(client, page_size=100)
    created = client.post(LEADS, headers=auth(), json={"model": {"last_name": "Late", "company": "C"}})
    rest = all_pages(client, page_size=100, cursor=first["next"])
    assert rest[-1]["id"] == created.json()["model"]["id"]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "!!!",
        "cD0yMDIxLTAxLTA2KzAzJTNBMjQlM0E1My40MzQzMjYlMkIwMCUzQTAw",
        _b64("d=x&k=2024&i=1"),
        _b64("d=n&k=2024"),
        _b64("d=n&k=2024&i=1&i=2"),
        "é" * 10,
        "A" * 5000,
        "\x00",
    ],
)
def test_malformed_cursor_gets_404_invalid_cursor(client: TestClient, cursor: str) -> None:
    """A cursor the server did not make gets 404 ``Invalid cursor``, as DRF answers."""
    response = client.get(LEADS, headers=auth(), params={"cursor": cursor})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_cursor_pages_are_index_range_scans(client: TestClient) -> None:
    """The page query after a cursor searches the (account, created_at, id) index: no scan, no sort."""
    store = client.app.state.store  # type: ignore[attr-defined]
    client.get(LEADS, headers=auth())
    position = Position("2024-06-01T00:00:00.000000Z", "00000000-0000-0000-0000-000000000000")
    for request in (
        PageRequest(size=30),
        PageRequest(size=30, after=position),
        PageRequest(size=30, before=position),
    ):
        plan = " | ".join(store.explain_lead_page(ACCOUNT_A, LeadFilters(), request))
        assert "leads_page" in plan, plan
        assert "SCAN leads" not in plan and "TEMP B-TREE" not in plan, plan
