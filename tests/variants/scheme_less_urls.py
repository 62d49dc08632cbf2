"""A conformant server whose ``format: uri`` fields hold text that is not an absolute URI.

CRM data is typed by people: ``acme.com`` is a normal website, and CONTRACT.md's Tolerances call
``uri`` advisory, on requests and on responses alike.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from starlette.types import ASGIApp, Scope

from tests.faults._base import RewriteRequestBody, RewriteResponse, reference
from tests.variants._base import LEADS, Variant, lead_bodies, variant

#: what a lead_url that is not an absolute URI is kept as inside the reference app (which refuses it)
_KEPT_AS = "https://scheme-less.invalid/"
#: what the reference app takes as an absolute URI (a scheme, then URI characters and escapes)
_ABSOLUTE_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_RELATION_URL_FIELDS = ("website", "user_url", "contact_url", "account_url")
_RELATIONS = ("owner", "converted_contact", "converted_account")


def _kept(value: str) -> str | None:
    """How a text that is not an absolute URI is stored, or None for text that is not valid Unicode."""
    try:
        return _KEPT_AS + quote(value.encode("utf-8"), safe="")
    except UnicodeEncodeError:
        return None


def _written(value: Any) -> Any:
    """The lead_url the client wrote, from what the reference app stored."""
    if isinstance(value, str) and value.startswith(_KEPT_AS):
        return unquote(value.removeprefix(_KEPT_AS), errors="strict")
    return value


def _scheme_less(value: Any) -> Any:
    return _SCHEME.sub("", value) if isinstance(value, str) else value


def _take_any_lead_url(body: Any, _scope: Scope) -> Any:
    model = body.get("model") if isinstance(body, dict) else None
    value = model.get("lead_url") if isinstance(model, dict) else None
    if isinstance(model, dict) and isinstance(value, str) and not _ABSOLUTE_URI.fullmatch(value):
        model["lead_url"] = _kept(value) or value
    return body


def _urls_out(created: set[str]) -> Any:
    """Written lead_urls come back as written; leads synced from the CRM, and relations, are scheme-less."""

    def edit(body: Any, scope: Scope) -> Any:
        leads = lead_bodies(body, scope)
        if scope["method"] == "POST":
            created.update(str(lead.get("id")) for lead in leads)
        for lead in leads:
            if lead.get("id") in created:
                lead["lead_url"] = _written(lead.get("lead_url"))
            elif "lead_url" in lead:
                lead["lead_url"] = _scheme_less(lead["lead_url"])
            for relation in _RELATIONS:
                related = lead.get(relation)
                if isinstance(related, dict):
                    for name in _RELATION_URL_FIELDS:
                        if name in related:
                            related[name] = _scheme_less(related[name])
        return body

    return edit


def _scheme_less_urls() -> ASGIApp:
    app: ASGIApp = reference()
    app = RewriteResponse(app, edit=_urls_out(set()), path_contains=LEADS)
    return RewriteRequestBody(app, edit=_take_any_lead_url, method="POST", path_suffix=LEADS)


SCHEME_LESS_URLS: Variant = variant(
    "scheme-less-urls", _scheme_less_urls,
    "A create takes a lead_url that is not an absolute URI (acme.com, empty) and echoes it as written; "
    "leads synced from the CRM carry a scheme-less lead_url, and expanded owners, contacts and accounts "
    "a scheme-less website, user_url, contact_url and account_url.",
)
