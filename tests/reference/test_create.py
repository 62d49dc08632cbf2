"""POST /crm/v1/leads: echo, read-back, warnings for unknown fields, errors that stop a create."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from conformance.reference import ReferenceConfig

from ._support import LEADS, TestClient, all_pages, auth, create, make_client, valid_model

STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")

FULL_MODEL: dict[str, Any] = {
    "owner": "14948660-eb95-57e3-836e-f1860b3dd013",
    "lead_source": "Trade Show",
    "title": "Countess",
    "company": "Analytical Engines Ltd",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "addresses": [
        {
            "street_1": "12 St James's Square",
            "street_2": None,
            "city": "London",
            "state": "Greater London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
            "address_type": "BILLING",
            "integration_params": {"verified": True},
        }
    ],
    "email_addresses": [{"email_address": "ada@example.com", "email_address_type": "Work"}],
    "phone_numbers": [{"phone_number": "+442079460000", "phone_number_type": "Mobile"}],
    "converted_date": "2024-02-03T04:05:06.789+02:00",
    "converted_contact": {"id": "025fjlc6-6000-430a-848e-aafacbadf4fe", "first_name": "ignored"},
    "converted_account": None,
    "lead_url": "https://crm.example.com/leads/1",
    "integration_params": {"unique_integration_field": "x"},
    "linked_account_params": {"unique_linked_account_field": "y"},
    "remote_fields": [{"remote_field_class": "b057d1d2-c204-4da8-a74c-c91d1a260614", "value": "Warm"}],
}


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _problem_types(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["problem_type"], item["source"]["pointer"]) for item in body["errors"]]


def test_create_answers_201_with_the_lead_response_envelope(client: TestClient) -> None:
    """201 with ``model`` (object), ``warnings`` and ``errors`` (empty), JSON content type."""
    response = create(client, valid_model())
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"model", "warnings", "errors"}
    assert body["warnings"] == [] and body["errors"] == []


def test_model_echoes_every_writable_field(client: TestClient) -> None:
    """Strings exactly, the date-time as the same instant, relations as ids, nested sub-fields."""
    model = create(client, FULL_MODEL).json()["model"]
    for name in ("lead_source", "title", "company", "first_name", "last_name", "lead_url", "owner"):
        assert model[name] == FULL_MODEL[name]
    assert _instant(model["converted_date"]) == _instant(FULL_MODEL["converted_date"])
    assert model["converted_contact"] == FULL_MODEL["converted_contact"]["id"]
    assert model["converted_account"] is None
    address = model["addresses"][0]
    for name, value in FULL_MODEL["addresses"][0].items():
        if name != "integration_params":
            assert address[name] == value
    assert model["email_addresses"][0]["email_address"] == "ada@example.com"
    assert model["email_addresses"][0]["email_address_type"] == "Work"
    assert model["phone_numbers"][0]["phone_number"] == "+442079460000"
    assert model["phone_numbers"][0]["phone_number_type"] == "Mobile"


def test_write_only_fields_are_not_echoed(client: TestClient) -> None:
    """``integration_params``, ``linked_account_params`` and request ``remote_fields`` stay hidden."""
    model = create(client, FULL_MODEL).json()["model"]
    assert "integration_params" not in model and "linked_account_params" not in model
    assert "integration_params" not in model["addresses"][0]
    assert model["remote_fields"] == []


def test_created_lead_has_new_uuid_and_equal_timestamps(client: TestClient) -> None:
    """``id`` is a new UUID4; ``created_at`` equals ``modified_at``, RFC 3339 with microseconds and Z."""
    first = create(client, valid_model()).json()["model"]
    second = create(client, valid_model()).json()["model"]
    assert first["id"] != second["id"]
    assert uuid.UUID(first["id"]).version == 4
    assert STAMP.fullmatch(first["created_at"]) and first["created_at"] == first["modified_at"]
    assert first["created_at"] < second["created_at"]
    for item in first["addresses"] + first["email_addresses"] + first["phone_numbers"]:
        assert item["created_at"] == first["created_at"]


def test_created_lead_reads_back_and_is_listed(client: TestClient) -> None:
    """GET /leads/{id} returns the same values, and paging the list finds the lead."""
    model = create(client, FULL_MODEL).json()["model"]
    fetched = client.get(f"{LEADS}/{model['id']}", headers=auth())
    assert fetched.status_code == 200
    assert fetched.json() == model
    assert model["id"] in {lead["id"] for lead in all_pages(client, page_size=100)}


def test_created_lead_carries_every_lead_field(client: TestClient) -> None:
    """The model has every field of Merge's Lead, with a provider-assigned ``remote_id``."""
    model = create(client, valid_model()).json()["model"]
    assert list(model) == [
        "id", "remote_id", "created_at", "modified_at", "owner", "lead_source", "title", "company",
        "first_name", "last_name", "addresses", "email_addresses", "phone_numbers", "remote_updated_at",
        "remote_created_at", "converted_date", "converted_contact", "converted_account", "status",
        "lead_url", "remote_was_deleted", "field_mappings", "remote_data", "remote_fields",
    ]  # fmt: skip
    assert isinstance(model["remote_id"], str) and model["remote_id"]
    assert model["remote_was_deleted"] is False and model["remote_data"] is None


@pytest.mark.parametrize("name", ["age", "id", "status", "remote_id", "created_at", "a/b~c"])
def test_unrecognized_field_is_a_warning_not_an_error(client: TestClient, name: str) -> None:
    """An unknown key inside ``model`` still gives 201, with one UNRECOGNIZED_FIELD warning for it."""
    response = create(client, valid_model(**{name: 42}))
    assert response.status_code == 201
    escaped = name.replace("~", "~0").replace("/", "~1")
    assert response.json()["warnings"] == [
        {
            "source": {"pointer": f"/model/{escaped}"},
            "title": "Unrecognized Field",
            "detail": f"An unrecognized field, {name}, was passed in with request data.",
            "problem_type": "UNRECOGNIZED_FIELD",
        }
    ]
    assert response.json()["model"]["id"] != 42


def test_unrecognized_nested_field_is_a_warning(client: TestClient) -> None:
    """Unknown keys inside an address are warned about with their full pointer."""
    response = create(client, valid_model(addresses=[{"city": "Paris", "planet": "Earth"}]))
    assert response.status_code == 201
    assert [item["source"]["pointer"] for item in response.json()["warnings"]] == [
        "/model/addresses/0/planet"
    ]


@pytest.mark.parametrize("missing", ["absent", "null", "empty"])
@pytest.mark.parametrize("field", ["last_name", "company"])
def test_missing_required_field_is_an_error_and_creates_nothing(
    client: TestClient, field: str, missing: str
) -> None:
    """A required field absent, null or empty gets 400 MISSING_REQUIRED_FIELD and no lead."""
    model = valid_model(first_name="Nobody")
    if missing == "absent":
        del model[field]
    else:
        model[field] = None if missing == "null" else ""
    before = len(all_pages(client, page_size=100))
    response = create(client, model)
    assert response.status_code == 400
    body = response.json()
    assert body["warnings"] == []
    assert body["errors"] == [
        {
            "source": {"pointer": f"/model/{field}"},
            "title": "Missing Required Field",
            "detail": f"{field} is a required field on model.",
            "problem_type": "MISSING_REQUIRED_FIELD",
        }
    ]
    assert len(all_pages(client, page_size=100)) == before


def test_every_missing_required_field_is_reported(client: TestClient) -> None:
    """Two missing required fields give two errors."""
    response = create(client, {"first_name": "X", "age": 3})
    assert response.status_code == 400
    assert _problem_types(response.json()) == [
        ("MISSING_REQUIRED_FIELD", "/model/last_name"),
        ("MISSING_REQUIRED_FIELD", "/model/company"),
    ]
    assert [item["problem_type"] for item in response.json()["warnings"]] == ["UNRECOGNIZED_FIELD"]


def test_required_fields_follow_the_configuration() -> None:
    """``required_fields`` decides what POST enforces."""
    with make_client(ReferenceConfig(required_fields=("title",))) as client:
        assert create(client, {"last_name": "X"}).status_code == 400
        assert create(client, {"title": "CEO"}).status_code == 201


@pytest.mark.parametrize(
    ("content", "pointer", "problem_type"),
    [
        (b"{not json", "", "MALFORMED_REQUEST"),
        (b"", "", "MALFORMED_REQUEST"),
        (b'{"model": {"last_name": NaN}}', "", "MALFORMED_REQUEST"),
        (b'{"model": {"last_name": "x", "company": "y", "x": 1e400}}', "", "MALFORMED_REQUEST"),
        (b"\xff\xfe", "", "MALFORMED_REQUEST"),
        (b"[" * 100_000 + b"]" * 100_000, "", "MALFORMED_REQUEST"),
        (b"[]", "", "INCORRECT_FIELD_TYPE"),
        (b'"model"', "", "INCORRECT_FIELD_TYPE"),
        (b"null", "", "INCORRECT_FIELD_TYPE"),
        (b"{}", "/model", "MISSING_REQUIRED_FIELD"),
        (b'{"modle": {}}', "/model", "MISSING_REQUIRED_FIELD"),
        (b'{"model": null}', "/model", "INCORRECT_FIELD_TYPE"),
        (b'{"model": []}', "/model", "INCORRECT_FIELD_TYPE"),
        (b'{"model": "Lovelace"}', "/model", "INCORRECT_FIELD_TYPE"),
    ],
)
def test_malformed_bodies_get_400_never_5xx(
    client: TestClient, content: bytes, pointer: str, problem_type: str
) -> None:
    """Malformed JSON, a non-object body, no ``model`` or a non-object ``model`` get 400 and an error."""
    response = client.post(LEADS, headers={**auth(), "Content-Type": "application/json"}, content=content)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(item["problem_type"], item["source"]["pointer"]) for item in errors] == [(problem_type, pointer)]
    assert all(isinstance(item[key], str) for item in errors for key in ("title", "detail", "problem_type"))


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"first_name": 5}, "/model/first_name"),
        ({"lead_url": ["x"]}, "/model/lead_url"),
        ({"lead_url": "AAA"}, "/model/lead_url"),
        ({"lead_url": "https://exa mple.com"}, "/model/lead_url"),
        ({"owner": {"user_url": "www.example.com"}}, "/model/owner/user_url"),
        ({"converted_date": "yesterday"}, "/model/converted_date"),
        ({"converted_date": "2024-01-01"}, "/model/converted_date"),
        ({"converted_date": "2024-01-01T00:00:00"}, "/model/converted_date"),
        ({"converted_date": "2024-02-30T00:00:00Z"}, "/model/converted_date"),
        ({"converted_date": 1700000000}, "/model/converted_date"),
        ({"owner": 5}, "/model/owner"),
        ({"owner": {"name": 5}}, "/model/owner/name"),
        (
            {"converted_contact": {"account": {"number_of_employees": "many"}}},
            "/model/converted_contact/account/number_of_employees",
        ),
        (
            {"remote_fields": [{"remote_field_class": {"item_schema": {"item_choices": [{}]}}}]},
            "/model/remote_fields/0/remote_field_class/item_schema/item_choices/0",
        ),
        ({"converted_account": True}, "/model/converted_account"),
        ({"addresses": {"city": "x"}}, "/model/addresses"),
        ({"addresses": None}, "/model/addresses"),
        ({"addresses": ["x"]}, "/model/addresses/0"),
        ({"addresses": [{"city": 5}]}, "/model/addresses/0/city"),
        ({"email_addresses": [{"email_address": {"x": 1}}]}, "/model/email_addresses/0/email_address"),
        ({"phone_numbers": [{"phone_number": 5551234}]}, "/model/phone_numbers/0/phone_number"),
        ({"phone_numbers": [{"integration_params": []}]}, "/model/phone_numbers/0/integration_params"),
        ({"integration_params": "x"}, "/model/integration_params"),
        ({"linked_account_params": [1]}, "/model/linked_account_params"),
        ({"remote_fields": "x"}, "/model/remote_fields"),
        (
            {"converted_account": {"number_of_employees": -2147483649}},
            "/model/converted_account/number_of_employees",
        ),
        (
            {"converted_account": {"website": "https://x.example.com/" + "a" * 2000}},
            "/model/converted_account/website",
        ),
        ({"remote_fields": [3]}, "/model/remote_fields/0"),
        ({"remote_fields": [{"remote_field_class": "AAA"}]}, "/model/remote_fields/0/remote_field_class"),
        ({"remote_fields": [{"remote_field_class": 3}]}, "/model/remote_fields/0/remote_field_class"),
        ({"last_name": 7}, "/model/last_name"),
    ],
)
def test_wrong_field_types_get_incorrect_field_type(
    client: TestClient, fields: dict[str, Any], pointer: str
) -> None:
    """A value of the wrong type gets 400 INCORRECT_FIELD_TYPE pointing at it, and no lead."""
    before = len(all_pages(client, page_size=100))
    response = create(client, valid_model(**fields))
    assert response.status_code == 400
    assert _problem_types(response.json()) == [("INCORRECT_FIELD_TYPE", pointer)]
    assert len(all_pages(client, page_size=100)) == before


def test_lone_surrogates_are_not_text(client: TestClient) -> None:
    """A string holding a lone surrogate (valid JSON, invalid Unicode) gets INCORRECT_FIELD_TYPE."""
    content = json.dumps({"model": valid_model(first_name="\ud800")}).encode("ascii")
    response = client.post(LEADS, headers={**auth(), "Content-Type": "application/json"}, content=content)
    assert response.status_code == 400
    assert _problem_types(response.json()) == [("INCORRECT_FIELD_TYPE", "/model/first_name")]


def test_remote_field_without_class_is_missing_required_field(client: TestClient) -> None:
    """A remote field without ``remote_field_class`` names that missing field."""
    response = create(client, valid_model(remote_fields=[{"value": 1}]))
    assert response.status_code == 400
    assert _problem_types(response.json()) == [
        ("MISSING_REQUIRED_FIELD", "/model/remote_fields/0/remote_field_class")
    ]


def test_too_deep_free_form_values_are_rejected(client: TestClient) -> None:
    """Free-form objects nested deeper than the server keeps are a 400, not a crash."""
    deep: Any = "leaf"
    for _ in range(200):
        deep = {"x": deep}
    response = create(client, valid_model(integration_params=deep))
    assert response.status_code == 400


def test_relation_objects_give_their_id(client: TestClient) -> None:
    """A relation sent as an object stores its ``id``; an object without a string id stores null."""
    model = create(client, valid_model(owner={"id": "u-1", "name": "Grace"}, converted_account={"id": 5}))
    assert model.status_code == 201
    assert model.json()["model"]["owner"] == "u-1"
    assert model.json()["model"]["converted_account"] is None


def test_unknown_relation_ids_are_stored(client: TestClient) -> None:
    """Ids that name no known object, UUID or not, are accepted as sent."""
    model = create(
        client, valid_model(owner="owner", converted_account="9c9de072-29cf-48e3-9578-1ca5b145b40e")
    )
    assert model.status_code == 201
    assert model.json()["model"]["owner"] == "owner"


def test_odd_strings_round_trip_exactly(client: TestClient) -> None:
    """NUL bytes, emoji, right-to-left text and long strings come back as sent."""
    odd = {"first_name": "a\x00b", "title": "💼 директор", "lead_source": "مؤتمر", "company": "x" * 50_000}
    model = create(client, valid_model(**odd)).json()["model"]
    fetched = client.get(f"{LEADS}/{model['id']}", headers=auth()).json()
    for name, value in odd.items():
        assert model[name] == value == fetched[name]


def test_debug_mode_adds_logs(client: TestClient) -> None:
    """With ``is_debug_mode=true`` the response has a DebugModeLog; without it, no ``logs`` key."""
    assert "logs" not in create(client, valid_model()).json()
    logs = create(client, valid_model(), is_debug_mode="true").json()["logs"]
    assert len(logs) == 1
    log = logs[0]
    assert log["dashboard_view"] == f"https://app.merge.dev/logs/{log['log_id']}"
    assert log["log_summary"] == {
        "url": "www.exampleintegration.com/api/v1/leads",
        "method": "POST",
        "status_code": 201,
    }
    assert "logs" not in create(client, valid_model(), is_debug_mode="false").json()


def test_run_async_is_accepted(client: TestClient) -> None:
    """``run_async`` is accepted and the create still answers 201."""
    assert create(client, valid_model(), run_async="true").status_code == 201


@pytest.mark.parametrize("name", ["is_debug_mode", "run_async"])
def test_malformed_query_booleans_get_400(client: TestClient, name: str) -> None:
    """A query boolean other than true/false gets 400 ``{detail}`` and creates nothing."""
    response = create(client, valid_model(), **{name: "maybe"})
    assert response.status_code == 400
    assert isinstance(response.json()["detail"], str)
