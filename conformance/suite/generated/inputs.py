"""Input classification: the contract's tolerances as code.

Each input of a sent request (a query parameter, the path id, a POST body), read back from the wire,
is valid, *open* (a 4xx and a tolerant 200 are both fine) or invalid, and an open one names the
tolerance that makes it open. The ``Judge`` (``judge``) applies these to each request it is asked about.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.contract.tolerances import Tolerance, tolerance
from conformance.suite.generated.adapter import Response
from conformance.suite.support.leads import RELATION_FIELDS
from conformance.suite.support.meta import MetaPost

__all__ = [
    "INVALID",
    "OPEN",
    "PAGE_SIZE_RANGE",
    "VALID",
    "Input",
    "body_inputs",
    "classify_query",
    "collapse_relations",
    "is_refusal",
    "operation_parameters",
    "path_inputs",
    "sent_query",
]

VALID, OPEN, INVALID = "valid", "open", "invalid"
#: the input tolerances this module applies (``specs/tolerances.yaml``), resolved when it is imported
ADVISORY_FORMAT = tolerance("advisory-format")
EMPTY_QUERY_VALUE = tolerance("empty-query-value")
FOREIGN_CURSOR = tolerance("foreign-cursor")
MALFORMED_BOOLEAN = tolerance("malformed-boolean")
MALFORMED_LEAD_ID = tolerance("malformed-lead-id")
PAGE_SIZE_OUT_OF_RANGE = tolerance("page-size-out-of-range")
RELATION_FILTER_ID = tolerance("relation-filter-id")
REMOTE_FIELD_VALUES = tolerance("remote-field-values")
UNKNOWN_EXPAND_VALUE = tolerance("unknown-expand-value")
UNKNOWN_QUERY_PARAMETER = tolerance("unknown-query-parameter")
UNKNOWN_RELATION_ID = tolerance("unknown-relation-id")
UNKNOWN_REQUIRED_FIELDS = tolerance("unknown-required-fields")
EXPANDED_RELATION_IN_WRITE = tolerance("expanded-relation-in-write")
DECLINED_UNOFFERED_FIELD = tolerance("declined-unoffered-field")
_SEVERITY = {VALID: 0, OPEN: 1, INVALID: 2}
_INTEGER = re.compile(r"^[+-]?\d+$")
_RELATION_FILTERS = ("owner_id", "converted_account_id", "converted_contact_id")
#: page_size outside this range is open: below 1 Merge leaves it open, above 100 a 400 is allowed
PAGE_SIZE_RANGE = (1, 100)


@dataclass(frozen=True)
class Input:
    """One input of a sent request, and how the contract judges it (valid, open or invalid)."""

    where: str
    status: str
    reason: str = ""
    #: the tolerance (``specs/tolerances.yaml``) that makes an open input open
    tolerance: str | None = None


def classify_query(
    parameters: Mapping[str, Mapping[str, Any]], pairs: Iterable[tuple[str, str]]
) -> list[Input]:
    """Judge every query parameter sent, from its wire text, against the fragment's declaration.

    Open: an unknown parameter; an empty value (Django filters, which Merge runs on, read ``name=``
    as not given; the contract says so of ``expand=``); ``page_size`` outside 1..100; any ``cursor``
    (a generated one is malformed); an unknown ``expand`` value; a malformed boolean; a relation
    filter (``owner_id`` ...), whose id the target may refuse.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return [_classify_parameter(name, values, parameters.get(name)) for name, values in grouped.items()]


def _classify_parameter(name: str, values: list[str], declared: Mapping[str, Any] | None) -> Input:
    where = f"query {name}"
    if declared is None:
        return _open(where, "unknown query parameter", UNKNOWN_QUERY_PARAMETER)
    if all(value == "" for value in values):
        return _open(where, "empty value", EMPTY_QUERY_VALUE)
    schema = declared.get("schema") or {}
    verdicts = [_classify_value(name, value, schema) for value in values if value != ""]
    status, reason, *why = max(verdicts, key=lambda verdict: _SEVERITY[verdict[0]])
    return Input(where, status, reason, why[0] if why else None)


def _open(where: str, reason: str, why: Tolerance) -> Input:
    """An open input, by the tolerance that makes it open."""
    return Input(where, OPEN, reason, why.id)


def _classify_value(name: str, value: str, schema: Mapping[str, Any]) -> tuple[str, ...]:
    kind = schema.get("type")
    if name == "cursor":
        return OPEN, "a cursor the target did not make", FOREIGN_CURSOR.id
    if kind == "boolean":
        if value.lower() in ("true", "false"):
            return VALID, ""
        return OPEN, f"malformed boolean {value[:40]!r}", MALFORMED_BOOLEAN.id
    if kind == "integer":
        if not _INTEGER.match(value.strip()):
            return INVALID, f"not an integer: {value[:40]!r}"
        if name == "page_size" and not PAGE_SIZE_RANGE[0] <= int(value) <= PAGE_SIZE_RANGE[1]:
            return OPEN, f"page_size {value[:40]} outside 1..100", PAGE_SIZE_OUT_OF_RANGE.id
        return VALID, ""
    if kind == "array":
        allowed = (schema.get("items") or {}).get("enum")
        unknown = [item for item in value.split(",") if allowed is not None and item not in allowed]
        if unknown:
            return OPEN, f"unknown value(s) {unknown[:3]!r}", UNKNOWN_EXPAND_VALUE.id
        return VALID, ""
    if schema.get("format") == "date-time" and parse_datetime(value) is None:
        return INVALID, f"not an RFC 3339 date-time: {value[:60]!r}"
    if name in _RELATION_FILTERS:
        return OPEN, "a relation id the target may refuse", RELATION_FILTER_ID.id
    return VALID, ""


def path_inputs(path_parameters: Mapping[str, Any]) -> list[Input]:
    """A lead id that is not a UUID is open: a malformed id may get 404 or 400 (RETRIEVE-003)."""
    ident = path_parameters.get("id")
    if ident is None:
        return []
    if is_uuid(ident):
        return [Input("path id", VALID)]
    return [_open("path id", "a malformed id may get 404 or 400", MALFORMED_LEAD_ID)]


def body_inputs(
    body: Any,
    *,
    is_valid: Callable[[Any], bool],
    meta: MetaPost | None,
    known: Mapping[str, str],
    is_valid_but_formats: Callable[[Any], bool] | None = None,
    declined: Iterable[str] = (),
) -> list[Input]:
    """Judge a POST body: against the fragment, then against what the target needs.

    A body invalid against the fragment is invalid, unless its only invalidity lies inside an
    expanded relation object (``owner: {...}``) or in an advisory format: a write names a relation
    by its id, so what a server makes of the rest of the object (or of an object without an id) is
    open; and a ``uri`` field may hold scheme-less text (``acme.com``), which a server may take or
    refuse. ``is_valid_but_formats`` judges against the fragment without its advisory formats
    (``is_valid`` when not given). A valid body lacking a field meta/post requires is invalid for the
    target. Relations naming objects the target does not hold, and remote field values (they name
    remote field classes), are open: the contract lets a server refuse them. Without meta/post, what
    the target requires is open. A body invalid only in fields meta/post does not offer, each of
    which the answer's warnings name as not written (``declined``, Merge's ``UNSUPPORTED_FIELD``), is
    open: such a field is dropped, not read.
    """
    found: list[Input] = []
    if not is_valid(body):
        loosely_valid = is_valid_but_formats or is_valid
        collapsed = collapse_relations(body)
        dropped = _declined_unoffered(collapsed, meta, declined)
        if dropped and not loosely_valid(collapsed):
            kept = _without_model_fields(collapsed, dropped)
            if loosely_valid(kept):
                where = "body model." + ",".join(dropped)
                found.append(
                    _open(
                        where,
                        "invalid only in fields meta/post does not offer, which the answer declines",
                        DECLINED_UNOFFERED_FIELD,
                    )
                )
                collapsed = kept
        if not loosely_valid(collapsed):
            return [Input("body", INVALID, "invalid against the fragment")]
        if collapsed is not body and not loosely_valid(body):
            found.append(
                _open(
                    "body relation object",
                    "invalid only inside an expanded relation object",
                    EXPANDED_RELATION_IN_WRITE,
                )
            )
        if not is_valid(collapsed):
            found.append(
                _open("body format", "invalid only by an advisory format (such as uri)", ADVISORY_FORMAT)
            )
        body = collapsed
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return [Input("body", INVALID, "no model object")]
    if meta is None:
        found.append(
            _open(
                "body",
                "meta/post is unusable: what the target requires is unknown",
                UNKNOWN_REQUIRED_FIELDS,
            )
        )
    for name in meta.required if meta is not None else []:
        if model.get(name) in (None, "", []):
            found.append(Input(f"body model.{name}", INVALID, "lacks a field meta/post requires"))
    for name in RELATION_FIELDS:
        value = model.get(name)
        if value is not None and value != known.get(name):
            found.append(
                _open(f"body model.{name}", "a relation the target does not hold", UNKNOWN_RELATION_ID)
            )
    if model.get("remote_fields"):
        found.append(_open("body model.remote_fields", "names remote field classes", REMOTE_FIELD_VALUES))
    return found or [Input("body", VALID)]


def collapse_relations(body: Any) -> Any:
    """The body with each expanded relation object of its model replaced by the id it names.

    The relations are the model's (``owner: {...}`` becomes the object's id, or None) and each remote
    field's ``remote_field_class`` (the object becomes its id, or ``""`` when it names none: the
    field stays a string, as a write names a class). The same object comes back when there is
    nothing to replace.
    """
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return body
    replaced: dict[str, Any] = {
        name: model[name].get("id") for name in RELATION_FIELDS if isinstance(model.get(name), dict)
    }
    fields = model.get("remote_fields")
    if isinstance(fields, list) and any(_expands_class(entry) for entry in fields):
        replaced["remote_fields"] = [
            {**entry, "remote_field_class": _named_id(entry["remote_field_class"])}
            if _expands_class(entry)
            else entry
            for entry in fields
        ]
    if not replaced:
        return body
    return {**body, "model": {**model, **replaced}}


def _declined_unoffered(body: Any, meta: MetaPost | None, declined: Iterable[str]) -> list[str]:
    """The model fields of ``body`` that a usable meta/post does not offer and the answer declines."""
    model = body.get("model") if isinstance(body, dict) else None
    if meta is None or meta.fallback is not None or not isinstance(model, dict):
        return []
    named = set(declined)
    return sorted(name for name in model if name in named and name not in meta.properties)


def _without_model_fields(body: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    left_out = set(names)
    return {**body, "model": {k: v for k, v in body["model"].items() if k not in left_out}}


def _expands_class(entry: Any) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("remote_field_class"), dict)


def _named_id(expanded: dict[str, Any]) -> str:
    ident = expanded.get("id")
    return ident if isinstance(ident, str) else ""


def operation_parameters(fragment: Mapping[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    """The query parameters the fragment declares for an operation, by name."""
    item = fragment["paths"][path]
    declared = list(item.get("parameters", [])) + list(item[method.lower()].get("parameters", []))
    return {p["name"]: p for p in declared if isinstance(p, dict) and p.get("in") == "query"}


def sent_query(response: Response) -> list[tuple[str, str]]:
    """The query pairs of the request that was sent."""
    return parse_qsl(urlsplit(str(response.request.url)).query, keep_blank_values=True)


def is_refusal(status: int) -> bool:
    """A 4xx refusing the data itself (not an auth failure, a missing resource, a conflict, throttling)."""
    return 400 <= status < 500 and status not in (401, 403, 404, 409, 429)
