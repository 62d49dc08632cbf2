"""A Target: the server under test, its credentials, and the HTTP clients the checks use.

Every request the suite sends goes through ``GuardedTransport``, which
- waits and retries on 429 (``Retry-After``, bounded), and leaves a persisting 429 to the check,
  which calls it inconclusive;
- paces error responses on non-loopback targets (Merge throttles an IP after 20 error responses
  in 10 s);
- caps the size of a response body and the time a request may take;
- stops calling an operation that has stopped answering (after a few transport failures in a row
  every further request to it is inconclusive at once), so a hanging target still gets a finished
  report in bounded time;
- keeps a short history of exchanges so a failure can print a reproduce command, and writes
  every exchange to the run's evidence log (``conformance.evidence``) with the check it was sent for.

Credentials never leave this module unmasked: ``Target.redact`` masks them in any text
(``conformance._redact``: structurally, field by field), and reproduce commands carry ``***`` in
their place. Redirects are not followed, so credentials are
never sent to another host. TLS is verified unless the user turns it off.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import json
import secrets
import shlex
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance._outcomes import Inconclusive
from conformance._redact import CREDENTIAL_HEADERS, MASK, Redactor
from conformance.evidence import EvidenceLog

__all__ = ["Exchange", "GuardedTransport", "Target", "new_run_id"]


def new_run_id() -> str:
    """A run id that sorts by time and names what a run wrote: ``lc-20261126t061000-3fa9c2``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    return f"lc-{stamp}-{secrets.token_hex(3)}"


def operation_key(method: str, path: str) -> str:
    """``GET /leads/{id}`` for any lead id: the breaker trips per operation, not per URL."""
    head, marker, rest = path.partition("/crm/v1/leads/")
    if marker and rest.split("/", 1)[0] not in ("meta", "remote-field-classes"):
        path = head + marker + "{id}"
    return f"{method.upper()} {path}"


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Exchange:
    """One request the suite sent, and what came back (status None: no answer)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    #: its line in the evidence log (0: not logged)
    line: int = 0


@dataclass
class Pacing:
    """Limits of the guarded transport."""

    max_retries_429: int = 3
    max_retry_after: float = 30.0
    error_window: float = 10.0
    max_errors_in_window: int = 15
    pace_errors: bool = True
    max_body_bytes: int = 8 * 1024 * 1024
    max_consecutive_transport_failures: int = 3


class GuardedTransport(httpx.BaseTransport):
    """Wraps a transport with 429 handling, error pacing, a body cap and a breaker."""

    def __init__(self, wrapped: httpx.BaseTransport, target: Target):
        self._wrapped = wrapped
        self._target = target

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        state = self._target._state
        pacing = self._target.pacing
        operation = operation_key(request.method, request.url.path)
        if operation in state.unresponsive:
            why = state.unresponsive[operation]
            raise Inconclusive(f"the target stopped answering {operation} earlier in the run ({why})")
        attempt = 0
        while True:
            self._pace()
            response = self._send(request, attempt + 1)
            if response.status_code != 429 or attempt >= pacing.max_retries_429:
                break
            attempt += 1
            response.close()
            time.sleep(self._retry_after(response, attempt))
        if response.status_code >= 400 and response.status_code != 429:
            with state.lock:
                state.errors.append(time.monotonic())
        return response

    def _send(self, request: httpx.Request, attempt: int = 1) -> httpx.Response:
        state = self._target._state
        operation = operation_key(request.method, request.url.path)
        exchange = Exchange(
            method=request.method,
            url=str(request.url),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw},
            body=_request_body(request),
            status=None,
        )
        self._target._record(exchange)
        started = time.monotonic()
        try:
            response = self._wrapped.handle_request(request)
            body = self._read_capped(response)
        except (httpx.TransportError, _TooLarge) as exc:
            self._target._log(exchange, None, None, time.monotonic() - started, self._describe(exc), attempt)
            with state.lock:
                failures = state.transport_failures.get(operation, 0) + 1
                state.transport_failures[operation] = failures
                if failures >= self._target.pacing.max_consecutive_transport_failures:
                    state.unresponsive[operation] = f"{failures} times {type(exc).__name__}"
            raise Inconclusive(
                f"no usable answer to {request.method} {request.url.path}: {self._describe(exc)}"
            ) from None
        with state.lock:
            state.transport_failures[operation] = 0
        exchange.status = response.status_code
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        self._target._log(exchange, dict(headers), body, time.monotonic() - started, None, attempt)
        for observer in list(self._target.observers):
            observer(exchange, body)
        return httpx.Response(
            status_code=response.status_code,
            headers=headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )

    def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self._target.pacing.max_body_bytes
        if hasattr(response, "_content"):
            if len(response.content) > limit:
                raise _TooLarge(f"body larger than {limit} bytes")
            return response.content
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise _TooLarge(f"body larger than {limit} bytes")
                chunks.append(chunk)
        finally:
            response.close()
        raw = b"".join(chunks)
        encoding = response.headers.get("content-encoding", "").lower()
        if encoding in ("gzip", "deflate", "br", "zstd"):
            decoded = httpx.Response(200, headers={"content-encoding": encoding}, content=raw)
            try:
                raw = decoded.read()
            except httpx.DecodingError:
                return raw
            if len(raw) > limit:
                raise _TooLarge(f"decoded body larger than {limit} bytes")
        return raw

    @staticmethod
    def _describe(exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        return text.splitlines()[0][:200]

    def _pace(self) -> None:
        pacing = self._target.pacing
        if not pacing.pace_errors:
            return
        state = self._target._state
        while True:
            with state.lock:
                now = time.monotonic()
                while state.errors and now - state.errors[0] > pacing.error_window:
                    state.errors.popleft()
                if len(state.errors) < pacing.max_errors_in_window:
                    return
                wait = pacing.error_window - (now - state.errors[0]) + 0.05
            time.sleep(max(wait, 0.05))

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        limit = self._target.pacing.max_retry_after
        value = response.headers.get("retry-after", "")
        try:
            seconds = float(value)
        except ValueError:
            seconds = float(min(2**attempt, limit))
        return max(0.0, min(seconds, limit))

    def close(self) -> None:
        self._wrapped.close()


class _TooLarge(Exception):
    pass


def _request_body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return b""


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    errors: deque[float] = field(default_factory=deque)
    transport_failures: dict[str, int] = field(default_factory=dict)
    unresponsive: dict[str, str] = field(default_factory=dict)
    history: deque[Exchange] = field(default_factory=lambda: deque(maxlen=50))


@dataclass
class Target:
    """The server under test and how to talk to it."""

    base_url: str
    token: str
    account_token: str
    second_account_token: str | None = None
    profile: str = "full"
    run_id: str = field(default_factory=new_run_id)
    verify_tls: bool = True
    timeout: float = 20.0
    pacing: Pacing = field(default_factory=Pacing)
    transport: httpx.BaseTransport | None = None
    #: where every exchange is written (None: nowhere)
    evidence: EvidenceLog | None = field(default=None, repr=False)
    #: the check (node id) and requirement IDs the requests being sent now serve
    context: tuple[str, list[str]] = field(default=("run", []))
    redactor: Redactor = field(init=False, repr=False)
    #: called with every exchange that was answered, and the answer's body (see ``observe``)
    observers: list[Callable[[Exchange, bytes], None]] = field(default_factory=list, repr=False)
    _state: _State = field(default_factory=_State, repr=False)
    _tags: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if is_loopback(self.base_url):
            self.pacing.pace_errors = False
        self.redactor = Redactor([self.token, self.account_token, self.second_account_token or ""])

    def tag(self, label: str = "") -> str:
        """A tag unique to one write of this run, and the same in a run with the same run id."""
        return f"{self.run_id}-{label}{next(self._tags)}"

    def derived_secret(self, label: str) -> str:
        """A value that is not a credential, fixed by the run id (so a repeated run sends it again)."""
        return "lc-" + hashlib.sha256(f"{self.run_id}:{label}".encode()).hexdigest()[:24]

    @property
    def writes_allowed(self) -> bool:
        return self.profile != "read-only"

    @property
    def secrets(self) -> list[str]:
        values = [self.token, self.account_token, self.second_account_token or ""]
        return sorted((v for v in values if v), key=len, reverse=True)

    def credentials(self, account: str = "primary") -> dict[str, str]:
        """The two credential headers for an account (``primary`` or ``second``)."""
        if account == "second":
            if not self.second_account_token:
                raise ValueError("no second account token was given")
            account_token = self.second_account_token
        else:
            account_token = self.account_token
        return {"Authorization": f"Bearer {self.token}", "X-Account-Token": account_token}

    def client(self, account: str = "primary", *, authenticated: bool = True) -> httpx.Client:
        """An httpx client on the base URL, with an account's credentials unless ``authenticated`` is off."""
        inner = self.transport or httpx.HTTPTransport(verify=self.verify_tls, retries=0)
        headers = {"Accept": "application/json", "User-Agent": "leads-conformance"}
        if authenticated:
            headers.update(self.credentials(account))
        return httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            transport=GuardedTransport(inner, self),
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            follow_redirects=False,
        )

    # -- history and reproduce commands -------------------------------------------------------
    def _record(self, exchange: Exchange) -> None:
        with self._state.lock:
            self._state.history.append(exchange)

    def _log(
        self,
        exchange: Exchange,
        headers: dict[str, str] | None,
        body: bytes | None,
        elapsed: float,
        error: str | None,
        attempt: int,
    ) -> None:
        if self.evidence is None:
            return
        check, requirements = self.context
        exchange.line = self.evidence.record(
            check=check,
            requirements=list(requirements),
            method=exchange.method,
            url=exchange.url,
            request_headers=exchange.headers,
            request_body=exchange.body,
            status=exchange.status,
            response_headers=headers,
            response_body=body,
            elapsed=elapsed,
            error=error,
            attempt=attempt,
        )

    def observe(self, observer: Callable[[Exchange, bytes], None]) -> None:
        """Have ``observer`` see every answered exchange of the run from now on (status set, body read)."""
        self.observers.append(observer)

    def history(self) -> list[Exchange]:
        with self._state.lock:
            return list(self._state.history)

    def clear_history(self) -> None:
        with self._state.lock:
            self._state.history.clear()

    def unresponsive_operations(self) -> dict[str, str]:
        """Operations the breaker stopped calling, and why."""
        with self._state.lock:
            return dict(self._state.unresponsive)

    def redact(self, text: str) -> str:
        """Mask every credential this target knows in ``text`` (one field, never a serialised document)."""
        return self.redactor.text(text)

    def exchange_line(self, reproduce: str | None = None) -> int | None:
        """The evidence line of the exchange ``reproduce`` repeats, else of the latest exchange."""
        history = self.history()
        if reproduce is not None:
            for exchange in reversed(history):
                if exchange.line and self.curl(exchange) == reproduce:
                    return exchange.line
        for exchange in reversed(history):
            if exchange.line:
                return exchange.line
        return None

    def curl(self, exchange: Exchange) -> str:
        """A curl command that repeats an exchange, credentials masked."""
        parts = ["curl", *([] if self.verify_tls else ["--insecure"]), "-X", exchange.method, exchange.url]
        for name, value in exchange.headers.items():
            lname = name.lower()
            if lname in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            if lname in CREDENTIAL_HEADERS:
                value = "Bearer " + MASK if lname == "authorization" and value.startswith("Bearer ") else MASK
            parts += ["-H", f"{name}: {value}"]
        if exchange.body:
            parts += ["--data-raw", exchange.body.decode("utf-8", "replace")]
        return shlex.join(self.redact(part) for part in parts)

    def last_reproduce(self) -> str | None:
        history = self.history()
        return self.curl(history[-1]) if history else None


def json_or_none(response: httpx.Response) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None
