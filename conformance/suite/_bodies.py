"""Lead bodies built from meta/post: each value fits the schema meta/post gives for its field.

``generation_schema`` is the one reading of meta/post's schemas. Merge's dialect of JSON Schema
(with keywords such as ``categories`` and ``enum_information``) goes in; a standard schema comes out
that keeps what constrains a value (type, format, minLength, maxLength, pattern, enum, const,
minimum, maximum, multipleOf, nested properties and required names, items, minItems, maxItems) and
drops the rest. The property-based checks draw bodies from it (``strategy_for``); the other checks
take one value from it (``example``): the suite's own sample value when it fits (``fits``), else one
built to fit, the same every time. A body holds only the fields meta/post offers for the account
(its properties, and its required names) and carries the run tag in a lead text field with room for it.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis_jsonschema import from_schema

from conformance._outcomes import Inconclusive
from conformance.suite._support import (
    NESTED_FIELDS,
    RELATION_FIELDS,
    STRING_FIELDS,
    WRITE_ONLY_FIELDS,
    MetaPost,
    carries_tag,
    parse_datetime,
)

#: Lead fields a create echoes: the writable ones that are not write-only
ECHOED_FIELDS = (*STRING_FIELDS, "lead_url", "converted_date", *RELATION_FIELDS, *NESTED_FIELDS)
#: lead text fields that may carry the run tag, in order of preference
TAG_FIELDS = ("lead_source", "last_name", "company", "title", "first_name")
#: the most items a generated array holds
MAX_ITEMS = 2
#: the deepest schema nesting read
MAX_DEPTH = 6
#: examples tried when no simple value fits a schema
FALLBACK_EXAMPLES = 200

_UNSET: Any = object()
#: the declared properties of an object that generated values leave out (relations, write-only fields)
NOT_GENERATED = "x-not-generated"

# ------------------------------------------------------------------------------ formats
_OFFSETS = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))
_TEXT = r"\A[A-Za-z0-9](?:[A-Za-z0-9 .,'-]{0,30}[A-Za-z0-9])?\Z"
#: the longest text the ``lc-text`` strategy draws
_TEXT_MAX = 32

FORMATS: dict[str, st.SearchStrategy[str]] = {
    "lc-text": st.from_regex(_TEXT),
    "lc-date-time": st.builds(
        lambda naive, zone: naive.replace(tzinfo=zone).isoformat(),
        st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)),
        st.sampled_from(_OFFSETS),
    ),
    "lc-date": st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)).map(
        lambda day: day.isoformat()
    ),
    "lc-uuid": st.uuids().map(str),
    "lc-email": st.from_regex(r"\A[a-z]{1,10}\.[a-z]{1,10}@example\.com\Z"),
    "lc-uri": st.from_regex(r"\Ahttps://example\.com/leads/[a-z0-9]{1,12}\Z"),
    # realistic text for fields named so, which meta/post does not constrain further
    "lc-email-text": st.from_regex(r"\A[a-z]{1,10}\.[a-z]{1,10}@example\.com\Z"),
    "lc-uri-text": st.from_regex(r"\Ahttps://example\.com/leads/[a-z0-9]{1,12}\Z"),
    "lc-phone": st.from_regex(r"\A\+1[2-9][0-9]{9}\Z"),
    "lc-country": st.sampled_from(["US", "GB", "DE", "FR", "CA", "JP"]),
    "lc-address-type": st.sampled_from(["BILLING", "SHIPPING"]),
}
#: meta/post's formats, as the generation formats that produce them
_FORMAT_OF = {
    "date-time": "lc-date-time",
    "date": "lc-date",
    "uuid": "lc-uuid",
    "email": "lc-email",
    "uri": "lc-uri",
    "url": "lc-uri",
}
#: realistic values for fields meta/post gives no format (these do not constrain a value)
_FORMAT_BY_NAME = {
    "email_address": "lc-email-text",
    "phone_number": "lc-phone",
    "country": "lc-country",
    "address_type": "lc-address-type",
    "lead_url": "lc-uri-text",
}
_UUID = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_URI = re.compile(r"\A[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def _is_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and date.fromisoformat(text) is not None
    except ValueError:
        return False


#: what a value of each constraining format must look like (the others only shape generated values)
_FORMAT_CHECKS = {
    "lc-date-time": lambda text: parse_datetime(text) is not None,
    "lc-date": _is_date,
    "lc-uuid": lambda text: bool(_UUID.match(text)),
    "lc-email": lambda text: bool(_EMAIL.match(text)),
    "lc-uri": lambda text: bool(_URI.match(text)),
}


class Ungeneratable(Exception):
    """The schema asks for something no body of the suite can hold."""


# ------------------------------------------------------------------------------ the converter
def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
        if _int_or(schema.get(key), -1) >= 0:
            result[key] = schema[key]
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        result["pattern"] = pattern
    fmt = schema.get("format")
    if fmt in _FORMAT_OF:
        result["format"] = _FORMAT_OF[fmt]
    elif not isinstance(pattern, str):
        named = _FORMAT_BY_NAME.get(name)
        if named is not None:
            result["format"] = named
        elif result.get("minLength", 0) <= _TEXT_MAX:
            result["format"] = "lc-text"
    return result


def _number(schema: dict[str, Any], kind: str) -> dict[str, Any]:
    result: dict[str, Any] = {"type": kind}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        if _is_number(schema.get(key)):
            result[key] = schema[key]
    lower = result.get("minimum", result.get("exclusiveMinimum"))
    upper = result.get("maximum", result.get("exclusiveMaximum"))
    if lower is None:
        result["minimum"] = -1000 if upper is None else upper - 2000
    if upper is None:
        result["maximum"] = 1000 if lower is None else lower + 2000
    return result


def _array(schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
    low = max(_int_or(schema.get("minItems"), 0), 0)
    high = _int_or(schema.get("maxItems"), MAX_ITEMS)
    result: dict[str, Any] = {"type": "array", "minItems": low, "maxItems": max(low, min(high, MAX_ITEMS))}
    items = schema.get("items")
    if isinstance(items, dict):
        converted = generation_schema(items, name, depth + 1, needed=True)
        if converted is not None:
            result["items"] = converted
    return result


def _required_names(schema: dict[str, Any]) -> list[str]:
    required = schema.get("required")
    return [n for n in required if isinstance(n, str)] if isinstance(required, list) else []


def _object(schema: dict[str, Any], depth: int, top: bool) -> dict[str, Any]:
    raw_properties = schema.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    required = _required_names(schema)
    if "remote_fields" in required:
        raise Ungeneratable("meta/post requires remote_fields, which name the account's remote field classes")
    result: dict[str, Any] = {}
    left_out = []
    for name, sub in properties.items():
        wanted = name in required
        if (top and name in RELATION_FIELDS) or (name in WRITE_ONLY_FIELDS and not wanted):
            left_out.append(name)
            continue
        converted = generation_schema(sub, name, depth + 1, needed=wanted)
        if converted is not None:
            result[name] = converted
    for name in required:
        if name not in result and not (top and name in RELATION_FIELDS):
            result[name] = {"type": "string", "format": _FORMAT_BY_NAME.get(name, "lc-text")}
    converted_object: dict[str, Any] = {
        "type": "object",
        "properties": result,
        "required": [n for n in required if n in result],
    }
    if properties or schema.get("additionalProperties") is False:
        converted_object["additionalProperties"] = False
    if left_out:
        converted_object[NOT_GENERATED] = left_out
    return converted_object


def generation_schema(
    schema: Any, name: str = "", depth: int = 0, top: bool = False, needed: bool = False
) -> dict[str, Any] | None:
    """meta/post's schema of a value as a standard JSON Schema: the keywords that constrain it, no nulls.

    ``top`` is the model itself: relations are left out (bodies use ids the target holds), and so is
    every write-only field it does not require (named under ``NOT_GENERATED``, as they are still
    declared). None means the value is left out of bodies; a field that is ``needed`` (required) is
    kept even when marked read-only or write-only. An object that declares its properties holds no others.
    """
    if not isinstance(schema, dict) or depth > MAX_DEPTH or "$ref" in schema:
        return None
    if not needed and (schema.get("readOnly") or schema.get("writeOnly")):
        return None
    if isinstance(schema.get("enum"), list):
        values = [v for v in schema["enum"] if v is not None and not isinstance(v, dict | list)]
        return {"enum": values} if values else None
    if "const" in schema and schema["const"] is not None:
        return {"const": schema["const"]}
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            branches = [generation_schema(b, name, depth + 1, needed=needed) for b in schema[key]]
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


def field_schema(name: str, schema: Any) -> dict[str, Any]:
    """The generation schema of one model field; ``{}`` (anything) when meta/post does not describe it."""
    try:
        converted = generation_schema(schema, name, depth=1, needed=True)
    except Ungeneratable:
        return {}
    return converted if converted is not None else {}


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
        items = schema.get("items")
        item_strategy = strategy_for(items) if isinstance(items, dict) else FORMATS["lc-text"]
        return st.lists(item_strategy, min_size=schema["minItems"], max_size=schema["maxItems"])
    return from_schema(schema, custom_formats=FORMATS)


# ------------------------------------------------------------------------------ fitting a value
def _same_json(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _string_fits(text: str, schema: dict[str, Any]) -> bool:
    if len(text) < schema.get("minLength", 0) or len(text) > schema.get("maxLength", math.inf):
        return False
    pattern = schema.get("pattern")
    if pattern is not None:
        try:
            if re.search(pattern, text) is None:
                return False
        except re.error:
            return False
    check = _FORMAT_CHECKS.get(schema.get("format", ""))
    return check is None or check(text)


def _number_fits(value: float, schema: dict[str, Any]) -> bool:
    if "minimum" in schema and value < schema["minimum"]:
        return False
    if "maximum" in schema and value > schema["maximum"]:
        return False
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        return False
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        return False
    step = schema.get("multipleOf")
    return not step or math.isclose(value / step, round(value / step))


def _object_fits(value: dict[str, Any], schema: dict[str, Any]) -> bool:
    properties = schema.get("properties", {})
    if any(name not in value for name in schema.get("required", [])):
        return False
    declared = {*properties, *schema.get(NOT_GENERATED, [])}
    if schema.get("additionalProperties") is False and any(name not in declared for name in value):
        return False
    return all(fits(item, properties[name]) for name, item in value.items() if name in properties)


def _array_fits(value: list[Any], schema: dict[str, Any]) -> bool:
    if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", math.inf):
        return False
    items = schema.get("items")
    return not isinstance(items, dict) or all(fits(item, items) for item in value)


def fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether ``value`` satisfies a generation schema (what meta/post declared for it)."""
    if "anyOf" in schema:
        return any(fits(value, branch) for branch in schema["anyOf"])
    if "enum" in schema:
        return any(_same_json(value, option) for option in schema["enum"])
    if "const" in schema:
        return _same_json(value, schema["const"])
    kind = schema.get("type")
    if kind == "string":
        return isinstance(value, str) and _string_fits(value, schema)
    if kind == "integer":
        return _is_number(value) and float(value).is_integer() and _number_fits(value, schema)
    if kind == "number":
        return _is_number(value) and _number_fits(value, schema)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict) and _object_fits(value, schema)
    if kind == "array":
        return isinstance(value, list) and _array_fits(value, schema)
    return True


# ------------------------------------------------------------------------------ one value that fits
def default_text(name: str, tag: str) -> str:
    """``Company lc-…``: the text a field without a sample value gets."""
    label = name.replace("_", " ").strip().title() or "Value"
    return f"{label} {tag}"


def _string_candidates(schema: dict[str, Any], name: str, tag: str) -> list[str]:
    fmt = schema.get("format")
    if fmt == "lc-date-time":
        return ["2026-01-15T10:30:00Z"]
    if fmt == "lc-date":
        return ["2026-01-15"]
    if fmt == "lc-uuid":
        return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"leads-conformance/{name}/{tag}"))]
    if fmt in ("lc-email", "lc-email-text"):
        return [f"{tag}@example.com", "lead@example.com", "a@example.co"]
    if fmt in ("lc-uri", "lc-uri-text"):
        return [f"https://example.com/leads/{tag}", "https://example.com/"]
    fixed = {"lc-phone": "+16789932455", "lc-country": "US", "lc-address-type": "BILLING"}
    head = [fixed[fmt]] if fmt in fixed else []
    return [*head, default_text(name, tag), name.replace("_", " ").title() or "Value", "A", "a", "1", "0"]


def _resized(text: str, schema: dict[str, Any]) -> Iterator[str]:
    """``text`` as it is, then cut to maxLength, then padded to minLength."""
    yield text
    high = schema.get("maxLength")
    if isinstance(high, int) and len(text) > high:
        text = text[:high].rstrip() or text[:high]
        yield text
    low = schema.get("minLength", 0)
    if len(text) < low:
        yield text + "x" * (low - len(text))


def _string_example(schema: dict[str, Any], name: str, tag: str, preferred: Any) -> Any:
    candidates = [preferred] if isinstance(preferred, str) else []
    candidates += _string_candidates(schema, name, tag)
    for candidate in candidates:
        for option in _resized(candidate, schema):
            if fits(option, schema):
                return option
    return _found(schema, candidates[0])


def _number_example(schema: dict[str, Any]) -> Any:
    bounds = [schema.get(key) for key in ("minimum", "maximum")]
    exclusive = [schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")]
    candidates: list[float] = [1, 0]
    candidates += [b for b in bounds if b is not None]
    candidates += [b + step for b, step in zip(exclusive, (1, -1), strict=True) if b is not None]
    multiple = schema.get("multipleOf")
    if multiple:
        candidates = [f(c / multiple) * multiple for c in candidates for f in (math.ceil, math.floor)]
    for candidate in candidates:
        value = int(candidate) if float(candidate).is_integer() else candidate
        if fits(value, schema):
            return value
    return _found(schema, 1)


def _object_example(schema: dict[str, Any], tag: str, preferred: Any) -> dict[str, Any]:
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    base = preferred if isinstance(preferred, dict) else {}
    value: dict[str, Any] = {}
    for name, sub in properties.items():
        if name in base:
            value[name] = example(sub, name, tag, base[name])
        elif name in required:
            value[name] = example(sub, name, tag)
    kept = schema.get(NOT_GENERATED, []) if schema.get("additionalProperties") is False else base
    for name in kept:
        if name in base:
            value.setdefault(name, base[name])
    return value


def _array_example(schema: dict[str, Any], name: str, tag: str, preferred: Any) -> list[Any]:
    items = schema.get("items", {})
    base = preferred if isinstance(preferred, list) else []
    seed_item = sample_nested(name, tag) if name in NESTED_FIELDS else _UNSET
    values = [example(items, name, tag, item) for item in base]
    wanted = max(schema.get("minItems", 0), 0 if base else 1)
    while len(values) < wanted:
        values.append(example(items, name, tag, seed_item))
    return values[: schema.get("maxItems", len(values))]


def _found(schema: dict[str, Any], fallback: Any) -> Any:
    """The simplest value Hypothesis finds that fits ``schema`` (the same every time), else ``fallback``."""
    seed = zlib.crc32(json.dumps(schema, sort_keys=True, default=str).encode())
    try:
        return find(
            strategy_for(schema),
            lambda value: fits(value, schema),
            settings=settings(
                max_examples=FALLBACK_EXAMPLES,
                database=None,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,
            ),
            random=random.Random(seed),
        )
    except (HypothesisException, ValueError, re.error):
        return fallback


def example(schema: dict[str, Any], name: str, tag: str, preferred: Any = _UNSET) -> Any:
    """One value fitting a generation schema: ``preferred`` when it fits, else one built to fit it.

    The value depends only on the schema, the field's name, the tag and ``preferred``.
    """
    if preferred is not _UNSET and fits(preferred, schema):
        return preferred
    if "anyOf" in schema:
        for branch in schema["anyOf"]:
            value = example(branch, name, tag, preferred)
            if fits(value, branch):
                return value
        return example(schema["anyOf"][0], name, tag)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        return _object_example(schema, tag, preferred)
    if kind == "array":
        return _array_example(schema, name, tag, preferred)
    if kind in ("integer", "number"):
        return _number_example(schema)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string_example(schema, name, tag, preferred)
    return preferred if preferred is not _UNSET else default_text(name, tag)


# ------------------------------------------------------------------------------ lead bodies
def sample_nested(name: str, tag: str) -> dict[str, Any]:
    """The suite's sample address, email address or phone number."""
    if name == "addresses":
        return {
            "street_1": "50 Bowling Green Dr",
            "street_2": f"Suite {tag}",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94122",
            "country": "US",
            "address_type": "BILLING",
        }
    if name == "email_addresses":
        return {"email_address": f"{tag}@example.com", "email_address_type": "Work"}
    return {"phone_number": "+16789932455", "phone_number_type": "Mobile"}


def samples(tag: str) -> dict[str, Any]:
    """The suite's sample value of every writable Lead field it echo-checks (relations aside)."""
    return {
        "first_name": "Ada",
        "last_name": f"Lovelace {tag}",
        "company": f"Analytical Engines {tag}",
        "title": "Chief Engineer",
        "lead_source": f"leads-conformance {tag}",
        "converted_date": "2026-01-15T10:30:00Z",
        **{name: [sample_nested(name, tag)] for name in NESTED_FIELDS},
    }


def offered_fields(meta: MetaPost) -> set[str] | None:
    """The model fields meta/post offers: its properties and its required names (None: it lists none)."""
    if not meta.properties:
        return None
    return set(meta.properties) | set(meta.required)


def value_for(name: str, schema: Any, tag: str, known: dict[str, str], preferred: Any = _UNSET) -> Any:
    """A value for the model field ``name`` that fits its schema as meta/post gives it.

    A relation the target shows an id for gets that id; otherwise ``preferred`` when it fits, else a
    value built to fit.
    """
    if name in RELATION_FIELDS and name in known:
        return known[name]
    return example(field_schema(name, schema), name, tag, preferred)


def fitted(model: dict[str, Any], meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """``model`` with every field meta/post requires present, and each field it describes fitting its schema.

    A value that fits is kept, and so are null optional values and relations; one that does not fit
    is replaced by the value the suite builds from it (a text cut to maxLength, an object given the
    sub-fields meta/post requires in it).
    """
    result = dict(model)
    for name in meta.required:
        if result.get(name) in (None, "", []):
            result[name] = value_for(name, meta.properties.get(name), tag, known)
    for name, value in result.items():
        if name in meta.properties and name not in RELATION_FIELDS and value is not None:
            result[name] = value_for(name, meta.properties[name], tag, known, value)
    return result


def required_only_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """A model holding exactly meta/post's required fields, each with a value fitting its schema."""
    return {name: value_for(name, meta.properties.get(name), tag, known) for name in meta.required}


def full_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """Every echo-checkable Lead field meta/post offers, and the required ones, tagged with the run.

    Each value is the suite's sample when it fits meta/post's schema, else one built to fit it.
    """
    offered = offered_fields(meta)
    model: dict[str, Any] = {}
    for name, sample in samples(tag).items():
        if offered is None or name in offered:
            model[name] = value_for(name, meta.properties.get(name), tag, known, sample)
    for name in RELATION_FIELDS:
        if name in known and (offered is None or name in offered):
            model[name] = known[name]
    for name in meta.required:
        if name not in model:
            model[name] = value_for(name, meta.properties.get(name), tag, known)
    return carry_tag(model, meta, tag)


def carry_tag(model: dict[str, Any], meta: MetaPost, tag: str) -> dict[str, Any]:
    """``model`` with the run tag in a lead text field whose schema has room for it.

    Inconclusive when no text field meta/post offers can hold the whole tag: a write the run
    could not find again is not sent.
    """
    if carries_tag(model, tag):
        return model
    offered = offered_fields(meta)
    for name in TAG_FIELDS:
        if offered is not None and name not in offered:
            continue
        schema = field_schema(name, meta.properties.get(name))
        for text in (f"leads-conformance {tag}", tag):
            if fits(text, schema):
                model[name] = text
                return model
    raise Inconclusive(
        f"meta/post offers no lead text field ({', '.join(TAG_FIELDS)}) with room for the run tag {tag!r}"
    )


def request_body(meta: MetaPost, model: dict[str, Any], tag: str) -> dict[str, Any]:
    """``{"model": model}``, with every other field request_schema requires at the body's top level."""
    body: dict[str, Any] = {"model": model}
    schema = meta.raw.get("request_schema")
    if not isinstance(schema, dict):
        return body
    declared = schema.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    for name in _required_names(schema):
        if name != "model":
            body[name] = example(field_schema(name, properties.get(name)), name, tag)
    return body


def nested_required(meta: MetaPost) -> list[tuple[str, str]]:
    """(field, sub-field) for each sub-field meta/post requires inside a required object field."""
    pairs: list[tuple[str, str]] = []
    for name in meta.required:
        schema = field_schema(name, meta.properties.get(name))
        if schema.get("type") == "object":
            pairs.extend((name, child) for child in schema.get("required", []))
    return pairs


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
