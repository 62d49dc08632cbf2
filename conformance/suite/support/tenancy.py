"""The read surface the OpenAPI fragment documents, and the queries that would select a given lead.

Each query parameter of ``GET /crm/v1/leads`` and ``GET /crm/v1/leads/{id}`` gets one value
taken from a lead the run has seen: its own field of the same name (``remote_id``), the id of the
relation the name ends in ``_id`` for (``owner_id``), the first matching value of a list of objects
(``email_addresses``), a date-time bound just beyond its own timestamp (``created_after``); a
boolean is ``true``, a list of enum values holds them all; otherwise the parameter's schema
example, enum or default. A parameter the fragment adds later gets a value by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.contract.fragment import load_fragment
from conformance.contract.operations import LEADS, shown_request
from conformance.suite.support.generation import type_names
from conformance.suite.support.leads import Lead, relation_id
from conformance.suite.support.search import SEARCH_PAGE_SIZE

LIST_TEMPLATE = "/" + LEADS
RETRIEVE_TEMPLATE = LIST_TEMPLATE + "/{id}"
#: how far a date-time bound lies beyond the lead's own timestamp: bounds may exclude their own
#: instant, and a target may store finer instants than it returns
BOUND_MARGIN = timedelta(seconds=1)
#: the parameters that narrow a list to the leads created around one lead
CREATED_BOUNDS = ("created_after", "created_before")

QueryValue = str | list[str]


@dataclass(frozen=True)
class QueryParameter:
    """One query parameter of an operation, as the fragment documents it."""

    name: str
    schema: dict[str, Any]
    explode: bool
    examples: tuple[Any, ...]

    @property
    def types(self) -> set[str]:
        return schema_types(self.schema)


def schema_types(schema: Any) -> set[str]:
    """The JSON types a schema allows (``type``, a type list, or the branches of anyOf/oneOf)."""
    if not isinstance(schema, dict):
        return set()
    types = set(type_names(schema.get("type")))
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(key) or []:
            types |= schema_types(branch)
    return types


def _resolve(fragment: dict[str, Any], node: Any) -> Any:
    """A ``$ref`` into the fragment followed (one level at a time), else the node itself."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 10:
        target: Any = fragment
        for part in node["$ref"].removeprefix("#/").split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            target = target.get(key) if isinstance(target, dict) else None
        node = target
        seen += 1
    return node


def _example_values(fragment: dict[str, Any], holder: dict[str, Any]) -> list[Any]:
    """``example`` and the values of ``examples`` (a map of Example objects, or a list), but null."""
    found = [holder["example"]] if "example" in holder else []
    examples = holder.get("examples")
    items = list(examples.values()) if isinstance(examples, dict) else examples
    for example in items if isinstance(items, list) else []:
        example = _resolve(fragment, example)
        found.append(example.get("value") if isinstance(example, dict) and "value" in example else example)
    return [value for value in found if value is not None]


def query_parameters(template: str, method: str = "get") -> list[QueryParameter]:
    """The query parameters the fragment documents for ``method template``, the operation's last."""
    fragment = load_fragment()
    item = _resolve(fragment, fragment.get("paths", {}).get(template)) or {}
    operation = _resolve(fragment, item.get(method)) or {}
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        raw = _resolve(fragment, raw)
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            merged[(raw["name"], str(raw.get("in")))] = raw
    parameters = []
    for (name, location), raw in merged.items():
        if location != "query":
            continue
        schema = _resolve(fragment, raw.get("schema"))
        schema = schema if isinstance(schema, dict) else {}
        explode = raw.get("explode", raw.get("style", "form") == "form")
        examples = (*_example_values(fragment, raw), *_example_values(fragment, schema))
        parameters.append(QueryParameter(name, schema, bool(explode), examples))
    return sorted(parameters, key=lambda parameter: parameter.name)


# ------------------------------------------------------------------------------ values from a lead
def field_value(lead: Lead, name: str) -> str | None:
    """The string ``lead`` holds for a parameter called ``name``, or None.

    Its field of that name; the id of the relation ``name`` ends in ``_id`` for; or, for a list of
    objects, the first item's string under a key ``name`` begins with (``email_addresses`` ->
    ``email_address``).
    """
    candidates = [lead.get(name)]
    if name.endswith("_id"):
        candidates.append(relation_id(lead.get(name.removesuffix("_id"))))
    for value in candidates:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, list):
            for item in value:
                found = _sub_value(item, name)
                if found is not None:
                    return found
    return None


def _sub_value(item: Any, name: str) -> str | None:
    if not isinstance(item, dict):
        return None
    keys = sorted((key for key in item if name.startswith(key) and key), key=len, reverse=True)
    return next((item[key] for key in keys if isinstance(item[key], str) and item[key]), None)


def bound_value(lead: Lead, name: str) -> str | None:
    """A date-time bound for ``name`` that ``lead`` lies inside, from its own timestamp.

    ``x_after`` lies a margin before the lead's ``x_at`` (``created_at`` when it has none),
    ``x_before`` a margin after it; any other date-time parameter takes the timestamp itself.
    """
    stem = name.removesuffix("_after").removesuffix("_before")
    moment = parse_datetime(lead.get(f"{stem}_at")) or parse_datetime(lead.get(stem))
    moment = moment or parse_datetime(lead.get("created_at"))
    if moment is None:
        return None
    if name.endswith("_after"):
        moment -= BOUND_MARGIN
    elif name.endswith("_before"):
        moment += BOUND_MARGIN
    return isoformat_z(moment)


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def schema_value(parameter: QueryParameter) -> QueryValue | None:
    """A value the fragment itself offers: an example, an enum value or the default."""
    schema = parameter.schema
    offered = [*parameter.examples, *(schema.get("enum") or []), schema.get("default")]
    for value in offered:
        if isinstance(value, list):
            texts = [t for t in (_text(v) for v in value) if t is not None]
            if texts:
                return texts if parameter.explode else ",".join(texts)
        elif _text(value) is not None:
            return _text(value)
    return None


def selects_by_field(parameter: QueryParameter) -> bool:
    """Whether ``parameter`` takes its value from a lead's field (a string filter such as ``remote_id``)."""
    if parameter.schema.get("format") == "date-time":
        return False
    return not parameter.types & {"boolean", "array", "integer", "number"}


def parameter_value(parameter: QueryParameter, lead: Lead) -> QueryValue | None:
    """The value of ``parameter`` that selects ``lead`` where it can, else one the fragment offers."""
    types = parameter.types
    if "boolean" in types:
        return "true"
    if "array" in types:
        items = parameter.schema.get("items")
        enum = [t for t in (_text(v) for v in (items.get("enum") or [])) if t is not None] if isinstance(
            items, dict
        ) else []
        if enum:
            return enum if parameter.explode else ",".join(enum)
    if parameter.schema.get("format") == "date-time":
        return bound_value(lead, parameter.name)
    if types & {"integer", "number"}:
        offered = schema_value(parameter)
        return offered if offered is not None else str(SEARCH_PAGE_SIZE)
    return field_value(lead, parameter.name) or schema_value(parameter)


def bounds_around(lead: Lead, documented: set[str]) -> dict[str, QueryValue]:
    """The documented created_after/created_before bounds just around ``lead``'s own created_at."""
    bounds = {name: bound_value(lead, name) for name in CREATED_BOUNDS if name in documented}
    return {name: value for name, value in bounds.items() if value is not None}


def shown(query: dict[str, QueryValue]) -> str:
    """``GET /crm/v1/leads?...`` for a message (a long value shortened)."""
    flat = {}
    for key, value in query.items():
        text = ",".join(value) if isinstance(value, list) else value
        flat[key] = text if len(text) <= 40 else text[:37] + "..."
    return shown_request(LEADS, flat)
