"""Broken servers that fail where the schema is open or the input odd, never on a tidy example.

Each fails on what a run must send on purpose because chance would not: a write-only object holding
a fraction or nesting deep, a cursor the server never issued, the bare Bearer scheme, a conversion
date in the widest offset, a filter bound its offset pushes past the end of the range; or it answers
a tidy write with a warning that misleads. Each declares every requirement the whole suite sees broken
against it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from tests.faults._base import (
    Respond,
    RewriteRequest,
    RewriteResponse,
    fault,
    header,
    query_pairs,
    read_body,
    reference,
    replay,
    with_query,
)

LEADS = "/crm/v1/leads"
SERVER_ERROR = {"detail": "A server error occurred."}
REFUSED = {"detail": "Bad request."}


@dataclass
class OnBody:
    """Answer ``status`` with ``body`` to a create whose JSON body ``when`` picks; else the reference."""

    app: ASGIApp
    when: Callable[[Any], bool]
    status: int
    body: Any

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(LEADS):
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive)
        try:
            picked = self.when(json.loads(raw))
        except (ValueError, RecursionError):
            picked = False
        if not picked:
            await self.app(scope, replay(raw, receive), send)
            return
        await Respond(self.app, self.status, self.body)(scope, replay(raw, receive), send)


def _model(body: Any) -> dict[str, Any]:
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, dict) else {}


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 0)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        pending.extend((item, depth + 1) for item in items)
    return deepest


def _holds_fraction(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_holds_fraction(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_fraction(item) for item in value)
    return False


PARAMS = ("integration_params", "linked_account_params")


def _deep_params(body: Any) -> bool:
    return any(_depth(_model(body).get(name)) > 100 for name in PARAMS)


def _fraction_in_params(body: Any) -> bool:
    return any(_holds_fraction(_model(body).get(name)) for name in PARAMS)


def _offset_of_a_day(body: Any) -> bool:
    value = _model(body).get("converted_date")
    return isinstance(value, str) and re.search(r"[+-]23:\d\d$", value) is not None


def _foreign_cursor(scope: Scope) -> bool:
    for name, value in query_pairs(scope):
        if name != "cursor":
            continue
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")
            fields = parse_qs(raw, keep_blank_values=True, strict_parsing=True)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if set(fields) - {"d", "k", "i"}:
            return True
    return False


def _bare_bearer(scope: Scope) -> bool:
    return (header(scope, "authorization") or "").strip() == "Bearer"


def _false_warning(body: Any, _scope: Scope) -> Any:
    if isinstance(body, dict) and isinstance(body.get("warnings"), list):
        body["warnings"].append(
            {
                "source": {"pointer": "/model"},
                "title": "Unrecognized Field",
                "detail": "An unrecognized field, model, was passed in with request data.",
                "problem_type": "UNRECOGNIZED_FIELD",
            }
        )
    return body


def _expanded_on_the_first_lead_only(body: Any, _scope: Scope) -> Any:
    """On a list page, every lead but the first shows its expanded relations as null."""
    results = body.get("results") if isinstance(body, dict) else None
    for lead in results[1:] if isinstance(results, list) else []:
        for name in ("owner", "converted_contact", "converted_account"):
            if isinstance(lead, dict) and isinstance(lead.get(name), dict):
                lead[name] = None
    return body


def _bounds_past_the_range_ignored(scope: Scope) -> Scope:
    """A bound in year 1 or 9999 is dropped, as if it were no bound (an overflow read as none)."""
    pairs = [(name, value) for name, value in query_pairs(scope) if not value.startswith(("0001-", "9999-"))]
    return with_query(scope, pairs)


FAULTS = [
    fault(
        "false-unrecognized-warning-at-model",
        {"LEADS-ENVELOPE-008"},
        lambda: RewriteResponse(
            reference(), edit=_false_warning, method="POST", path_suffix=LEADS, only_status=201
        ),
        "every 201 carries an UNRECOGNIZED_FIELD warning pointing at /model",
    ),
    fault(
        "server-error-on-a-foreign-cursor",
        {"LEADS-HTTP-001"},
        lambda: Respond(reference(), 500, SERVER_ERROR, when=_foreign_cursor),
        "a cursor that decodes to keys the server never writes is answered 500",
    ),
    fault(
        "server-error-on-the-bare-bearer-scheme",
        {"LEADS-HTTP-001", "LEADS-AUTH-002"},
        lambda: Respond(reference(), 500, SERVER_ERROR, when=_bare_bearer),
        "Authorization: Bearer with no key is answered 500",
    ),
    fault(
        "server-error-on-deep-params",
        {"LEADS-HTTP-001"},
        lambda: OnBody(reference(), _deep_params, 500, SERVER_ERROR),
        "a create whose integration_params nests more than 100 levels is answered 500",
    ),
    fault(
        "fractions-in-params-refused",
        {"LEADS-HTTP-006"},
        lambda: OnBody(reference(), _fraction_in_params, 400, REFUSED),
        "a create whose write-only objects hold a number with a fraction is refused",
    ),
    fault(
        "offset-of-23-hours-refused",
        {"LEADS-CREATE-001"},
        lambda: OnBody(reference(), _offset_of_a_day, 400, REFUSED),
        "a create whose converted_date has an offset of 23 hours is refused",
    ),
    fault(
        "expand-resolves-the-first-lead-only",
        {"LEADS-EXPAND-002"},
        lambda: RewriteResponse(
            reference(), edit=_expanded_on_the_first_lead_only, method="GET", path_suffix=LEADS,
            only_status=200,
        ),
        "a list page expands the relations of its first lead only; the others show null",
    ),
    fault(
        "bounds-past-the-range-ignored",
        {"LEADS-FILTER-001", "LEADS-FILTER-002"},
        lambda: RewriteRequest(reference(), _bounds_past_the_range_ignored, method="GET", path_suffix=LEADS),
        "a date bound in year 1 or 9999 is dropped, so a bound before everything returns everything",
    ),
]
