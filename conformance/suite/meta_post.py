"""META: GET /crm/v1/leads/meta/post describes the writes POST accepts, and POST agrees with it.

meta/post's ``request_schema`` is Merge's own dialect of JSON Schema (with keywords such as
``categories`` and ``enum_information``); it is read as an object, and the generator keeps
only the standard keywords it understands. What the tolerances leave open is not generated:
relation ids (known ids of the target are used instead), write-only objects and remote fields.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance._outcomes import Inconclusive, Violation
from conformance.suite._support import (
    LEADS,
    META_POST,
    NESTED_FIELDS,
    RELATION_FIELDS,
    REMOTE_FIELD_CLASSES,
    STRING_FIELDS,
    WRITE_ONLY_FIELDS,
    Findings,
    MetaPost,
    declined_fields,
    describe,
    echo_mismatches,
    model_schema_of,
    not_throttled,
    problems_named,
    require_relation_ids,
    required_only_body,
    run_tag,
)
from conformance.target import Target, json_or_none

#: Lead fields a create echoes, beyond the plain strings
ECHOED_FIELDS = (*STRING_FIELDS, "lead_url", "converted_date", *RELATION_FIELDS, *NESTED_FIELDS)
#: preferred fields to carry the run tag in a generated body
TAG_FIELDS = ("lead_source", "title", "company", "last_name", "first_name")
MAX_ITEMS = 2
GENERATION_ATTEMPTS_FACTOR = 3


# ------------------------------------------------------------------------------ meta/post shape
@pytest.fixture(scope="module")
def meta_response(client: httpx.Client) -> httpx.Response:
    """The raw meta/post answer."""
    return not_throttled(client.get(META_POST))


@pytest.mark.requirement("LEADS-META-001")
def test_meta_post_answers_200_with_its_required_keys(target: Target, meta_response: httpx.Response) -> None:
    """meta/post answers 200 with request_schema, the two has_* booleans and a well-formed status.

    The booleans are has_conditional_params and has_required_linked_account_params; a status,
    where present (not null), has a string linked_account_status and a boolean can_make_request.
    """
    if meta_response.status_code != 200:
        raise Violation(f"meta/post is not a 200 ({describe(meta_response)})", ["LEADS-META-001"])
    body = json_or_none(meta_response)
    if not isinstance(body, dict):
        raise Violation(f"meta/post is not a JSON object ({describe(meta_response)})", ["LEADS-META-001"])
    findings = Findings(target)
    findings.check(
        isinstance(body.get("request_schema"), dict),
        "LEADS-META-001",
        f"request_schema is {str(body.get('request_schema'))[:80]!r}, not an object",
    )
    for key in ("has_conditional_params", "has_required_linked_account_params"):
        findings.check(
            isinstance(body.get(key), bool),
            "LEADS-META-001",
            f"{key} is {body.get(key)!r}" + ("" if key in body else " (absent)") + ", not a boolean",
        )
    status = body.get("status")
    if status is not None and findings.check(
        isinstance(status, dict), "LEADS-META-001", f"status is {status!r}, not an object"
    ):
        findings.check(
            isinstance(status.get("linked_account_status"), str),
            "LEADS-META-001",
            f"status.linked_account_status is {status.get('linked_account_status')!r}, not a string",
        )
        findings.check(
            isinstance(status.get("can_make_request"), bool),
            "LEADS-META-001",
            f"status.can_make_request is {status.get('can_make_request')!r}, not a boolean",
        )
    findings.raise_if_any()


@pytest.mark.requirement("LEADS-META-002")
def test_model_schema_required_names_are_among_properties(
    target: Target, meta_response: httpx.Response
) -> None:
    """request_schema.properties.model is an object schema whose required names are among its properties."""
    body = json_or_none(meta_response)
    if (
        meta_response.status_code != 200
        or not isinstance(body, dict)
        or not isinstance(body.get("request_schema"), dict)
    ):
        raise Inconclusive(
            f"meta/post has no request_schema to read ({describe(meta_response)})", ["LEADS-META-002"]
        )
    model = model_schema_of(body)
    if model is None:
        raise Violation(
            "request_schema.properties.model is missing or not a schema object", ["LEADS-META-002"]
        )
    findings = Findings(target)
    kind = model.get("type")
    findings.check(
        kind is None or kind == "object" or (isinstance(kind, list) and "object" in kind),
        "LEADS-META-002",
        f"request_schema.properties.model has type {kind!r}, not object",
    )
    properties = model.get("properties", {})
    findings.check(
        isinstance(properties, dict),
        "LEADS-META-002",
        f"request_schema.properties.model.properties is {str(properties)[:80]!r}, not an object",
    )
    required = model.get("required", [])
    if findings.check(
        isinstance(required, list) and all(isinstance(n, str) for n in required),
        "LEADS-META-002",
        f"request_schema.properties.model.required is {required!r}, not a list of names",
    ):
        names = properties if isinstance(properties, dict) else {}
        missing = [name for name in required if name not in names]
        findings.check(
            not missing,
            "LEADS-META-002",
            f"required names {missing} are not among the model's properties {sorted(names)}"[:400],
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ POST agrees with meta/post
def tagged_required_only(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """The required fields alone; lead_source carries the run tag when no required value does."""
    require_relation_ids(meta, known)
    model = required_only_body(meta, tag, known)
    if tag not in json.dumps(model):
        model["lead_source"] = f"leads-conformance {tag}"
    return model


@pytest.mark.writes
@pytest.mark.requirement("LEADS-META-003")
def test_required_fields_alone_create_and_each_is_enforced(
    target: Target, client: httpx.Client, meta_post: MetaPost, known_relations: dict[str, str]
) -> None:
    """POST agrees with meta/post: the required fields alone get 201; dropping one is MISSING_REQUIRED_FIELD.

    Each required field is dropped in turn, and the error must name the one dropped.
    """
    findings = Findings(target)
    model = tagged_required_only(meta_post, run_tag(target, "required"), known_relations)
    response = not_throttled(client.post(LEADS, json={"model": model}))
    findings.check(
        response.status_code == 201,
        "LEADS-META-003",
        f"a model holding exactly the fields meta/post requires ({sorted(model)}) is not a 201 "
        f"({describe(response)})",
    )
    for name in meta_post.required:
        partial = tagged_required_only(meta_post, run_tag(target, "required"), known_relations)
        partial.pop(name, None)
        response = not_throttled(client.post(LEADS, json={"model": partial}))
        named = problems_named(
            json_or_none(response), "MISSING_REQUIRED_FIELD", name, ("errors",), detail_counts=True
        )
        findings.check(
            400 <= response.status_code < 500 and bool(named),
            "LEADS-META-003",
            f"dropping the required {name} does not get MISSING_REQUIRED_FIELD for it ({describe(response)})",
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ generated bodies
_OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))
_TEXT = r"\A[A-Za-z0-9](?:[A-Za-z0-9 .,'-]{0,30}[A-Za-z0-9])?\Z"


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "lc-text": st.from_regex(_TEXT),
    "lc-date-time": st.builds(
        lambda naive, zone: naive.replace(tzinfo=zone).isoformat(),
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)),
        st.sampled_from(_OFFSETS),
    ),
    "lc-date": st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2035, 12, 31).date()).map(
        lambda day: day.isoformat()
    ),
    "lc-uuid": st.uuids().map(str),
    "lc-email": st.from_regex(r"\A[a-z]{1,10}\.[a-z]{1,10}@example\.com\Z"),
    "lc-phone": st.from_regex(r"\A\+1[2-9][0-9]{9}\Z"),
    "lc-uri": st.from_regex(r"\Ahttps://example\.com/leads/[a-z0-9]{1,12}\Z"),
    "lc-country": st.sampled_from(["US", "GB", "DE", "FR", "CA", "JP"]),
    "lc-address-type": st.sampled_from(["BILLING", "SHIPPING"]),
}
_FORMAT_OF = {
    "date-time": "lc-date-time",
    "date": "lc-date",
    "uuid": "lc-uuid",
    "email": "lc-email",
    "uri": "lc-uri",
    "url": "lc-uri",
}
_FORMAT_BY_NAME = {
    "email_address": "lc-email",
    "phone_number": "lc-phone",
    "country": "lc-country",
    "address_type": "lc-address-type",
    "lead_url": "lc-uri",
}


class Ungeneratable(Exception):
    """The schema asks for something the generator does not produce."""


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    kinds = (
        [kind]
        if isinstance(kind, str)
        else [k for k in kind if isinstance(k, str)]
        if isinstance(kind, list)
        else []
    )
    kinds = [k for k in kinds if k != "null"]
    if kinds:
        return kinds
    if "properties" in schema:
        return ["object"]
    if "items" in schema:
        return ["array"]
    return []


def _string(schema: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "string"}
    for key in ("minLength", "maxLength"):
        if isinstance(schema.get(key), int):
            result[key] = schema[key]
    fmt = schema.get("format")
    if isinstance(schema.get("pattern"), str):
        result["pattern"] = schema["pattern"]
    elif fmt in _FORMAT_OF:
        result["format"] = _FORMAT_OF[fmt]
    else:
        result["format"] = _FORMAT_BY_NAME.get(name, "lc-text")
    return result


def _number(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    result: dict[str, Any] = {"type": kind, "minimum": -1000, "maximum": 1000}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if isinstance(schema.get(key), int | float) and not isinstance(schema.get(key), bool):
            result[key] = schema[key]
    return result


def _array(schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
    items = schema.get("items")
    item_schema = generation_schema(items, name, depth + 1) if isinstance(items, dict) else None
    low = _int_or(schema.get("minItems"), 0)
    high = _int_or(schema.get("maxItems"), MAX_ITEMS)
    return {
        "type": "array",
        "items": item_schema or {"type": "string", "format": "lc-text"},
        "minItems": low,
        "maxItems": max(low, min(high, MAX_ITEMS)),
    }


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _object(schema: dict[str, Any], depth: int, top: bool) -> dict[str, Any]:
    raw_properties = schema.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    required = (
        [n for n in schema.get("required", []) if isinstance(n, str)]
        if isinstance(schema.get("required"), list)
        else []
    )
    result: dict[str, Any] = {}
    for name, sub in properties.items():
        if name in WRITE_ONLY_FIELDS or (top and name in RELATION_FIELDS):
            continue
        converted = generation_schema(sub, name, depth + 1)
        if converted is not None:
            result[name] = converted
    for name in required:
        if name in WRITE_ONLY_FIELDS:
            raise Ungeneratable(f"meta/post requires the write-only {name}, which the generator leaves out")
        if name not in result and not (top and name in RELATION_FIELDS):
            result[name] = {"type": "string", "format": _FORMAT_BY_NAME.get(name, "lc-text")}
    return {
        "type": "object",
        "properties": result,
        "required": [n for n in required if n in result],
        "additionalProperties": False,
    }


def generation_schema(
    schema: Any, name: str = "", depth: int = 0, top: bool = False
) -> dict[str, Any] | None:
    """A standard JSON Schema to generate from: known keywords only, sane strings, no nulls, no extras.

    None means the property is left out of generated bodies.
    """
    if not isinstance(schema, dict) or depth > 6 or schema.get("readOnly") or schema.get("writeOnly"):
        return None
    if "$ref" in schema:
        return None
    if isinstance(schema.get("enum"), list):
        values = [v for v in schema["enum"] if v is not None and not isinstance(v, dict | list)]
        return {"enum": values} if values else None
    if "const" in schema and schema["const"] is not None:
        return {"const": schema["const"]}
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            branches = [generation_schema(b, name, depth + 1) for b in schema[key]]
            usable = [b for b in branches if b is not None]
            if usable:
                return usable[0] if len(usable) == 1 else {"anyOf": usable}
    kinds = _types(schema)
    kind = kinds[0] if kinds else "string"
    if kind == "object":
        return _object(schema, depth, top)
    if kind == "array":
        return _array(schema, name, depth)
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return {"type": "boolean"}
    return _string(schema, name)


def strategy_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for a generation schema: objects and arrays composed here, scalars by hypothesis-jsonschema.

    hypothesis-jsonschema's own object strategy relies on Hypothesis internals that newer
    Hypothesis releases changed, so objects are built with ``fixed_dictionaries``.
    """
    if "anyOf" in schema:
        return st.one_of([strategy_for(branch) for branch in schema["anyOf"]])
    if schema.get("type") == "object":
        properties = {name: strategy_for(sub) for name, sub in schema.get("properties", {}).items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: value for name, value in properties.items() if name in required},
            optional={name: value for name, value in properties.items() if name not in required},
        )
    if schema.get("type") == "array":
        return st.lists(
            strategy_for(schema["items"]), min_size=schema["minItems"], max_size=schema["maxItems"]
        )
    return from_schema(schema, custom_formats=FORMATS)


def generated_models(model_schema: dict[str, Any], seed: int, count: int) -> list[dict[str, Any]]:
    """Up to ``count`` distinct models drawn from the schema, the same ones for the same seed."""
    schema = generation_schema(model_schema, top=True)
    if schema is None:
        raise Ungeneratable("request_schema.properties.model cannot be generated from")
    strategy = strategy_for(schema)
    drawn: list[dict[str, Any]] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count * GENERATION_ATTEMPTS_FACTOR,
        database=None,
        derandomize=False,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(strategy)
    def draw(model: Any) -> None:
        if isinstance(model, dict) and len(drawn) < count and model not in drawn:
            drawn.append(model)

    draw()
    return drawn


def tag_field(schema: dict[str, Any], tag_text: str) -> str | None:
    """A free-text string property that can carry the run tag, preferring lead_source."""
    properties = schema.get("properties", {})
    for name in TAG_FIELDS:
        prop = properties.get(name)
        if (
            isinstance(prop, dict)
            and prop.get("format") == "lc-text"
            and "pattern" not in prop
            and prop.get("maxLength", len(tag_text)) >= len(tag_text)
        ):
            return name
    return None


def prepare(model: dict[str, Any], meta: MetaPost, known: dict[str, str], tag: str) -> dict[str, Any]:
    """A generated model with the run tag and the relation ids the target knows."""
    prepared = dict(model)
    text = f"leads-conformance {tag}"
    field = tag_field(generation_schema(meta.model_schema, top=True) or {}, text)
    if field is not None:
        prepared[field] = text
    for name in RELATION_FIELDS:
        if name in meta.required:
            if name not in known:
                raise Ungeneratable(f"meta/post requires {name}, and the target lists no {name} id to use")
            prepared[name] = known[name]
    return prepared


def echoed_part(sent: dict[str, Any]) -> dict[str, Any]:
    """What of a sent model a Lead echoes: Lead fields, and only Lead sub-fields of nested items."""
    part: dict[str, Any] = {}
    for name, value in sent.items():
        if name not in ECHOED_FIELDS:
            continue
        if name in NESTED_FIELDS and isinstance(value, list):
            items = [
                {k: v for k, v in item.items() if k in NESTED_FIELDS[name]}
                for item in value
                if isinstance(item, dict)
            ]
            part[name] = [item for item in items if item]
        else:
            part[name] = value
    return part


@pytest.mark.writes
@pytest.mark.requirement("LEADS-META-004")
def test_generated_bodies_are_created_and_echoed(
    target: Target,
    client: httpx.Client,
    meta_post: MetaPost,
    known_relations: dict[str, str],
    seed: int,
    max_examples: int,
) -> None:
    """Bodies generated from request_schema all get 201 and are echoed."""
    try:
        models = [
            prepare(m, meta_post, known_relations, run_tag(target, "generated"))
            for m in generated_models(meta_post.model_schema, seed, max_examples)
        ]
    except Ungeneratable as exc:
        raise Inconclusive(str(exc), ["LEADS-META-004"]) from None
    except Exception as exc:  # hypothesis-jsonschema rejects what it cannot turn into a strategy
        raise Inconclusive(
            f"bodies cannot be generated from request_schema: {type(exc).__name__}: {exc}"[:400],
            ["LEADS-META-004"],
        ) from None
    if not models:
        raise Inconclusive("request_schema gave no body to send", ["LEADS-META-004"])
    findings = Findings(target)
    for model in models:
        response = not_throttled(client.post(LEADS, json={"model": model}))
        body = json_or_none(response)
        sent = json.dumps(model)[:300]
        if (
            response.status_code != 201
            or not isinstance(body, dict)
            or not isinstance(body.get("model"), dict)
        ):
            findings.fail(
                "LEADS-META-004",
                f"the generated body {sent} is not created with a 201 ({describe(response)})",
            )
            continue
        problems = echo_mismatches(echoed_part(model), body["model"], declined_fields(body))
        findings.check(
            not problems,
            "LEADS-META-004",
            f"the generated body {sent} is not echoed: " + "; ".join(problems)[:400],
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ remote field classes
def named_classes(meta: dict[str, Any]) -> list[str]:
    """The remote field class ids meta/post names (``remote_field_classes`` or ``remote_fields``)."""
    ids: list[str] = []
    classes = meta.get("remote_field_classes")
    if isinstance(classes, dict):
        for key, value in classes.items():
            ident = value.get("id") if isinstance(value, dict) else None
            ids.append(ident if isinstance(ident, str) and ident else key)
    elif isinstance(classes, list):
        ids.extend(_item_id(item) for item in classes)
    fields = meta.get("remote_fields")
    if isinstance(fields, list):
        ids.extend(_item_id(item) for item in fields)
    return [i for i in dict.fromkeys(ids) if i]


def _item_id(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("id", "remote_field_class"):
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("id")
            if isinstance(value, str):
                return value
    return ""


def listed_class_ids(client: httpx.Client, max_pages: int = 100) -> tuple[set[str], bool]:
    """Every remote field class id the list shows (bounded), and whether the walk reached its end."""
    ids: set[str] = set()
    cursor: str | None = None
    cursors: set[str] = set()
    for _ in range(max_pages):
        params: dict[str, Any] = {"page_size": 100}
        if cursor:
            params["cursor"] = cursor
        response = not_throttled(client.get(REMOTE_FIELD_CLASSES, params=params), ["LEADS-META-005"])
        body = json_or_none(response)
        results = body.get("results") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(results, list):
            return ids, False
        ids.update(
            item["id"] for item in results if isinstance(item, dict) and isinstance(item.get("id"), str)
        )
        nxt = body.get("next")
        if nxt is None:
            return ids, True
        if not isinstance(nxt, str) or nxt in cursors:
            return ids, False
        cursors.add(nxt)
        cursor = nxt
    return ids, False


@pytest.mark.requirement("LEADS-META-005")
def test_remote_field_classes_named_by_meta_post_exist(
    client: httpx.Client, meta_response: httpx.Response
) -> None:
    """Every remote field class named by meta/post exists in /leads/remote-field-classes."""
    body = json_or_none(meta_response)
    if meta_response.status_code != 200 or not isinstance(body, dict):
        raise Inconclusive(f"meta/post is unusable ({describe(meta_response)})", ["LEADS-META-005"])
    named = named_classes(body)
    if not named:
        pytest.skip("meta/post names no remote field class")
    listed, complete = listed_class_ids(client)
    missing = [ident for ident in named if ident not in listed]
    if missing and not complete:
        raise Inconclusive("the remote field class list could not be walked to its end", ["LEADS-META-005"])
    if missing:
        raise Violation(
            f"meta/post names remote field classes that /remote-field-classes does not list: {missing}"[:500],
            ["LEADS-META-005"],
        )
