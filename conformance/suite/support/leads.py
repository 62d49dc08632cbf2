"""Leads as the suite reads them: the type of one, its writable fields, relations, run tags, and the
fields a write's warnings declined."""

from __future__ import annotations

import re
from typing import Any

from conformance.http.target import Target
from conformance.suite.support.findings import short

__all__ = [
    "EXPAND_ALL",
    "NESTED_FIELDS",
    "Lead",
    "RELATION_FIELDS",
    "STRING_FIELDS",
    "WRITE_ONLY_FIELDS",
    "carries_tag",
    "declined_fields",
    "relation_id",
    "remote_data_problems",
    "run_tag",
]

#: a lead (or any object of the API) as JSON
Lead = dict[str, Any]
#: writable LeadRequest fields that a create echoes (write-only ones are not echoed)
STRING_FIELDS = ("lead_source", "title", "company", "first_name", "last_name")
RELATION_FIELDS = ("owner", "converted_contact", "converted_account")
#: every relation, comma-separated without spaces, as Merge's SDK sends ``expand``
EXPAND_ALL = ",".join(RELATION_FIELDS)
NESTED_FIELDS = {
    "addresses": ("street_1", "street_2", "city", "state", "postal_code", "country", "address_type"),
    "email_addresses": ("email_address", "email_address_type"),
    "phone_numbers": ("phone_number", "phone_number_type"),
}
WRITE_ONLY_FIELDS = ("integration_params", "linked_account_params", "remote_fields")


def relation_id(value: Any) -> Any:
    """A relation's id: the string itself, or the ``id`` of an expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def run_tag(target: Target, label: str) -> str:
    """A tag unique to one write of this run: the run id, a label and a counter."""
    return target.tag(label)


def carries_tag(lead: Any, tag: str) -> bool:
    """Whether a string field of ``lead`` (top level or nested) holds ``tag`` as a whole word."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(tag)}(?![\w-])")

    def scan(value: Any, depth: int) -> bool:
        if isinstance(value, str):
            return bool(pattern.search(value))
        if depth > 3:
            return False
        if isinstance(value, dict):
            return any(scan(item, depth + 1) for item in value.values())
        if isinstance(value, list):
            return any(scan(item, depth + 1) for item in value)
        return False

    return isinstance(lead, dict) and scan(lead, 0)


def declined_fields(body: Any, whole: bool = False) -> set[str]:
    """The model fields a 2xx write's warnings name (``/model/x``, ``model/x``, ``/x``).

    A warning such as Merge's ``UNSUPPORTED_FIELD`` says the field was not written, so an echo of
    it is not expected; a field left out without a warning still is. With ``whole``, only a warning
    pointing at a field as a whole counts (``/model/addresses/0/x`` declines a key of an item, not the
    addresses).
    """
    warnings = body.get("warnings") if isinstance(body, dict) else None
    names = set()
    for warning in warnings if isinstance(warnings, list) else []:
        source = warning.get("source") if isinstance(warning, dict) else None
        pointer = source.get("pointer") if isinstance(source, dict) else None
        if isinstance(pointer, str):
            parts = [part for part in pointer.split("/") if part]
            if parts and parts[0] == "model":
                parts = parts[1:]
            if parts and (not whole or len(parts) == 1):
                names.add(parts[0])
    return names


def remote_data_problems(value: Any) -> list[str]:
    """How ``remote_data`` breaks "an array of {path, data}, or null"."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"remote_data is {short(value)}, not an array"]
    problems = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(f"remote_data[{index}] is {short(item)}, not an object")
        elif not isinstance(item.get("path"), str):
            problems.append(f"remote_data[{index}] has path {short(item.get('path'))}, not a string")
    return problems
