"""Broken servers for the HTTP area: what Schemathesis' generated requests find.

Each fault is the reference app with one behaviour broken, and declares every requirement the
whole suite (the hand-written checks included) sees broken against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Scope

from conformance.reference.validation import validate_create_body
from tests.faults._base import (
    Fault,
    Respond,
    RewriteRequestBody,
    RewriteResponse,
    fault,
    query_pairs,
    query_param,
    reference,
    remember_created,
)

LEADS = "/crm/v1/leads"
META_POST = "/crm/v1/leads/meta/post"
REMOTE_FIELD_CLASSES = "/crm/v1/leads/remote-field-classes"
TEXT_PLAIN = "text/plain; charset=utf-8"
HTTP_001, HTTP_002, HTTP_003, HTTP_004, HTTP_005, HTTP_006 = (f"LEADS-HTTP-00{n}" for n in range(1, 7))
BOOLEAN_PARAMETERS = (
    "include_deleted_data",
    "include_remote_data",
    "include_remote_fields",
    "include_shell_data",
    "is_debug_mode",
    "run_async",
    "is_custom",
    "is_common_model_field",
)


def _is_leads_path(scope: Scope) -> bool:
    return LEADS in scope.get("path", "")


# ------------------------------------------------------------------------------ HTTP-001
def _non_ascii_query(scope: Scope) -> bool:
    return _is_leads_path(scope) and any(not (name + value).isascii() for name, value in query_pairs(scope))


def _malformed_boolean(scope: Scope) -> bool:
    return _is_leads_path(scope) and any(
        name in BOOLEAN_PARAMETERS and value != "" and value.lower() not in ("true", "false")
        for name, value in query_pairs(scope)
    )


def _server_error_on(when: Callable[[Scope], bool]) -> ASGIApp:
    return Respond(reference(), 500, body={"detail": "A server error occurred."}, when=when)


# ------------------------------------------------------------------------------ HTTP-002
def _first_name_as_number() -> ASGIApp:
    def edit(body: Any, _scope: Scope) -> Any:
        results = body.get("results") if isinstance(body, dict) else None
        for lead in results if isinstance(results, list) else []:
            if isinstance(lead, dict):
                lead["first_name"] = 123
        return body

    return RewriteResponse(reference(), edit=edit, method="GET", path_suffix=LEADS, only_status=200)


def _accepted_when_async() -> ASGIApp:
    def status(old: int, scope: Scope) -> int:
        return 202 if (query_param(scope, "run_async") or "").lower() == "true" else old

    return RewriteResponse(reference(), method="POST", path_suffix=LEADS, only_status=201, status=status)


# ------------------------------------------------------------------------------ HTTP-003
def _meta_post_as_text() -> ASGIApp:
    return RewriteResponse(
        reference(), method="GET", path_suffix=META_POST, only_status=200, content_type=TEXT_PLAIN
    )


# ------------------------------------------------------------------------------ HTTP-004
def _created_leads_not_retrievable() -> ASGIApp:
    created: set[str] = set()
    remember = remember_created(created)

    def asks_for_created(scope: Scope) -> bool:
        return scope.get("path", "").rstrip("/").rsplit("/", 1)[-1] in created

    app = RewriteResponse(reference(), edit=remember, method="POST", path_suffix=LEADS, only_status=201)
    return Respond(app, 404, body={"detail": "Not found."}, method="GET", when=asks_for_created)


# ------------------------------------------------------------------------------ HTTP-005 / 006
def _unreadable_model_fields(body: Any) -> set[str]:
    """The model fields the reference's validation refuses (required fields aside)."""
    pointers = [error.pointer for error in validate_create_body(body, ()).errors]
    return {pointer.split("/")[2] for pointer in pointers if pointer.startswith("/model/")}


def _invalid_fields_dropped() -> ASGIApp:
    def edit(body: Any, _scope: Scope) -> Any:
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, dict):
            return body
        for _ in range(3):
            names = _unreadable_model_fields(body)
            if not names:
                break
            for name in names:
                model.pop(name, None)
        return body

    return RewriteRequestBody(reference(), edit=edit, method="POST", path_suffix=LEADS)


def _refuses_is_common_model_field() -> ASGIApp:
    return Respond(
        reference(),
        400,
        body={"detail": "Unknown filter: is_common_model_field."},
        method="GET",
        path_suffix=REMOTE_FIELD_CLASSES,
        when=lambda scope: (query_param(scope, "is_common_model_field") or "") != "",
    )


FAULTS: list[Fault] = [
    fault("http-500-on-non-ascii-query", {HTTP_001}, lambda: _server_error_on(_non_ascii_query),
          "a query parameter holding a non-ASCII character gets 500"),
    fault("http-500-on-malformed-boolean", {HTTP_001}, lambda: _server_error_on(_malformed_boolean),
          "a boolean query parameter that is neither true nor false gets 500"),
    fault("http-list-first-name-number", {HTTP_002, "LEADS-PAGE-001", "LEADS-CREATE-008"},
          _first_name_as_number,
          "every lead in GET /leads has first_name 123"),
    fault("http-202-on-run-async", {HTTP_002}, _accepted_when_async,
          "POST /leads?run_async=true answers 202, a status the fragment does not document"),
    fault("http-meta-post-as-text", {HTTP_003}, _meta_post_as_text,
          "meta/post answers its JSON with Content-Type text/plain"),
    fault("http-created-lead-not-retrievable", {HTTP_004, "LEADS-CREATE-007"}, _created_leads_not_retrievable,
          "GET /leads/{id} answers 404 for every lead created through the API (listed all the same)"),
    fault("http-drops-invalid-fields", {HTTP_005}, _invalid_fields_dropped,
          "a create leaves out the model fields it cannot read instead of refusing the write"),
    fault("http-refuses-is-common-model-field", {HTTP_006}, _refuses_is_common_model_field,
          "remote-field-classes refuses its is_common_model_field filter with 400 (a server older than it)"),
]
