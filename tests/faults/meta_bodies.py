"""Broken servers for the bodies built from meta/post, and for a created lead being listed at once.

Each fault declares every requirement the whole suite sees broken against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from tests.faults._base import Fault, RewriteResponse, fault, reference, remember_created
from tests.faults.write_path import CONFIG, LEADS, Answer, intercept_create, on_create
from tests.variants.account_meta import ORGANIZATION

META = "/crm/v1/leads/meta/post"


def on_meta(app: ASGIApp, change: Any) -> ASGIApp:
    """``app`` with ``change(model_schema)`` applied to meta/post's request_schema.properties.model."""

    def edit(body: Any, _scope: Scope) -> Any:
        try:
            model = body["request_schema"]["properties"]["model"]
        except (KeyError, TypeError):
            return body
        change(model)
        return body

    return RewriteResponse(app, edit=edit, method="GET", path_suffix=META, only_status=200)


# ------------------------------------------------------------------------------ listed late
def _is_list_read(scope: Scope) -> bool:
    return scope["method"] == "GET" and scope["path"].rstrip("/").endswith(LEADS)


@dataclass
class PublishOnNextRequest:
    """Leads created since the last request that was not a read of the list are not listed yet.

    As a list served from an index that is refreshed lazily: any other request (a retrieve, a
    write, meta/post) publishes them.
    """

    app: ASGIApp
    unpublished: set[str] = field(default_factory=set)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _is_list_read(scope):
            self.unpublished.clear()
        await self.app(scope, receive, send)


def _listed_late() -> ASGIApp:
    unpublished: set[str] = set()

    def hide(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            body["results"] = [
                lead for lead in body["results"]
                if not (isinstance(lead, dict) and lead.get("id") in unpublished)
            ]
        return body

    app = RewriteResponse(reference(), edit=hide, method="GET", path_suffix=LEADS)
    app = on_create(app, remember_created(unpublished))
    return PublishOnNextRequest(app, unpublished)


# ------------------------------------------------------------------------------ nested required
def _requires_organization(model: dict[str, Any]) -> None:
    model["properties"]["integration_params"] = json.loads(json.dumps(ORGANIZATION))


def _nested_required_not_enforced() -> ASGIApp:
    app = reference(required_fields=(*CONFIG.required_fields, "integration_params"))
    return on_meta(app, _requires_organization)


# ------------------------------------------------------------------------------ a value that fits refused
#: the shortest organization id POST takes; meta/post declares minLength 1
SHORTEST_ORGANIZATION = 3


def _organization_problem(model: Any) -> dict[str, Any] | None:
    """What POST holds against a model's integration_params.organization_id, if anything."""
    params = model.get("integration_params") if isinstance(model, dict) else None
    if not isinstance(params, dict):
        return None
    pointer = {"pointer": "/model/integration_params/organization_id"}
    value = params.get("organization_id")
    if value in (None, ""):
        return {"title": "Missing Required Field", "problem_type": "MISSING_REQUIRED_FIELD",
                "source": pointer, "detail": "organization_id is a required field on integration_params."}
    if isinstance(value, str) and len(value) < SHORTEST_ORGANIZATION:
        return {"title": "Invalid Field", "problem_type": "INVALID_FIELD", "source": pointer,
                "detail": f"organization_id must have at least {SHORTEST_ORGANIZATION} characters."}
    return None


def _organization_refused(model: Any, _scope: Scope) -> Answer:
    """POST refuses a body whose integration_params lacks organization_id, or holds a short one."""
    error = _organization_problem(model)
    return (400, {"warnings": [], "errors": [error]}) if error is not None else None


def _short_organization_refused() -> ASGIApp:
    return intercept_create(_nested_required_not_enforced(), _organization_refused)


def _meta_without_model() -> ASGIApp:
    """meta/post's request_schema without properties.model: nothing to build writes from."""

    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get("request_schema"), dict):
            body["request_schema"] = {"type": "object", "properties": {}}
        return body

    return RewriteResponse(reference(), edit=edit, method="GET", path_suffix=META, only_status=200)


FAULTS: list[Fault] = [
    fault(
        "create-lead-listed-late",
        {"LEADS-CREATE-008"},
        _listed_late,
        "a created lead is listed only once the server has handled some request other than a list read",
        inconclusive={"LEADS-TENANT-002"},
    ),
    fault(
        "meta-nested-required-not-enforced",
        {"LEADS-META-003"},
        _nested_required_not_enforced,
        "meta/post requires integration_params.organization_id; POST takes integration_params without it",
    ),
    fault(
        "meta-fitting-nested-value-refused",
        {"LEADS-META-004"},
        _short_organization_refused,
        "meta/post requires integration_params.organization_id of at least 1 character; POST refuses "
        f"one shorter than {SHORTEST_ORGANIZATION}",
    ),
    fault(
        "meta-post-without-model",
        {"LEADS-META-002"},
        _meta_without_model,
        "meta/post's request_schema has no properties.model; the writes fall back to the fragment's "
        "LeadRequest and still pass",
        inconclusive={"LEADS-META-003", "LEADS-META-004", "LEADS-ENVELOPE-003", "LEADS-ENVELOPE-004"},
    ),
]
