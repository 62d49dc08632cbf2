"""A Target: the server under test, its credentials, and the HTTP clients the checks use.

Every request the suite sends goes through ``GuardedTransport`` (``conformance.http.transport``), which
- gives each request one total deadline (``--timeout``: connecting, the headers and the whole body)
  and the run one too (``--max-duration``: past it no request is sent, every check left is
  inconclusive);
- waits and retries on 429 (``Retry-After`` in seconds or as an HTTP date, bounded per request and by
  a budget for the whole run), and leaves a persisting 429 to the check, which calls it inconclusive;
- re-sends a GET once when it got a 5xx or no answer: an answer to the re-send is returned after a
  transport error (which then counts for nothing), while a 5xx stays the answer and is marked
  (``RESEND`` extension) with whether the re-send failed too; the evidence log keeps both attempts;
- paces error responses on non-loopback targets (Merge throttles an IP after 20 error responses
  in 10 s);
- caps the size of a response body, after decompression too (``conformance.http.wire``);
- stops calling an operation that has stopped answering (after a few transport failures in a row
  further requests to it are inconclusive at once), and lets one request try it again after a
  pause, so a hanging target still gets a finished report in bounded time;
- keeps a short history of exchanges so a failure can print a reproduce command, and writes
  every exchange to the run's evidence log (``conformance.http.evidence``) with the check it was sent for.

Credentials never leave this module unmasked: ``Target.redact`` masks them in any text
(``conformance.http.redaction``: structurally, field by field), and reproduce commands carry ``***`` in
their place. Redirects are not followed, so credentials are never sent to another host. Requests
go through the proxy the environment names (``HTTPS_PROXY``, ``NO_PROXY``, ...), never for a loopback
target; an https target is reached through a tunnel, so the proxy sees no credential. TLS is
verified unless the user turns it off.
"""

from __future__ import annotations

import itertools
import json
import secrets
import shlex
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from conformance.http import wire
from conformance.http.evidence import EvidenceLog
from conformance.http.guard import Exchange, Guard, Pacing
from conformance.http.limits import AdaptiveLimit
from conformance.http.network import Network, proxy_for, proxy_problem, proxy_secrets
from conformance.http.redaction import MASK, Redactor
from conformance.http.transport import EVIDENCE_LINE, RESEND, GuardedTransport, exchange_of, is_loopback
from conformance.outcomes import UsageError

__all__ = ["RESEND", "Exchange", "GuardedTransport", "Pacing", "Target", "new_run_id"]

def new_run_id() -> str:
    """A run id that sorts by time and names what a run wrote: ``lc-20261126t061000-3fa9c2``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dt%H%M%S")
    return f"lc-{stamp}-{secrets.token_hex(3)}"


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
    #: seconds one request may take, all of it: connecting, the headers and the whole body
    timeout: float = 20.0
    #: seconds the whole run may take (from the target's creation); None: no bound
    max_duration: float | None = None
    pacing: Pacing = field(default_factory=Pacing)
    #: requests in flight at most (``--concurrency``); the window follows the target's signals
    concurrency: int = 4
    limit: AdaptiveLimit = field(init=False, repr=False)
    transport: httpx.BaseTransport | None = None
    #: the proxy requests go through (from the environment unless given; never for a loopback target)
    proxy: str | None = None
    #: headers sent with every request, and TLS material (``--header``, ``--ca-bundle``, ...)
    network: Network = field(default_factory=Network)
    redactor: Redactor = field(init=False, repr=False)
    #: the deadlines, breaker, history and evidence of the run's requests (see ``conformance.http.guard``)
    guard: Guard = field(init=False, repr=False)
    _tags: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.limit = AdaptiveLimit(self.concurrency)
        self.guard = Guard(self.pacing, self.timeout, self.max_duration, self.limit)
        if is_loopback(self.base_url):
            self.pacing.pace_errors = False
        if self.proxy is None and self.transport is None and not is_loopback(self.base_url):
            self.proxy = proxy_for(self.base_url)
        if self.proxy is not None:
            problem = proxy_problem(self.proxy)
            if problem:
                raise UsageError(problem)
        masked = [*self.secrets, *proxy_secrets(self.proxy), *self.network.secrets]
        self.redactor = Redactor(masked, headers=self.network.secret_names)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in ("timeout", "max_duration") and "guard" in self.__dict__:
            setattr(self.guard, name, value)  # the guard sends within the target's limits

    def parallel(self, function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """``function`` over ``items``, up to ``concurrency`` at once (the transport's window bounds what is
        in flight); the results in the items' order."""
        if self.concurrency <= 1 or len(items) <= 1:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="conformance") as pool:
            return list(pool.map(function, items))

    def tag(self, label: str = "") -> str:
        """A tag unique to one write of this run, and the same in a run with the same run id."""
        return f"{self.run_id}-{label}{next(self._tags)}"

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
        inner = self.transport or wire.WireTransport(
            verify=self.verify_tls, proxy=self.proxy, network=self.network
        )
        headers = {
            "Accept": "application/json",
            # the codings the body cap can follow through decompression
            "Accept-Encoding": "gzip, deflate",
            "User-Agent": "leads-conformance",
            **dict(self.network.headers),
        }
        if authenticated:
            headers.update(self.credentials(account))
        return httpx.Client(
            base_url=self.base_url + "/",
            headers=headers,
            transport=GuardedTransport(inner, self.guard),
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
            follow_redirects=False,
            trust_env=False,
        )

    # -- what the guard keeps ----------------------------------------------------------------
    @property
    def evidence(self) -> EvidenceLog | None:
        """Where every exchange is written (None: nowhere)."""
        return self.guard.evidence

    @evidence.setter
    def evidence(self, log: EvidenceLog | None) -> None:
        self.guard.evidence = log

    @property
    def context(self) -> tuple[str, list[str]]:
        """The check (node id) and requirement IDs the requests being sent now serve."""
        return self.guard.context

    @context.setter
    def context(self, value: tuple[str, list[str]]) -> None:
        self.guard.context = value

    def out_of_time(self) -> bool:
        """Whether the run reached its --max-duration (so later requests were not sent)."""
        return self.guard.state.out_of_time

    def storm_note(self) -> str | None:
        """One line when the target throttled every request for long enough that the run stopped."""
        return self.guard.storm_note()

    def observe(self, observer: Callable[[Exchange, bytes], None]) -> None:
        """Have ``observer`` see every answered exchange of the run from now on (status set, body read)."""
        self.guard.observers.append(observer)

    def history(self) -> list[Exchange]:
        return self.guard.history()

    def unresponsive_operations(self) -> dict[str, str]:
        """Operations the breaker stopped calling during the run, and why."""
        return self.guard.unresponsive_operations()

    def time_spent(self) -> dict[str, Any]:
        """Where the run's time went (see ``Guard.time_spent``)."""
        return self.guard.time_spent()

    def redact(self, text: str) -> str:
        """Mask every credential this target knows in ``text`` (one field, never a serialised document)."""
        return self.redactor.text(text)

    def exchange_line(self, reproduce: str | None = None, status: int | None = None) -> int | None:
        """The evidence line of the exchange ``reproduce`` repeats (answered ``status``, when given),
        else of the latest exchange.

        Credentials are masked in a reproduce command, so an authentication probe and the request it
        varies read alike: the status tells them apart.
        """
        logged = [exchange for exchange in reversed(self.history()) if exchange.line]
        if reproduce is not None:
            for exchange in logged:
                if self.curl(exchange) == reproduce and status in (None, exchange.status):
                    return exchange.line
        return logged[0].line if logged else None

    def curl(self, exchange: Exchange) -> str:
        """A curl command that repeats an exchange, credentials masked."""
        parts = ["curl", *([] if self.verify_tls else ["--insecure"]), "-X", exchange.method, exchange.url]
        for name, value in exchange.headers.items():
            lname = name.lower()
            if lname in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            if lname in self.redactor.header_names:
                value = "Bearer " + MASK if lname == "authorization" and value.startswith("Bearer ") else MASK
            parts += ["-H", f"{name}: {value}"]
        if exchange.body:
            parts += ["--data-raw", exchange.body.decode("utf-8", "replace")]
        return shlex.join(self.redact(part) for part in parts)

    def line_of(self, response: httpx.Response | None) -> int | None:
        """The evidence line of the exchange that answered ``response`` (None: not logged)."""
        line = response.extensions.get(EVIDENCE_LINE) if response is not None else None
        return line if isinstance(line, int) and line > 0 else None

    def reproduce_of(self, response: httpx.Response) -> str:
        """A curl command that sends ``response``'s request again, credentials masked."""
        return self.curl(exchange_of(response.request, response.status_code))

    def last_reproduce(self) -> str | None:
        history = self.history()
        return self.curl(history[-1]) if history else None


def json_or_none(response: httpx.Response) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None
