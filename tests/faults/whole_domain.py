"""Broken servers that work on the first example and fail elsewhere in the requirement's domain.

Each breaks one requirement away from the tidy example: on a value the schema allows (whitespace,
long text, combining marks, a second item, an offset), on a near miss that must not match, under the
second account, on a page reached by a cursor, in a combination of defects, on a valid variant of the
input, or in a server-owned field a write sends. Each declares every requirement the whole suite sees
broken against it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.contract.fragment import load_fragment
from conformance.reference import ReferenceConfig, create_app
from conformance.reference.queries import LeadFilters
from conformance.reference.store import Page, PageRequest, Store
from conformance.reference.timestamps import format_instant, parse_rfc3339
from tests.faults._base import (
    Fault,
    RewriteRequest,
    RewriteRequestBody,
    RewriteResponse,
    fault,
    header,
    query_pairs,
    query_param,
    read_body,
    reference,
    replay,
    set_header,
    with_query,
)
from tests.faults.write_path import (
    ACCOUNT_A,
    ACCOUNT_B,
    API_KEY,
    CONFIG,
    Answer,
    call,
    intercept_create,
    is_post_leads,
    missing_field,
    send_json,
)

LEADS = "/crm/v1/leads"
RFC = "/crm/v1/leads/remote-field-classes"
NESTED = ("addresses", "email_addresses", "phone_numbers")


# ------------------------------------------------------------------------------ stored values
#: how deep a stored value's texts are changed (a lead's nested items sit at depth 2; a deeper nest
#: is a hostile probe's, kept as sent)
CHANGED_DEPTH = 8


def _strings(value: Any, change: Callable[[str], str], depth: int = 0) -> Any:
    if isinstance(value, str):
        return change(value)
    if depth >= CHANGED_DEPTH:
        return value
    if isinstance(value, list):
        return [_strings(item, change, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: _strings(item, change, depth + 1) for key, item in value.items()}
    return value


def stored_as(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[], ASGIApp]:
    """The reference, except that a create stores (and echoes) ``change(model)`` instead of the model sent."""

    def edit(body: Any, _scope: Scope) -> Any:
        if isinstance(body, dict) and isinstance(body.get("model"), dict):
            return {**body, "model": change(body["model"])}
        return body

    return lambda: RewriteRequestBody(reference(), edit=edit, method="POST", path_suffix=LEADS)


def _trimmed(model: dict[str, Any]) -> dict[str, Any]:
    # a text of white space alone is kept: trimmed to nothing, a required one would be refused, which is
    # another fault (a valid input refused) than the one this server stands for
    return _strings(model, lambda text: text.strip() or text)


def _truncated(model: dict[str, Any]) -> dict[str, Any]:
    return _strings(model, lambda text: text[:255])


def _nfc(model: dict[str, Any]) -> dict[str, Any]:
    return _strings(model, lambda text: unicodedata.normalize("NFC", text))


def _first_email_only(model: dict[str, Any]) -> dict[str, Any]:
    emails = model.get("email_addresses")
    return {**model, "email_addresses": emails[:1]} if isinstance(emails, list) else model


def _last_address_only(model: dict[str, Any]) -> dict[str, Any]:
    addresses = model.get("addresses")
    return {**model, "addresses": addresses[-1:]} if isinstance(addresses, list) else model


def _e164(model: dict[str, Any]) -> dict[str, Any]:
    phones = model.get("phone_numbers")
    if not isinstance(phones, list):
        return model
    changed = []
    for item in phones:
        number = item.get("phone_number") if isinstance(item, dict) else None
        if isinstance(number, str) and number.strip().startswith("+"):
            item = {**item, "phone_number": "+" + "".join(ch for ch in number if ch.isdigit())}
        changed.append(item)
    return {**model, "phone_numbers": changed}


def _converted_date_in_utc_wall_time(model: dict[str, Any]) -> dict[str, Any]:
    """An offset is dropped and the wall time kept as UTC (10:30+05:30 becomes 10:30Z)."""
    value = model.get("converted_date")
    if isinstance(value, str) and len(value) > 19 and value[-6] in "+-" and value[-3] == ":":
        return {**model, "converted_date": value[:-6] + "Z"}
    return model


_SHORT_FRACTION = re.compile(r"(?P<time>T\d{2}:\d{2}:\d{2})\.(?P<digits>\d{1,5})(?=[Zz+-]|$)")


def _short_fraction_right_aligned(model: dict[str, Any]) -> dict[str, Any]:
    """A fraction of fewer than six digits is read as a count of microseconds (.5 becomes .000005)."""
    value = model.get("converted_date")
    if not isinstance(value, str):
        return model
    moved = _SHORT_FRACTION.sub(lambda m: f"{m['time']}.{m['digits'].rjust(6, '0')}", value)
    return {**model, "converted_date": moved}


# ------------------------------------------------------------------------------ near misses
def _with_filters(build: Callable[[dict[str, Any]], LeadFilters]) -> Callable[[], ASGIApp]:
    """The reference, its lead filters replaced by ``build(values)`` (the reference's filter values)."""

    def make() -> ASGIApp:
        app = create_app(ReferenceConfig())
        store: Store = app.state.store
        own = store.page_leads

        def page_leads(account: str, filters: LeadFilters, request: PageRequest) -> Page:
            return own(account, build(_values(filters)), request)

        store.page_leads = page_leads  # type: ignore[method-assign]
        return app

    return make


def _loose_match(name: str, clause: str, params: Callable[[str], list[Any]]) -> Callable[[], ASGIApp]:
    """The reference, its ``name`` filter matching by ``clause`` (bound to ``params(value)``), not exactly."""

    class Loose(LeadFilters):
        def where(self) -> tuple[list[str], list[Any]]:
            wanted = getattr(self, name)
            if wanted is None:
                return super().where()
            clauses, bound = LeadFilters(**{**_values(self), name: None}).where()
            return [*clauses, clause], [*bound, *params(wanted)]

    return _with_filters(lambda values: Loose(**values))


def _values(filters: LeadFilters) -> dict[str, Any]:
    return {f.name: getattr(filters, f.name) for f in fields(LeadFilters)}


def _offset_ignored(scope: Scope) -> Scope:
    """A date-time bound's offset is dropped and its wall time read as UTC."""
    pairs = []
    for key, value in query_pairs(scope):
        if key.endswith(("_after", "_before")) and len(value) > 19 and value[-6] in "+-" and value[-3] == ":":
            value = value[:-6] + "Z"
        pairs.append((key, value))
    return with_query(scope, pairs)


def _account_token_prefix(scope: Scope) -> Scope:
    """An account token that begins with a known one is taken for it."""
    value = header(scope, "x-account-token")
    if value is not None and value not in CONFIG.account_tokens:
        for token in CONFIG.account_tokens:
            if value.startswith(token):
                return set_header(scope, "x-account-token", token)
    return scope


def _api_key_any_case(scope: Scope) -> Scope:
    """The API key is compared without regard to case."""
    value = header(scope, "authorization") or ""
    scheme, _, key = value.partition(" ")
    if scheme == "Bearer" and key != API_KEY and key.lower() == API_KEY.lower():
        return set_header(scope, "authorization", f"Bearer {API_KEY}")
    return scope


# ------------------------------------------------------------------------------ later pages
def _dropped_on_cursor_pages(*names: str) -> Callable[[Scope], Scope]:
    def edit(scope: Scope) -> Scope:
        if not query_param(scope, "cursor"):
            return scope
        return with_query(scope, [(k, v) for k, v in query_pairs(scope) if k not in names])

    return edit


def _on(path: str, edit: Callable[[Scope], Scope]) -> Callable[[], ASGIApp]:
    return lambda: RewriteRequest(reference(), edit=edit, method="GET", path_suffix=path)


# ------------------------------------------------------------------------------ the second account
def _second_account(edit: Callable[[Scope], Scope]) -> Callable[[Scope], Scope]:
    def under_b(scope: Scope) -> Scope:
        return edit(scope) if header(scope, "x-account-token") == ACCOUNT_B else scope

    return under_b


def _second_account_requires_title() -> ASGIApp:
    """Under the second account, a create also needs a title, which its meta/post does not say."""

    def answer(model: Any, scope: Scope) -> Answer:
        second = header(scope, "x-account-token") == ACCOUNT_B
        if second and isinstance(model, dict) and model.get("title") in (None, ""):
            return 400, {"warnings": [], "errors": [missing_field("title")]}
        return None

    return intercept_create(reference(), answer)


def _create_follows_the_owner() -> ASGIApp:
    """A create under the second account that names an owner the first account holds is stored under
    the first account (the owner's)."""
    app = reference()
    store: Store = app.state.store

    def first_accounts(owner: Any) -> bool:
        return (
            isinstance(owner, str)
            and bool(store.related(ACCOUNT_A, "user", [owner]))
            and not store.related(ACCOUNT_B, "user", [owner])
        )

    def route(model: Any, scope: Scope) -> Scope:
        second = header(scope, "x-account-token") == ACCOUNT_B
        if second and isinstance(model, dict) and first_accounts(model.get("owner")):
            return set_header(dict(scope), "x-account-token", ACCOUNT_A)
        return scope

    return intercept_create(app, lambda _model, _scope: None, route)


# ------------------------------------------------------------------------------ combinations
def _unknown_key_skips_required_check() -> ASGIApp:
    """A model holding a key the server does not know is created without checking its required fields
    (a model without one is checked as the reference checks it)."""
    app = create_app(ReferenceConfig(required_fields=(), meta_required_fields=CONFIG.required_fields))
    known = set(load_fragment()["components"]["schemas"]["LeadRequest"]["properties"])

    def answer(model: Any, _scope: Scope) -> Answer:
        if isinstance(model, dict) and not set(model) - known:
            missing = [name for name in CONFIG.required_fields if model.get(name) in (None, "", [])]
            if missing:
                return 400, {"warnings": [], "errors": [missing_field(name) for name in missing]}
        return None

    return intercept_create(app, answer)


# ------------------------------------------------------------------------------ valid variants
def _charset_refused() -> ASGIApp:
    app = reference()

    async def strict_type(scope: Scope, receive: Receive, send: Send) -> None:
        kind = header(scope, "content-type") or ""
        if is_post_leads(scope) and ";" in kind:
            await send_json(send, 415, {"detail": f'Unsupported media type "{kind}" in request.'})
            return
        await app(scope, receive, send)

    return strict_type


def _uuid_version_four_only() -> ASGIApp:
    """An unknown lead id that is a UUID of another version than 4 is answered 400, not 404."""

    def status(old: int, scope: Scope) -> int:
        ident = scope.get("path", "").rpartition("/")[2]
        return 400 if len(ident) == 36 and ident[14] != "4" else old

    return RewriteResponse(
        reference(), method="GET", path_contains=LEADS + "/", status=status, only_status=404
    )


def _remote_data_false_is_true(scope: Scope) -> Scope:
    pairs = query_pairs(scope)
    if ("include_remote_data", "false") in pairs:
        return with_query(scope, [(k, "true" if k == "include_remote_data" else v) for k, v in pairs])
    return scope


def _json_as_html() -> ASGIApp:
    return RewriteResponse(reference(), content_type="text/html; charset=utf-8")


def _server_error_on_long_text() -> ASGIApp:
    def answer(model: Any, _scope: Scope) -> Answer:
        texts: list[str] = []
        _strings(model, lambda text: texts.append(text) or text)
        long = any(len(text) > 200 for text in texts)
        return (500, {"detail": "A server error occurred."}) if long else None

    return intercept_create(reference(), answer)


# ------------------------------------------------------------------------------ new requirements
def _mistyped_write_stored() -> ASGIApp:
    """A create refused for a field of the wrong type is stored all the same (as if it had been valid)."""
    app = reference()

    async def leaky(scope: Scope, receive: Receive, send: Send) -> None:
        if not is_post_leads(scope):
            await app(scope, receive, send)
            return
        raw = await read_body(receive)
        original = dict(scope)
        start, answer = await call(app, original, raw)
        try:
            problems = json.loads(answer).get("errors") or []
        except (ValueError, AttributeError):
            problems = []
        sent = _json_object(raw)
        model = sent.get("model") if isinstance(sent, dict) else None
        if (
            start.get("status") == 400
            and isinstance(model, dict)
            and any(isinstance(p, dict) and p.get("problem_type") == "INCORRECT_FIELD_TYPE" for p in problems)
        ):
            model = {k: v for k, v in model.items() if isinstance(v, str) or k in NESTED}
            model = {
                k: v
                for k, v in model.items()
                if k not in ("owner", "converted_contact", "converted_account", "converted_date", "lead_url")
            }
            await app(dict(original), replay(json.dumps({"model": model}).encode()), _discard)
        await send({**start})
        await send({"type": "http.response.body", "body": answer})

    return leaky


def _json_object(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


async def _discard(_message: Message) -> None:
    return None


def _applies_sent(name: str) -> Callable[[], ASGIApp]:
    """A create keeps the server-owned ``name`` the body sent inside model."""
    app = reference()

    def make() -> ASGIApp:
        store: Store = app.state.store
        own = store.insert_lead
        pending: dict[str, Any] = {}

        def insert_lead(account: str, document: dict[str, Any]) -> None:
            if name in pending:
                value = pending.pop(name)
                moment = parse_rfc3339(value) if name.endswith("_at") else None
                document = {**document, name: format_instant(moment) if moment is not None else value}
            own(account, document)

        store.insert_lead = insert_lead  # type: ignore[method-assign]

        async def applying(scope: Scope, receive: Receive, send: Send) -> None:
            if is_post_leads(scope):
                raw = await read_body(receive)
                try:
                    model = json.loads(raw).get("model")
                except (ValueError, AttributeError):
                    model = None
                if isinstance(model, dict) and isinstance(model.get(name), str):
                    pending[name] = model[name]
                receive = replay(raw)
            await app(scope, receive, send)

        return applying

    return make


#: what a create stored otherwise than it was sent breaks: its echo, its read-back and its listing
STORED_OTHERWISE = frozenset({"LEADS-CREATE-002", "LEADS-CREATE-007", "LEADS-CREATE-008"})


def _stored_otherwise(
    name: str, edit: Callable[[dict[str, Any]], dict[str, Any]], description: str, *also: str
) -> Fault:
    """A fault that stores each created model as ``edit`` changes it."""
    return fault(name, STORED_OTHERWISE | set(also), stored_as(edit), description)


FAULTS: list[Fault] = [
    # values the schema allows
    _stored_otherwise(
        "echo-trims-whitespace", _trimmed, "every text is stored trimmed of surrounding whitespace"
    ),
    _stored_otherwise(
        "echo-truncates-at-255",
        _truncated,
        "every text is cut to 255 characters (meta/post declares no maxLength)",
    ),
    _stored_otherwise("echo-normalises-unicode", _nfc, "every text is stored in Unicode normal form C"),
    _stored_otherwise(
        "echo-keeps-the-first-email-only",
        _first_email_only,
        "only the first email address of a create is stored",
    ),
    _stored_otherwise(
        "echo-keeps-the-last-address-only",
        _last_address_only,
        "only the last address of a create is stored (the unknown key of the first goes unwarned)",
        "LEADS-META-004",
        "LEADS-ENVELOPE-006",
    ),
    _stored_otherwise(
        "echo-converted-date-offset-dropped",
        _converted_date_in_utc_wall_time,
        "converted_date's offset is dropped, its wall time kept",
        "LEADS-META-004",
    ),
    _stored_otherwise(
        "echo-short-fraction-read-as-microseconds",
        _short_fraction_right_aligned,
        "a converted_date fraction of fewer than six digits is read as microseconds (.5 becomes .000005)",
    ),
    fault(
        "phones-normalised-to-e164",
        {"LEADS-CREATE-011"},
        stored_as(_e164),
        "phone numbers are stored in E.164 (+14155550132): the same numbers, another form",
    ),
    # near misses
    fault(
        "filter-remote-id-prefix-match",
        {"LEADS-FILTER-003"},
        _loose_match("remote_id", "substr(remote_id, 1, ?) = ?", lambda wanted: [len(wanted), wanted]),
        "remote_id matches every remote id it begins",
    ),
    fault(
        "filter-owner-id-substring-match",
        {"LEADS-FILTER-004"},
        _loose_match("owner_id", "instr(owner, ?) > 0", lambda wanted: [wanted]),
        "owner_id matches every owner id it is part of",
    ),
    fault(
        "filter-bound-offset-ignored",
        {"LEADS-FILTER-001", "LEADS-FILTER-002"},
        _on(LEADS, _offset_ignored),
        "a date-time bound's offset is dropped and its wall time read as UTC",
    ),
    fault(
        "auth-account-token-prefix-accepted",
        {"LEADS-AUTH-004"},
        lambda: RewriteRequest(reference(), edit=_account_token_prefix),
        "an account token that begins with a known one is taken for it",
    ),
    fault(
        "auth-api-key-any-case",
        {"LEADS-AUTH-002"},
        lambda: RewriteRequest(reference(), edit=_api_key_any_case),
        "the API key is compared without regard to case",
    ),
    # later pages
    fault(
        "expand-first-page-only",
        {"LEADS-EXPAND-002"},
        _on(LEADS, _dropped_on_cursor_pages("expand")),
        "expand is ignored on a page reached by a cursor",
    ),
    fault(
        "rfc-is-custom-first-page-only",
        {"LEADS-RFC-003"},
        _on(RFC, _dropped_on_cursor_pages("is_custom")),
        "is_custom is ignored on a page reached by a cursor",
    ),
    fault(
        "remote-data-without-flag-on-later-pages",
        {"LEADS-EXPAND-003"},
        _on(
            LEADS,
            lambda scope: (
                with_query(scope, [*query_pairs(scope), ("include_remote_data", "true")])
                if query_param(scope, "cursor") and query_param(scope, "include_remote_data") is None
                else scope
            ),
        ),
        "a page reached by a cursor includes remote data though the query does not ask for it",
    ),
    # the second account
    fault(
        "rfc-is-custom-ignored-under-second-account",
        {"LEADS-RFC-003"},
        _on(
            RFC,
            _second_account(
                lambda scope: with_query(scope, [(k, v) for k, v in query_pairs(scope) if k != "is_custom"])
            ),
        ),
        "is_custom is ignored under the second account",
    ),
    fault(
        "meta-second-account-post-requires-title",
        {"LEADS-META-003"},
        _second_account_requires_title,
        "under the second account a create also needs a title, which its meta/post does not say",
    ),
    fault(
        "tenant-create-follows-the-owner",
        {"LEADS-TENANT-004", "LEADS-CREATE-007", "LEADS-CREATE-008"},
        _create_follows_the_owner,
        "a create under the second account naming the first account's owner is stored under the first",
    ),
    # combinations
    fault(
        "envelope-unknown-key-skips-required-check",
        {"LEADS-ENVELOPE-003"},
        _unknown_key_skips_required_check,
        "a model holding an unknown key is created without checking its required fields",
    ),
    # valid variants of the input
    fault(
        "http-charset-refused",
        {"LEADS-HTTP-006"},
        _charset_refused,
        "a body sent as application/json; charset=utf-8 is answered 415",
    ),
    fault(
        "retrieve-uuid-v4-only",
        {"LEADS-RETRIEVE-001", "LEADS-HTTP-006"},
        _uuid_version_four_only,
        "a lead id that is a UUID of another version than 4 is answered 400",
    ),
    fault(
        "remote-data-false-read-as-true",
        {"LEADS-EXPAND-003"},
        _on(LEADS, _remote_data_false_is_true),
        "include_remote_data=false is read as true",
    ),
    # what was called untestable, and what generation left to chance
    fault(
        "http-json-served-as-html",
        {"LEADS-HTTP-003"},
        _json_as_html,
        "every JSON body is served as text/html",
    ),
    fault(
        "http-500-on-long-text",
        {"LEADS-HTTP-001", "LEADS-CREATE-001"},
        _server_error_on_long_text,
        "a create holding a text longer than 200 characters is answered 500",
    ),
    # the new requirements
    fault(
        "envelope-mistyped-write-stored",
        {"LEADS-ENVELOPE-007"},
        _mistyped_write_stored,
        "a create refused for a field of the wrong type is stored all the same",
    ),
    fault(
        "create-applies-sent-remote-id",
        {"LEADS-CREATE-012"},
        _applies_sent("remote_id"),
        "a create keeps the remote_id sent inside model",
    ),
    fault(
        "create-applies-sent-created-at",
        {"LEADS-CREATE-012"},
        _applies_sent("created_at"),
        "a create keeps the created_at sent inside model",
    ),
]
