"""Broken servers whose refusals carry malformed problem objects.

The write answers the envelope checks provoke on purpose (an unrecognized field, a missing required
field) stay well formed; only the errors of other refusals (a wrong type, a bad date-time, a null
array) break Merge's shape, so only a suite that judges every problem object of the run sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Scope

from tests.faults._base import Fault, RewriteResponse, fault, reference

LEADS = "/crm/v1/leads"
ENVELOPE_001 = "LEADS-ENVELOPE-001"


def _type_errors(change: Callable[[dict[str, Any]], None]) -> Callable[[], ASGIApp]:
    """Apply ``change`` to every INCORRECT_FIELD_TYPE error of a refused create."""

    def edit(body: Any, scope: Scope) -> Any:
        for item in body.get("errors", []) if isinstance(body, dict) else []:
            if isinstance(item, dict) and item.get("problem_type") == "INCORRECT_FIELD_TYPE":
                change(item)
        return body

    return lambda: RewriteResponse(reference(), edit=edit, method="POST", path_suffix=LEADS, only_status=400)


def _without_problem_type(item: dict[str, Any]) -> None:
    item.pop("problem_type", None)


def _pointer_as_a_list(item: dict[str, Any]) -> None:
    pointer = (item.get("source") or {}).get("pointer", "/model")
    item["source"] = {"pointer": [part for part in str(pointer).split("/") if part]}


def _detail_as_an_object(item: dict[str, Any]) -> None:
    item["detail"] = {"message": item.get("detail"), "code": 400}


FAULTS: list[Fault] = [
    fault("problem-type-error-without-problem-type", {ENVELOPE_001}, _type_errors(_without_problem_type),
          "the errors of a 400 for a wrong type have no problem_type"),
    fault("problem-type-error-pointer-not-a-string", {ENVELOPE_001}, _type_errors(_pointer_as_a_list),
          "the errors of a 400 for a wrong type have a source whose pointer is a list"),
    fault("problem-type-error-detail-not-a-string", {ENVELOPE_001}, _type_errors(_detail_as_an_object),
          "the errors of a 400 for a wrong type have an object as detail"),
]
