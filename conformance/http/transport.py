"""The transport every request of a run goes through (``GuardedTransport``), and what it keeps.

Deadlines, 429 waits and the run's 429 budget, one re-send of a failed GET, pacing of error responses,
the body cap, the per-operation breaker, the exchange history and the evidence log: see
``conformance.http.target``; what it keeps across requests is a ``Guard`` (``conformance.http.guard``).
"""

from __future__ import annotations

import ipaddress
import itertools
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from conformance.http import wire
from conformance.http.guard import Exchange, Guard
from conformance.http.limits import backoff
from conformance.outcomes import Inconclusive


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


#: response extension set on a GET answered 5xx: whether its one re-send failed too
RESEND = "conformance_resend"
#: response extension: the evidence line of the exchange that answered
EVIDENCE_LINE = "conformance_evidence_line"


class _NoAnswer(Exception):
    """A request got no usable answer (transport error, deadline, body too large)."""

    def __init__(self, request: httpx.Request, description: str, line: int):
        super().__init__(description)
        self.message = f"no usable answer to {request.method} {request.url.path}: {description}"
        self.description = description
        self.line = line


class GuardedTransport(httpx.BaseTransport):
    """Wraps a transport with deadlines, 429 handling, error pacing, a body cap, a re-send and a breaker."""

    def __init__(self, wrapped: httpx.BaseTransport, guard: Guard):
        self._wrapped = wrapped
        self._guard = guard

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send within the run's adaptive concurrency window (``conformance.http.limits``)."""
        guard = self._guard
        operation = operation_key(request.method, request.url.path)
        guard.admit(operation)
        guard.limit.acquire()
        started = time.monotonic()
        answer: httpx.Response | None = None
        try:
            answer = self._handle(request, operation)
            return answer
        finally:
            guard.limit.release(answer, operation, time.monotonic() - started)

    def _handle(self, request: httpx.Request, operation: str) -> httpx.Response:
        guard = self._guard
        attempts = itertools.count(1)
        try:
            response, line = self._answer(request, operation, attempts)
        except _NoAnswer as first:
            if request.method != "GET" or not guard.may_resend(operation):
                raise Inconclusive(first.message) from None
            try:
                response, _ = self._send(request, operation, next(attempts), resend_of=first.line)
            except _NoAnswer as second:
                again = "the same" if second.description == first.description else second.description
                raise Inconclusive(f"{first.message} (re-sent once: {again})") from None
            response.extensions[RESEND] = "not reproduced"
            return response
        if request.method == "GET" and response.status_code >= 500 and guard.may_resend(operation):
            try:
                resent, _ = self._send(request, operation, next(attempts), resend_of=line, keep=False)
                reproduced = resent.status_code >= 500
            except _NoAnswer:
                reproduced = True
            response.extensions[RESEND] = "reproduced" if reproduced else "not reproduced"
        return response

    def _answer(
        self, request: httpx.Request, operation: str, attempts: Iterator[int]
    ) -> tuple[httpx.Response, int]:
        """The answer to ``request``, 429s waited for and retried within the limits."""
        retries = 0
        while True:
            response, line = self._send(request, operation, next(attempts))
            self._guard.throttled(response.status_code == 429)
            if response.status_code != 429:
                return response, line
            wait = self._throttle_wait(response, retries)
            if wait is None:
                return response, line
            retries += 1
            response.close()
            time.sleep(wait)

    def _send(
        self,
        request: httpx.Request,
        operation: str,
        attempt: int,
        resend_of: int | None = None,
        keep: bool = True,
    ) -> tuple[httpx.Response, int]:
        """One attempt at ``request``, error responses paced, written to the history and the evidence."""
        self._pace()
        guard = self._guard
        exchange = exchange_of(request)
        if keep:
            guard.record(exchange)
        exchange.sent_at = time.monotonic()
        try:
            with wire.deadline(*guard.request_deadline()):
                response = self._wrapped.handle_request(request)
                body = self._read_capped(response)
        except (httpx.TransportError, wire.TooLarge) as exc:
            elapsed = guard.spent(exchange)
            description = (str(exc) or type(exc).__name__).splitlines()[0][:200]
            note = None if resend_of is None else f"re-send of line {resend_of}: the failure reproduced"
            guard.log(exchange, None, None, elapsed, description, attempt, note)
            guard.failed(operation, type(exc).__name__)
            raise _NoAnswer(request, description, exchange.line) from None
        elapsed = guard.spent(exchange)
        guard.answered(operation, response.status_code)
        exchange.status = response.status_code
        exchange.content_type = response.headers.get("content-type")
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        note = None
        if resend_of is not None:
            outcome = "reproduced" if response.status_code >= 500 else "did not reproduce"
            note = f"re-send of line {resend_of}: the failure {outcome}"
        guard.log(exchange, dict(headers), body, elapsed, None, attempt, note)
        for observer in list(guard.observers):
            observer(exchange, body)
        answer = httpx.Response(
            status_code=response.status_code,
            headers=headers,
            content=body,
            request=request,
            extensions={**response.extensions, EVIDENCE_LINE: exchange.line},
        )
        return answer, exchange.line

    def _read_capped(self, response: httpx.Response) -> bytes:
        limit = self._guard.pacing.max_body_bytes
        if hasattr(response, "_content"):
            if len(response.content) > limit:
                raise wire.TooLarge(f"body larger than {limit} bytes")
            return response.content
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > limit:
                    raise wire.TooLarge(f"body larger than {limit} bytes")
                chunks.append(chunk)
                late = wire.expired()
                if late:
                    raise httpx.ReadTimeout(late)
        finally:
            response.close()
        raw = b"".join(chunks)
        encoding = response.headers.get("content-encoding", "")
        if not encoding:
            return raw
        try:
            return wire.decoded(raw, encoding, limit)
        except wire.Undecodable:
            return raw

    def _pace(self) -> None:
        pacing = self._guard.pacing
        if not pacing.pace_errors:
            return
        state = self._guard.state
        while True:
            with state.lock:
                now = time.monotonic()
                while state.errors and now - state.errors[0] > pacing.error_window:
                    state.errors.popleft()
                if len(state.errors) < pacing.max_errors_in_window:
                    return
                wait = max(pacing.error_window - (now - state.errors[0]) + 0.05, 0.05)
                state.paced += wait
            time.sleep(wait)

    def _throttle_wait(self, response: httpx.Response, retries: int) -> float | None:
        """Seconds to wait before retrying a 429, or None: return it (retries, budget or run used up)."""
        guard = self._guard
        pacing = guard.pacing
        if retries >= pacing.max_retries_429:
            return None
        wait = self._retry_after(response, retries + 1)
        budget = pacing.throttle_budget
        if guard.max_duration is not None:
            budget = min(budget, guard.max_duration / 4)
        state = guard.state
        with state.lock:
            if wait > budget - state.throttle_waited or wait >= guard.time_left():
                return None
            state.throttle_waited += wait
        return wait

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        """``Retry-After``; without one, exponential backoff with jitter over the 429s in a row."""
        limit = self._guard.pacing.max_retry_after
        seconds = retry_after_seconds(response.headers)
        if seconds is None:
            seconds = backoff(max(attempt, self._guard.state.throttle_streak))
        return max(0.0, min(seconds, limit))

    def close(self) -> None:
        self._wrapped.close()


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date (against the answer's own ``Date``)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        when = _http_date(value)
        if when is None:
            return None
        now = _http_date(headers.get("date", "")) or datetime.now(UTC)
        seconds = (when - now).total_seconds()
    return seconds if math.isfinite(seconds) else None


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def exchange_of(request: httpx.Request, status: int | None = None) -> Exchange:
    """The exchange of ``request`` (answered ``status``), as the history and the evidence keep it."""
    try:
        body = request.content
    except httpx.RequestNotRead:
        body = b""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw}
    return Exchange(method=request.method, url=str(request.url), headers=headers, body=body, status=status)


