"""What the guarded transport keeps across a run's requests: the deadlines, the breaker per operation,
the throttle streak, the exchange history, the evidence log and who watches each answer.

A ``Guard`` belongs to one Target (``Target.guard``); every client the Target makes sends through a
``GuardedTransport`` over it (``conformance.http.transport``).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.http.evidence import EvidenceLog
from conformance.http.limits import AdaptiveLimit
from conformance.outcomes import Inconclusive

__all__ = ["Exchange", "Guard", "Pacing"]


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
    #: when it was sent and when its answer was read in full (monotonic seconds)
    sent_at: float = 0.0
    answered_at: float = 0.0
    #: the answer's Content-Type (None: none, or no answer)
    content_type: str | None = None


@dataclass
class Pacing:
    """Limits of the guarded transport."""

    max_retries_429: int = 3
    max_retry_after: float = 30.0
    #: seconds the whole run may spend waiting on 429s (at most a quarter of its --max-duration);
    #: past it a 429 is returned at once
    throttle_budget: float = 300.0
    error_window: float = 10.0
    max_errors_in_window: int = 15
    pace_errors: bool = True
    max_body_bytes: int = 8 * 1024 * 1024
    max_consecutive_transport_failures: int = 3
    #: seconds an open breaker waits before one request may try the operation again (doubled each time)
    breaker_pause: float = 30.0
    #: seconds of nothing but 429s after which the target is taken to throttle every request
    storm_after: float = 45.0


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=lambda: time.monotonic())
    errors: deque[float] = field(default_factory=deque)
    transport_failures: dict[str, int] = field(default_factory=dict)
    #: every operation the breaker opened for, and why
    unresponsive: dict[str, str] = field(default_factory=dict)
    #: operations whose breaker is open now: (since, pause)
    open: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: open operations a request is trying again now (half-open)
    trials: set[str] = field(default_factory=set)
    throttle_waited: float = 0.0
    #: 429s in a row (any request), and since when every answer has been a 429 (None: the last was not)
    throttle_streak: int = 0
    throttled_since: float | None = None
    #: the run stopped sending: every answer was a 429 for this many seconds
    storm: float | None = None
    #: seconds spent pacing error responses (Merge throttles an IP after 20 in 10 s)
    paced: float = 0.0
    #: (sent, answered) of every attempt, monotonic seconds: where the run's time went
    spans: list[tuple[float, float]] = field(default_factory=list)
    out_of_time: bool = False
    history: deque[Exchange] = field(default_factory=lambda: deque(maxlen=50))


@dataclass
class Guard:
    """The limits a run's requests are sent within, and what the run's requests left behind."""

    pacing: Pacing
    #: seconds one request may take, all of it
    timeout: float
    #: seconds the whole run may take (from the guard's creation); None: no bound
    max_duration: float | None
    #: requests in flight at most, following the target's signals
    limit: AdaptiveLimit
    #: where every exchange is written (None: nowhere)
    evidence: EvidenceLog | None = None
    #: the check (node id) and requirement IDs the requests being sent now serve
    context: tuple[str, list[str]] = ("run", [])
    #: called with every exchange that was answered, and the answer's body
    observers: list[Callable[[Exchange, bytes], None]] = field(default_factory=list)
    state: _State = field(default_factory=_State)

    def run_end(self) -> float | None:
        return None if self.max_duration is None else self.state.started + self.max_duration

    def time_left(self) -> float:
        """Seconds left before the run's deadline (infinite without one)."""
        end = self.run_end()
        return math.inf if end is None else end - time.monotonic()

    def request_deadline(self) -> tuple[float, str]:
        """When the request sent now must be done by, and what to say when it is not."""
        at = time.monotonic() + self.timeout
        end = self.run_end()
        if end is not None and end < at:
            return end, f"the run reached its --max-duration of {self.max_duration:g} s"
        return at, f"no complete answer within {self.timeout:g} s (--timeout)"

    def admit(self, operation: str) -> None:
        """Raise Inconclusive when a request to ``operation`` must not be sent now."""
        state = self.state
        if self.time_left() <= 0:
            state.out_of_time = True
            raise Inconclusive(
                f"the run reached its --max-duration of {self.max_duration:g} s; {operation} was not sent"
            )
        if state.storm is not None:
            raise Inconclusive(self.storm_note() or "the target throttles every request")
        with state.lock:
            opened = state.open.get(operation)
            if opened is None:
                return
            since, pause = opened
            if operation not in state.trials and time.monotonic() - since >= pause:
                state.trials.add(operation)  # half-open: this request tries the operation again
                return
            why = state.unresponsive[operation]
        raise Inconclusive(f"the target stopped answering {operation} earlier in the run ({why})")

    def throttled(self, throttled: bool) -> None:
        """Keep count of 429s in a row; once every answer has been a 429 for ``pacing.storm_after``
        seconds, the target is throttling every request and the run sends nothing more."""
        state = self.state
        with state.lock:
            if not throttled:
                state.throttle_streak, state.throttled_since = 0, None
                return
            state.throttle_streak += 1
            now = time.monotonic()
            if state.throttled_since is None:
                state.throttled_since = now
            elif now - state.throttled_since >= self.pacing.storm_after and state.storm is None:
                state.storm = now - state.throttled_since

    def storm_note(self) -> str | None:
        """One line when the target throttled every request for long enough that the run stopped."""
        storm = self.state.storm
        if storm is None:
            return None
        return (f"the target answered 429 to every request for {storm:.0f} s "
                f"({self.state.throttle_streak} in a row): it throttles every request, so the run stopped "
                "sending; what was left is inconclusive")

    def may_resend(self, operation: str) -> bool:
        with self.state.lock:
            return operation not in self.state.open and self.time_left() > 0

    def failed(self, operation: str, kind: str) -> None:
        state = self.state
        with state.lock:
            failures = state.transport_failures.get(operation, 0) + 1
            state.transport_failures[operation] = failures
            now = time.monotonic()
            if operation in state.trials:
                state.trials.discard(operation)
                state.open[operation] = (now, state.open[operation][1] * 2)
            elif operation not in state.open and failures >= self.pacing.max_consecutive_transport_failures:
                state.open[operation] = (now, self.pacing.breaker_pause)
                state.unresponsive[operation] = f"{failures} times {kind}"

    def answered(self, operation: str, status: int) -> None:
        state = self.state
        with state.lock:
            state.transport_failures[operation] = 0
            if operation in state.open:
                del state.open[operation]
                state.trials.discard(operation)
                state.unresponsive[operation] += "; it answered again after a pause"
            if status >= 400 and status != 429:
                state.errors.append(time.monotonic())

    def spent(self, exchange: Exchange) -> float:
        """The attempt is over (answered or not): its time counts in ``time_spent``; returns it."""
        exchange.answered_at = time.monotonic()
        with self.state.lock:
            self.state.spans.append((exchange.sent_at, exchange.answered_at))
        return exchange.answered_at - exchange.sent_at

    # -- history and evidence ---------------------------------------------------------------
    def record(self, exchange: Exchange) -> None:
        with self.state.lock:
            self.state.history.append(exchange)

    def log(
        self,
        exchange: Exchange,
        headers: dict[str, str] | None,
        body: bytes | None,
        elapsed: float,
        error: str | None,
        attempt: int,
        note: str | None = None,
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
            sent_at=exchange.sent_at - self.state.started,
            error=error,
            attempt=attempt,
            note=note,
        )

    def history(self) -> list[Exchange]:
        with self.state.lock:
            return list(self.state.history)

    def clear_history(self) -> None:
        with self.state.lock:
            self.state.history.clear()

    def unresponsive_operations(self) -> dict[str, str]:
        """Operations the breaker stopped calling during the run, and why."""
        with self.state.lock:
            return dict(self.state.unresponsive)

    def time_spent(self) -> dict[str, Any]:
        """Where the run's time went: requests (their count, their summed time, and the time at least one was
        in flight), waits on throttling (429s) and the pacing of error responses."""
        with self.state.lock:
            spans = sorted(self.state.spans)
            throttled, paced = self.state.throttle_waited, self.state.paced
        in_flight, end = 0.0, -math.inf
        for start, stop in spans:
            if start > end:
                in_flight += stop - start
            elif stop > end:
                in_flight += stop - end
            end = max(end, stop)
        return {
            "requests": len(spans),
            "request_seconds": round(sum(stop - start for start, stop in spans), 3),
            "in_flight_seconds": round(in_flight, 3),
            "throttle_wait_seconds": round(throttled, 3),
            "pacing_wait_seconds": round(paced, 3),
        }

