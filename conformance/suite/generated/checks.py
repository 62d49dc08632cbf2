"""The checks run on each answer: Schemathesis' built-in ones and the suite's own.

``created_lead_is_retrievable`` follows the stateful link POST 201 -> GET /leads/{id}: the created
lead must read back with 200 and the values it was created with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from conformance.contract.formats import parse_datetime
from conformance.suite.generated.adapter import (
    SERVER_ERROR_CHECK,
    Case,
    CaseHistory,
    CheckContext,
    CheckFunction,
    CustomFailure,
    Response,
    case_history,
    openapi_checks,
)
from conformance.suite.generated.inputs import sent_query
from conformance.suite.support.leads import RELATION_FIELDS, relation_id

__all__ = [
    "PROPERTY_CHECKS",
    "STATEFUL_CHECKS",
    "created_lead_is_retrievable",
    "is_json",
    "lead_differences",
    "linked_lead",
]


def linked_lead(history: CaseHistory, case: Case) -> dict[str, Any] | None:
    """The lead a ``GET /leads/{id}`` case reads through the link from its parent ``POST``'s 201, or None.

    The case follows the link when its parent is a POST answered 201 and its path id is the id of
    the 201's model.
    """
    if case.method != "GET":
        return None
    parent = history.find_parent(case_id=case.id)
    if parent is None or parent.method != "POST":
        return None
    created = history.find_response(case_id=parent.id)
    model = _json(created).get("model") if created is not None and created.status_code == 201 else None
    if not isinstance(model, dict) or model.get("id") in (None, ""):
        return None
    return model if (case.path_parameters or {}).get("id") == model["id"] else None


def created_lead_is_retrievable(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A lead the link says was created reads back with 200 and the values it was created with."""
    model = linked_lead(case_history(ctx), case)
    if model is None:
        return None
    if response.status_code == 404:
        raise _unavailable(
            "A created lead answers 404", f"GET /leads/{model.get('id')} answers 404 after its 201"
        )
    if response.status_code != 200:
        return None
    expanded = {name for key, value in sent_query(response) if key == "expand" for name in value.split(",")}
    differences = lead_differences(model, _json(response), expanded)
    if differences:
        raise _unavailable("A created lead reads back changed", "; ".join(differences[:5]))
    return None


def _unavailable(title: str, message: str) -> CustomFailure:
    return CustomFailure(
        operation="GET /crm/v1/leads/{id}", title=title, message=message, exception=AssertionError(message)
    )


#: fields whose shape follows the GET's own query (expand, include_*), not what was written
_VIEW_FIELDS = ("remote_data", "remote_fields", "field_mappings")


def lead_differences(created: Mapping[str, Any], retrieved: Any, expanded: Iterable[str] = ()) -> list[str]:
    """How a retrieved lead differs from the created model (relations by id, date-times as instants).

    A relation the GET expanded is compared by the id of its object; how expand renders it is
    EXPAND's concern, so an expanded relation that is not an object is left alone.
    """
    if not isinstance(retrieved, dict):
        return [f"the body is not a lead object: {str(retrieved)[:80]}"]
    differences = []
    for name, value in created.items():
        if name in _VIEW_FIELDS:
            continue
        got = retrieved.get(name)
        if name in RELATION_FIELDS:
            if name in expanded and got is not None and not isinstance(got, dict):
                continue
            value, got = relation_id(value), relation_id(got)
        if not _same(value, got):
            differences.append(f"{name}: created {str(value)[:60]!r}, retrieved {str(got)[:60]!r}")
    return differences


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    first, second = parse_datetime(a), parse_datetime(b)
    return first is not None and first == second


def _json(response: Response | None) -> Any:
    try:
        return response.json() if response is not None else {}
    except ValueError:
        return {}


def is_json(response: Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


PROPERTY_CHECKS: tuple[CheckFunction, ...] = (
    openapi_checks.ignored_auth,
    SERVER_ERROR_CHECK,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.positive_data_acceptance,
)
STATEFUL_CHECKS: tuple[CheckFunction, ...] = (
    SERVER_ERROR_CHECK,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    created_lead_is_retrievable,
)
