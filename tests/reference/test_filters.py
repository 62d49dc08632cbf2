"""List filters of GET /crm/v1/leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ._support import LEADS, TestClient, all_pages, auth


@pytest.fixture
def leads(client: TestClient) -> list[dict[str, Any]]:
    """Every visible seed lead of account A, in list order."""
    return all_pages(client, page_size=100)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(
    ("param", "field", "keep"),
    [
        ("created_after", "created_at", lambda value, bound: value > bound),
        ("created_before", "created_at", lambda value, bound: value < bound),
        ("modified_after", "modified_at", lambda value, bound: value > bound),
        ("modified_before", "modified_at", lambda value, bound: value < bound),
    ],
)
def test_date_bounds_are_strict(
    client: TestClient, leads: list[dict[str, Any]], param: str, field: str, keep: Any
) -> None:
    """Date-time bounds keep exactly the leads strictly on the right side of the bound."""
    bound = leads[57][field]
    expected = [lead["id"] for lead in leads if keep(_instant(lead[field]), _instant(bound))]
    got = [lead["id"] for lead in all_pages(client, page_size=100, **{param: bound})]
    assert sorted(got) == sorted(expected)
    assert 0 < len(got) < len(leads)


def test_bounds_with_offsets_compare_as_instants(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """``2024-06-01T02:00:00+02:00`` and ``2024-06-01T00:00:00Z`` are the same bound."""
    utc = all_pages(client, page_size=100, created_after="2024-06-01T00:00:00Z")
    offset = all_pages(client, page_size=100, created_after="2024-06-01T02:00:00+02:00")
    assert [lead["id"] for lead in utc] == [lead["id"] for lead in offset]


def test_an_unencoded_plus_in_an_offset_is_understood(client: TestClient) -> None:
    """``+02:00`` sent unencoded arrives as a space and still parses."""
    raw = client.get(f"{LEADS}?page_size=100&created_after=2024-06-01T02:00:00+02:00", headers=auth())
    utc = client.get(
        LEADS, headers=auth(), params={"page_size": 100, "created_after": "2024-06-01T00:00:00Z"}
    )
    assert raw.status_code == 200 and raw.json()["results"] == utc.json()["results"]


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-01-01",
        "2024-01-01T00:00:00",
        "1700000000",
        "2024-01-01T25:00:00Z",
    ],
)
@pytest.mark.parametrize("param", ["created_after", "created_before", "modified_after", "modified_before"])
def test_malformed_date_bounds_get_400(client: TestClient, param: str, value: str) -> None:
    """A bound that is not an RFC 3339 date-time gets 400 with a detail."""
    response = client.get(LEADS, headers=auth(), params={param: value})
    assert response.status_code == 400
    assert param in response.json()["detail"]


@pytest.mark.parametrize(
    ("param", "field"),
    [
        ("remote_id", "remote_id"),
        ("owner_id", "owner"),
        ("converted_account_id", "converted_account"),
        ("converted_contact_id", "converted_contact"),
    ],
)
def test_exact_filters_match_exactly(
    client: TestClient, leads: list[dict[str, Any]], param: str, field: str
) -> None:
    """remote_id, owner_id, converted_account_id and converted_contact_id match their field exactly."""
    value = next(lead[field] for lead in leads if lead[field])
    got = all_pages(client, page_size=100, **{param: value})
    assert got and all(lead[field] == value for lead in got)
    assert len(got) == sum(1 for lead in leads if lead[field] == value)
    assert all_pages(client, **{param: value.upper() + "-nope"}) == []


def test_email_filter_matches_any_listed_address(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """email_addresses is comma-separated; a lead matches if any of its emails is listed (any case)."""
    first = leads[3]["email_addresses"][0]["email_address"]
    second = leads[40]["email_addresses"][-1]["email_address"]
    got = all_pages(client, email_addresses=f"{first.upper()}, {second},nobody@example.com")
    assert [lead["id"] for lead in got] == [leads[3]["id"], leads[40]["id"]]


def test_phone_filter_matches_any_listed_number(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """phone_numbers is comma-separated; punctuation does not matter."""
    number = leads[9]["phone_numbers"][0]["phone_number"]
    spaced = f"{number[:2]} ({number[2:5]}) {number[5:8]}-{number[8:]}"
    got = all_pages(client, phone_numbers=f"{spaced},+10000000000")
    assert leads[9]["id"] in {lead["id"] for lead in got}
    assert all(any(p["phone_number"] == number for p in lead["phone_numbers"]) for lead in got)


def test_filters_combine_with_pagination(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """A filtered list pages like an unfiltered one: every match once."""
    bound = leads[20]["created_at"]
    expected = [lead["id"] for lead in leads if lead["created_at"] > bound]
    assert [lead["id"] for lead in all_pages(client, page_size=9, created_after=bound)] == expected


def test_deleted_leads_are_hidden_unless_asked(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """remote_was_deleted leads appear only with include_deleted_data=true."""
    assert all(lead["remote_was_deleted"] is False for lead in leads)
    everything = all_pages(client, page_size=100, include_deleted_data="true")
    deleted = [lead for lead in everything if lead["remote_was_deleted"]]
    assert len(everything) == len(leads) + len(deleted) and len(deleted) == 4
    assert len(all_pages(client, page_size=100, include_deleted_data="false")) == len(leads)


@pytest.mark.parametrize("value", ["TRUE", "False", "true"])
def test_booleans_are_case_insensitive(client: TestClient, value: str) -> None:
    """true and false are accepted in any case."""
    assert client.get(LEADS, headers=auth(), params={"include_shell_data": value}).status_code == 200


@pytest.mark.parametrize("value", ["1", "yes", "truee", "null", ""])
@pytest.mark.parametrize(
    "param", ["include_deleted_data", "include_remote_data", "include_remote_fields", "include_shell_data"]
)
def test_malformed_booleans_get_400(client: TestClient, param: str, value: str) -> None:
    """A boolean that is not true/false gets 400 with a detail."""
    response = client.get(LEADS, headers=auth(), params={param: value})
    assert response.status_code == 400
    assert param in response.json()["detail"]


def test_empty_values_and_unknown_params_are_ignored(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """``remote_id=`` filters nothing and unknown parameters are ignored."""
    got = all_pages(client, page_size=100, remote_id="", owner_id="", email_addresses="", colour="blue")
    assert len(got) == len(leads)


def test_repeated_filter_uses_the_last_value(client: TestClient, leads: list[dict[str, Any]]) -> None:
    """As in Django, a repeated parameter's last value counts."""
    response = client.get(f"{LEADS}?remote_id=nothing&remote_id={leads[5]['remote_id']}", headers=auth())
    assert [lead["id"] for lead in response.json()["results"]] == [leads[5]["id"]]
