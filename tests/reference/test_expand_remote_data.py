"""expand, include_remote_data and include_remote_fields on list and retrieve."""

from __future__ import annotations

from typing import Any

import pytest

from ._support import LEADS, TestClient, all_pages, auth, create, valid_model

USER_FIELDS = [
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "name",
    "email",
    "is_active",
    "user_url",
    "remote_was_deleted",
    "field_mappings",
    "remote_data",
    "remote_fields",
]
ACCOUNT_FIELDS = [
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "owner",
    "name",
    "description",
    "industry",
    "website",
    "number_of_employees",
    "addresses",
    "phone_numbers",
    "last_activity_at",
    "remote_updated_at",
    "remote_created_at",
    "account_url",
    "remote_was_deleted",
    "field_mappings",
    "remote_data",
    "remote_fields",
]
CONTACT_FIELDS = [
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "first_name",
    "last_name",
    "account",
    "owner",
    "addresses",
    "email_addresses",
    "phone_numbers",
    "last_activity_at",
    "remote_created_at",
    "contact_url",
    "remote_was_deleted",
    "field_mappings",
    "remote_data",
    "remote_fields",
]
SHAPES = {"owner": USER_FIELDS, "converted_contact": CONTACT_FIELDS, "converted_account": ACCOUNT_FIELDS}


def test_relations_are_ids_without_expand(client: TestClient) -> None:
    """Without expand, owner / converted_contact / converted_account are strings or null."""
    leads = all_pages(client, page_size=100)
    for name in SHAPES:
        assert all(lead[name] is None or isinstance(lead[name], str) for lead in leads)
        assert any(isinstance(lead[name], str) for lead in leads)


@pytest.mark.parametrize(
    "query",
    [
        "expand=owner,converted_contact,converted_account",
        "expand=owner%2Cconverted_contact%2Cconverted_account",
        "expand=owner&expand=converted_contact&expand=converted_account",
        "expand=owner,&expand=converted_contact, converted_account",
    ],
)
def test_expand_turns_relations_into_full_objects(client: TestClient, query: str) -> None:
    """Each expanded relation is the full User / Contact / Account with every field, or null."""
    plain = {lead["id"]: lead for lead in all_pages(client, page_size=100)}
    response = client.get(f"{LEADS}?page_size=100&{query}", headers=auth())
    assert response.status_code == 200
    expanded = response.json()["results"]
    for lead in expanded:
        for name, fields in SHAPES.items():
            value = lead[name]
            if plain[lead["id"]][name] is None:
                assert value is None
            else:
                assert list(value) == fields
                assert value["id"] == plain[lead["id"]][name]


def test_expand_names_only_what_it_expands(client: TestClient) -> None:
    """expand=owner leaves the other relations as ids."""
    lead = next(
        item for item in all_pages(client, page_size=100, expand="owner") if item["converted_contact"]
    )
    assert isinstance(lead["owner"], dict)
    assert isinstance(lead["converted_contact"], str)


def test_expand_works_on_retrieve(client: TestClient) -> None:
    """GET /leads/{id}?expand=... expands like the list."""
    lead = next(item for item in all_pages(client, page_size=100) if item["converted_account"])
    response = client.get(f"{LEADS}/{lead['id']}", headers=auth(), params={"expand": "converted_account"})
    assert response.json()["converted_account"]["id"] == lead["converted_account"]


def test_unknown_relation_expands_to_null(client: TestClient) -> None:
    """A relation id naming no known object expands to null."""
    model = create(client, valid_model(owner="9c9de072-29cf-48e3-9578-1ca5b145b40e")).json()["model"]
    response = client.get(f"{LEADS}/{model['id']}", headers=auth(), params={"expand": "owner"})
    assert response.json()["owner"] is None


@pytest.mark.parametrize("value", ["manager", "owner,stage", "OWNER"])
def test_unknown_expand_value_gets_400(client: TestClient, value: str) -> None:
    """An expand value that is not a relation of Lead gets 400 with a detail."""
    response = client.get(LEADS, headers=auth(), params={"expand": value})
    assert response.status_code == 400
    assert "expand" in response.json()["detail"]


def test_empty_expand_is_ignored(client: TestClient) -> None:
    """``expand=`` expands nothing."""
    response = client.get(f"{LEADS}?expand=", headers=auth())
    assert response.status_code == 200
    assert all(not isinstance(lead["owner"], dict) for lead in response.json()["results"])


def test_remote_data_only_when_asked(client: TestClient) -> None:
    """remote_data is null without include_remote_data and an array of {path, data} with it."""
    assert all(lead["remote_data"] is None for lead in all_pages(client, page_size=100))
    for lead in all_pages(client, page_size=100, include_remote_data="true"):
        assert lead["remote_data"]
        for item in lead["remote_data"]:
            assert set(item) == {"path", "data"} and isinstance(item["path"], str)
            assert item["data"]["Id"] == lead["remote_id"]


def test_remote_fields_only_when_asked(client: TestClient) -> None:
    """remote_fields is empty without include_remote_fields and lists RemoteFields with it."""
    assert all(lead["remote_fields"] == [] for lead in all_pages(client, page_size=100))
    with_fields = all_pages(client, page_size=100, include_remote_fields="true")
    classes = {item["id"] for item in all_pages(client, f"{LEADS}/remote-field-classes")}
    assert any(lead["remote_fields"] for lead in with_fields)
    for lead in with_fields:
        for item in lead["remote_fields"]:
            assert set(item) == {"remote_field_class", "value"}
            assert item["remote_field_class"]["id"] in classes


def test_written_remote_fields_read_back_with_their_class(client: TestClient) -> None:
    """Remote fields sent on create come back under include_remote_fields, known classes expanded."""
    known = all_pages(client, f"{LEADS}/remote-field-classes", is_custom="true")[0]
    sent: list[dict[str, Any]] = [
        {"remote_field_class": known["id"], "value": 42},
        {"remote_field_class": {"id": "not-a-known-class"}, "value": "x"},
        {"remote_field_class": "b057d1d2-c204-4da8-a74c-c91d1a260614", "value": None},
    ]
    model = create(client, valid_model(remote_fields=sent)).json()["model"]
    lead = client.get(
        f"{LEADS}/{model['id']}", headers=auth(), params={"include_remote_fields": "true"}
    ).json()
    assert lead["remote_fields"] == [
        {"remote_field_class": known, "value": 42},
        {"remote_field_class": "not-a-known-class", "value": "x"},
        {"remote_field_class": "b057d1d2-c204-4da8-a74c-c91d1a260614", "value": None},
    ]
