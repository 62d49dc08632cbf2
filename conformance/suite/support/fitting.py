"""Whether a value fits a generation schema (``fits``), and one value that does (``example``).

The suite's own sample value is taken when it fits; else one is built to fit, the same every time.
"""

from __future__ import annotations

import json
import math
import operator
import random
import re
import uuid
import zlib
from collections.abc import Iterator
from typing import Any

from hypothesis import Phase, find
from hypothesis.errors import HypothesisException

from conformance.suite.support.generation import (
    FORMAT_CHECKS,
    NOT_GENERATED,
    is_number,
    quiet_settings,
    strategy_for,
    type_names,
)
from conformance.suite.support.leads import NESTED_FIELDS

#: examples tried when no simple value fits a schema
FALLBACK_EXAMPLES = 200

UNSET: Any = object()


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
    check = FORMAT_CHECKS.get(schema.get("format", ""))
    return check is None or check(text)


#: each bound a number may have, and how a value breaks it
_BREAKS = {
    "minimum": operator.lt,
    "maximum": operator.gt,
    "exclusiveMinimum": operator.le,
    "exclusiveMaximum": operator.ge,
}


def _number_fits(value: float, schema: dict[str, Any]) -> bool:
    if any(breaks(value, schema[key]) for key, breaks in _BREAKS.items() if key in schema):
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
        return is_number(value) and float(value).is_integer() and _number_fits(value, schema)
    if kind == "number":
        return is_number(value) and _number_fits(value, schema)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict) and _object_fits(value, schema)
    if kind == "array":
        return isinstance(value, list) and _array_fits(value, schema)
    return True


def takes_null(schema: Any) -> bool:
    """Whether a schema as meta/post gives it allows null: its type names null, it is ``nullable``, or a
    branch of it is null."""
    if not isinstance(schema, dict):
        return False
    if "null" in type_names(schema.get("type")) or schema.get("nullable") is True:
        return True
    branches = [*(schema.get("anyOf") or []), *(schema.get("oneOf") or [])]
    return any(isinstance(branch, dict) and branch.get("type") == "null" for branch in branches)


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
    seed_item = sample_nested(name, tag) if name in NESTED_FIELDS else UNSET
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
            settings=quiet_settings(max_examples=FALLBACK_EXAMPLES, phases=[Phase.generate, Phase.shrink]),
            random=random.Random(seed),
        )
    except (HypothesisException, ValueError, re.error):
        return fallback


def example(schema: dict[str, Any], name: str, tag: str, preferred: Any = UNSET) -> Any:
    """One value fitting a generation schema: ``preferred`` when it fits, else one built to fit it.

    The value depends only on the schema, the field's name, the tag and ``preferred``.
    """
    if preferred is not UNSET and fits(preferred, schema):
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
    return preferred if preferred is not UNSET else default_text(name, tag)
