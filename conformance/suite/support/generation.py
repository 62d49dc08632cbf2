"""meta/post's schemas read as standard JSON Schema, and Hypothesis strategies drawn from them.

``generation_schema`` is the one reading of meta/post's schemas. Merge's dialect of JSON Schema
(with keywords such as ``categories`` and ``enum_information``) goes in; a standard schema comes out
that keeps what constrains a value (type, format, minLength, maxLength, pattern, enum, const,
minimum, maximum, multipleOf, nested properties and required names, items, minItems, maxItems) and
drops the rest. The property-based checks draw bodies from it (``strategy_for``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Verbosity, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.suite.support.leads import RELATION_FIELDS, WRITE_ONLY_FIELDS

#: the most items a generated array holds
MAX_ITEMS = 2
#: the deepest schema nesting read
MAX_DEPTH = 6
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
_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")
_URI = re.compile(r"\A[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def _is_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and date.fromisoformat(text) is not None
    except ValueError:
        return False


#: what a value of each constraining format must look like (the others only shape generated values)
FORMAT_CHECKS = {
    "lc-date-time": lambda text: parse_datetime(text) is not None,
    "lc-date": _is_date,
    "lc-uuid": is_uuid,
    "lc-email": lambda text: bool(_EMAIL.match(text)),
    "lc-uri": lambda text: bool(_URI.match(text)),
}


def quiet_settings(**options: Any) -> settings:
    """Hypothesis settings for a draw the suite makes itself: no example database, no deadline, no health
    check, nothing printed; ``options`` add the rest."""
    return settings(database=None, deadline=None, suppress_health_check=list(HealthCheck),
                    verbosity=Verbosity.quiet, **options)


class Ungeneratable(Exception):
    """The schema asks for something no body of the suite can hold."""


# ------------------------------------------------------------------------------ the converter
def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_names(kind: Any) -> list[str]:
    """The type names a schema's ``type`` holds (one name, or a list of them)."""
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _types(schema: dict[str, Any]) -> list[str]:
    kinds = [k for k in type_names(schema.get("type")) if k != "null"]
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
        if is_number(schema.get(key)):
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


def required_names(schema: dict[str, Any]) -> list[str]:
    required = schema.get("required")
    return [n for n in required if isinstance(n, str)] if isinstance(required, list) else []


def _object(schema: dict[str, Any], depth: int, top: bool) -> dict[str, Any]:
    raw_properties = schema.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    required = required_names(schema)
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
