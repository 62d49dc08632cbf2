"""The oracle: every answer of the run, judged against the contract and against what the run wrote.

It watches every exchange the target answers (``Target.observe``): the hand-written checks', the
generated cases', the exploration's. For each it knows the operation, the account whose credentials
it carried (or what is wrong with them), the query, the body sent and the answer, and it applies
every rule the contract states over that domain, one module per concern:

- ``credential_rules``: missing or wrong credentials get 401 with a JSON ``detail`` (AUTH-001..006);
- ``response_rules``: never a 5xx (HTTP-001), the documented 2xx status and body (HTTP-002), JSON said to
  be JSON (HTTP-003);
- ``write_rules``: what a create's answer must hold, and the ledger of what the run wrote and what the
  target refused;
- ``read_rules``: isolation between accounts, read-back and listing equal to what was written, views
  (``expand``, ``include_remote_data``), unknown and malformed ids;
- ``filter_rules``: every filter holds for every lead of every page;
- ``page_rules``: page sizes, first pages, and the walks pages make.

Each judgement notes the part of the requirement's domain it covered. Violations are kept per
requirement with the evidence line of the exchange that shows them (``verdicts``); the audit checks
report them, and each check can ask what the oracle saw on its own exchanges (``conclude``).
"""

from __future__ import annotations

import threading
import traceback
from urllib.parse import parse_qsl, urlsplit

import pytest

from conformance.http.target import Exchange, Target
from conformance.outcomes import Unverified, ViolationGroup
from conformance.suite.oracle.credential_rules import CredentialRules
from conformance.suite.oracle.domain import DomainCoverage
from conformance.suite.oracle.exchanges import (
    CREATE,
    LIST,
    META,
    RETRIEVE,
    RFC,
    Seen,
    json_body,
    operation_of,
)
from conformance.suite.oracle.filter_rules import FilterRules
from conformance.suite.oracle.ledger import Ledger, Write
from conformance.suite.oracle.page_rules import PageRules
from conformance.suite.oracle.read_rules import ReadRules
from conformance.suite.oracle.response_rules import ResponseRules
from conformance.suite.oracle.state import OracleState
from conformance.suite.oracle.verdicts import Verdicts
from conformance.suite.oracle.write_rules import WriteRules

__all__ = ["Oracle"]


class Oracle:
    """Judges every answered exchange (see the module docstring); call it as a Target observer."""

    def __init__(self, target: Target, ledger: Ledger, coverage: DomainCoverage) -> None:
        self.target = target
        self.state = OracleState(target, ledger, coverage)
        #: faults of the oracle itself (a bug of the suite), with their tracebacks
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._base_path = urlsplit(target.base_url).path.rstrip("/")
        self.credentials = CredentialRules(self.state)
        self.responses = ResponseRules(self.state)
        self.writes = WriteRules(self.state)
        self.filters = FilterRules(self.state)
        self.pages = PageRules(self.state, self.filters)
        self.reads = ReadRules(self.state, self.writes, self.filters, self.pages)
        #: who reads a 200 of each operation that only reads (besides a retrieve)
        self._read_pages = {
            LIST: self.reads.list_page,
            RFC: self.pages.rfc_page,
            META: self.state.remember_meta,
        }

    @property
    def verdicts(self) -> Verdicts:
        return self.state.verdicts

    @property
    def listed(self) -> dict[str, set[str]]:
        """The ids each account's list pages have shown."""
        return self.state.listed

    def start(self) -> Oracle:
        self.target.observe(self)
        return self

    def __call__(self, exchange: Exchange, body: bytes) -> None:
        try:
            with self._lock:
                self.verdicts.reproduce = lambda line: (
                    self.target.curl(exchange) if line == exchange.line else None
                )
                self.verdicts.current = self.target.context[0]
                self._judge(exchange, body)
        except Exception:  # a fault of the oracle must not break the request it watches
            self.errors.append(traceback.format_exc(limit=8))

    def _judge(self, exchange: Exchange, body: bytes) -> None:
        parts = urlsplit(exchange.url)
        operation, lead_id = operation_of(exchange.method.upper(), parts.path, self._base_path)
        if operation is None or exchange.status is None or exchange.status == 429:
            return
        headers = {name.lower(): value for name, value in exchange.headers.items()}
        seen = Seen(
            exchange=exchange,
            operation=operation,
            method=exchange.method.upper(),
            lead_id=lead_id,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=headers,
            status=exchange.status,
            sent=json_body(exchange.body) if exchange.body else None,
            answer=json_body(body),
        )
        self.responses.media_type(seen)
        account, defects = self.credentials.account_of(headers)
        if operation == CREATE:
            self.state.ledger.wrote(Write(account, exchange.sent_at, exchange.answered_at))
        self.responses.server_error(seen)
        if defects or account is None:
            self.credentials.unauthenticated(seen, defects)
            return
        self.responses.documented(seen)
        if operation == RETRIEVE:
            self.reads.retrieve(seen, account)
        elif operation == CREATE and seen.status < 500:
            self.writes.create(seen, account)
        elif seen.status == 200:
            self._read_pages[operation](seen, account)

    def conclude(self, check: str, requirements: list[str] | tuple[str, ...]) -> None:
        """Raise what the oracle saw on the exchanges of ``check`` for ``requirements``: the violations;
        else, for the requirements none of its exchanges fell under, that it gives them no evidence."""
        with self._lock:
            tallies = {rid: self.verdicts.of_check(check, rid) for rid in requirements}
        found = [finding for tally in tallies.values() for finding in tally.findings]
        if found:
            violations = [finding.violation() for finding in found[:10]]
            raise violations[0] if len(violations) == 1 else ViolationGroup(violations)
        empty = [rid for rid, tally in tallies.items() if not tally.judged]
        if len(empty) == len(tallies):
            pytest.skip("none of the check's answers fell in its requirements' domains")
        if empty:
            raise Unverified("none of the check's answers fell in these requirements' domains", empty)
