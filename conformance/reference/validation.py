"""Validation of a POST body ``{"model": LeadRequest}`` into a lead's writable values.

Problems are Merge's warning/error objects: ``title``, ``detail``, ``problem_type`` and a
``source.pointer`` (RFC 6901, rooted at the body). Unknown keys are warnings and never stop
a create; wrong types and missing required fields are errors and stop it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .records import RECORDS, Record, relation
from .shapes import (
    FreeObject,
    ListOf,
    Problem,
    Shape,
    Text,
    escape_pointer,
    is_text,
)
from .timestamps import format_instant, parse_rfc3339

__all__ = [
    "LEAD_REQUEST_FIELDS",
    "NESTED_ARRAYS",
    "PARAM_FIELDS",
    "RELATION_FIELDS",
    "STRING_FIELDS",
    "LeadInput",
    "Problem",
    "parse_json_body",
    "validate_create_body",
]

STRING_FIELDS = ("lead_source", "title", "company", "first_name", "last_name", "lead_url")
RELATION_FIELDS = ("owner", "converted_contact", "converted_account")
PARAM_FIELDS = ("integration_params", "linked_account_params")
NESTED_ARRAYS: dict[str, tuple[str, ...]] = {
    "addresses": ("street_1", "street_2", "city", "state", "postal_code", "country", "address_type"),
    "email_addresses": ("email_address", "email_address_type"),
    "phone_numbers": ("phone_number", "phone_number_type"),
}
_ITEM_RECORDS = {
    "addresses": "AddressRequest",
    "email_addresses": "EmailAddressRequest",
    "phone_numbers": "PhoneNumberRequest",
    "remote_fields": "RemoteFieldRequest",
}
MODEL_SHAPES: dict[str, Shape] = {
    "owner": relation("User"),
    "lead_source": Text(),
    "title": Text(),
    "company": Text(),
    "first_name": Text(),
    "last_name": Text(),
    "addresses": ListOf(Record("AddressRequest")),
    "email_addresses": ListOf(Record("EmailAddressRequest")),
    "phone_numbers": ListOf(Record("PhoneNumberRequest")),
    "converted_date": Text(format="date-time"),
    "converted_contact": relation("Contact"),
    "converted_account": relation("Account"),
    "lead_url": Text(format="uri"),
    "integration_params": FreeObject(),
    "linked_account_params": FreeObject(),
    "remote_fields": ListOf(Record("RemoteFieldRequest")),
}
LEAD_REQUEST_FIELDS = tuple(MODEL_SHAPES)
_WRITE_ONLY = (*PARAM_FIELDS, "remote_fields")


@dataclass
class LeadInput:
    """The outcome of validating a create body.

    ``values`` holds the writable fields that were sent, normalised for storage (relations
    as ids, date-times in stored form, nested items with every sub-field); ``write_only``
    holds the fields that are stored but never echoed.
    """

    values: dict[str, Any] = field(default_factory=dict)
    write_only: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


def _pointer(*tokens: str | int) -> str:
    return "".join(f"/{escape_pointer(token)}" for token in tokens)


def _unrecognized(pointer: str, name: str) -> Problem:
    return Problem(
        "Unrecognized Field",
        f"An unrecognized field, {name}, was passed in with request data.",
        "UNRECOGNIZED_FIELD",
        pointer,
    )


def _missing(pointer: str, name: str, container: str) -> Problem:
    return Problem(
        "Missing Required Field",
        f"{name} is a required field on {container}.",
        "MISSING_REQUIRED_FIELD",
        pointer,
    )


def _wrong_type(pointer: str, name: str, expected: str) -> Problem:
    return Problem("Incorrect Field Type", f"{name} must be {expected}.", "INCORRECT_FIELD_TYPE", pointer)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_body(raw: bytes) -> tuple[Any, Problem | None]:
    """Decode a request body as strict JSON (no NaN or Infinity, finite numbers only)."""
    try:
        text = raw.decode("utf-8-sig")
        return json.loads(text, parse_float=_finite_float, parse_constant=_reject_constant), None
    except (ValueError, RecursionError) as error:
        detail = f"The request body is not valid JSON: {str(error)[:200]}"
        return None, Problem("Malformed Request", detail, "MALFORMED_REQUEST", "")


def _relation_id(value: Any) -> str | None:
    if isinstance(value, dict):
        ident = value.get("id")
        return ident if is_text(ident) else None
    return value if isinstance(value, str) else None


def _normalise(name: str, value: Any) -> Any:
    if name in RELATION_FIELDS:
        return _relation_id(value)
    if name == "converted_date":
        moment = parse_rfc3339(value, clamp=False) if value is not None else None
        return format_instant(moment) if moment is not None else None
    if name in NESTED_ARRAYS:
        return [{sub: item.get(sub) for sub in NESTED_ARRAYS[name]} for item in value]
    if name == "remote_fields":
        items = (
            {"remote_field_class": _relation_id(item["remote_field_class"]), "value": item.get("value")}
            for item in value
        )
        return [item for item in items if item["remote_field_class"] is not None]
    return value


def _item_warnings(name: str, value: Any) -> list[Problem]:
    record = _ITEM_RECORDS.get(name)
    if record is None or not isinstance(value, list):
        return []
    known = RECORDS[record][0]
    return [
        _unrecognized(_pointer("model", name, index, key), f"{name}[{index}].{key}")
        for index, item in enumerate(value)
        if isinstance(item, dict)
        for key in item
        if key not in known
    ]


def _validate_model(model: dict[str, Any], required: Sequence[str], result: LeadInput) -> None:
    invalid: set[str] = set()
    for name, value in model.items():
        shape = MODEL_SHAPES.get(name)
        if shape is None:
            result.warnings.append(_unrecognized(_pointer("model", name), name))
            continue
        result.warnings.extend(_item_warnings(name, value))
        if not shape.check(value, _pointer("model", name), name, result.errors):
            invalid.add(name)
        elif name in _WRITE_ONLY:
            result.write_only[name] = _normalise(name, value)
        else:
            result.values[name] = _normalise(name, value)
    for name in required:
        if name not in invalid and model.get(name) in (None, "", []):
            result.errors.append(_missing(_pointer("model", name), name, "model"))


def validate_create_body(body: Any, required: Sequence[str]) -> LeadInput:
    """Validate a decoded POST body against LeadRequest and the required fields."""
    result = LeadInput()
    if not isinstance(body, dict):
        result.errors.append(_wrong_type("", "The request body", "a JSON object holding model"))
        return result
    for key in body:
        if key != "model":
            result.warnings.append(_unrecognized(_pointer(key), str(key)))
    if "model" not in body:
        result.errors.append(_missing("/model", "model", "the request body"))
    elif not isinstance(body["model"], dict):
        result.errors.append(_wrong_type("/model", "model", "an object"))
    else:
        _validate_model(body["model"], required, result)
    return result
