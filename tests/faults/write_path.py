"""Broken servers for the write path: AUTH, TENANT, CREATE, ENVELOPE and META."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference import ReferenceConfig
from tests.faults._base import (
    Fault,
    RewriteRequest,
    RewriteResponse,
    answer_of,
    fault,
    header,
    read_body,
    reference,
    remember_created,
    replay,
    set_header,
)

CONFIG = ReferenceConfig()
API_KEY = CONFIG.api_key
ACCOUNT_A, ACCOUNT_B = CONFIG.account_tokens[0], CONFIG.account_tokens[1]
LEADS = "/crm/v1/leads"
_ONE_LEAD = re.compile(r"/crm/v1/leads/(?!remote-field-classes$|meta(?:/|$))([^/]+)$")


# ------------------------------------------------------------------------------ request plumbing
async def send_json(send: Send, status: int, payload: Any) -> None:
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def discard(_message: Message) -> None:
    return None


def is_post_leads(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["method"] == "POST" and scope["path"].rstrip("/").endswith(LEADS)


def missing_field(name: str, within: str = "model") -> dict[str, Any]:
    """The MISSING_REQUIRED_FIELD problem of a required ``name`` absent from ``within``."""
    return {
        "title": "Missing Required Field",
        "detail": f"{name} is a required field on {within}.",
        "problem_type": "MISSING_REQUIRED_FIELD",
        "source": {"pointer": f"/{within.replace('.', '/')}/{name}"},
    }


#: what a create interceptor may do: answer the create itself (status, JSON), or pass it on (None)
Answer = tuple[int, Any] | None


def intercept_create(
    app: ASGIApp, answer: Callable[[Any, Scope], Answer], route: Callable[[Any, Scope], Scope] | None = None
) -> ASGIApp:
    """``app``, except for POST /crm/v1/leads: ``answer(model, scope)`` (the body's model, or None) may
    answer the create itself; else ``route`` may change the scope it is passed on with."""

    async def intercepted(scope: Scope, receive: Receive, send: Send) -> None:
        if not is_post_leads(scope):
            await app(scope, receive, send)
            return
        raw = await read_body(receive)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
        model = body.get("model") if isinstance(body, dict) else None
        decided = answer(model, scope)
        if decided is not None:
            await send_json(send, *decided)
            return
        await app(route(model, scope) if route is not None else scope, replay(raw), send)

    return intercepted


def valid_credentials(scope: Scope) -> bool:
    return (
        header(scope, "authorization") == f"Bearer {API_KEY}"
        and header(scope, "x-account-token") in CONFIG.account_tokens
    )


def one_lead_path(scope: Scope) -> bool:
    return bool(_ONE_LEAD.search(scope.get("path", "")))


def query(scope: Scope) -> str:
    raw = scope.get("query_string", b"")
    return raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)


# ------------------------------------------------------------------------------ modifiers
@dataclass
class OnCreate:
    """``app``, except that a POST /crm/v1/leads it ``takes`` goes to ``create`` with its raw body."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.takes(scope):
            await self.app(scope, receive, send)
            return
        await self.create(scope, await read_body(receive), send)

    def takes(self, scope: Scope) -> bool:
        return is_post_leads(scope)

    async def create(self, scope: Scope, body: bytes, send: Send) -> None:
        raise NotImplementedError


@dataclass
class ForwardRejectedPost(OnCreate):
    """A POST with bad credentials is stored under valid ones, then answered 401 all the same."""

    def takes(self, scope: Scope) -> bool:
        return is_post_leads(scope) and not valid_credentials(scope)

    async def create(self, scope: Scope, body: bytes, send: Send) -> None:
        forged = set_header(
            set_header(dict(scope), "authorization", f"Bearer {API_KEY}"), "x-account-token", ACCOUNT_A
        )
        await self.app(forged, replay(body), discard)
        await send_json(send, 401, {"detail": "Invalid token."})


@dataclass
class BodyGate(OnCreate):
    """Answer a POST /leads whose raw body ``rejects`` returns True with a fixed status, without the app."""

    rejects: Callable[[bytes], bool]
    status: int = 500

    async def create(self, scope: Scope, body: bytes, send: Send) -> None:
        if self.rejects(body):
            await send_json(send, self.status, {"detail": "A server error occurred."})
            return
        await self.app(scope, replay(body), send)


@dataclass
class SameBodySameAnswer(OnCreate):
    """A POST /leads whose body was seen before gets the earlier answer again (no new lead)."""

    answers: dict[tuple[str, bytes], tuple[dict[str, Any], bytes]] = field(default_factory=dict)

    async def create(self, scope: Scope, body: bytes, send: Send) -> None:
        key = (header(scope, "x-account-token") or "", body)
        if key in self.answers:
            start, content = self.answers[key]
            await send(start)
            await send({"type": "http.response.body", "body": content})
            return
        start, content = await call(self.app, scope, body)
        await send(start)
        await send({"type": "http.response.body", "body": content})
        if start.get("status") == 201:
            self.answers[key] = (start, content)


async def call(app: ASGIApp, scope: Scope, body: bytes) -> tuple[dict[str, Any], bytes]:
    """Run the app on a request body; its answer's start message and body."""
    return await answer_of(app, dict(scope), replay(body))


@dataclass
class StoreRefusedWrites(OnCreate):
    """A create refused for a missing required field is stored all the same (validation after the insert)."""

    async def create(self, scope: Scope, body: bytes, send: Send) -> None:
        start, content = await call(self.app, scope, body)
        if start.get("status") == 400 and b"MISSING_REQUIRED_FIELD" in content:
            filled = self._filled(body)
            if filled is not None:
                await call(self.app, scope, filled)
        await send(start)
        await send({"type": "http.response.body", "body": content})

    @staticmethod
    def _filled(body: bytes) -> bytes | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        model = data.get("model") if isinstance(data, dict) else None
        if not isinstance(model, dict):
            return None
        for name in CONFIG.required_fields:
            if not model.get(name):
                model[name] = "(unknown)"
        return json.dumps(data).encode()


# ------------------------------------------------------------------------------ JSON edits
def edit_model(change: Callable[[dict[str, Any]], None]) -> Callable[[Any, Scope], Any]:
    """An edit of a create answer's ``model``."""

    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get("model"), dict):
            change(body["model"])
        return body

    return edit


def edit_problems(
    key: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> Callable[[Any, Scope], Any]:
    """An edit of each item of a write answer's ``warnings`` or ``errors`` (None drops the item)."""

    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get(key), list):
            changed = [change(dict(item)) if isinstance(item, dict) else item for item in body[key]]
            body[key] = [item for item in changed if item is not None]
        return body

    return edit


def edit_meta(change: Callable[[dict[str, Any]], None]) -> Callable[[Any, Scope], Any]:
    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict):
            change(body)
        return body

    return edit


def on_create(app: ASGIApp, edit: Callable[[Any, Scope], Any], only_status: int | None = 201) -> ASGIApp:
    return RewriteResponse(app, edit=edit, method="POST", path_suffix=LEADS, only_status=only_status)


def on_meta(edit: Callable[[dict[str, Any]], None]) -> ASGIApp:
    return RewriteResponse(
        reference(), edit=edit_meta(edit), method="GET", path_suffix="/meta/post", only_status=200
    )


def accept_with(edit: Callable[[Scope], Scope]) -> Callable[[], ASGIApp]:
    return lambda: RewriteRequest(reference(), edit=edit)


# ------------------------------------------------------------------------------ AUTH
def _add_missing_authorization(scope: Scope) -> Scope:
    return (
        set_header(scope, "authorization", f"Bearer {API_KEY}")
        if header(scope, "authorization") is None
        else scope
    )


def _replace_wrong_key(scope: Scope) -> Scope:
    value = header(scope, "authorization") or ""
    if value.startswith("Bearer ") and value != f"Bearer {API_KEY}":
        return set_header(scope, "authorization", f"Bearer {API_KEY}")
    return scope


def _add_missing_account(scope: Scope) -> Scope:
    return (
        set_header(scope, "x-account-token", ACCOUNT_A) if header(scope, "x-account-token") is None else scope
    )


def _replace_unknown_account(scope: Scope) -> Scope:
    value = header(scope, "x-account-token")
    if value is not None and value not in CONFIG.account_tokens:
        return set_header(scope, "x-account-token", ACCOUNT_A)
    return scope


def _accept_token_scheme(scope: Scope) -> Scope:
    value = header(scope, "authorization") or ""
    if value.startswith("Token "):
        return set_header(scope, "authorization", "Bearer " + value.removeprefix("Token "))
    return scope


def _auth_403() -> ASGIApp:
    return RewriteResponse(reference(), status=lambda status, _scope: 403, only_status=401)


def _auth_error_without_detail() -> ASGIApp:
    return RewriteResponse(reference(), edit=lambda _body, _scope: {"error": "unauthorized"}, only_status=401)


# ------------------------------------------------------------------------------ TENANT
def _account_b_is_account_a(scope: Scope) -> Scope:
    return (
        set_header(scope, "x-account-token", ACCOUNT_A)
        if header(scope, "x-account-token") == ACCOUNT_B
        else scope
    )


def _account_b_retrieves_from_account_a() -> ASGIApp:
    def edit(scope: Scope) -> Scope:
        if one_lead_path(scope):
            return _account_b_is_account_a(scope)
        return scope

    return RewriteRequest(reference(), edit=edit, method="GET")


# ------------------------------------------------------------------------------ CREATE
def _create_answers_200() -> ASGIApp:
    return RewriteResponse(
        reference(), status=lambda _status, _scope: 200, method="POST", path_suffix=LEADS, only_status=201
    )


def _echo_drops_title() -> ASGIApp:
    return on_create(reference(), edit_model(lambda model: model.pop("title", None)))


def _alias(lead_id: Any) -> Any:
    try:
        return "lead_" + uuid.UUID(lead_id).hex if isinstance(lead_id, str) else lead_id
    except ValueError:
        return lead_id


def _alias_ids(body: Any, scope: Scope) -> Any:
    path = scope.get("path", "").rstrip("/")
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("model"), dict):
        body["model"]["id"] = _alias(body["model"].get("id"))
    elif path.endswith(LEADS) and isinstance(body.get("results"), list):
        for lead in body["results"]:
            if isinstance(lead, dict):
                lead["id"] = _alias(lead.get("id"))
    elif one_lead_path(scope) and "id" in body:
        body["id"] = _alias(body.get("id"))
    return body


def _unalias_path(scope: Scope) -> Scope:
    match = _ONE_LEAD.search(scope.get("path", ""))
    if match and match.group(1).startswith("lead_"):
        try:
            real = str(uuid.UUID(match.group(1).removeprefix("lead_")))
        except ValueError:
            return scope
        scope["path"] = scope["path"][: match.start(1)] + real
        scope["raw_path"] = scope["path"].encode()
    return scope


def _ids_not_uuids() -> ASGIApp:
    app = RewriteResponse(reference(), edit=_alias_ids, path_contains=LEADS)
    return RewriteRequest(app, edit=_unalias_path)


def _created_at_without_offset() -> ASGIApp:
    def change(model: dict[str, Any]) -> None:
        if isinstance(model.get("created_at"), str):
            model["created_at"] = model["created_at"].rstrip("Zz")

    return on_create(reference(), edit_model(change))


def _created_after_modified() -> ASGIApp:
    def change(model: dict[str, Any]) -> None:
        created = datetime.fromisoformat(str(model.get("created_at")).replace("Z", "+00:00"))
        model["modified_at"] = (created - timedelta(days=1)).isoformat().replace("+00:00", "Z")

    return on_create(reference(), edit_model(change))


def _same_body_same_lead() -> ASGIApp:
    return SameBodySameAnswer(reference())


def _stale_read_back() -> ASGIApp:
    def edit(body: Any, scope: Scope) -> Any:
        if one_lead_path(scope) and isinstance(body, dict) and "title" in body:
            body["title"] = "Stale title"
        return body

    return RewriteResponse(reference(), edit=edit, method="GET", only_status=200)


def _created_leads_not_listed() -> ASGIApp:
    created: set[str] = set()
    remember = remember_created(created)

    def hide(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            body["results"] = [
                lead for lead in body["results"] if not (isinstance(lead, dict) and lead.get("id") in created)
            ]
        return body

    app = on_create(reference(), remember)
    return RewriteResponse(app, edit=hide, method="GET", path_suffix=LEADS)


def _logs_without_debug_mode() -> ASGIApp:
    log = {
        "log_id": "99433219-8017-4acd-bb3c-ceb23d663832",
        "dashboard_view": "https://app.merge.dev/logs/99433219-8017-4acd-bb3c-ceb23d663832",
        "log_summary": {
            "url": "www.exampleintegration.com/api/v1/leads",
            "method": "POST",
            "status_code": 201,
        },
    }

    def edit(body: Any, scope: Scope) -> Any:
        if isinstance(body, dict) and "is_debug_mode" not in query(scope):
            body["logs"] = [log]
        return body

    return on_create(reference(), edit)


def _debug_mode_ignored() -> ASGIApp:
    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict):
            body.pop("logs", None)
        return body

    return on_create(reference(), edit)


# ------------------------------------------------------------------------------ ENVELOPE
def _warnings_without_problem_type() -> ASGIApp:
    def change(item: dict[str, Any]) -> dict[str, Any]:
        item.pop("problem_type", None)
        return item

    return on_create(reference(), edit_problems("warnings", change))


def _errors_without_title() -> ASGIApp:
    def change(item: dict[str, Any]) -> dict[str, Any]:
        item.pop("title", None)
        return item

    return on_create(reference(), edit_problems("errors", change), only_status=400)


def _unrecognized_field_dropped_silently() -> ASGIApp:
    def change(item: dict[str, Any]) -> dict[str, Any] | None:
        return None if item.get("problem_type") == "UNRECOGNIZED_FIELD" else item

    return on_create(reference(), edit_problems("warnings", change))


def _missing_required_field_accepted() -> ASGIApp:
    return reference(required_fields=(), meta_required_fields=CONFIG.required_fields)


def _missing_required_field_422() -> ASGIApp:
    return RewriteResponse(
        reference(), status=lambda _status, _scope: 422, method="POST", path_suffix=LEADS, only_status=400
    )


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


def _refused_write_stored() -> ASGIApp:
    return StoreRefusedWrites(reference())


def _malformed_json_500() -> ASGIApp:
    return BodyGate(reference(), rejects=_not_json)


# ------------------------------------------------------------------------------ META
def _lead_url_never_stored() -> ASGIApp:
    def blank(lead: Any) -> None:
        if isinstance(lead, dict) and "lead_url" in lead:
            lead["lead_url"] = None

    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict):
            blank(body.get("model"))
            results = body.get("results")
            for lead in results if isinstance(results, list) else []:
                blank(lead)
            blank(body)
        return body

    return RewriteResponse(reference(), edit=edit, path_contains=LEADS)


def _meta_without_has_conditional_params() -> ASGIApp:
    return on_meta(lambda meta: meta.pop("has_conditional_params", None))


def _meta_status_malformed() -> ASGIApp:
    return on_meta(
        lambda meta: meta.update(status={"linked_account_status": "COMPLETE", "can_make_request": "yes"})
    )


def _meta_required_not_among_properties() -> ASGIApp:
    def change(meta: dict[str, Any]) -> None:
        model = meta["request_schema"]["properties"]["model"]
        model["properties"].pop("company", None)

    return on_meta(change)


def _meta_requires_less_than_post() -> ASGIApp:
    return reference(meta_required_fields=("last_name",))


def _meta_names_unknown_remote_field_class() -> ASGIApp:
    def change(meta: dict[str, Any]) -> None:
        ghost = "00000000-0000-4000-8000-00000000dead"
        classes = meta.setdefault("remote_field_classes", {})
        classes[ghost] = {"id": ghost, "display_name": "Ghost", "remote_key_name": "ghost__c"}

    return on_meta(change)


FAULTS: list[Fault] = [
    # AUTH
    fault(
        "auth-missing-authorization-accepted",
        {"LEADS-AUTH-001"},
        accept_with(_add_missing_authorization),
        "a request without Authorization is served as if it carried the API key",
    ),
    fault(
        "auth-wrong-api-key-accepted",
        {"LEADS-AUTH-002"},
        accept_with(_replace_wrong_key),
        "any bearer key is accepted",
    ),
    fault(
        "auth-missing-account-token-accepted",
        {"LEADS-AUTH-003"},
        accept_with(_add_missing_account),
        "a request without X-Account-Token is served from the first account",
    ),
    fault(
        "auth-unknown-account-token-accepted",
        {"LEADS-AUTH-004"},
        accept_with(_replace_unknown_account),
        "an unknown account token is served from the first account",
    ),
    fault(
        "auth-token-scheme-accepted",
        {"LEADS-AUTH-005"},
        accept_with(_accept_token_scheme),
        "'Authorization: Token <key>' is accepted like Bearer",
    ),
    fault(
        "auth-403-instead-of-401",
        {"LEADS-AUTH-001", "LEADS-AUTH-002", "LEADS-AUTH-003", "LEADS-AUTH-004", "LEADS-AUTH-005"},
        _auth_403,
        "every authentication failure is answered 403",
    ),
    fault(
        "auth-error-without-detail",
        {"LEADS-AUTH-006"},
        _auth_error_without_detail,
        'a 401 body is {"error": ...} without detail',
    ),
    fault(
        "auth-rejected-post-stored",
        {"LEADS-AUTH-007"},
        lambda: ForwardRejectedPost(reference()),
        "a POST with bad credentials is stored, then answered 401",
    ),
    # TENANT
    fault(
        "tenant-accounts-share-data",
        {"LEADS-TENANT-001", "LEADS-TENANT-002", "LEADS-TENANT-003", "LEADS-TENANT-004"},
        accept_with(_account_b_is_account_a),
        "the second account token reads and writes the first account's data",
    ),
    fault(
        "tenant-retrieve-ignores-account",
        {"LEADS-TENANT-001", "LEADS-CREATE-007"},
        _account_b_retrieves_from_account_a,
        "GET /leads/{id} under the second account reads the first account's leads (and so no longer its own)",
    ),
    # CREATE
    fault(
        "create-answers-200",
        {"LEADS-CREATE-001", "LEADS-ENVELOPE-002", "LEADS-META-003", "LEADS-META-004", "LEADS-HTTP-002"},
        _create_answers_200,
        "a create answers 200 instead of 201",
        inconclusive={"LEADS-HTTP-004"},
    ),
    fault(
        "create-echo-drops-title",
        {"LEADS-CREATE-002", "LEADS-META-004"},
        _echo_drops_title,
        "the create answer's model lacks title",
    ),
    fault(
        "create-same-body-same-lead",
        {"LEADS-CREATE-003"},
        _same_body_same_lead,
        "a create repeating an earlier body answers the earlier lead (same id), creating nothing",
    ),
    fault(
        "create-ids-not-uuids", {"LEADS-CREATE-004"}, _ids_not_uuids, "lead ids are 'lead_<hex>', not UUIDs"
    ),
    fault(
        "create-created-at-without-offset",
        {"LEADS-CREATE-005", "LEADS-HTTP-002", "LEADS-HTTP-004"},
        _created_at_without_offset,
        "the create answer's created_at has no offset",
    ),
    fault(
        "create-created-after-modified",
        {"LEADS-CREATE-006", "LEADS-HTTP-004"},
        _created_after_modified,
        "the create answer's modified_at is a day before created_at",
    ),
    fault(
        "create-read-back-stale",
        {"LEADS-CREATE-007", "LEADS-HTTP-004"},
        _stale_read_back,
        "GET /leads/{id} answers a stale title",
    ),
    fault(
        "create-lead-not-listed",
        {"LEADS-CREATE-008"},
        _created_leads_not_listed,
        "GET /leads never lists a lead created through the API",
        inconclusive={"LEADS-AUTH-007", "LEADS-ENVELOPE-003", "LEADS-ENVELOPE-007", "LEADS-TENANT-002",
                      "LEADS-TENANT-003", "LEADS-TENANT-004"},
    ),
    fault(
        "create-logs-without-debug-mode",
        {"LEADS-CREATE-009"},
        _logs_without_debug_mode,
        "every create answers logs, debug mode or not",
    ),
    fault(
        "create-debug-mode-ignored",
        {"LEADS-CREATE-010"},
        _debug_mode_ignored,
        "is_debug_mode=true answers no logs",
    ),
    # ENVELOPE
    fault(
        "envelope-warnings-without-problem-type",
        {"LEADS-ENVELOPE-001", "LEADS-ENVELOPE-002", "LEADS-ENVELOPE-006", "LEADS-HTTP-002"},
        _warnings_without_problem_type,
        "warnings lack problem_type",
    ),
    fault(
        "envelope-errors-without-title", {"LEADS-ENVELOPE-001"}, _errors_without_title, "errors lack title"
    ),
    fault(
        "envelope-unrecognized-field-dropped-silently",
        {"LEADS-ENVELOPE-002", "LEADS-ENVELOPE-006"},
        _unrecognized_field_dropped_silently,
        "an unrecognized field is dropped without a warning",
    ),
    fault(
        "envelope-missing-required-field-accepted",
        {"LEADS-ENVELOPE-003", "LEADS-META-003"},
        _missing_required_field_accepted,
        "meta/post requires last_name and company, POST requires nothing",
    ),
    fault(
        "envelope-missing-required-field-422",
        {"LEADS-ENVELOPE-004"},
        _missing_required_field_422,
        "a refused write is a 422",
    ),
    fault(
        "envelope-refused-write-stored",
        {"LEADS-ENVELOPE-003"},
        _refused_write_stored,
        "a create refused for a missing required field is stored anyway",
    ),
    fault(
        "envelope-malformed-json-500",
        {"LEADS-ENVELOPE-005", "LEADS-HTTP-001"},
        _malformed_json_500,
        "a body that is not JSON gets a 500",
    ),
    # META
    fault(
        "meta-without-has-conditional-params",
        {"LEADS-META-001", "LEADS-HTTP-002"},
        _meta_without_has_conditional_params,
        "meta/post lacks has_conditional_params",
    ),
    fault(
        "meta-status-malformed",
        {"LEADS-META-001", "LEADS-HTTP-002"},
        _meta_status_malformed,
        "meta/post status.can_make_request is a string",
    ),
    fault(
        "meta-required-not-among-properties",
        {"LEADS-META-002"},
        _meta_required_not_among_properties,
        "meta/post requires company but does not describe it",
    ),
    fault(
        "meta-requires-less-than-post",
        {"LEADS-META-003", "LEADS-META-004", "LEADS-HTTP-006"},
        _meta_requires_less_than_post,
        "meta/post requires last_name only, POST also requires company",
    ),
    fault(
        "meta-generated-lead-url-not-stored",
        {"LEADS-META-004", "LEADS-CREATE-002", "LEADS-CREATE-007", "LEADS-CREATE-008"},
        _lead_url_never_stored,
        "lead_url is accepted but never stored (always null)",
    ),
    fault(
        "meta-names-unknown-remote-field-class",
        {"LEADS-META-005"},
        _meta_names_unknown_remote_field_class,
        "meta/post names a remote field class the list does not hold",
    ),
]
