"""Conformant servers that differ from the reference: what a Variant is, and shared helpers.

A variant is the reference app with some legitimate choices made differently (CONTRACT.md's
Tolerances and the latitude its requirements leave). The suite must pass it: no MUST fails,
and only the SHOULD IDs the variant declares in ``warns`` may warn.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference.timestamps import parse_rfc3339
from tests.faults._base import Double

LEADS = "/crm/v1/leads"
RFC = "/crm/v1/leads/remote-field-classes"
META = "/crm/v1/leads/meta/post"
LIST_PATHS = (LEADS, RFC)

#: keys whose string values are date-times anywhere in a lead
DATE_TIME_KEYS = frozenset(
    {"created_at", "modified_at", "remote_created_at", "remote_updated_at", "converted_date"}
)


@dataclass(frozen=True, repr=False, kw_only=True)
class Variant(Double):
    """A conformant server, and the SHOULD IDs it may warn."""

    warns: frozenset[str] = frozenset()


def variant(
    name: str,
    build: Callable[[], ASGIApp],
    description: str = "",
    warns: set[str] | frozenset[str] = frozenset(),
) -> Variant:
    return Variant(name, build, description, warns=frozenset(warns))


def list_path(path: str) -> str | None:
    """The list path (leads or remote field classes) a request path names, or None."""
    trimmed = path.rstrip("/")
    for candidate in (RFC, LEADS):
        if trimmed.endswith(candidate):
            return candidate
    return None


def walk_objects(value: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    """Call ``visit`` on every JSON object inside ``value``, innermost first."""
    if isinstance(value, dict):
        for item in value.values():
            walk_objects(item, visit)
        visit(value)
    elif isinstance(value, list):
        for item in value:
            walk_objects(item, visit)


def lead_bodies(body: Any, scope: Scope) -> list[dict[str, Any]]:
    """The leads a lead-endpoint answer holds: list results, one retrieved lead, or a created model."""
    if not isinstance(body, dict):
        return []
    path = scope.get("path", "").rstrip("/")
    if path.endswith(RFC) or path.endswith(META):
        return []
    if isinstance(body.get("results"), list):
        return [lead for lead in body["results"] if isinstance(lead, dict)]
    if isinstance(body.get("model"), dict):
        return [body["model"]]
    if "id" in body:
        return [body]
    return []


def reoffset(text: str, offset: timedelta) -> str:
    """The same instant written with another UTC offset, microseconds only when there are some."""
    moment = parse_rfc3339(text, clamp=False)
    if moment is None:
        return text
    try:
        shifted = moment.astimezone(timezone(offset))
    except OverflowError:
        return text
    return shifted.isoformat(timespec="microseconds" if shifted.microsecond else "seconds")


#: leading bytes whose base64 is ``++//``, so every cursor needs URL encoding
_MARK = b"\xfb\xef\xff"


class CursorWrapper:
    """Signed cursors wrapping another server's: padded standard base64 (``+``, ``/``, ``=``)."""

    def __init__(self, secret: bytes = b"variant-cursor-secret") -> None:
        self._secret = secret

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).hexdigest()[:20]

    def wrap(self, inner: str | None) -> str | None:
        if inner is None:
            return None
        data = json.dumps({"position": inner, "issued": "variant"}, separators=(",", ":"))
        payload = base64.b64encode(_MARK + data.encode("utf-8")).decode("ascii")
        return f"{payload}~{self._sign(payload)}"

    def unwrap(self, token: str) -> str | None:
        payload, _, signature = token.partition("~")
        if not token.isascii() or not hmac.compare_digest(self._sign(payload), signature):
            return None
        try:
            raw = base64.b64decode(payload, validate=True)
            data = json.loads(raw.removeprefix(_MARK))
        except ValueError:
            return None
        inner = data.get("position") if isinstance(data, dict) else None
        return inner if isinstance(inner, str) else None


@dataclass
class PlainTextStatus:
    """Answer every response of one status with a plain-text body instead of the app's."""

    app: ASGIApp
    status: int
    text: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replacing = False

        async def swap(message: Message) -> None:
            nonlocal replacing
            if message["type"] == "http.response.start" and message["status"] == self.status:
                replacing = True
                body = self.text.encode("utf-8")
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in (b"content-type", b"content-length")]
                headers += [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]
                await send({**message, "headers": headers})
                await send({"type": "http.response.body", "body": body})
            elif not replacing:
                await send(message)

        await self.app(scope, receive, swap)


@dataclass
class Throttle:
    """Answer every ``every``-th request with 429 and ``Retry-After`` (None: without one), as a
    rate-limited server does."""

    app: ASGIApp
    every: int
    retry_after: str | None = "0"
    count: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
            if self.count % self.every == 0:
                body = b'{"detail":"Request was throttled."}'
                wait = [(b"retry-after", self.retry_after.encode("ascii"))] if self.retry_after else []
                await send({"type": "http.response.start", "status": 429,
                            "headers": [(b"content-type", b"application/json"), *wait,
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
