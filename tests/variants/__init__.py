"""Conformant servers that make different legitimate choices than the reference.

Each variant combines several choices CONTRACT.md leaves open; the suite must raise no false
alarm against any of them (tests/test_variants.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from starlette.types import ASGIApp, Scope

from conformance.contract.fragment import load_fragment
from conformance.reference.pagination import InvalidCursor, decode_cursor, encode_cursor
from conformance.reference.store import Position
from conformance.reference.timestamps import parse_rfc3339
from tests.faults._base import (
    JsonEdit,
    Respond,
    RewriteRequest,
    RewriteRequestBody,
    RewriteResponse,
    query_pairs,
    query_param,
    reference,
    with_query,
)
from tests.variants._base import (
    DATE_TIME_KEYS,
    LEADS,
    META,
    RFC,
    CursorWrapper,
    PlainTextStatus,
    Throttle,
    Variant,
    lead_bodies,
    list_path,
    reoffset,
    variant,
    walk_objects,
)
from tests.variants.account_meta import ACCOUNT_META
from tests.variants.large_account import LARGE_ACCOUNT as LARGE_ACCOUNT  # its own test: minutes long
from tests.variants.scheme_less_urls import SCHEME_LESS_URLS
from tests.variants.slow_vendor import SLOW_VENDOR

# ---------------------------------------------------------------- newest first, signed cursors

_CURSORS = CursorWrapper()
#: a position after every row: paging backwards from it reads the list from its newest end
_TOP_CURSOR = encode_cursor("p", Position("~", "~"))


def _oversized_page(scope: Scope) -> bool:
    if list_path(scope["path"]) is None:
        return False
    value = (query_param(scope, "page_size") or "").strip()
    return bool(re.fullmatch(r"\+?[0-9]{1,18}", value)) and int(value) > 100


def _bad_cursor(scope: Scope) -> bool:
    if list_path(scope["path"]) is None:
        return False
    value = query_param(scope, "cursor")
    return bool(value) and _CURSORS.unwrap(value or "") is None


def _to_inner_cursor(scope: Scope) -> Scope:
    if list_path(scope["path"]) is None:
        return scope
    pairs = [(k, v) for k, v in query_pairs(scope) if k != "cursor"]
    given = query_param(scope, "cursor")
    inner = _CURSORS.unwrap(given) if given else None
    if inner == _END:
        return scope
    return with_query(scope, [*pairs, ("cursor", inner or _TOP_CURSOR)])


#: the cursor of the empty page that follows a full last page
_END = "end"


def _requested_size(scope: Scope) -> int:
    value = (query_param(scope, "page_size") or "").strip()
    size = int(value) if re.fullmatch(r"\+?[0-9]{1,18}", value) else 0
    return size if 1 <= size <= 100 else 30


def _at_end(scope: Scope) -> bool:
    value = query_param(scope, "cursor")
    return list_path(scope["path"]) is not None and bool(value) and _CURSORS.unwrap(value or "") == _END


def _newest_first_page(body: Any, scope: Scope) -> Any:
    """Reverse the page; a full last page still has a next, which names an empty page."""
    if list_path(scope["path"]) is None or not isinstance(body, dict) or "results" not in body:
        return body
    results = list(reversed(body["results"]))
    following = body.get("previous")
    if following is None and results and len(results) == _requested_size(scope):
        following = _END
    return {"next": _CURSORS.wrap(following), "previous": _CURSORS.wrap(body.get("next")), "results": results}


def _newest_first() -> ASGIApp:
    app: ASGIApp = reference()
    app = RewriteResponse(app, edit=_newest_first_page, method="GET", only_status=200)
    app = RewriteRequest(app, edit=_to_inner_cursor, method="GET")
    app = Respond(app, 200, {"next": None, "previous": None, "results": []}, method="GET", when=_at_end)
    app = Respond(app, 400, {"detail": "Invalid cursor."}, method="GET", when=_bad_cursor)
    return Respond(app, 400, {"detail": "page_size: ensure this value is at most 100."}, method="GET",
                   when=_oversized_page)


# ---------------------------------------------------------------- offsets, logs, pointers, wording

_OFFSET = timedelta(hours=2)


def _offset_dates_and_slashless_pointers(body: Any, scope: Scope) -> Any:
    def visit(node: dict[str, Any]) -> None:
        for key in DATE_TIME_KEYS & node.keys():
            if isinstance(node[key], str):
                node[key] = reoffset(node[key], _OFFSET)
        source = node.get("source")
        if isinstance(source, dict) and isinstance(source.get("pointer"), str):
            source["pointer"] = source["pointer"].lstrip("/")

    if scope["path"].rstrip("/").endswith(META):
        return body
    walk_objects(body, visit)
    if scope["method"] == "POST" and isinstance(body, dict) and "model" in body and "logs" not in body:
        body["logs"] = None
    return body


_NOTICE = {"title": "Sync Delayed", "detail": "The lead will reach the CRM on the next sync.",
           "problem_type": "DELAYED_SYNC"}


def _with_notice(body: Any, scope: Scope) -> Any:
    if scope["method"] == "POST" and isinstance(body, dict) and isinstance(body.get("warnings"), list):
        body["warnings"].append(dict(_NOTICE))
    return body


def _known_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """The query parameters the fragment documents, by (method, path template)."""
    known: dict[tuple[str, str], frozenset[str]] = {}
    for template, operations in load_fragment()["paths"].items():
        shared = operations.get("parameters", [])
        for method, operation in operations.items():
            if isinstance(operation, dict) and method != "parameters":
                parameters = [*shared, *operation.get("parameters", [])]
                names = {p["name"] for p in parameters if p.get("in") == "query"}
                known[(method.upper(), template)] = frozenset(names)
    return known


def _template(path: str) -> str:
    trimmed = path.rstrip("/")
    for suffix in (META, RFC, LEADS):
        if trimmed.endswith(suffix):
            return suffix
    return LEADS + "/{id}"


def _strict_query(known: dict[tuple[str, str], frozenset[str]]) -> Callable[[Scope], bool]:
    """Whether a request carries a query parameter the operation does not document, or page_size < 1."""

    def rejected(scope: Scope) -> bool:
        allowed = known.get((scope["method"], _template(scope["path"])), frozenset())
        pairs = query_pairs(scope)
        if any(key not in allowed for key, _ in pairs):
            return True
        size = (query_param(scope, "page_size") or "").strip()
        return bool(re.fullmatch(r"[+-]?[0-9]{1,18}", size)) and int(size) < 1

    return rejected


def _reworded(detail: str, **extra: Any) -> Any:
    return lambda _body, _scope: {"detail": detail, **extra}


def _offsets_and_wording() -> ASGIApp:
    app: ASGIApp = reference()
    app = RewriteResponse(app, edit=_with_notice, method="POST", path_suffix=LEADS, only_status=201)
    app = RewriteResponse(app, edit=_offset_dates_and_slashless_pointers)
    app = RewriteResponse(app, edit=_reworded("Unauthorized", code="not_authenticated"), only_status=401)
    not_found = _reworded("Not found", status_code=404, code="not_found")
    app = RewriteResponse(app, edit=not_found, only_status=404)
    return Respond(app, 400, {"detail": "Unknown query parameter, or page_size below 1."},
                   when=_strict_query(_known_parameters()))


# ---------------------------------------------------------------- extra properties, absent nulls

_EXTRA = {"x_vendor": {"system": "variant", "revision": 3}}


def _nanoseconds(text: str) -> str:
    """The same instant in UTC with nine fraction digits, as Go's time package can write it."""
    moment = parse_rfc3339(text, clamp=False)
    if moment is None:
        return text
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond:06d}000Z"
    )


def _strip_nulls_and_extend(node: dict[str, Any]) -> None:
    for key in DATE_TIME_KEYS & node.keys():
        if isinstance(node[key], str):
            node[key] = _nanoseconds(node[key])
    for key in [key for key, value in node.items() if value is None]:
        del node[key]
    if "x_vendor" not in node:
        node.update({k: dict(v) for k, v in _EXTRA.items()})


def _extended(body: Any, scope: Scope) -> Any:
    if not isinstance(body, dict):
        return body
    for lead in lead_bodies(body, scope)[1::2]:
        if isinstance(lead.get("remote_data"), list):
            lead["remote_data"] = None
    for lead in lead_bodies(body, scope):
        walk_objects(lead, _strip_nulls_and_extend)
    if list_path(scope["path"]) is not None and isinstance(body.get("results"), list):
        for item in body["results"]:
            if isinstance(item, dict):
                item.setdefault("x_vendor", dict(_EXTRA["x_vendor"]))
    body["request_id"] = str(uuid.uuid4())
    if scope["method"] == "POST" and "model" in body:
        body.setdefault("logs", [])
    return body


def _extra_properties() -> ASGIApp:
    app = RewriteResponse(reference(), edit=_extended, content_type="application/json; charset=utf-8")
    return Throttle(app, every=17)


# ---------------------------------------------------------------- opaque ids, open enum values

_PREFIXES = {"lead": "lead_", "owner": "usr_", "converted_contact": "con_", "converted_account": "acc_"}
_RELATIONS = ("owner", "converted_contact", "converted_account")
_RELATION_FILTERS = {"owner_id": "owner", "converted_contact_id": "converted_contact",
                     "converted_account_id": "converted_account"}


def _opaque(kind: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return _PREFIXES[kind] + uuid.UUID(value).hex
    except ValueError:
        return value


def _plain(kind: str, value: Any) -> Any:
    prefix = _PREFIXES[kind]
    if not isinstance(value, str) or not value.startswith(prefix):
        return value
    try:
        return str(uuid.UUID(hex=value[len(prefix):]))
    except ValueError:
        return value


def _open_enum_values(lead: dict[str, Any]) -> None:
    """Values a real CRM reports outside Merge's enums (status, address_type, country)."""
    if lead.get("status") in ("UNQUALIFIED", "CONVERTED"):
        lead["status"] = "NURTURING"
    for address in lead.get("addresses") or []:
        if isinstance(address, dict) and address.get("address_type") == "SHIPPING":
            address["address_type"] = "Shipping"
            address["country"] = "XK"


def _opaque_lead(lead: dict[str, Any], synced: bool) -> None:
    lead["id"] = _opaque("lead", lead.get("id"))
    for relation in _RELATIONS:
        value = lead.get(relation)
        if isinstance(value, dict):
            lead[relation] = {"id": _opaque(relation, value.get("id")), "remote_id": value.get("remote_id")}
        else:
            lead[relation] = _opaque(relation, value)
    if synced:
        _open_enum_values(lead)


def _custom_field_types(body: Any) -> None:
    for item in body.get("results") or [] if isinstance(body, dict) else []:
        if isinstance(item, dict) and item.get("is_custom") is True:
            item["field_type"] = "rich_text"
        if isinstance(item, dict) and isinstance(item.get("field_choices"), list):
            item["field_choices"] = [
                str(choice.get("display_name")) if isinstance(choice, dict) else choice
                for choice in item["field_choices"]
            ]


def _opaque_ids_out(created: set[str]) -> JsonEdit:
    """Rewrite answers; leads synced from the CRM (not created through the API) carry open enum values."""

    def edit(body: Any, scope: Scope) -> Any:
        path = scope["path"].rstrip("/")
        if path.endswith(META):
            return _schema_without_uuid_relations(body)
        if path.endswith(RFC):
            _custom_field_types(body)
            return body
        leads = lead_bodies(body, scope)
        if scope["method"] == "POST":
            created.update(str(lead.get("id")) for lead in leads)
        for lead in leads:
            _opaque_lead(lead, synced=lead.get("id") not in created)
        return body

    return edit


def _schema_without_uuid_relations(body: Any) -> Any:
    try:
        properties = body["request_schema"]["properties"]["model"]["properties"]
    except (KeyError, TypeError):
        return body
    for relation in _RELATIONS:
        if isinstance(properties.get(relation), dict):
            properties[relation].pop("format", None)
    return body


def _opaque_ids_in_path_and_query(scope: Scope) -> Scope:
    path = scope["path"]
    head, _, last = path.rstrip("/").rpartition("/")
    if head.endswith(LEADS) and last.startswith(_PREFIXES["lead"]):
        plain = _plain("lead", last)
        if plain != last:
            scope["path"] = f"{head}/{plain}"
            scope["raw_path"] = scope["path"].encode("ascii")
    pairs = [
        (key, _plain(_RELATION_FILTERS[key], value) if key in _RELATION_FILTERS else value)
        for key, value in query_pairs(scope)
    ]
    return with_query(scope, pairs)


def _opaque_ids_in_body(body: Any, _scope: Scope) -> Any:
    model = body.get("model") if isinstance(body, dict) else None
    if isinstance(model, dict):
        for relation in _RELATIONS:
            value = model.get(relation)
            if isinstance(value, dict) and isinstance(value.get("id"), str):
                model[relation] = {**value, "id": _plain(relation, value["id"])}
            elif relation in model:
                model[relation] = _plain(relation, value)
    return body


def _missing_field_rejection(status: int, scope: Scope) -> int:
    return 422 if scope["path"].rstrip("/").endswith(LEADS) else status


def _opaque_ids() -> ASGIApp:
    app: ASGIApp = reference()
    app = RewriteResponse(app, method="POST", only_status=400, status=_missing_field_rejection)
    app = RewriteResponse(app, edit=_opaque_ids_out(set()))
    app = PlainTextStatus(PlainTextStatus(app, 401, "Unauthorized"), 404, "Not Found")
    app = RewriteRequestBody(app, edit=_opaque_ids_in_body, method="POST")
    return RewriteRequest(app, edit=_opaque_ids_in_path_and_query)


# ---------------------------------------------------------------- tolerant open inputs, another meta/post

_EXPANDABLE = ("owner", "converted_contact", "converted_account")
_BOOLEANS = frozenset({"include_remote_data", "include_remote_fields", "include_shell_data",
                       "include_deleted_data", "is_custom", "is_common_model_field", "is_debug_mode",
                       "run_async"})


def _readable_cursor(value: str) -> bool:
    try:
        decode_cursor(value, 1)
    except InvalidCursor:
        return False
    return True


def _tolerant_query(scope: Scope) -> Scope:
    pairs: list[tuple[str, str]] = []
    for key, value in query_pairs(scope):
        if key == "cursor" and not _readable_cursor(value):
            continue
        if key == "expand":
            value = ",".join(part for part in value.split(",") if part.strip() in _EXPANDABLE)
        elif key in _BOOLEANS and value.lower() not in ("true", "false"):
            value = "false"
        pairs.append((key, value))
    return with_query(scope, pairs)


_ADDRESS_TYPES = [{"value": "BILLING", "description": "Billing address"},
                  {"value": "SHIPPING", "description": "Shipping address"}]


def _merge_style_field(name: str, field: dict[str, Any]) -> None:
    """Merge's habits: a single type (no null branch), categories and enum_information keywords."""
    kinds = field.get("type")
    if isinstance(kinds, list) and len([k for k in kinds if k != "null"]) == 1:
        field["type"] = next(k for k in kinds if k != "null")
    field["categories"] = ["crm"]
    field.setdefault("description", f"The lead's {name}.")
    if name == "address_type":
        field["enum"] = [item["value"] for item in _ADDRESS_TYPES]
        field["enum_information"] = _ADDRESS_TYPES


def _merge_style_meta(body: Any, _scope: Scope) -> Any:
    if not isinstance(body, dict):
        return body
    schema = body.get("request_schema")
    model = schema.get("properties", {}).get("model") if isinstance(schema, dict) else None
    if isinstance(model, dict):
        model["enum_information"] = {"status": [{"value": "OPEN", "description": "Open"}]}

        def visit(node: dict[str, Any]) -> None:
            for name, field in (node.get("properties") or {}).items():
                if isinstance(field, dict):
                    _merge_style_field(name, field)

        walk_objects(model, visit)
        addresses = (model.get("properties") or {}).get("addresses")
        if isinstance(addresses, dict):
            addresses["categories"] = {"type": "string", "enum": ["CRM"],
                                       "enum_information": [{"value": "CRM", "description": "Merge CRM"}]}
    body.pop("status", None)
    classes = body.pop("remote_field_classes", None)
    if isinstance(classes, dict):
        body["remote_fields"] = list(classes)
    return body


def _malformed_lead_id(scope: Scope) -> bool:
    head, _, last = scope["path"].rstrip("/").rpartition("/")
    if not head.endswith(LEADS) or last in ("meta", "remote-field-classes"):
        return False
    try:
        uuid.UUID(last)
    except ValueError:
        return True
    return False


def _model_relative_pointers(body: Any, _scope: Scope) -> Any:
    def visit(node: dict[str, Any]) -> None:
        source = node.get("source")
        if isinstance(source, dict) and isinstance(source.get("pointer"), str):
            source["pointer"] = source["pointer"].removeprefix("/model")

    walk_objects(body, visit)
    return body


def _tolerant_inputs() -> ASGIApp:
    app: ASGIApp = reference(required_fields=("last_name",))
    app = RewriteResponse(app, edit=_model_relative_pointers, method="POST", path_suffix=LEADS)
    app = RewriteResponse(app, edit=_merge_style_meta, method="GET", path_suffix=META, only_status=200)
    app = RewriteRequest(app, edit=_tolerant_query)
    return Respond(app, 400, {"detail": "id: must be a UUID."}, method="GET", when=_malformed_lead_id)


VARIANTS: list[Variant] = [
    variant("newest-first-signed-cursors", _newest_first,
            "Lists newest first; cursors are signed standard base64 (+, /, =) of JSON; a full last "
            "page has a next naming an empty page; a cursor not made here and page_size above 100 get 400."),
    variant("offset-dates-reworded-errors", _offsets_and_wording,
            "Date-times with a +02:00 offset (fraction only when non-zero); logs: null without debug "
            "mode; pointers without a leading slash; 401/404 bodies worded differently with extra keys; "
            "an informational warning on every create; "
            "400 for an undocumented query parameter and for page_size below 1."),
    variant("extra-properties-absent-nulls", _extra_properties,
            "Extra properties on every envelope and object; null-valued keys omitted from leads (remote_data "
            "of every other lead null, so absent, even when asked for); "
            "logs: [] without debug mode; Content-Type with a charset parameter; date-times with "
            "nine fraction digits; every 17th request is throttled (429, Retry-After: 0)."),
    variant("opaque-ids-open-enums", _opaque_ids,
            "Lead and relation ids are prefixed hex, not UUIDs; synced leads carry enum values outside "
            "Merge's lists (status, address_type, country, field_type); a rejected create is a 422; "
            "401 and 404 answer plain text; expanded relations hold only id and remote_id; "
            "field_choices are plain strings.",
            warns={"LEADS-CREATE-004", "LEADS-ENVELOPE-004", "LEADS-AUTH-006", "LEADS-RETRIEVE-002"}),
    variant("tolerant-inputs-merge-meta", _tolerant_inputs,
            "Unknown expand values ignored, malformed booleans read as false, a malformed cursor reads "
            "the first page, a malformed lead id "
            "gets 400; pointers relative to model (/age); meta/post with Merge's non-standard keywords, "
            "remote_fields, no status, and only last_name required."),
    SCHEME_LESS_URLS,
    ACCOUNT_META,
    SLOW_VENDOR,
]
