"""Lead bodies built from meta/post honour everything meta/post says, and only what it offers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.outcomes import Inconclusive
from conformance.reference.schema import request_schema
from conformance.suite.support.bodies import (
    echoed_part,
    fitted,
    full_body,
    nested_required,
    request_body,
    required_only_body,
    value_for,
)
from conformance.suite.support.fitting import example, fits
from conformance.suite.support.generation import field_schema, generation_schema
from conformance.suite.support.leads import carries_tag
from conformance.suite.support.meta import MetaPost

TAG = "lc-20261202t101500-abc123-7"
ORGANIZATION = {
    "type": "object",
    "properties": {"organization_id": {"type": "string", "minLength": 1}},
    "required": ["organization_id"],
}


def meta_of(model: dict[str, Any], **request: Any) -> MetaPost:
    raw = {"request_schema": {"type": "object", "properties": {"model": model, **request.pop("top", {})},
                              **request}}
    return MetaPost(raw=raw, model_schema=model)


def reference_model(required: tuple[str, ...] = ("last_name", "company")) -> dict[str, Any]:
    return copy.deepcopy(request_schema(required)["properties"]["model"])


def account_model() -> dict[str, Any]:
    """Like a Pipedrive account: a nested required id, a 20-character title, no converted_date."""
    model = reference_model(("last_name", "company", "integration_params"))
    del model["properties"]["converted_date"]
    model["properties"]["title"]["maxLength"] = 20
    model["properties"]["integration_params"] = copy.deepcopy(ORGANIZATION)
    return model


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "string", "maxLength": 5}, "abcdef", False),
        ({"type": "string", "minLength": 2}, "a", False),
        ({"type": "string", "pattern": r"^\d{3}$"}, "12a", False),
        ({"type": "string", "pattern": r"^\d{3}$"}, "123", True),
        ({"type": "string", "format": "email"}, "not an email", False),
        ({"type": "string", "format": "date-time"}, "2026-01-15T10:30:00Z", True),
        ({"type": "string", "format": "uuid"}, "025fjlc6-6000-430a-848e-aafacbadf4fe", False),
        ({"type": "string", "format": "uri"}, "acme.com", False),
        ({"type": "string", "enum": ["Web", "Phone"]}, "web", False),
        ({"type": "integer", "minimum": 3}, 2, False),
        ({"type": "integer"}, True, False),
        (ORGANIZATION, {}, False),
        (ORGANIZATION, {"organization_id": ""}, False),
        (ORGANIZATION, {"organization_id": "42"}, True),
        (ORGANIZATION, {"organization_id": "42", "other": 1}, False),
        ({"type": "array", "items": {"type": "string"}, "minItems": 1}, [], False),
        ({"type": "array", "items": {"type": "string", "format": "uuid"}}, ["x"], False),
    ],
)
def test_fits_honours_what_meta_post_declares(schema: dict[str, Any], value: Any, expected: bool) -> None:
    assert fits(value, field_schema("field", schema)) is expected


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "maxLength": 8},
        {"type": "string", "minLength": 40},
        {"type": "string", "pattern": r"^[A-Z]{2}-\d{4}$"},
        {"type": "string", "pattern": r"^\d+$", "maxLength": 3},
        {"type": "string", "format": "email", "maxLength": 30},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "uuid"},
        {"type": ["string", "null"], "enum": [None, "Web", "Phone"]},
        {"type": "integer", "minimum": 10, "maximum": 12},
        {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
        {"type": "array", "items": {"type": "string", "format": "uuid"}, "minItems": 2},
        {"type": "object", "properties": {"a": ORGANIZATION, "b": {"type": "boolean"}}, "required": ["a"]},
        {"anyOf": [{"type": "integer", "minimum": 5}, {"type": "string", "maxLength": 2}]},
    ],
)
def test_an_example_fits_its_schema_and_is_the_same_every_time(schema: dict[str, Any]) -> None:
    converted = field_schema("field", schema)
    value = example(converted, "field", TAG)
    assert fits(value, converted), value
    assert example(converted, "field", TAG) == value


def test_a_preferred_value_is_kept_when_it_fits_and_cut_to_fit_when_too_long() -> None:
    title = field_schema("title", {"type": "string", "maxLength": 20})
    assert example(title, "title", TAG, "Chief Engineer") == "Chief Engineer"
    assert example(title, "title", TAG, "Chief Engineer of Analytical Engines") == "Chief Engineer of An"
    assert value_for("title", {"type": "string", "maxLength": 20}, TAG, {}, "x" * 30) == "x" * 20


def test_nested_required_fields_are_filled_in() -> None:
    value = value_for("integration_params", ORGANIZATION, TAG, {})
    assert isinstance(value["organization_id"], str) and value["organization_id"]
    schema = {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {
        "email_address": {"type": "string", "format": "email"}, "kind": {"enum": ["WORK", "HOME"]}},
        "required": ["kind"]}}
    items = value_for("email_addresses", schema, TAG, {})
    assert items == [{"email_address": f"{TAG}@example.com", "kind": "WORK"}]


def test_the_full_body_sends_only_offered_fields_and_fits_them() -> None:
    meta = meta_of(account_model())
    model = full_body(meta, TAG, {})
    assert "converted_date" not in model
    assert len(model["title"]) <= 20
    assert model["integration_params"]["organization_id"]
    assert set(model) <= set(meta.properties)
    assert carries_tag(model, TAG)
    for name, value in model.items():
        assert fits(value, field_schema(name, meta.properties[name])), name


def test_the_full_body_drops_nested_sub_fields_meta_post_does_not_offer() -> None:
    model = reference_model()
    model["properties"]["email_addresses"]["items"] = {"type": "object", "properties": {
        "value": {"type": "string"}, "email_address_type": {"type": "string"}}}
    model["properties"]["addresses"]["items"]["properties"]["country"] = {"enum": ["USA", "CAN"]}
    body = full_body(meta_of(model), TAG, {})
    assert body["email_addresses"] == [{"email_address_type": "Work"}]
    assert body["addresses"][0]["country"] == "USA"


def test_the_run_tag_moves_to_a_field_with_room_for_it() -> None:
    model = reference_model()
    for name in ("last_name", "company", "first_name", "title"):
        model["properties"][name]["maxLength"] = 10
    model["properties"]["lead_source"] = {"type": "string", "enum": ["Web", "Phone"]}
    model["properties"]["addresses"]["items"]["properties"]["street_2"]["maxLength"] = 5
    model["properties"]["email_addresses"]["items"]["properties"]["email_address"]["maxLength"] = 10
    with pytest.raises(Inconclusive, match="room for the run tag"):
        full_body(meta_of(model), TAG, {})
    model["properties"]["company"]["maxLength"] = len(f"leads-conformance {TAG}")
    body = full_body(meta_of(model), TAG, {})
    assert body["company"] == f"leads-conformance {TAG}"
    assert body["lead_source"] == "Web"


def test_a_meta_post_without_properties_offers_every_field() -> None:
    body = full_body(meta_of({"type": "object", "required": ["last_name"]}), TAG, {"owner": "u-1"})
    assert body["converted_date"] and body["owner"] == "u-1" and body["last_name"] == f"Lovelace {TAG}"


def test_required_only_and_top_level_fields() -> None:
    meta = meta_of(account_model(), top={"remote_user_id": {"type": "string", "maxLength": 8}},
                   required=["model", "remote_user_id"])
    model = required_only_body(meta, TAG, {})
    assert sorted(model) == ["company", "integration_params", "last_name"]
    body = request_body(meta, model, TAG)
    assert body["model"] is model and 0 < len(body["remote_user_id"]) <= 8
    assert nested_required(meta) == [("integration_params", "organization_id")]


def test_a_generated_body_is_fitted_to_meta_post() -> None:
    meta = meta_of(account_model())
    model = fitted({"title": "t" * 30, "integration_params": {}, "first_name": None}, meta, TAG, {})
    assert model["title"] == "t" * 20
    assert model["integration_params"]["organization_id"]
    assert model["first_name"] is None and model["last_name"] and model["company"]


def test_the_generation_schema_keeps_required_write_only_fields_and_leaves_out_the_rest() -> None:
    schema = generation_schema(account_model(), top=True)
    assert schema is not None
    assert schema["properties"]["integration_params"]["required"] == ["organization_id"]
    assert "linked_account_params" not in schema["properties"] and "owner" not in schema["properties"]
    assert schema["properties"]["title"]["maxLength"] == 20


def test_echo_checks_compare_only_the_lead_fields_sent() -> None:
    sent = {"title": "CTO", "integration_params": {"organization_id": "1"}, "favorite_watch": "x",
            "email_addresses": [{"email_address": "a@b.co", "value": "a@b.co"}]}
    assert echoed_part(sent) == {"title": "CTO", "email_addresses": [{"email_address": "a@b.co"}]}
