"""The pieces broken servers are made of: a Fault, and modifiers over the reference app.

A fault is the reference app with one behaviour broken on purpose. It declares the requirement
IDs it breaks; the self-tests run the whole suite against it and expect exactly those to fail
(MUST) or warn (SHOULD).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference import ReferenceConfig, create_app

JsonEdit = Callable[[Any, Scope], Any]


@dataclass(frozen=True)
class Double:
    """A server the self-tests run the whole suite against: ``build()`` returns its ASGI app."""

    name: str
    build: Callable[[], ASGIApp]
    description: str = ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


@dataclass(frozen=True, repr=False, kw_only=True)
class Fault(Double):
    """A deliberately broken server, and the requirements it breaks."""

    breaks: frozenset[str]
    #: requirements the fault leaves undecidable (status inconclusive), besides those it breaks
    inconclusive: frozenset[str] = frozenset()


def fault(
    name: str,
    breaks: set[str] | frozenset[str],
    build: Callable[[], ASGIApp],
    description: str = "",
    inconclusive: set[str] | frozenset[str] = frozenset(),
) -> Fault:
    return Fault(
        name, build, description, breaks=frozenset(breaks), inconclusive=frozenset(inconclusive)
    )


def reference(**overrides: Any) -> ASGIApp:
    """The reference app, with ReferenceConfig fields overridden."""
    return create_app(replace(ReferenceConfig(), **overrides))


def _matches(scope: Scope, method: str | None, path_suffix: str | None) -> bool:
    if scope["type"] != "http":
        return False
    if method is not None and scope["method"] != method:
        return False
    return path_suffix is None or scope["path"].rstrip("/").endswith(path_suffix)


async def answer_of(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[dict[str, Any], bytes]:
    """Run the app on a request; its answer's start message and whole body."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    return start, b"".join(chunks)


@dataclass
class RewriteResponse:
    """Rewrite the JSON body (and optionally the status) of matching responses.

    ``edit(body, scope)`` returns the new body; ``status(old_status, scope)`` the new status.
    ``path_suffix`` matches the end of the request path (``/crm/v1/leads``), ``path_contains`` a part.
    """

    app: ASGIApp
    edit: JsonEdit | None = None
    method: str | None = None
    path_suffix: str | None = None
    path_contains: str | None = None
    status: Callable[[int, Scope], int] | None = None
    only_status: int | None = None
    content_type: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _matches(scope, self.method, self.path_suffix) or (
            self.path_contains is not None and self.path_contains not in scope.get("path", "")
        ):
            await self.app(scope, receive, send)
            return
        start, body = await answer_of(self.app, scope, receive)
        if start:
            await self._emit(scope, start, body, send)

    async def _emit(self, scope: Scope, start: dict[str, Any], body: bytes, send: Send) -> None:
        status = start["status"]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        if self.only_status is None or status == self.only_status:
            if self.edit is not None:
                try:
                    data = json.loads(body)
                except ValueError:
                    data = None
                if data is not None:
                    body = json.dumps(self.edit(data, scope)).encode()
            if self.status is not None:
                status = self.status(status, scope)
            if self.content_type is not None:
                headers = [(k, v) for k, v in headers if k.lower() != b"content-type"]
                headers.append((b"content-type", self.content_type.encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class RewriteRequest:
    """Change matching requests before the app sees them: ``edit(scope) -> scope`` (headers, query)."""

    app: ASGIApp
    edit: Callable[[Scope], Scope]
    method: str | None = None
    path_suffix: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _matches(scope, self.method, self.path_suffix):
            scope = self.edit(dict(scope))
        await self.app(scope, receive, send)


@dataclass
class Respond:
    """Answer matching requests with a fixed status and JSON body, without the app."""

    app: ASGIApp
    status: int
    body: Any = field(default_factory=lambda: {"detail": "broken on purpose"})
    method: str | None = None
    path_suffix: str | None = None
    when: Callable[[Scope], bool] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        skip = self.when is not None and not self.when(scope)
        if not _matches(scope, self.method, self.path_suffix) or skip:
            await self.app(scope, receive, send)
            return
        payload = json.dumps(self.body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def header(scope: Scope, name: str) -> str | None:
    wanted = name.lower().encode()
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            return value.decode("latin-1")
    return None


def set_header(scope: Scope, name: str, value: str | None) -> Scope:
    wanted = name.lower().encode()
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != wanted]
    if value is not None:
        headers.append((wanted, value.encode("latin-1")))
    scope["headers"] = headers
    return scope


Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The request's query parameters, in order (blank values kept)."""
    from urllib.parse import parse_qsl

    raw = scope.get("query_string", b"")
    text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
    return parse_qsl(text, keep_blank_values=True)


def query_param(scope: Scope, name: str) -> str | None:
    """The last value of one query parameter, or None."""
    values = [value for key, value in query_pairs(scope) if key == name]
    return values[-1] if values else None


def with_query(scope: Scope, pairs: list[tuple[str, str]]) -> Scope:
    """The scope with its query string replaced by ``pairs``."""
    from urllib.parse import urlencode

    scope["query_string"] = urlencode(pairs).encode("latin-1")
    return scope


def drop_params(*names: str) -> Callable[[Scope], Scope]:
    """A request edit that removes query parameters, as a server ignoring them would."""

    def edit(scope: Scope) -> Scope:
        return with_query(scope, [(k, v) for k, v in query_pairs(scope) if k not in names])

    return edit


def default_params(**values: str) -> Callable[[Scope], Scope]:
    """A request edit that adds query parameters the request does not carry."""

    def edit(scope: Scope) -> Scope:
        pairs = query_pairs(scope)
        present = {k for k, _ in pairs}
        return with_query(scope, pairs + [(k, v) for k, v in values.items() if k not in present])

    return edit


@dataclass
class RewriteRequestBody:
    """Change the JSON body of matching requests before the app sees them: ``edit(body, scope) -> body``.

    A body that is not JSON reaches the app unchanged.
    """

    app: ASGIApp
    edit: JsonEdit
    method: str | None = None
    path_suffix: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _matches(scope, self.method, self.path_suffix):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        with contextlib.suppress(ValueError):
            body = json.dumps(self.edit(json.loads(body), scope)).encode()
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, replay(body, receive), send)


def remember_created(created: set[str]) -> JsonEdit:
    """A response edit that adds the id of each created lead (``{model: {id}}``) to ``created``."""

    def remember(body: Any, _scope: Scope) -> Any:
        model = body.get("model") if isinstance(body, dict) else None
        if isinstance(model, dict) and isinstance(model.get("id"), str):
            created.add(model["id"])
        return body

    return remember


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, then: Receive | None = None) -> Receive:
    """A receive callable that hands the app an already-read body once, then defers to ``then``
    (or reports a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await then() if then is not None else {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
