"""GET /crm/v1/leads/meta/post: a real JSON Schema of the POST body, consistent with POST."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.reference import ReferenceConfig

from ._support import LEADS, TestClient, all_pages, auth, make_client

META = f"{LEADS}/meta/post"


def _meta(client: TestClient) -> dict[str, Any]:
    response = client.get(META, headers=auth())
    assert response.status_code == 200
    return response.json()


def test_meta_post_has_merges_shape(client: TestClient) -> None:
    """200 with ``request_schema``, ``status``, and the two boolean flags."""
    body = _meta(client)
    assert isinstance(body["request_schema"], dict)
    assert body["status"] == {"linked_account_status": "COMPLETE", "can_make_request": True}
    assert body["has_conditional_params"] is False
    assert body["has_required_linked_account_params"] is False


def test_request_schema_is_a_valid_json_schema(client: TestClient) -> None:
    """``request_schema`` is valid draft 2020-12, and ``model.required`` names its properties."""
    schema = _meta(client)["request_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    model = schema["properties"]["model"]
    assert model["type"] == "object"
    assert model["required"] == ["last_name", "company"]
    assert set(model["required"]) <= set(model["properties"])
    assert schema["required"] == ["model"]
    assert model["properties"]["converted_date"]["format"] == "date-time"
    assert model["properties"]["title"]["type"] == ["string", "null"]


def test_a_body_of_exactly_the_required_fields_is_created(client: TestClient) -> None:
    """A body holding just the required fields, fitting their schema, gets 201."""
    required = _meta(client)["request_schema"]["properties"]["model"]["required"]
    response = client.post(LEADS, headers=auth(), json={"model": {name: "x" for name in required}})
    assert response.status_code == 201


def test_dropping_a_required_field_names_it(client: TestClient) -> None:
    """Dropping any one required field gets MISSING_REQUIRED_FIELD for exactly that field."""
    required = _meta(client)["request_schema"]["properties"]["model"]["required"]
    for dropped in required:
        model = {name: "x" for name in required if name != dropped}
        response = client.post(LEADS, headers=auth(), json={"model": model})
        assert response.status_code == 400
        assert [(e["problem_type"], e["source"]["pointer"]) for e in response.json()["errors"]] == [
            ("MISSING_REQUIRED_FIELD", f"/model/{dropped}")
        ]


def test_remote_field_classes_named_by_meta_exist(client: TestClient) -> None:
    """Every remote field class in meta/post is listed by /leads/remote-field-classes."""
    classes = _meta(client)["remote_field_classes"]
    listed = {item["id"]: item for item in all_pages(client, f"{LEADS}/remote-field-classes")}
    assert classes and set(classes) == set(listed)
    for class_id, item in classes.items():
        assert item == listed[class_id]


def test_meta_required_fields_can_differ_from_what_post_enforces() -> None:
    """A broken variant can advertise other required fields than it enforces."""
    config = ReferenceConfig(meta_required_fields=("title",))
    with make_client(config) as client:
        assert _meta(client)["request_schema"]["properties"]["model"]["required"] == ["title"]
        assert client.post(LEADS, headers=auth(), json={"model": {"title": "x"}}).status_code == 400


_FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date-time": st.builds(
        lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
        st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
        st.integers(-1439, 1439),
    ),
    "uuid": st.uuids().map(str),
    "uri": st.from_regex(r"https://[a-z]{1,12}\.example\.com/[a-z0-9/]{0,20}", fullmatch=True),
}
_JSON_SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the JSON Schema subset that ``request_schema`` uses (types, formats, lengths)."""
    declared = schema.get("type")
    if declared is None:
        return _JSON_VALUES
    if isinstance(declared, list):
        return st.one_of([from_schema({**schema, "type": name}) for name in declared])
    if declared == "null":
        return st.none()
    if declared == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return st.text(min_size=schema.get("minLength", 0), max_size=40)
    if declared == "array":
        return st.lists(from_schema(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=3)
    if declared == "object":
        properties = schema.get("properties")
        if properties is None:
            return st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=3)
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(sub) for name, sub in properties.items() if name in required},
            optional={name: from_schema(sub) for name, sub in properties.items() if name not in required},
        )
    raise AssertionError(f"request_schema uses an unexpected type: {declared}")


def _same_instant(left: str, right: str) -> bool:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))

    return parse(left) == parse(right)


def _check_echo(sent: dict[str, Any], model: dict[str, Any]) -> None:
    for name, value in sent.items():
        if name in ("integration_params", "linked_account_params", "remote_fields"):
            continue
        if name in ("addresses", "email_addresses", "phone_numbers"):
            assert len(model[name]) == len(value)
            for sent_item, echoed in zip(value, model[name], strict=True):
                for key, sub_value in sent_item.items():
                    if key in echoed:
                        assert echoed[key] == sub_value
        elif name == "converted_date" and value is not None:
            assert _same_instant(model[name], value)
        else:
            assert model[name] == value


def test_bodies_generated_from_request_schema_are_created_and_echoed() -> None:
    """Any body generated from ``request_schema`` gets 201 and echoes what it sent."""
    with make_client() as client:
        schema = _meta(client)["request_schema"]

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(body=from_schema(schema))
        def check(body: dict[str, Any]) -> None:
            response = client.post(LEADS, headers=auth(), json=body)
            assert response.status_code == 201, response.text
            _check_echo(body["model"], response.json()["model"])

        check()
