"""GET /crm/v1/leads/remote-field-classes: a paginated, filterable list."""

from __future__ import annotations

import pytest

from ._support import LEADS, TestClient, all_pages, auth

RFC = f"{LEADS}/remote-field-classes"
FIELDS = {
    "id", "display_name", "remote_key_name", "description", "is_custom", "is_common_model_field",
    "is_required", "field_type", "field_format", "field_choices",
}  # fmt: skip


def test_classes_have_merges_shape(client: TestClient) -> None:
    """Every class has Merge's RemoteFieldClass fields with the documented types."""
    classes = all_pages(client, RFC)
    assert len(classes) == 12
    for item in classes:
        assert FIELDS <= set(item) <= FIELDS | {"item_schema"}
        assert item["field_type"] in {"string", "number", "date", "datetime", "bool", "list"}
        assert item["field_choices"] is None or all(
            set(c) == {"value", "display_name"} for c in item["field_choices"]
        )
    assert {item["is_custom"] for item in classes} == {True, False}
    assert {item["is_common_model_field"] for item in classes} == {True, False}
    listed = [item for item in classes if item["field_type"] == "list"]
    assert listed and all(
        set(item["item_schema"]) == {"item_type", "item_format", "item_choices"} for item in listed
    )


@pytest.mark.parametrize("param", ["is_custom", "is_common_model_field"])
@pytest.mark.parametrize("value", [True, False])
def test_boolean_filters_keep_matching_classes(client: TestClient, param: str, value: bool) -> None:
    """is_custom / is_common_model_field return only classes with that value."""
    got = all_pages(client, RFC, **{param: str(value).lower()})
    assert got and all(item[param] is value for item in got)
    assert len(got) == sum(1 for item in all_pages(client, RFC) if item[param] is value)


def test_classes_paginate_like_leads(client: TestClient) -> None:
    """page_size, next and previous behave as on the lead list."""
    everything = [item["id"] for item in all_pages(client, RFC)]
    assert [item["id"] for item in all_pages(client, RFC, page_size=5)] == everything
    first = client.get(RFC, headers=auth(), params={"page_size": 5}).json()
    second = client.get(RFC, headers=auth(), params={"page_size": 5, "cursor": first["next"]}).json()
    back = client.get(RFC, headers=auth(), params={"page_size": 5, "cursor": second["previous"]}).json()
    assert first["previous"] is None and back["results"] == first["results"]


def test_include_flags_are_accepted_and_checked(client: TestClient) -> None:
    """The include_* flags are accepted; a malformed one gets 400."""
    flags = {
        name: "true" for name in ("include_deleted_data", "include_remote_data", "include_remote_fields")
    }
    assert client.get(RFC, headers=auth(), params={**flags, "include_shell_data": "false"}).status_code == 200
    assert client.get(RFC, headers=auth(), params={"is_custom": "sometimes"}).status_code == 400
    assert client.get(RFC, headers=auth(), params={"cursor": "bogus"}).status_code == 404
