"""Validators of the answers' shapes, built once from the fragment's components.

The fragment is the only copy of the shapes. Each component is made tolerant before it is compiled,
as the contract's Tolerances ask: enums are open (``enum`` dropped), ``oneOf`` is ``anyOf`` (an open
enum's two branches may both match), only ``date-time`` is a format (``uuid`` and ``uri`` are
advisory), OpenAPI 3.0's ``nullable`` becomes a ``null`` branch, and extra properties are allowed.
``jsonschema`` then says where a value breaks the shape and how, one line per problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend

from conformance.contract.formats import parse_datetime
from conformance.contract.tolerances import tolerance

__all__ = ["LEAD_PAGE", "RFC_PAGE", "envelope_problems", "shape_problems"]

LEAD_PAGE = "PaginatedLeadList"
RFC_PAGE = "PaginatedRemoteFieldClassList"
#: what a page must hold (LEADS-PAGE-001, LEADS-RFC-001); the fragment leaves them optional
PAGE_KEYS = ("next", "previous", "results")
#: the tolerances these validators apply (their ids are in specs/tolerances.yaml)
APPLIED = tuple(
    tolerance(ident).id
    for ident in (
        "open-enums", "nullable-everything", "extra-properties", "relation-ids-not-uuid", "advisory-format",
        "date-time-offsets",
    )
)
#: keywords that only describe, or that the Tolerances leave open
_DROPPED = {"enum", "example", "examples", "description", "readOnly", "writeOnly", "discriminator"}
_ARTICLES = {"object": "an object", "array": "an array", "integer": "an integer", "null": "null"}
_REQUIRED = re.compile(r"^'(?P<name>.+)' is a required property$")

_Strict = extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)


def tolerant(node: Any) -> Any:
    """A fragment schema as the Tolerances read it (see the module's docstring)."""
    if isinstance(node, list):
        return [tolerant(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED or key.startswith("x-") or key == "nullable":
            continue
        if key == "format" and value != "date-time":
            continue
        if key == "additionalProperties" and value is False:
            continue
        if key in ("properties", "$defs"):
            schema[key] = {name: tolerant(sub) for name, sub in value.items()}
        else:
            schema["anyOf" if key == "oneOf" else key] = tolerant(value)
    if node.get("nullable") is True:
        return {"anyOf": [{"type": "null"}, schema]}
    return schema


def _date_time(value: Any) -> bool:
    return not isinstance(value, str) or parse_datetime(value) is not None


@cache
def _components() -> dict[str, Any]:
    from conformance.contract.fragment import load_fragment

    return {name: tolerant(schema) for name, schema in load_fragment()["components"]["schemas"].items()}


@cache
def validator(
    name: str, required: tuple[str, ...] = (), only: tuple[str, ...] = (), nullable: tuple[str, ...] = ()
) -> Validator:
    """The tolerant validator of component ``name``, built once.

    ``required`` keys are added on top; with ``only``, just those properties of the component are
    checked (a requirement that names what it asks of an object checks that and no more), and the
    ``nullable`` ones may also be null.
    """
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_date_time)
    components = _components()
    target: dict[str, Any] = {"$ref": f"#/components/schemas/{name}"}
    if only:
        component = components[name]
        properties = {
            key: ({"anyOf": [{"type": "null"}, sub]} if key in nullable else sub)
            for key, sub in component.get("properties", {}).items()
            if key in only
        }
        target = {**component, "properties": properties}
    schema: dict[str, Any] = {
        **({"type": "object", "required": list(required)} if required else {}),
        "allOf": [target],
        "components": {"schemas": components},
    }
    return _Strict(schema, format_checker=checker)


#: items (by component and JSON text) already found to fit their component: a lead listed on many pages
#: is validated once
_VALID_ITEMS: set[tuple[str, str]] = set()
_VALID_ITEMS_KEPT = 20_000


def _page_items(name: str) -> str | None:
    """The component of a page's ``results`` items, when ``name`` is a page of ``$ref`` items."""
    results = (_components().get(name) or {}).get("properties", {}).get("results") or {}
    reference = (results.get("items") or {}).get("$ref", "") if results.get("type") == "array" else ""
    return reference.rpartition("/")[2] or None


def shape_problems(
    value: Any, name: str, where: str = "", only: tuple[str, ...] = (), nullable: tuple[str, ...] = ()
) -> list[str]:
    """How ``value`` breaks the fragment's component ``name``: one line per problem, with its path.

    A page is checked as its envelope and then item by item, and an item already found to fit (the same
    JSON) is not checked again.
    """
    item_name = _page_items(name) if not only and isinstance(value, dict) else None
    results = value.get("results") if isinstance(value, dict) else None
    if item_name is None or not isinstance(results, list):
        return _problems(validator(name, only=only, nullable=nullable), value, where)
    lines = _problems(validator(name), {**value, "results": []}, where)
    prefix = f"{where}.results" if where else "results"
    for index, item in enumerate(results):
        key = (item_name, json.dumps(item, sort_keys=True, default=str))
        if key in _VALID_ITEMS:
            continue
        found = _problems(validator(item_name), item, f"{prefix}[{index}]")
        if not found and len(_VALID_ITEMS) < _VALID_ITEMS_KEPT:
            _VALID_ITEMS.add(key)
        lines += [line for line in found if line not in lines]
    return lines


def envelope_problems(body: Any, page: str) -> list[str]:
    """How a page breaks ``{next, previous, results}`` of the fragment's ``page`` component."""
    return _problems(validator(page, PAGE_KEYS), body, "")


def _problems(checker: Validator, value: Any, where: str) -> list[str]:
    lines: list[str] = []
    for error in checker.iter_errors(value):
        for line in _explain(error, [*error.absolute_path], where):
            if line not in lines:
                lines.append(line)
    return lines


def _path(where: str, path: Sequence[Any]) -> str:
    text = where
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the body"


def _kinds(error: ValidationError) -> list[str] | None:
    """The types the error's value would need, when it failed on its type alone."""
    if error.validator == "type":
        wanted = error.validator_value
        return list(wanted) if isinstance(wanted, list) else [wanted]
    if error.validator in ("anyOf", "oneOf"):
        branches = _branches(error)
        kinds = [_branch_kinds(branch) for branch in branches.values()]
        if kinds and all(k is not None for k in kinds):
            return [kind for found in kinds if found for kind in found]
    return None


def _branch_kinds(errors: Iterable[ValidationError]) -> list[str] | None:
    """The types a branch wanted, when the value failed it on its own type (not deeper down)."""
    for error in errors:
        kinds = None if error.relative_path else _kinds(error)
        if kinds is not None:
            return kinds
    return None


def _branches(error: ValidationError) -> dict[Any, list[ValidationError]]:
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return branches


def _explain(error: ValidationError, path: list[Any], where: str) -> list[str]:
    """One line per problem an error stands for, descending into the branch a value meant to take."""
    place = _path(where, path)
    value = error.instance
    kinds = _kinds(error)
    if value is None and kinds is not None:
        return [f"{place} is null"]
    if kinds is not None:
        unique = list(dict.fromkeys(kinds))
        wanted = [_ARTICLES.get(kind, f"a {kind}") for kind in unique]
        listed = wanted[0] if len(wanted) == 1 else ", ".join(wanted[:-1]) + " or " + wanted[-1]
        return [f"{place} is {value!r:.60}, not {listed}"]
    if error.validator in ("anyOf", "oneOf"):
        for branch in _branches(error).values():
            if _branch_kinds(branch) is None:
                return [line for sub in branch for line in _explain(sub, [*path, *sub.relative_path], where)]
    if error.validator == "format":
        return [f"{place} is {value!r:.60}, not an RFC 3339 date-time"]
    if error.validator == "required":
        match = _REQUIRED.match(error.message)
        missing = match.group("name") if match else error.message
        return [f"{_path(where, [*path, missing])} is absent"]
    return [f"{place}: {error.message}"[:200]]
