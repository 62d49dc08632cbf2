"""Broken servers for the read path: PAGE, FILTER, RETRIEVE, EXPAND and RFC."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Scope

from conformance.reference.timestamps import to_key
from tests.faults._base import (
    Fault,
    RewriteRequest,
    RewriteResponse,
    default_params,
    drop_params,
    fault,
    query_pairs,
    query_param,
    reference,
    with_query,
)

LEADS = "/crm/v1/leads"
RFC = "/crm/v1/leads/remote-field-classes"
RELATIONS = ("owner", "converted_contact", "converted_account")
_ONE_LEAD = re.compile(r"/crm/v1/leads/(?!remote-field-classes$|meta(?:/|$))([^/]+)$")
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100
#: the scope key under which a request carries the item its page repeats
REPEATED = "leads_conformance.repeated"

JsonEdit = Callable[[Any, Scope], Any]


def one_lead(scope: Scope) -> bool:
    return bool(_ONE_LEAD.search(scope.get("path", "")))


def on_list(app: ASGIApp, edit: JsonEdit, path: str = LEADS) -> ASGIApp:
    """Rewrite the 200 answers of a list (the lead list unless ``path`` says otherwise)."""
    return RewriteResponse(app, edit=edit, method="GET", path_suffix=path, only_status=200)


def on_leads(app: ASGIApp, change: Callable[[dict[str, Any], Scope], None]) -> ASGIApp:
    """Rewrite every lead the list and the retrieve endpoint answer."""

    def edit(body: Any, scope: Scope) -> Any:
        if not isinstance(body, dict):
            return body
        path = scope.get("path", "").rstrip("/")
        if path.endswith(LEADS) and isinstance(body.get("results"), list):
            for lead in body["results"]:
                if isinstance(lead, dict):
                    change(lead, scope)
        elif one_lead(scope):
            change(body, scope)
        return body

    return RewriteResponse(app, edit=edit, method="GET", path_contains=LEADS, only_status=200)


def ignoring(
    *names: str, path: str = LEADS, valid: Callable[[str], bool] | None = None
) -> Callable[[], ASGIApp]:
    """A server that ignores some query parameters of a list; with ``valid``, it still rejects the
    values ``valid`` refuses (it checks them, then does not apply them)."""
    edit = drop_params(*names) if valid is None else drop_valid(names, valid)
    return lambda: RewriteRequest(reference(), edit=edit, method="GET", path_suffix=path)


def drop_valid(names: tuple[str, ...], valid: Callable[[str], bool]) -> Callable[[Scope], Scope]:
    """Remove the named parameters whose values are valid, leaving invalid ones for the server to refuse."""

    def edit(scope: Scope) -> Scope:
        pairs = query_pairs(scope)
        return with_query(scope, [(k, v) for k, v in pairs if k not in names or not valid(v)])

    return edit


def is_date_time(value: str) -> bool:
    return to_key(value) is not None


def is_expand(value: str) -> bool:
    return all(part in RELATIONS for part in value.split(","))


def is_integer(value: str) -> bool:
    return re.fullmatch(r"\s*[+-]?\d+\s*", value) is not None


# ------------------------------------------------------------------------------ PAGE
def _type_violation() -> ASGIApp:
    def edit(body: Any, _scope: Scope) -> Any:
        results = body.get("results") if isinstance(body, dict) else None
        if isinstance(results, list) and results and isinstance(results[0], dict):
            results[0]["created_at"] = 12
        return body

    return on_list(reference(), edit)


def _boundary_repeats_an_item(path: str = LEADS) -> ASGIApp:
    """Each page reached by ``next`` starts again with the last item of the page before it.

    The page is one item shorter as the server reads it, so pages keep their size and nothing is
    skipped: the boundary item is listed twice.
    """
    last_item: dict[str, Any] = {}

    def shorten(scope: Scope) -> Scope:
        cursor = query_param(scope, "cursor")
        asked = query_param(scope, "page_size") or str(DEFAULT_PAGE_SIZE)
        if cursor not in last_item or not is_integer(asked):
            return scope
        size = min(int(asked), MAX_PAGE_SIZE)
        if size < 2:
            return scope
        pairs = [(k, v) for k, v in query_pairs(scope) if k != "page_size"]
        scope[REPEATED] = last_item[cursor]
        return with_query(scope, [*pairs, ("page_size", str(size - 1))])

    def repeat(body: Any, scope: Scope) -> Any:
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return body
        if REPEATED in scope:
            body["results"] = [scope[REPEATED], *results]
        if isinstance(body.get("next"), str) and results:
            last_item[body["next"]] = results[-1]
        return body

    return RewriteRequest(on_list(reference(), repeat, path), edit=shorten, method="GET", path_suffix=path)


def _boundary_skips_an_item(path: str = LEADS) -> ASGIApp:
    """Each page reached by ``next`` loses its first item."""
    followed: set[str] = set()

    def skip(body: Any, scope: Scope) -> Any:
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return body
        if query_param(scope, "cursor") in followed:
            body["results"] = results[1:]
        if isinstance(body.get("next"), str):
            followed.add(body["next"])
        return body

    return on_list(reference(), skip, path)


def _next_loops(path: str = LEADS) -> ASGIApp:
    """A page reached by a cursor that has more after it names its own cursor as ``next``."""

    def loop(body: Any, scope: Scope) -> Any:
        cursor = query_param(scope, "cursor")
        if cursor and isinstance(body, dict) and body.get("next") is not None:
            body["next"] = cursor
        return body

    return on_list(reference(), loop, path)


def _previous_on_first_page(path: str = LEADS) -> ASGIApp:
    def edit(body: Any, scope: Scope) -> Any:
        if isinstance(body, dict) and query_param(scope, "cursor") is None and body.get("previous") is None:
            body["previous"] = "cD1maXJzdC1wYWdl"
        return body

    return on_list(reference(), edit, path)


def _previous_names_the_same_page() -> ASGIApp:
    """A page reached by ``next`` answers its own cursor as ``previous``."""

    def edit(body: Any, scope: Scope) -> Any:
        cursor = query_param(scope, "cursor")
        if cursor and isinstance(body, dict) and isinstance(body.get("previous"), str):
            body["previous"] = cursor
        return body

    return on_list(reference(), edit)


# ------------------------------------------------------------------------------ RETRIEVE
def _unknown_id_status(status: int) -> Callable[[], ASGIApp]:
    def build() -> ASGIApp:
        return RewriteResponse(
            reference(),
            status=lambda old, scope: status if one_lead(scope) else old,
            method="GET",
            path_contains=LEADS,
            only_status=404,
        )

    return build


def _not_found_without_detail() -> ASGIApp:
    def edit(body: Any, scope: Scope) -> Any:
        return {"message": "No such lead."} if one_lead(scope) else body

    return RewriteResponse(reference(), edit=edit, method="GET", path_contains=LEADS, only_status=404)


# ------------------------------------------------------------------------------ EXPAND
def _expand_as_json_strings() -> ASGIApp:
    def change(lead: dict[str, Any], _scope: Scope) -> None:
        for name in RELATIONS:
            if isinstance(lead.get(name), dict):
                lead[name] = json.dumps(lead[name])

    return on_leads(reference(), change)


def _always_expanded() -> ASGIApp:
    return RewriteRequest(
        reference(), edit=default_params(expand="owner,converted_contact,converted_account"), method="GET"
    )


def _remote_data_without_flag() -> ASGIApp:
    return RewriteRequest(reference(), edit=default_params(include_remote_data="true"), method="GET")


def _remote_data_without_path() -> ASGIApp:
    def change(lead: dict[str, Any], _scope: Scope) -> None:
        for item in lead.get("remote_data") or []:
            if isinstance(item, dict):
                item.pop("path", None)

    return on_leads(reference(), change)


# ------------------------------------------------------------------------------ RFC
def _rfc_type_violation() -> ASGIApp:
    def edit(body: Any, _scope: Scope) -> Any:
        for item in body.get("results", []) if isinstance(body, dict) else []:
            if isinstance(item, dict):
                item["display_name"] = 12
        return body

    return on_list(reference(), edit, RFC)


PAGE_001, PAGE_002, PAGE_003 = "LEADS-PAGE-001", "LEADS-PAGE-002", "LEADS-PAGE-003"
PAGE_004, PAGE_005, PAGE_006 = "LEADS-PAGE-004", "LEADS-PAGE-005", "LEADS-PAGE-006"
HTTP_001, HTTP_002 = "LEADS-HTTP-001", "LEADS-HTTP-002"
RETRIEVE_001, RETRIEVE_003 = "LEADS-RETRIEVE-001", "LEADS-RETRIEVE-003"

FAULTS: list[Fault] = [
    # PAGE
    fault("page-type-violation", {PAGE_001, HTTP_002}, _type_violation,
          "the first lead of every list page has created_at 12; the second account's few leads then show "
          "no created_at a filter walk could be bounded with",
          inconclusive={f"LEADS-FILTER-00{n}" for n in (1, 3, 5, 6)}),
    fault("page-size-ignored", {PAGE_002}, ignoring("page_size", valid=is_integer),
          "the lead list ignores page_size (always 30)"),
    fault("page-size-uncapped", {PAGE_002}, lambda: reference(max_page_size=None),
          "page_size above 100 is honoured"),
    fault("page-default-size-not-30", {PAGE_003}, lambda: reference(default_page_size=25),
          "without page_size a page holds 25 leads"),
    fault("page-boundary-repeats-an-item", {PAGE_004}, _boundary_repeats_an_item,
          "each page reached by next starts with the last lead of the page before"),
    fault("page-boundary-skips-an-item", {PAGE_004}, _boundary_skips_an_item,
          "each page reached by next loses its first lead"),
    fault("page-next-loops", {PAGE_004}, _next_loops, "a page reached by a cursor names that cursor as next"),
    fault("page-previous-on-first-page", {PAGE_005}, _previous_on_first_page,
          "the first page has a previous cursor"),
    fault("page-previous-names-the-same-page", {PAGE_006}, _previous_names_the_same_page,
          "previous from page 2 leads back to page 2"),
    # FILTER
    fault("filter-created-ignored", {"LEADS-FILTER-001"},
          ignoring("created_after", "created_before", valid=is_date_time),
          "created_after and created_before are ignored"),
    fault("filter-modified-ignored", {"LEADS-FILTER-002"},
          ignoring("modified_after", "modified_before", valid=is_date_time),
          "modified_after and modified_before are ignored"),
    fault("filter-remote-id-ignored", {"LEADS-FILTER-003"}, ignoring("remote_id"), "remote_id is ignored"),
    fault("filter-owner-id-ignored", {"LEADS-FILTER-004"}, ignoring("owner_id"), "owner_id is ignored"),
    fault("filter-email-addresses-ignored", {"LEADS-FILTER-005"}, ignoring("email_addresses"),
          "email_addresses is ignored"),
    fault("filter-phone-numbers-ignored", {"LEADS-FILTER-006"}, ignoring("phone_numbers"),
          "phone_numbers is ignored"),
    # RETRIEVE
    fault("retrieve-unknown-id-500", {RETRIEVE_001, RETRIEVE_003, HTTP_001, "LEADS-TENANT-001"},
          _unknown_id_status(500), "a lead id the account does not hold gets 500"),
    fault("retrieve-unknown-id-200", {RETRIEVE_001, RETRIEVE_003, "LEADS-TENANT-001", "LEADS-TENANT-003",
                                      "LEADS-TENANT-004"},
          _unknown_id_status(200), "a lead id the account does not hold gets 200 with the not-found body"),
    fault("retrieve-404-without-detail", {"LEADS-RETRIEVE-002"}, _not_found_without_detail,
          "the 404 for an unknown lead is {\"message\": ...} without detail"),
    # EXPAND
    fault("expand-always-on", {"LEADS-EXPAND-001"}, _always_expanded,
          "relations are expanded objects even without expand"),
    fault("expand-ignored", {"LEADS-EXPAND-002"}, ignoring("expand", path="", valid=is_expand),
          "expand is ignored: relations stay ids"),
    fault("expand-json-strings", {"LEADS-EXPAND-002"}, _expand_as_json_strings,
          "expanded relations are JSON text, not objects"),
    fault("expand-remote-data-without-flag", {"LEADS-EXPAND-003"}, _remote_data_without_flag,
          "remote_data is answered without include_remote_data"),
    fault("expand-remote-data-without-path", {"LEADS-EXPAND-004", HTTP_002}, _remote_data_without_path,
          "remote_data items have no path"),
    # RFC
    fault("rfc-type-violation", {"LEADS-RFC-001", HTTP_002}, _rfc_type_violation,
          "remote field classes have display_name 12"),
    fault("rfc-page-size-ignored", {"LEADS-RFC-002"}, ignoring("page_size", path=RFC, valid=is_integer),
          "remote-field-classes ignores page_size"),
    fault("rfc-previous-on-first-page", {"LEADS-RFC-002"}, lambda: _previous_on_first_page(RFC),
          "the first page of remote-field-classes has a previous cursor"),
    fault("rfc-boundary-skips-an-item", {"LEADS-RFC-002"}, lambda: _boundary_skips_an_item(RFC),
          "each page of remote-field-classes reached by next loses its first class"),
    fault("rfc-is-custom-ignored", {"LEADS-RFC-003"}, ignoring("is_custom", path=RFC),
          "is_custom is ignored"),
]
