"""How many requests a run keeps in flight, following what the target signals (``AdaptiveLimit``).

The window starts at ``--concurrency`` and moves as TCP's congestion window does (additive increase,
multiplicative decrease): every answer that comes back well and in time lets it grow by one once a
window's worth of them has come back; a 429, a ``X-RateLimit-Remaining`` at or near zero, or a latency
well above what the target showed at first halves it (never below one). While a ``X-RateLimit-Reset``
says the target's quota is spent, nothing is sent until it resets. A request waits for a free slot.

A 429 without ``Retry-After`` is waited out with exponential backoff and full jitter (tenacity's wait
strategy), growing with each 429 in a row, whatever request it answered.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import httpx
from tenacity import RetryCallState, wait_exponential_jitter

__all__ = ["AdaptiveLimit", "backoff"]

#: latencies kept to tell a target's usual latency from a rising one
LATENCY_SAMPLES = 50
#: an answer slower than this many times the usual latency counts as a sign of load
SLOW_FACTOR = 4.0
#: the least usual latency a rising one is measured against (a loopback target answers in microseconds)
LATENCY_FLOOR = 0.05
#: the longest a spent quota (X-RateLimit-Reset) holds requests back
MAX_RESET_WAIT = 60.0

_BACKOFF = wait_exponential_jitter(multiplier=0.25, max=30.0, exp_base=2, jitter=0.5)


def backoff(attempt: int) -> float:
    """Seconds to wait before the ``attempt``-th retry of a 429 that named no wait (exponential, jittered)."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = max(1, attempt)
    return float(_BACKOFF(state))


@dataclass
class AdaptiveLimit:
    """A concurrency window between 1 and ``ceiling`` that follows the target's signals (see the module)."""

    ceiling: int
    window: float = 0.0
    in_flight: int = 0
    #: answers come back well since the window last changed
    good: int = 0
    #: the window's lowest and the times it shrank, for the report
    lowest: int = 0
    shrunk: int = 0
    #: monotonic time before which nothing is sent (a spent quota)
    hold_until: float = 0.0
    #: recent latencies of each operation (a create is slower than a read by nature)
    latencies: dict[str, deque[float]] = field(default_factory=dict)
    _condition: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def __post_init__(self) -> None:
        self.ceiling = max(1, self.ceiling)
        self.window = float(self.ceiling)
        self.lowest = self.ceiling

    def acquire(self) -> None:
        """Wait for a free slot in the window (and for a spent quota to reset)."""
        with self._condition:
            while True:
                wait = self.hold_until - time.monotonic()
                if wait <= 0 and self.in_flight < max(1, math.floor(self.window)):
                    self.in_flight += 1
                    return
                self._condition.wait(timeout=wait if wait > 0 else None)

    def release(self, response: httpx.Response | None, operation: str, latency: float) -> None:
        """Free the slot, and move the window by what the answer said."""
        with self._condition:
            self.in_flight -= 1
            if response is None or response.status_code == 429:
                self._shrink()
            else:
                remaining = _number(response.headers.get("x-ratelimit-remaining"))
                if remaining is not None and remaining <= 0:
                    reset = _number(response.headers.get("x-ratelimit-reset"))
                    self._hold(reset)
                    self._shrink()
                elif remaining is not None and remaining < self.window or self._slow(operation, latency):
                    self._shrink()
                else:
                    self.good += 1
                    if self.good >= self.window and self.window < self.ceiling:
                        self.window = min(float(self.ceiling), self.window + 1)
                        self.good = 0
                self.latencies.setdefault(operation, deque(maxlen=LATENCY_SAMPLES)).append(latency)
            self._condition.notify_all()

    def _shrink(self) -> None:
        self.window = max(1.0, self.window / 2)
        self.good = 0
        self.shrunk += 1
        self.lowest = min(self.lowest, math.floor(self.window))

    def _hold(self, reset: float | None) -> None:
        """Send nothing until the quota resets: ``reset`` seconds from now, or at that epoch second."""
        if reset is None:
            return
        seconds = reset - time.time() if reset > 10**9 else reset
        self.hold_until = time.monotonic() + max(0.0, min(seconds, MAX_RESET_WAIT))

    def _slow(self, operation: str, latency: float) -> bool:
        seen = self.latencies.get(operation)
        if seen is None or len(seen) < 10:
            return False
        usual = max(statistics.median(seen), LATENCY_FLOOR)
        return latency > usual * SLOW_FACTOR

    def report(self) -> dict[str, int]:
        with self._condition:
            return {
                "ceiling": self.ceiling,
                "window": math.floor(self.window),
                "lowest": self.lowest,
                "shrunk": self.shrunk,
            }


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
