"""The wire under the guarded transport: a total deadline per request, bounded decompression.

httpx's timeouts bound each network operation, not a request: a server that drips a byte every
second never trips a 20 s read timeout. ``WireTransport`` is httpx's HTTP/1.1 transport over
httpcore with a network backend that gives every socket operation (connect, TLS, each write and
read) at most the time left before the deadline of the request being sent in this thread
(``deadline``), so connecting, the headers and the whole body share one bound. ``decoded`` undoes a
``Content-Encoding`` by streaming inflation that stops past the body cap, so a small compressed
body never grows into a large allocation. What reaching the target takes besides its URL (headers,
TLS material, proxies) is ``conformance.http.network``'s.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import httpcore
import httpx

from conformance.http.network import Network

__all__ = ["TooLarge", "Undecodable", "WireTransport", "deadline", "decoded", "expired"]

_T = TypeVar("_T")
_local = threading.local()

#: httpcore's errors and the httpx errors the rest of the suite knows them as
_ERRORS: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
}


class TooLarge(Exception):
    """A body (raw or decoded) is larger than the cap."""


class Undecodable(Exception):
    """A body in a content coding the suite did not ask for, or that does not decode."""


# -- the deadline -------------------------------------------------------------------------------
@contextmanager
def deadline(at: float | None, why: str = "") -> Iterator[None]:
    """Requests sent in this thread inside the block must be done by ``at`` (``time.monotonic``)."""
    previous = getattr(_local, "at", None), getattr(_local, "why", "")
    _local.at, _local.why = at, why
    try:
        yield
    finally:
        _local.at, _local.why = previous


def expired() -> str | None:
    """Why the current request's deadline has passed, or None while it has not (or there is none)."""
    at = getattr(_local, "at", None)
    if at is not None and time.monotonic() >= at:
        return _local.why or "the request's deadline passed"
    return None


def _within(operation: Callable[[float | None], _T], timeout: float | None, error: type[Exception]) -> _T:
    """Run a socket operation with no more than the time left before the deadline."""
    at = getattr(_local, "at", None)
    if at is None:
        return operation(timeout)
    left = at - time.monotonic()
    if left <= 0:
        raise error(_local.why)
    try:
        return operation(left if timeout is None else min(timeout, left))
    except httpcore.TimeoutException:
        if time.monotonic() >= at:
            raise error(_local.why) from None
        raise


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return _within(lambda t: self._inner.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _within(lambda t: self._inner.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _connected(lambda t: self._inner.start_tls(ssl_context, server_hostname, t), timeout)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _connected(operation: Callable[[float | None], httpcore.NetworkStream], timeout: float | None) -> _Stream:
    """The stream a connecting operation (TCP, Unix socket, TLS) opens within the deadline."""
    return _Stream(_within(operation, timeout, httpcore.ConnectTimeout))


class _Backend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        return _connected(
            lambda t: self._inner.connect_tcp(host, port, t, local_address, socket_options), timeout
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        return _connected(lambda t: self._inner.connect_unix_socket(path, t, socket_options), timeout)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# -- the transport ------------------------------------------------------------------------------
@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except tuple(_ERRORS) as exc:
        raise _ERRORS[type(exc)](str(exc) or type(exc).__name__, request=request) from exc


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Any, request: httpx.Request):
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx(self._request):
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path)


class WireTransport(httpx.BaseTransport):
    """HTTP/1.1 to the target (through ``proxy`` when given), every socket operation under the deadline."""

    def __init__(self, *, verify: bool = True, proxy: str | None = None, network: Network | None = None):
        common: dict[str, Any] = {
            "ssl_context": (network or Network()).ssl_context(verify),
            "max_connections": 100,
            "max_keepalive_connections": 20,
            "keepalive_expiry": 5.0,
            "network_backend": _Backend(),
        }
        self._pool: httpcore.ConnectionPool
        if proxy is None:
            self._pool = httpcore.ConnectionPool(**common)
            return
        settings = httpx.Proxy(proxy)
        common.update(proxy_url=_core_url(settings.url), proxy_auth=settings.raw_auth)
        if settings.url.scheme in ("socks5", "socks5h"):
            self._pool = httpcore.SOCKSProxy(**common)
        else:
            self._pool = httpcore.HTTPProxy(proxy_headers=settings.headers.raw, **common)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=_core_url(request.url),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx(request):
            answer = self._pool.handle_request(core)
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream, request),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# -- decompression ------------------------------------------------------------------------------
def decoded(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` with its ``Content-Encoding`` undone; TooLarge as soon as it grows past ``limit``.

    gzip and deflate are what the suite asks for; any other coding is Undecodable.
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":
            try:
                body = _inflate(body, zlib.MAX_WBITS, limit)
            except Undecodable:
                body = _inflate(body, -zlib.MAX_WBITS, limit)
        else:
            raise Undecodable(f"content coding {coding!r} was not asked for")
    return body


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            out += inflater.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise Undecodable(str(exc)) from None
        if len(out) > limit:
            raise TooLarge(f"decoded body larger than {limit} bytes")
        # a gzip body may hold several members, one after another
        if not (inflater.eof and inflater.unused_data and wbits > zlib.MAX_WBITS):
            return bytes(out)
        data = inflater.unused_data
