"""Lead bodies as the checks read them: the writable fields, run tags, and whether a write was echoed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from conformance.contract.formats import parse_datetime
from conformance.contract.tolerances import tolerance
from conformance.http.target import Target

__all__ = [
    "NESTED_FIELDS",
    "RELATION_FIELDS",
    "STRING_FIELDS",
    "WRITE_ONLY_FIELDS",
    "carries_tag",
    "declined_fields",
    "echo_mismatches",
    "relation_id",
    "run_tag",
    "same_instant",
]

#: writable LeadRequest fields that a create echoes (write-only ones are not echoed)
STRING_FIELDS = ("lead_source", "title", "company", "first_name", "last_name")
RELATION_FIELDS = ("owner", "converted_contact", "converted_account")
NESTED_FIELDS = {
    "addresses": ("street_1", "street_2", "city", "state", "postal_code", "country", "address_type"),
    "email_addresses": ("email_address", "email_address_type"),
    "phone_numbers": ("phone_number", "phone_number_type"),
}
WRITE_ONLY_FIELDS = ("integration_params", "linked_account_params", "remote_fields")
#: the echo checks apply these tolerances (specs/tolerances.yaml)
ECHO_TOLERANCES = (tolerance("write-only-not-echoed").id, tolerance("declined-field-not-echoed").id)


def same_instant(sent: Any, got: Any) -> bool:
    """Whether two RFC 3339 date-times name the same instant."""
    a, b = parse_datetime(sent), parse_datetime(got)
    return a is not None and b is not None and a == b


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


def declined_fields(body: Any) -> set[str]:
    """The model fields a 2xx write's warnings name (``/model/x``, ``model/x``, ``/x``).

    A warning such as Merge's ``UNSUPPORTED_FIELD`` says the field was not written, so an echo of
    it is not expected; a field left out without a warning still is.
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
            if parts:
                names.add(parts[0])
    return names


def echo_mismatches(sent: dict[str, Any], model: dict[str, Any], declined: Iterable[str] = ()) -> list[str]:
    """Which writable fields sent are not echoed by ``model`` (strings equal, date-times as instants).

    Fields in ``declined`` (named by the write's warnings) are not expected back.
    """
    problems = []
    skipped = set(declined)
    for name, value in sent.items():
        if name in WRITE_ONLY_FIELDS or name in skipped:
            continue
        got = model.get(name)
        if name in NESTED_FIELDS and isinstance(value, list):
            problems.extend(_nested_mismatches(name, value, got))
        elif name in RELATION_FIELDS:
            got_id = got.get("id") if isinstance(got, dict) else got
            sent_id = value.get("id") if isinstance(value, dict) else value
            if got_id != sent_id:
                problems.append(f"{name}: sent {sent_id!r}, got {got!r}")
        elif parse_datetime(value) is not None:
            if not same_instant(value, got):
                problems.append(f"{name}: sent {value!r}, got {got!r}")
        elif got != value:
            problems.append(f"{name}: sent {value!r}, got {got!r}")
    return problems


def _nested_mismatches(name: str, sent: list[Any], got: Any) -> list[str]:
    if not isinstance(got, list):
        return [f"{name}: sent {len(sent)} item(s), got {got!r}"]
    problems = []
    for item in sent:
        if not isinstance(item, dict):
            continue
        wanted = {k: v for k, v in item.items() if k not in WRITE_ONLY_FIELDS}
        if not any(isinstance(g, dict) and all(g.get(k) == v for k, v in wanted.items()) for g in got):
            problems.append(f"{name}: sent {wanted!r}, not found in {got!r}"[:400])
    return problems
