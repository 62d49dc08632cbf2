"""Structural redaction: credentials are masked field by field, before anything is serialised.

Headers that carry credentials are masked by name (the API key, the account token, a proxy's
credentials, and any header the user marks secret). Every other string (a URL, a body value, an
exception message) is redacted by what the credential looks like:

- a credential of at least ``MIN_SECRET_LENGTH`` characters is masked wherever it occurs, in its
  plain, JSON-escaped, ``repr``-escaped and URL-encoded spellings;
- a shorter one would also match ordinary words and parts of URLs (``a`` in "cannot reach", ``api``
  in a base URL), so it is masked only where a credential goes: a string that is exactly the
  credential, and the value after a credential's scheme or header name (``Bearer <key>``,
  ``X-Account-Token: <token>``). The command line says so in one line when it is given one.

Mapping keys are never rewritten in part: a key is masked only when it is a credential, so a
credential that happens to be part of a key (``a2`` in ``sha256``) cannot break a document's
structure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["CREDENTIAL_HEADERS", "MASK", "MIN_SECRET_LENGTH", "Redactor", "short_secret_warning"]

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"authorization", "x-account-token", "proxy-authorization", "cookie"})
#: a credential shorter than this is masked only where credentials go, never inside other text
MIN_SECRET_LENGTH = 8
#: the schemes a credential follows in a header value
_SCHEMES = r"(?:bearer|token|basic)\s+"
#: what may separate a header's name from its value in text: quotes, escapes, ``:`` or ``=``
_NAME_TO_VALUE = r"[\"'\\]*\s*[:=]\s*[\"'\\]*\s*"


def _spellings(secret: str) -> set[str]:
    forms = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    forms.add(json.dumps(json.dumps(secret)[1:-1])[1:-1])
    return {form for form in forms if form}


def short_secret_warning(option: str, secret: str) -> str | None:
    """The one line that says how a short credential is masked, or None when it is long enough."""
    if not secret or len(secret) >= MIN_SECRET_LENGTH:
        return None
    return (
        f"{option} is {len(secret)} character{'s' if len(secret) != 1 else ''} long: a credential shorter "
        f"than {MIN_SECRET_LENGTH} is "
        "masked where credentials go (their headers, and text that quotes them), not inside other text"
    )


class Redactor:
    """Masks a set of credentials in strings, headers and JSON-like trees.

    ``headers`` names more headers whose values are secrets (besides ``CREDENTIAL_HEADERS``).
    """

    def __init__(self, secrets: Iterable[str], headers: Iterable[str] = ()):
        self.header_names = CREDENTIAL_HEADERS | {name.lower() for name in headers}
        given = [secret for secret in secrets if secret]
        forms = {form for secret in given if len(secret) >= MIN_SECRET_LENGTH for form in _spellings(secret)}
        short = {form for secret in given if len(secret) < MIN_SECRET_LENGTH for form in _spellings(secret)}
        #: longest first, so a credential that contains another is masked whole
        self._forms = sorted(forms, key=len, reverse=True)
        self._exact = frozenset(forms | short)
        self._in_place: re.Pattern[str] | None = None
        if short:
            names = "|".join(re.escape(name) for name in sorted(self.header_names, key=len, reverse=True))
            alternatives = "|".join(re.escape(form) for form in sorted(short, key=len, reverse=True))
            self._in_place = re.compile(
                rf"(?i)((?:\b{_SCHEMES}|\b(?:{names}){_NAME_TO_VALUE}(?:{_SCHEMES})?))"
                rf"(?:{alternatives})(?=$|[\s\"',;\\)\]}}])"
            )

    def text(self, value: str) -> str:
        """``value`` with every credential masked (a short one only where credentials go)."""
        if value in self._exact:
            return MASK
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        if self._in_place is not None:
            value = self._in_place.sub(lambda match: match.group(1) + MASK, value)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credential headers masked by name (the scheme word kept) and the rest redacted."""
        clean = {}
        for name, value in headers.items():
            if name.lower() in self.header_names:
                scheme, _, rest = value.partition(" ")
                clean[name] = f"{scheme} {MASK}" if rest and scheme.isalpha() and len(scheme) < 16 else MASK
            else:
                clean[name] = self.text(value)
        return clean

    def key(self, key: Any) -> Any:
        """A mapping key: masked only when it is a credential itself (a key is never rewritten in part)."""
        return MASK if isinstance(key, str) and key in self._exact else key

    def tree(self, value: Any, keep: frozenset[str] = frozenset(), *, ours: bool = False) -> Any:
        """A copy of a JSON-like value, strings redacted; a key is masked only when it is a credential.

        The values under a key in ``keep`` are the suite's own data (catalog IDs, digests), never the
        target's or the user's, and are kept as they are. In a document of the suite's own (``ours``)
        every key is the suite's, and none is masked, whatever a credential looks like.
        """
        # iterative, so that a body nested any depth (a target may answer one) is copied all the same
        root: list[Any] = [None]
        pending: list[tuple[Any, list[Any] | dict[Any, Any], Any]] = [(value, root, 0)]
        while pending:
            node, parent, slot = pending.pop()
            if isinstance(node, str):
                parent[slot] = self.text(node)
            elif isinstance(node, Mapping):
                copy: dict[Any, Any] = {}
                parent[slot] = copy
                for key, item in node.items():
                    name = key if ours else self.key(key)
                    copy[name] = item
                    if key not in keep:
                        pending.append((item, copy, name))
            elif isinstance(node, list | tuple):
                items: list[Any] = list(node)
                parent[slot] = items
                pending.extend((item, items, index) for index, item in enumerate(items))
            else:
                parent[slot] = node
        return root[0]
