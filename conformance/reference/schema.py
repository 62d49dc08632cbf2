"""The ``request_schema`` that ``GET /crm/v1/leads/meta/post`` advertises.

It is a real JSON Schema (draft 2020-12) of the POST body, so a client can validate a body
against it or generate bodies from it. A required field is tightened to a non-empty string
(or a non-empty array), because the server counts null and empty values as missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .validation import LEAD_REQUEST_FIELDS, NESTED_ARRAYS, PARAM_FIELDS, RELATION_FIELDS, STRING_FIELDS

__all__ = ["request_schema"]

_DESCRIPTIONS = {
    "owner": "The lead's owner: the id of a User.",
    "lead_source": "The lead's source.",
    "title": "The lead's title.",
    "company": "The lead's company.",
    "first_name": "The lead's first name.",
    "last_name": "The lead's last name.",
    "addresses": "Array of addresses objects.",
    "email_addresses": "Array of email_addresses objects.",
    "phone_numbers": "Array of phone_numbers objects.",
    "converted_date": "When the lead was converted.",
    "converted_contact": "The contact of the converted lead: the id of a Contact.",
    "converted_account": "The account of the converted lead: the id of an Account.",
    "lead_url": "The lead's URL in the remote system.",
    "integration_params": "Integration-specific parameters.",
    "linked_account_params": "Linked-account-specific parameters.",
    "remote_fields": "Values of remote fields, each naming its remote field class.",
}


def _nullable(json_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": [json_type, "null"], **extra}


def _nested_item(sub_fields: Sequence[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {name: _nullable("string", title=name) for name in sub_fields}
    for name in PARAM_FIELDS:
        properties[name] = _nullable("object", title=name)
    return {"type": "object", "properties": properties}


def _property(name: str) -> dict[str, Any]:
    schema: dict[str, Any]
    if name in RELATION_FIELDS:
        schema = _nullable("string", format="uuid")
    elif name in STRING_FIELDS:
        schema = _nullable("string", format="uri") if name == "lead_url" else _nullable("string")
    elif name == "converted_date":
        schema = _nullable("string", format="date-time")
    elif name in NESTED_ARRAYS:
        schema = {"type": "array", "items": _nested_item(NESTED_ARRAYS[name])}
    elif name in PARAM_FIELDS:
        schema = _nullable("object")
    else:
        schema = {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"remote_field_class": {"type": "string", "format": "uuid"}, "value": {}},
                "required": ["remote_field_class"],
            },
        }
    return {**schema, "title": name, "description": _DESCRIPTIONS[name]}


def _required_property(schema: dict[str, Any]) -> dict[str, Any]:
    tightened = dict(schema)
    declared = tightened["type"]
    base = declared[0] if isinstance(declared, list) else declared
    tightened["type"] = base
    if base == "array":
        tightened["minItems"] = 1
    elif base == "string":
        tightened["minLength"] = 1
    return tightened


def request_schema(required: Sequence[str]) -> dict[str, Any]:
    """Return the JSON Schema of ``{"model": LeadRequest}`` with ``required`` model fields."""
    properties = {name: _property(name) for name in LEAD_REQUEST_FIELDS}
    for name in required:
        if name in properties:
            properties[name] = _required_property(properties[name])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "model": {
                "type": "object",
                "properties": properties,
                "required": list(required),
            }
        },
        "required": ["model"],
    }
