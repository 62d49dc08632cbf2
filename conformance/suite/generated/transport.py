"""The transport bridge: everything Schemathesis sends goes through the target's guarded httpx client.

Schemathesis serialises the case exactly as it would for ``requests``; the prepared request is sent
through the guarded client (429 waits and retries, pacing, body cap, history), always to the target's
base URL, and the answer comes back as a Schemathesis ``Response`` whose ``request`` is what went on
the wire. That covers generated cases and the probes Schemathesis' checks send.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx
import requests
from requests.structures import CaseInsensitiveDict

from conformance.http.target import Exchange, Target
from conformance.suite.generated.adapter import (
    TEST_CASE_HEADER,
    OpenApiSchema,
    Response,
    WireTransport,
    load_openapi,
)
from conformance.suite.generated.fragment import schemathesis_fragment, schemathesis_settings

__all__ = ["evidence_line", "load_schema", "reproduce", "wire_headers"]

_REQUESTS_DEFAULT_HEADERS = ("user-agent", "accept", "accept-encoding", "connection")
_DROPPED_HEADERS = ("content-length", "host", TEST_CASE_HEADER.lower())


def load_schema(target: Target, client: httpx.Client, fragment: dict[str, Any], seed: int) -> OpenApiSchema:
    """The fragment loaded into Schemathesis; everything it sends goes through ``client`` to the target."""
    return load_openapi(
        schemathesis_fragment(fragment),
        schemathesis_settings(target, seed),
        WireTransport(target.base_url, lambda data: _send(target, client, data)),
    )


def _send(target: Target, client: httpx.Client, data: dict[str, Any]) -> Response:
    """Send one serialised request through the guarded client; its answer as Schemathesis reads it."""
    fields = ("headers", "params", "cookies", "json", "data", "files", "auth")
    options = {name: data.get(name) for name in fields}
    prepared = requests.Request(method=data["method"], url=data["url"], **options).prepare()
    request = client.build_request(
        str(prepared.method),
        str(prepared.url),
        headers=wire_headers(prepared.headers),
        content=_bytes(prepared.body),
    )
    started = time.monotonic()
    answer = client.send(request)
    prepared.headers = CaseInsensitiveDict(request.headers)
    # a failure found on this answer names the evidence line of the exchange that answered it
    prepared.evidence_line = target.line_of(answer)  # type: ignore[attr-defined]
    headers: dict[str, list[str]] = {}
    for name, value in answer.headers.multi_items():
        headers.setdefault(name.lower(), []).append(value)
    return Response(
        status_code=answer.status_code,
        headers=headers,
        content=answer.content,
        request=prepared,
        elapsed=time.monotonic() - started,
        verify=target.verify_tls,
        message=answer.reason_phrase,
        http_version=answer.http_version.removeprefix("HTTP/"),
        encoding=answer.encoding,
    )


def wire_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Request headers to send: without Schemathesis' random case id and ``requests``' defaults.

    The case id changes on every run (the same seed must send the same requests); the client adds
    its own ``Accept`` and ``User-Agent``.
    """
    defaults = requests.utils.default_headers()
    kept = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname in _DROPPED_HEADERS:
            continue
        if lname in _REQUESTS_DEFAULT_HEADERS and (lname == "user-agent" or defaults.get(name) == value):
            continue
        kept[name] = value if isinstance(value, str) else bytes(value).decode("latin-1")
    return kept


def _bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def evidence_line(response: Response) -> int | None:
    """The line of ``evidence.ndjson`` that holds the exchange ``response`` answered, when it was logged."""
    line = getattr(response.request, "evidence_line", None)
    return line if isinstance(line, int) and line > 0 else None


def reproduce(target: Target, response: Response) -> str:
    """A curl command that sends ``response``'s request again, credentials masked."""
    prepared = response.request
    exchange = Exchange(
        method=str(prepared.method),
        url=str(prepared.url),
        headers={name: str(value) for name, value in prepared.headers.items()},
        body=_bytes(prepared.body) or b"",
        status=response.status_code,
    )
    return target.curl(exchange)
