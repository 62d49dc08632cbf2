"""Structural redaction: credentials are masked field by field, before anything is serialised.

Headers that carry credentials are masked by name; every other string (a URL, a body value, an
exception message) has each credential masked wherever it occurs, in its plain, JSON-escaped,
``repr``-escaped and URL-encoded spellings. Mapping keys are never touched, a key is masked only when
it is a credential, so a short credential that happens to be part of a key (``a2`` in ``sha256``)
cannot break a document's structure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["CREDENTIAL_HEADERS", "MASK", "Redactor"]

MASK = "***"
CREDENTIAL_HEADERS = frozenset({"authorization", "x-account-token", "proxy-authorization", "cookie"})


def _spellings(secret: str) -> set[str]:
    forms = {secret, json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe=""), quote_plus(secret)}
    forms.add(json.dumps(json.dumps(secret)[1:-1])[1:-1])
    return {form for form in forms if form}


class Redactor:
    """Masks a set of credentials in strings, headers and JSON-like trees."""

    def __init__(self, secrets: Iterable[str]):
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _spellings(secret)
        #: longest first, so a credential that contains another is masked whole
        self._forms = sorted(forms, key=len, reverse=True)
        self._exact = frozenset(forms)

    def text(self, value: str) -> str:
        """``value`` with every spelling of every credential masked."""
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with credential headers masked by name (the scheme word kept) and the rest redacted."""
        clean = {}
        for name, value in headers.items():
            if name.lower() in CREDENTIAL_HEADERS:
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
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                (key if ours else self.key(key)): item if key in keep else self.tree(item, keep, ours=ours)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.tree(item, keep, ours=ours) for item in value]
        return value
