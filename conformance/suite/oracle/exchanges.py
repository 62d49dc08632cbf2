"""One exchange as the oracle reads it: the Leads operation it names, its query, what was sent and what
answered."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from conformance.http.target import Exchange

__all__ = [
    "CREATE",
    "LIST",
    "META",
    "PRIMARY",
    "RETRIEVE",
    "RFC",
    "SECOND",
    "Seen",
    "json_body",
    "operation_of",
    "single",
]

PRIMARY, SECOND = "primary", "second"
LIST, CREATE, RETRIEVE, META, RFC = "list", "create", "retrieve", "meta-post", "remote-field-classes"


def single(query: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value of a parameter given exactly once (None: absent, or given more than once)."""
    values = [value for key, value in query if key == name]
    return values[0] if len(values) == 1 else None


@dataclass
class Seen:
    """One exchange as the oracle reads it."""

    exchange: Exchange
    operation: str
    method: str
    lead_id: str | None
    query: list[tuple[str, str]]
    headers: dict[str, str]
    status: int
    sent: Any
    answer: Any

    @property
    def line(self) -> int:
        return self.exchange.line

    def given(self, name: str) -> bool:
        """Whether the query names the parameter ``name`` (with any value)."""
        return any(key == name for key, _ in self.query)

    def single(self, name: str) -> str | None:
        """The value of a parameter given exactly once (None: absent, or given more than once)."""
        return single(self.query, name)

    @property
    def shown(self) -> str:
        path = urlsplit(self.exchange.url)
        return f"{self.method} {path.path}" + (f"?{path.query}" if path.query else "")

    @property
    def first_page(self) -> bool:
        """Whether a list page is a first one (no cursor given)."""
        return not self.given("cursor")


def json_body(raw: bytes) -> Any:
    """A body as JSON (None: empty, or not JSON)."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def operation_of(method: str, path: str, base_path: str) -> tuple[str | None, str | None]:
    """The Leads operation a request path names, and the lead id of a retrieve."""
    if not path.startswith(base_path + "/crm/v1/leads"):
        return None, None
    rest = path[len(base_path) + len("/crm/v1/leads") :]
    if rest == "":
        return (LIST if method == "GET" else CREATE if method == "POST" else None), None
    if rest == "/meta/post":
        return META, None
    if rest == "/remote-field-classes":
        return RFC, None
    if rest.startswith("/") and "/" not in rest[1:] and method == "GET":
        return RETRIEVE, unquote(rest[1:])
    return None, None
