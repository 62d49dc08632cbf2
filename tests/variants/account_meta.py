"""A conformant server whose meta/post is that of one linked account, and whose POST enforces it.

Like a Pipedrive account behind Merge: meta/post requires ``integration_params.organization_id``
(nested inside a required object), limits ``title`` to 20 characters, and does not offer
``converted_date``. POST refuses a body lacking the organization id (MISSING_REQUIRED_FIELD) or
with a longer title (400), and drops an unoffered field with an ``UNSUPPORTED_FIELD`` warning, as
Merge documents; a field unknown to LeadRequest still gets the reference's UNRECOGNIZED_FIELD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Scope, Send

from tests.faults._base import RewriteResponse, reference, replay
from tests.faults.write_path import OnCreate, send_json
from tests.variants._base import META, Variant, variant

REQUIRED = ("last_name", "company", "integration_params")
TITLE_MAX = 20
#: LeadRequest fields this account's meta/post does not offer
UNOFFERED = ("converted_date",)
ORGANIZATION = {
    "type": "object",
    "title": "integration_params",
    "description": "Pipedrive parameters of the lead.",
    "properties": {
        "organization_id": {"type": "string", "minLength": 1, "title": "Organization",
                            "description": "The id of the lead's organization in Pipedrive."},
    },
    "required": ["organization_id"],
}


def account_meta(body: Any, _scope: Scope) -> Any:
    """meta/post as this account has it: a nested required id, a short title, no converted_date."""
    try:
        model = body["request_schema"]["properties"]["model"]
    except (KeyError, TypeError):
        return body
    properties = model["properties"]
    for name in UNOFFERED:
        properties.pop(name, None)
    properties["title"] = {**properties["title"], "maxLength": TITLE_MAX}
    properties["integration_params"] = dict(ORGANIZATION)
    return body


def problem(title: str, detail: str, problem_type: str, pointer: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "problem_type": problem_type, "source": {"pointer": pointer}}


def refusals(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors this account's rules find in a model (the reference's own rules aside)."""
    errors = []
    params = model.get("integration_params")
    if isinstance(params, dict) and params.get("organization_id") in (None, ""):
        detail = "organization_id is a required field on integration_params."
        errors.append(problem("Missing Required Field", detail, "MISSING_REQUIRED_FIELD",
                              "/model/integration_params/organization_id"))
    title = model.get("title")
    if isinstance(title, str) and len(title) > TITLE_MAX:
        errors.append(problem("Invalid Field", f"title must be at most {TITLE_MAX} characters.",
                              "INVALID_FIELD", "/model/title"))
    return errors


def unsupported(name: str) -> dict[str, Any]:
    return problem("Unsupported Field", f"{name} is not supported by this integration and was not written.",
                   "UNSUPPORTED_FIELD", f"/model/{name}")


@dataclass
class AccountRules(OnCreate):
    """POST /leads under this account's rules: refuse what they refuse, drop unoffered fields (warning)."""

    async def create(self, scope: Scope, raw: bytes, send: Send) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        model = body.get("model") if isinstance(body, dict) else None
        if not isinstance(model, dict):
            await self.app(scope, replay(raw), send)
            return
        errors = refusals(model)
        if errors:
            await send_json(send, 400, {"warnings": [], "errors": errors})
            return
        dropped = [name for name in UNOFFERED if name in model]
        for name in dropped:
            del model[name]
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await self.app({**scope, "headers": headers}, replay(data), self._warning(send, dropped))

    @staticmethod
    def _warning(send: Send, dropped: list[str]) -> Send:
        """A send that adds an UNSUPPORTED_FIELD warning per dropped field to a 201 answer."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def edit(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            content = b"".join(chunks)
            if start["status"] == 201 and dropped:
                payload = json.loads(content)
                payload["warnings"] = [*payload.get("warnings", []), *map(unsupported, dropped)]
                content = json.dumps(payload).encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(content)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": content})

        return edit


def _account_meta() -> ASGIApp:
    app: ASGIApp = reference(required_fields=REQUIRED)
    app = RewriteResponse(app, edit=account_meta, method="GET", path_suffix=META, only_status=200)
    return AccountRules(app)


ACCOUNT_META: Variant = variant(
    "account-meta-post-enforced", _account_meta,
    "meta/post requires integration_params.organization_id, limits title to 20 characters and does not "
    "offer converted_date; POST refuses a body without the organization id (MISSING_REQUIRED_FIELD) or "
    "with a longer title (400), and drops converted_date with an UNSUPPORTED_FIELD warning.",
)
