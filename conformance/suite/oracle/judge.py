"""The oracle: every answer of the run, judged against the contract and against what the run wrote.

It watches every exchange the target answers (``Target.observe``): the hand-written checks', the
generated cases', the exploration's. For each it knows the operation, the account whose credentials
it carried (or what is wrong with them), the query, the body sent and the answer, and it applies
every rule the contract states over that domain:

- credentials: a request whose API key or account token is missing or differs from a valid one in
  any way gets 401 (AUTH-001..005), with a JSON ``detail`` (AUTH-006);
- a 5xx is never right (HTTP-001);
- a create answered 2xx goes into the ledger; a 201 echoes every well-formed writable field sent
  (CREATE-002, phone forms CREATE-011), with ``errors`` empty (CREATE-001), a new non-empty id
  (CREATE-003, a UUID: CREATE-004), RFC 3339 timestamps in order (CREATE-005, 006), ``logs`` only in
  debug mode (CREATE-009, 010), no server-owned field applied (CREATE-012) and a warning for every
  unknown key (ENVELOPE-002, nested ENVELOPE-006); a body without an object ``model`` is never
  accepted (ENVELOPE-005); a refused write's tags are kept;
- a read (list page, retrieve) never shows another account's lead (TENANT-001..004) nor a lead a
  refused write carried (AUTH-007, ENVELOPE-003, ENVELOPE-007); a lead the run wrote reads back and
  lists with the written values (CREATE-007, CREATE-008) and keeps no server-owned field it was sent;
  relations follow ``expand`` and ``remote_data`` follows ``include_remote_data`` (EXPAND-001..004);
  every filter holds for every lead of every page (FILTER-001..006); ``page_size`` bounds every page
  (PAGE-002, RFC-002); a first page has no ``previous`` (PAGE-005, RFC-002); ``is_custom`` holds on
  every page (RFC-003);
- pages are linked into walks by their cursors; a walk that ended visited each item once (PAGE-004,
  RFC-002) and, with at most one filter, holds every lead the run wrote that matches it and was
  created before the walk began (CREATE-008, FILTER-00x).

Each judgement notes the part of the requirement's domain it covered. Violations are kept per
requirement with the evidence line of the exchange that shows them; the audit checks report them.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.contract.fragment import load_fragment
from conformance.http.target import Exchange, Target
from conformance.outcomes import Unverified, Violation, ViolationGroup
from conformance.suite.oracle.compare import (
    NESTED_FIELDS,
    RELATION_FIELDS,
    SERVER_OWNED,
    differences,
    relation_id,
    same_instant,
    value_classes,
)
from conformance.suite.oracle.domain import DomainCoverage
from conformance.suite.oracle.ledger import Ledger, Refused, Write, Written, tags_in
from conformance.suite.support.fitting import fits, takes_null
from conformance.suite.support.generation import field_schema
from conformance.suite.support.leads import declined_fields
from conformance.suite.support.problems import pointer_of, pointer_tokens, problems_named, problems_of
from conformance.suite.support.validators import shape_problems

__all__ = ["MAX_KEPT", "Finding", "Oracle", "Verdicts"]

#: violations kept per requirement (the rest are counted)
MAX_KEPT = 50
#: cursors of unfinished walks kept at once
MAX_PENDING = 5000
#: how far a lead's instant must lie from a bound before its absence from a walk counts (a target may
#: store finer instants than it shows, or round them)
BOUND_MARGIN = timedelta(seconds=1)
PRIMARY, SECOND = "primary", "second"

LIST, CREATE, RETRIEVE, META, RFC = "list", "create", "retrieve", "meta-post", "remote-field-classes"
#: filter parameter -> (lead field, requirement)
DATE_FILTERS = {
    "created_after": ("created_at", "LEADS-FILTER-001"),
    "created_before": ("created_at", "LEADS-FILTER-001"),
    "modified_after": ("modified_at", "LEADS-FILTER-002"),
    "modified_before": ("modified_at", "LEADS-FILTER-002"),
}
EXACT_FILTERS = {"remote_id": ("remote_id", "LEADS-FILTER-003"), "owner_id": ("owner", "LEADS-FILTER-004")}
CONTACT_FILTERS = {
    "email_addresses": ("email_addresses", "email_address", "LEADS-FILTER-005"),
    "phone_numbers": ("phone_numbers", "phone_number", "LEADS-FILTER-006"),
}
#: (method, operation) -> the documented 2xx status and the fragment's component of its body
DOCUMENTED = {
    ("GET", LIST): (200, "PaginatedLeadList"),
    ("POST", CREATE): (201, "LeadResponse"),
    ("GET", RETRIEVE): (200, "Lead"),
    ("GET", META): (200, "MetaResponse"),
    ("GET", RFC): (200, "PaginatedRemoteFieldClassList"),
}
#: list parameters that do not change whether a live, non-shell lead the run wrote is listed
NEUTRAL = {
    "page_size",
    "cursor",
    "expand",
    "include_remote_data",
    "include_remote_fields",
    "include_deleted_data",
    "include_shell_data",
}


@dataclass(frozen=True)
class Finding:
    """One violation the oracle saw: what, and the evidence line of the exchange that shows it."""

    requirement: str
    message: str
    line: int
    #: a command that sends the exchange again, credentials masked
    reproduce: str | None = None


@dataclass
class Tally:
    """What the oracle judged of one requirement on the exchanges of one check."""

    judged: int = 0
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Verdicts:
    """Per requirement: how many observations were judged, and the violations seen (the first ones);
    and the same per check whose exchange was judged (``by_check``)."""

    judged: Counter[str] = field(default_factory=Counter)
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    by_check: dict[str, dict[str, Tally]] = field(default_factory=dict)
    #: the check whose exchange is being judged now
    current: str = ""
    #: makes a reproduce command for the exchange of an evidence line being judged now
    reproduce: Callable[[int], str | None] = lambda _line: None

    def _tally(self, requirement: str) -> Tally:
        return self.by_check.setdefault(self.current, {}).setdefault(requirement, Tally())

    def ok(self, requirement: str) -> None:
        self.judged[requirement] += 1
        self._tally(requirement).judged += 1

    def fail(self, requirement: str, message: str, line: int) -> None:
        self.judged[requirement] += 1
        self.counts[requirement] += 1
        tally = self._tally(requirement)
        tally.judged += 1
        kept = self.findings.setdefault(requirement, [])
        fresh = all(f.message != message for f in kept)
        finding = Finding(requirement, message, line, self.reproduce(line))
        if len(kept) < MAX_KEPT and fresh:
            kept.append(finding)
        if len(tally.findings) < MAX_KEPT and all(f.message != message for f in tally.findings):
            tally.findings.append(finding)

    def check(self, condition: bool, requirement: str, message: Callable[..., str], line: int) -> bool:
        if condition:
            self.ok(requirement)
        else:
            self.fail(requirement, message(), line)
        return condition


# ------------------------------------------------------------------------------ reading a request
@dataclass
class Seen:
    """One exchange as the oracle reads it."""

    exchange: Exchange
    operation: str
    method: str
    lead_id: str | None
    query: list[tuple[str, str]]
    headers: dict[str, str]
    status: int
    sent: Any
    answer: Any

    @property
    def line(self) -> int:
        return self.exchange.line

    def params(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for key, value in self.query:
            grouped.setdefault(key, []).append(value)
        return grouped

    def single(self, name: str) -> str | None:
        """The value of a parameter given exactly once (None: absent, or given more than once)."""
        values = self.params().get(name, [])
        return values[0] if len(values) == 1 else None

    @property
    def shown(self) -> str:
        path = urlsplit(self.exchange.url)
        return f"{self.method} {path.path}" + (f"?{path.query}" if path.query else "")


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def operation_of(method: str, path: str, base_path: str) -> tuple[str | None, str | None]:
    """The Leads operation a request path names, and the lead id of a retrieve."""
    if not path.startswith(base_path + "/crm/v1/leads"):
        return None, None
    rest = path[len(base_path) + len("/crm/v1/leads") :]
    if rest == "":
        return (LIST if method == "GET" else CREATE if method == "POST" else None), None
    if rest == "/meta/post":
        return META, None
    if rest == "/remote-field-classes":
        return RFC, None
    if rest.startswith("/") and "/" not in rest[1:] and method == "GET":
        return RETRIEVE, unquote(rest[1:])
    return None, None


# ------------------------------------------------------------------------------ walks
@dataclass
class Walk:
    """Pages of one list linked by their cursors, from a first page."""

    operation: str
    account: str
    params: tuple[tuple[str, str], ...]
    started: float
    pages: int = 0
    ids: list[str] = field(default_factory=list)
    first_line: int = 0
    finished: float = 0.0


def _walk_key(seen: Seen, account: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return seen.operation, account, tuple(sorted((k, v) for k, v in seen.query if k != "cursor"))


# ------------------------------------------------------------------------------ the oracle
class Oracle:
    """Judges every answered exchange (see the module docstring); call it as a Target observer."""

    def __init__(self, target: Target, ledger: Ledger, coverage: DomainCoverage) -> None:
        self.target = target
        self.ledger = ledger
        self.coverage = coverage
        self.verdicts = Verdicts()
        #: faults of the oracle itself (a bug of the suite), with their tracebacks
        self.errors: list[str] = []
        self._lock = threading.RLock()
        self._base_path = urlsplit(target.base_url).path.rstrip("/")
        self._walks: dict[tuple[Any, str], Walk] = {}
        #: relation ids each account's reads showed (owner, converted_contact, converted_account)
        self.relations: dict[str, set[str]] = {PRIMARY: set(), SECOND: set()}
        #: the ids each account's list pages have shown
        self.listed: dict[str, set[str]] = {PRIMARY: set(), SECOND: set()}
        #: per account, the relation ids a read expanded to an object (and its line), and the ones a read
        #: expanded to null where the run wrote them (their line and what to say)
        self.expanded: dict[str, dict[str, int]] = {PRIMARY: {}, SECOND: {}}
        self.expanded_to_null: dict[str, dict[str, list[tuple[int, str]]]] = {PRIMARY: {}, SECOND: {}}
        #: what meta/post said, per account (its model's properties)
        self.meta: dict[str, dict[str, Any]] = {}
        self._request_fields = _request_fields()
        self._comparables: dict[tuple[str, str, int], tuple[dict[str, Any], set[str]]] = {}

    # -- entry ---------------------------------------------------------------------------------
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
            sent=_json(exchange.body) if exchange.body else None,
            answer=_json(body),
        )
        self._media_type(seen)
        account, defects = self.credentials(headers)
        if seen.method == "POST" and operation == CREATE:
            self.ledger.wrote(Write(account, exchange.sent_at, exchange.answered_at))
        self.coverage.note("LEADS-HTTP-001", operation=operation)
        if seen.status >= 500:
            self.verdicts.fail(
                "LEADS-HTTP-001", f"{seen.shown} answered {seen.status} (a server error)", seen.line
            )
        else:
            self.verdicts.ok("LEADS-HTTP-001")
        if defects:
            self._unauthenticated(seen, defects)
            return
        if account is None:
            return
        self._documented(seen)
        if operation == RETRIEVE:
            self._retrieve(seen, account)
        elif seen.status >= 500:
            return
        elif operation == CREATE:
            self._create(seen, account)
        elif operation == LIST and seen.status == 200:
            self._list(seen, account)
        elif operation == RFC and seen.status == 200:
            self._rfc(seen, account)
        elif operation == META and seen.status == 200:
            self._meta(seen, account)

    def conclude(self, check: str, requirements: list[str] | tuple[str, ...]) -> None:
        """Raise what the oracle saw on the exchanges of ``check`` for ``requirements``: the violations;
        else, for the requirements none of its exchanges fell under, that it gives them no evidence."""
        with self._lock:
            tallies = {rid: self.verdicts.by_check.get(check, {}).get(rid, Tally()) for rid in requirements}
        found = [finding for tally in tallies.values() for finding in tally.findings]
        if found:
            violations = [Violation(f.message, [f.requirement], f.reproduce, f.line) for f in found[:10]]
            raise violations[0] if len(violations) == 1 else ViolationGroup(violations)
        empty = [rid for rid, tally in tallies.items() if not tally.judged]
        if len(empty) == len(tallies):
            pytest.skip("none of the check's answers fell in its requirements' domains")
        if empty:
            raise Unverified("none of the check's answers fell in these requirements' domains", empty)

    def _documented(self, seen: Seen) -> None:
        """A 2xx answer uses the operation's documented status, and its body matches the fragment (the
        contract's tolerances applied: open enums, nullable everything, extra properties, advisory
        formats)."""
        if not 200 <= seen.status < 300:
            return
        documented, component = DOCUMENTED[(seen.method, seen.operation)]
        problems = (
            [] if seen.status == documented else [f"status {seen.status} is not the documented {documented}"]
        )
        if seen.answer is not None or seen.exchange.content_type:
            problems += shape_problems(seen.answer, component)
        self.coverage.note("LEADS-HTTP-002", operation=seen.operation)
        self.verdicts.check(
            not problems,
            "LEADS-HTTP-002",
            lambda: (
                f"{seen.shown} answered {seen.status} with a body that is not a {component}: "
                + "; ".join(problems[:3])
            ),
            seen.line,
        )

    def _media_type(self, seen: Seen) -> None:
        """A JSON body says it is JSON (LEADS-HTTP-003): ``application/json`` or a ``+json`` type."""
        if seen.answer is None:
            return
        kind = (seen.exchange.content_type or "").split(";")[0].strip().lower()
        self.coverage.note("LEADS-HTTP-003", operation=seen.operation)
        self.verdicts.check(
            kind == "application/json" or kind.endswith("+json"),
            "LEADS-HTTP-003",
            lambda: f"{seen.shown} answered a JSON body ({seen.status}) as {kind or 'no Content-Type'!r}",
            seen.line,
        )

    # -- credentials ---------------------------------------------------------------------------
    def credentials(self, headers: dict[str, str]) -> tuple[str | None, list[str]]:
        """The account whose valid credentials a request carried, or the AUTH requirements it breaks."""
        target = self.target
        defects = []
        authorization = headers.get("authorization")
        if authorization is None:
            defects.append("LEADS-AUTH-001")
        else:
            scheme, _, rest = authorization.partition(" ")
            if not (scheme.lower() == "bearer" and rest.lstrip(" ") == target.token):
                schemes = (f"Token {target.token}", target.token)
                defects.append("LEADS-AUTH-005" if authorization in schemes else "LEADS-AUTH-002")
        token = headers.get("x-account-token")
        account = None
        if token is None:
            defects.append("LEADS-AUTH-003")
        elif token == target.account_token:
            account = PRIMARY
        elif target.second_account_token and token == target.second_account_token:
            account = SECOND
        else:
            defects.append("LEADS-AUTH-004")
        return account, defects

    def _credential_class(self, sent: str | None, valid: str) -> str:
        if sent is None:
            return "missing"
        if sent.strip() == valid:
            return "whitespace"
        if sent.lower() == valid.lower():
            return "case"
        if sent.startswith(valid):
            return "suffix"
        if valid.startswith(sent):
            return "prefix"
        return "wrong"

    def _unauthenticated(self, seen: Seen, defects: list[str]) -> None:
        status = seen.status
        authorization = seen.headers.get("authorization")
        key = None if authorization is None else authorization.partition(" ")[2] or authorization
        classes = {
            "LEADS-AUTH-001": "missing",
            "LEADS-AUTH-002": self._credential_class(key, self.target.token),
            "LEADS-AUTH-003": "missing",
            "LEADS-AUTH-004": self._credential_class(
                seen.headers.get("x-account-token"), self.target.account_token
            ),
            "LEADS-AUTH-005": "scheme",
        }
        for requirement in defects:
            self.coverage.note(requirement, operation=seen.operation, credential=classes[requirement])
            self.verdicts.check(
                status == 401,
                requirement,
                lambda requirement=requirement: (
                    f"{seen.shown} with {_defect_words(requirement, classes[requirement])} answered "
                    f"{status}, not 401"
                ),
                seen.line,
            )
        if status == 401:
            answer = seen.answer
            self.coverage.note("LEADS-AUTH-006", operation=seen.operation)
            self.verdicts.check(
                isinstance(answer, dict) and isinstance(answer.get("detail"), str),
                "LEADS-AUTH-006",
                lambda: f"{seen.shown} answered a 401 whose body is not a JSON object with a string detail",
                seen.line,
            )
        if seen.method == "POST" and seen.operation == CREATE:
            if status >= 500 or 200 <= status < 300:
                return
            tags = frozenset(tags_in(seen.sent, self.target.run_id))
            if tags:
                self.ledger.refuse(
                    Refused(None, tags, "LEADS-AUTH-007", status, seen.line, seen.exchange.answered_at)
                )

    # -- creates -------------------------------------------------------------------------------
    def _create(self, seen: Seen, account: str) -> None:
        status = seen.status
        sent = seen.sent
        model_sent = sent.get("model") if isinstance(sent, dict) else None
        answer = seen.answer if isinstance(seen.answer, dict) else {}
        if 400 <= status < 500:
            self._refused(seen, account, answer)
            return
        if not 200 <= status < 300:
            return
        if not isinstance(model_sent, dict) and _is_json_request(seen.headers):
            self.verdicts.fail(
                "LEADS-ENVELOPE-005",
                f"{seen.shown} accepted ({status}) a body without an object model: {_short(sent)}",
                seen.line,
            )
            return
        model = answer.get("model")
        if not isinstance(model, dict) or not isinstance(model_sent, dict):
            return
        ident = model.get("id")
        if isinstance(ident, str) and ident:
            written = Written(
                account=account,
                id=ident,
                sent=model_sent,
                answer=model,
                declined=frozenset(declined_fields(answer)),
                line=seen.line,
                sent_at=seen.exchange.sent_at,
                answered_at=seen.exchange.answered_at,
                status=status,
                params=dict(seen.query),
                tags=frozenset(tags_in(model_sent, self.target.run_id)),
            )
            earlier = self.ledger.add(written)
            self.verdicts.check(
                earlier is None,
                "LEADS-CREATE-003",
                lambda: (
                    f"{seen.shown} answered the id {ident!r}, which the create of line "
                    f"{earlier.line if earlier else '?'} answered too"
                ),
                seen.line,
            )
        if status == 201:
            self._created(seen, account, model_sent, answer, model)

    def _created(
        self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any], model: dict[str, Any]
    ) -> None:
        line = seen.line
        verdicts = self.verdicts
        ident = model.get("id")
        verdicts.check(
            isinstance(ident, str) and bool(ident),
            "LEADS-CREATE-003",
            lambda: f"a create answered model.id {ident!r}, not a non-empty string",
            line,
        )
        verdicts.check(is_uuid(ident), "LEADS-CREATE-004", lambda: f"model.id {ident!r} is not a UUID", line)
        errors = answer.get("errors")
        verdicts.check(
            isinstance(answer.get("warnings"), list) and isinstance(errors, list) and not errors,
            "LEADS-CREATE-001",
            lambda: (
                f"a 201 create answer has warnings {_short(answer.get('warnings'))} and errors "
                f"{_short(errors)} (arrays, errors empty)"
            ),
            line,
        )
        self._timestamps(model, f"the create of {seen.shown}", line)
        self._logs(seen, answer)
        self._echo(seen, account, sent, answer, model)
        self._server_owned(sent, model, f"the 201 to {seen.shown}", line)
        self._unknown_keys(seen, account, sent, answer)
        self._false_warnings(seen, account, sent, answer)

    def _false_warnings(self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any]) -> None:
        """An UNRECOGNIZED_FIELD warning names a field the target does not recognise (ENVELOPE-008): never
        model itself, nor a field the account's meta/post offers that the write sent."""
        offered = set(self.meta.get(account) or self._request_fields[0])
        false = []
        for key, item in problems_of(answer):
            if key != "warnings" or not isinstance(item, dict):
                continue
            if item.get("problem_type") != "UNRECOGNIZED_FIELD":
                continue
            pointer = pointer_of(item)
            if pointer is None:
                continue
            tokens = pointer_tokens(pointer)
            named = tokens[1:] if tokens[:1] == ["model"] else tokens
            if tokens == ["model"] or (len(named) == 1 and named[0] in offered and named[0] in sent):
                false.append(pointer)
        self.coverage.note("LEADS-ENVELOPE-008", account=account)
        self.verdicts.check(
            not false,
            "LEADS-ENVELOPE-008",
            lambda: f"the 201 to {seen.shown} warns UNRECOGNIZED_FIELD at {', '.join(false[:3])}, fields it "
            "recognises",
            seen.line,
        )

    def _timestamps(self, model: dict[str, Any], where: str, line: int) -> None:
        created, modified = parse_datetime(model.get("created_at")), parse_datetime(model.get("modified_at"))
        for name, moment in (("created_at", created), ("modified_at", modified)):
            self.verdicts.check(
                moment is not None,
                "LEADS-CREATE-005",
                lambda name=name: f"{where}: {name} {model.get(name)!r} is not an RFC 3339 date-time",
                line,
            )
        if created is not None and modified is not None:
            self.verdicts.check(
                created <= modified,
                "LEADS-CREATE-006",
                lambda: (
                    f"{where}: created_at {model.get('created_at')!r} is later than modified_at "
                    f"{model.get('modified_at')!r}"
                ),
                line,
            )

    def _logs(self, seen: Seen, answer: dict[str, Any]) -> None:
        debug = seen.single("is_debug_mode") if "is_debug_mode" in seen.params() else "false"
        logs = answer.get("logs")
        if debug == "false":
            self.verdicts.check(
                logs in (None, []),
                "LEADS-CREATE-009",
                lambda: f"{seen.shown} (no is_debug_mode) answered logs {_short(logs)}",
                seen.line,
            )
        elif debug == "true":
            problems = (
                [
                    issue
                    for index, item in enumerate(logs)
                    for issue in shape_problems(item, "DebugModeLog", f"logs[{index}]")
                ]
                if isinstance(logs, list)
                else [f"logs is {_short(logs)}, not an array"]
            )
            self.verdicts.check(
                not problems,
                "LEADS-CREATE-010",
                lambda: f"{seen.shown}: {'; '.join(problems)[:300]}",
                seen.line,
            )

    def _fits_meta(self, account: str) -> Callable[[str, Any], bool]:
        """Whether a value is one the account's meta/post allows for a field (anything, without meta/post)."""
        properties = self.meta.get(account)
        if not properties:
            return lambda _name, _value: True

        def allowed(name: str, value: Any) -> bool:
            schema = properties.get(name)
            if schema is None:
                return True
            if value is None:
                return takes_null(schema)
            try:
                return fits(value, field_schema(name, schema))
            except Exception:  # a schema the suite cannot read constrains nothing it can tell
                return True

        return allowed

    def _echo(
        self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any], model: dict[str, Any]
    ) -> None:
        allowed = self._fits_meta(account)
        comparable = {name: value for name, value in sent.items() if allowed(name, value)}
        found = differences(comparable, model, declined_fields(answer), self.relations[account])
        classes = value_classes(comparable)
        self.coverage.note("LEADS-CREATE-002", account=account, values=classes, fields=found.compared)
        self.verdicts.check(
            not found.must,
            "LEADS-CREATE-002",
            lambda: f"the 201 to {seen.shown} does not echo what was sent: " + "; ".join(found.must[:4]),
            seen.line,
        )
        if any(name == "phone_numbers" for name in found.compared):
            self.coverage.note("LEADS-CREATE-011", account=account)
            self.verdicts.check(
                not found.should,
                "LEADS-CREATE-011",
                lambda: f"the 201 to {seen.shown}: " + "; ".join(found.should[:3]),
                seen.line,
            )

    def _server_owned(self, sent: dict[str, Any], shown: dict[str, Any], where: str, line: int) -> None:
        """A server-owned field sent inside model must not have been applied (CREATE-012)."""
        applied = []
        for name in SERVER_OWNED:
            if name not in sent:
                continue
            value, got = sent[name], shown.get(name)
            if name == "remote_was_deleted":
                hit = value is True and got is True
            elif name in ("created_at", "modified_at"):
                hit = same_instant(value, got)
            else:
                hit = isinstance(value, str) and bool(value) and got == value
            if hit:
                applied.append(f"{name} {got!r}")
        if any(name in sent for name in SERVER_OWNED):
            self.coverage.note("LEADS-CREATE-012", fields=[name for name in SERVER_OWNED if name in sent])
            self.verdicts.check(
                not applied,
                "LEADS-CREATE-012",
                lambda: f"{where} took server-owned values sent inside model: " + ", ".join(applied),
                line,
            )

    def _unknown_keys(self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any]) -> None:
        known, nested = self._request_fields
        for name in sent:
            if name in known:
                continue
            self.coverage.note(
                "LEADS-ENVELOPE-002",
                account=account,
                key="server-owned" if name in SERVER_OWNED else "unknown",
            )
            self.verdicts.check(
                bool(problems_named(answer, "UNRECOGNIZED_FIELD", name, ("warnings",), detail_counts=False)),
                "LEADS-ENVELOPE-002",
                lambda name=name: (
                    f"the 201 to {seen.shown} has no UNRECOGNIZED_FIELD warning naming the "
                    f"unknown field {name!r}"
                ),
                seen.line,
            )
        for name, keys in nested.items():
            items = sent.get(name)
            for index, item in enumerate(items if isinstance(items, list) else []):
                for key in item if isinstance(item, dict) else []:
                    if key in keys:
                        continue
                    path = (name, index, key)
                    self.coverage.note("LEADS-ENVELOPE-006", account=account, item=name)
                    self.verdicts.check(
                        bool(
                            problems_named(
                                answer, "UNRECOGNIZED_FIELD", path, ("warnings",), detail_counts=False
                            )
                        ),
                        "LEADS-ENVELOPE-006",
                        lambda path=path: (
                            f"the 201 to {seen.shown} has no UNRECOGNIZED_FIELD warning naming "
                            f"/model/{'/'.join(map(str, path))}"
                        ),
                        seen.line,
                    )

    def _refused(self, seen: Seen, account: str, answer: dict[str, Any]) -> None:
        tags = frozenset(tags_in(seen.sent, self.target.run_id))
        if not tags:
            return
        missing = any(
            isinstance(item, dict) and item.get("problem_type") == "MISSING_REQUIRED_FIELD"
            for key, item in problems_of(answer)
            if key == "errors"
        )
        requirement = "LEADS-ENVELOPE-003" if missing else "LEADS-ENVELOPE-007"
        self.ledger.refuse(
            Refused(account, tags, requirement, seen.status, seen.line, seen.exchange.answered_at)
        )

    # -- reads ---------------------------------------------------------------------------------
    def _list(self, seen: Seen, account: str) -> None:
        body = seen.answer
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return
        leads = [item for item in results if isinstance(item, dict)]
        first = "cursor" not in seen.params()
        page = "first" if first else "later"
        self._page_size(seen, results, "LEADS-PAGE-002", account, page)
        if first:
            self.coverage.note("LEADS-PAGE-005", account=account)
            self.verdicts.check(
                body.get("previous") is None,
                "LEADS-PAGE-005",
                lambda: f"{seen.shown} (a first page) has previous {_short(body.get('previous'))}",
                seen.line,
            )
        rules = self._filters(seen, account)
        for lead in leads:
            self._lead(seen, account, lead, page)
            for rule in rules:
                rule.judge(self, seen, lead, page, account)
        for rule in rules if not leads else []:
            self.coverage.note(
                rule.requirement, parameter=rule.param, page=page, values=rule.classes(), account=account
            )
            self.verdicts.ok(rule.requirement)
        self.listed[account].update(lead["id"] for lead in leads if isinstance(lead.get("id"), str))
        self._walk(seen, account, [lead.get("id") for lead in leads], body)

    def _retrieve(self, seen: Seen, account: str) -> None:
        ident = seen.lead_id or ""
        owner = self.ledger.get(ident)
        status = seen.status
        if owner is not None and owner.account != account:
            # TENANT-001 asks for a 404; TENANT-003 and -004 that the lead never shows up (no 2xx)
            requirement = self._isolation_requirement(owner, account, RETRIEVE)
            kept = status == 404 if requirement == "LEADS-TENANT-001" else not 200 <= status < 300
            self.coverage.note(
                requirement, operation=RETRIEVE, parameter=[k for k, _ in seen.query] or ["none"]
            )
            self.verdicts.check(
                kept,
                requirement,
                lambda: (
                    f"{seen.shown} under the {account} account, of a lead the run created under the "
                    f"{owner.account} account, answered {status}" + (", not 404" if status != 404 else "")
                ),
                seen.line,
            )
            return
        if status == 200 and isinstance(seen.answer, dict):
            lead = seen.answer
            shown = lead.get("id")
            same = shown == ident or (
                is_uuid(shown) and is_uuid(ident) and str(shown).lower() == ident.lower()
            )
            requirement = "LEADS-CREATE-007" if owner is not None else "LEADS-RETRIEVE-001"
            self.verdicts.check(
                same, requirement, lambda: f"{seen.shown} answered the lead {shown!r}", seen.line
            )
            self._lead(seen, account, lead, "retrieve")
            return
        if owner is not None:
            if owner.answered_at < seen.exchange.sent_at:
                self.coverage.note("LEADS-CREATE-007", account=account)
                self.verdicts.fail(
                    "LEADS-CREATE-007",
                    f"{seen.shown}, a lead the run created (line {owner.line}), answered {status}",
                    seen.line,
                )
            return
        if seen.query or status in (401, 429):
            return
        if is_uuid(ident):
            kind = _uuid_class(ident)
            self.coverage.note("LEADS-RETRIEVE-001", values=kind, account=account)
            self.verdicts.check(
                status in (200, 404),
                "LEADS-RETRIEVE-001",
                lambda: (
                    f"{seen.shown}: a well-formed UUID ({kind}) that names no lead the run knows answered "
                    f"{status}, not 404"
                ),
                seen.line,
            )
        else:
            self.coverage.note("LEADS-RETRIEVE-003", account=account)
            self.verdicts.check(
                status in (200, 400, 404),
                "LEADS-RETRIEVE-003",
                lambda: f"{seen.shown}: a malformed lead id answered {status}, neither 404 nor 400",
                seen.line,
            )

    def _lead(self, seen: Seen, account: str, lead: dict[str, Any], page: str) -> None:
        """Rules every lead of every read obeys (list page or retrieve)."""
        ident = lead.get("id")
        owner = self.ledger.get(ident)
        operation = seen.operation
        if owner is None:
            for name in RELATION_FIELDS:
                value = relation_id(lead.get(name))
                if isinstance(value, str) and value:
                    self.relations[account].add(value)
        if owner is not None and owner.account != account:
            requirement = self._isolation_requirement(owner, account, operation)
            self.coverage.note(requirement, operation=operation, page=page)
            self.verdicts.fail(
                requirement,
                f"{seen.shown} under the {account} account shows the lead {ident!r}, which the run created "
                f"under the {owner.account} account (line {owner.line})",
                seen.line,
            )
        elif operation == LIST:
            named = [k for k, _ in seen.query if k != "cursor"]
            for requirement in self._isolation_requirements(account):
                self.coverage.note(
                    requirement,
                    operation=LIST,
                    page=page,
                    parameter=named if set(named) - {"page_size"} else [*named, "none"],
                )
                self.verdicts.ok(requirement)
        if owner is not None and owner.account == account:
            self.ledger.seen(owner.id, lead)
            requirement = "LEADS-CREATE-007" if operation == RETRIEVE else "LEADS-CREATE-008"
            comparable, classes = self._comparable(owner, account)
            expanded = set(_expand_names(seen.single("expand")) or ())
            # how expand renders a relation is EXPAND's concern: one it expanded to null or to anything but
            # an object is not compared by id
            sent = {
                name: value
                for name, value in comparable.items()
                if not (name in expanded and not isinstance(lead.get(name), dict))
            }
            found = differences(sent, lead, owner.declined, self.relations[account])
            self.coverage.note(requirement, account=account, page=page, values=classes)
            self.verdicts.check(
                not found.must,
                requirement,
                lambda: (
                    f"{seen.shown} shows the lead {ident!r} (created on line {owner.line}) with other values "
                    "than were written: " + "; ".join(found.must[:4])
                ),
                seen.line,
            )
            self._server_owned(owner.sent, lead, f"{seen.shown}, lead {ident!r},", seen.line)
        self._stored_although_refused(seen, lead)
        mine = owner if owner is not None and owner.account == account else None
        self._view(seen, account, lead, page, mine)

    def _comparable(self, owner: Written, account: str) -> tuple[dict[str, Any], set[str]]:
        """The part of a written model a read must show (values meta/post allows), and its value classes."""
        key = (owner.id, account, id(self.meta.get(account)))
        hit = self._comparables.get(key)
        if hit is None:
            allowed = self._fits_meta(account)
            sent = {name: value for name, value in owner.sent.items() if allowed(name, value)}
            hit = self._comparables[key] = (sent, value_classes(sent))
        return hit

    def _isolation_requirement(self, owner: Written, account: str, operation: str) -> str:
        if owner.account == PRIMARY:
            return "LEADS-TENANT-001" if operation == RETRIEVE else "LEADS-TENANT-002"
        named = {relation_id(owner.sent.get(name)) for name in RELATION_FIELDS} - {None}
        return "LEADS-TENANT-004" if named & self.relations[PRIMARY] else "LEADS-TENANT-003"

    def _isolation_requirements(self, account: str) -> tuple[str, ...]:
        """The requirements a clean list page of ``account`` gives evidence for (when the run wrote to the
        other account)."""
        other = SECOND if account == PRIMARY else PRIMARY
        leads = self.ledger.leads(other)
        if not leads:
            return ()
        if account == SECOND:
            return ("LEADS-TENANT-002",)
        kinds = {self._isolation_requirement(lead, account, LIST) for lead in leads}
        return tuple(sorted(kinds))

    def _stored_although_refused(self, seen: Seen, lead: dict[str, Any]) -> None:
        refused = self.ledger.refused_tags()
        if not refused:
            return
        for tag in tags_in(lead, self.target.run_id):
            refusal = refused.get(tag)
            if refusal is not None and refusal.answered_at < seen.exchange.sent_at:
                self.verdicts.fail(
                    refusal.requirement,
                    f"{seen.shown} shows the lead {lead.get('id')!r} carrying the tag {tag!r} of a write "
                    "the target "
                    f"refused with {refusal.status} (line {refusal.line})",
                    seen.line,
                )

    def _view(
        self, seen: Seen, account: str, lead: dict[str, Any], page: str, owner: Written | None = None
    ) -> None:
        """Relations follow ``expand``; ``remote_data`` follows ``include_remote_data``."""
        params = seen.params()
        where = f"{seen.shown}: lead {lead.get('id')!r}"
        if "expand" not in params:
            for name in RELATION_FIELDS:
                value = lead.get(name)
                self.coverage.note("LEADS-EXPAND-001", operation=seen.operation, page=page, account=account)
                self.verdicts.check(
                    value is None or isinstance(value, str),
                    "LEADS-EXPAND-001",
                    lambda name=name, value=value: f"{where}: {name} is {_short(value)} without expand",
                    seen.line,
                )
        else:
            named = _expand_names(seen.single("expand"))
            for name in named or ():
                value = lead.get(name)
                self.coverage.note(
                    "LEADS-EXPAND-002", operation=seen.operation, page=page, parameter=name, account=account
                )
                self.verdicts.check(
                    value is None or (isinstance(value, dict) and "id" in value),
                    "LEADS-EXPAND-002",
                    lambda name=name, value=value: (
                        f"{where}: {name} is {_short(value)} with expand naming it"
                    ),
                    seen.line,
                )
                written = relation_id(owner.sent.get(name)) if owner is not None else None
                self._expanded_alike(seen, account, name, value, written, where)
        flag = seen.single("include_remote_data") if "include_remote_data" in params else "false"
        value = lead.get("remote_data")
        if flag == "false":
            given = "absent" if "include_remote_data" not in params else "false"
            self.coverage.note(
                "LEADS-EXPAND-003", operation=seen.operation, page=page, parameter=given, account=account
            )
            self.verdicts.check(
                value is None,
                "LEADS-EXPAND-003",
                lambda: f"{where}: remote_data is {_short(value)} with include_remote_data {given}",
                seen.line,
            )
        elif flag == "true":
            self.coverage.note("LEADS-EXPAND-004", operation=seen.operation, page=page, account=account)
            problems = _remote_data_problems(value)
            self.verdicts.check(
                not problems,
                "LEADS-EXPAND-004",
                lambda: f"{where}: with include_remote_data=true, {problems[0]}",
                seen.line,
            )

    def _expanded_alike(
        self, seen: Seen, account: str, name: str, value: Any, written: Any, where: str
    ) -> None:
        """A relation the target expands to an object in one read is not null in another (EXPAND-002): null
        is for a relation that names nothing the target can show, and a lead the run wrote naming an object
        the target expands elsewhere in the run does name one."""
        expanded, nulls = self.expanded[account], self.expanded_to_null[account]
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            ident = value["id"]
            expanded.setdefault(ident, seen.line)
            for line, what in nulls.pop(ident, []):
                self.verdicts.fail(
                    "LEADS-EXPAND-002",
                    f"{what}, although it expands {ident!r} to an object on line {seen.line}",
                    line,
                )
        elif value is None and isinstance(written, str) and written:
            what = f"{where}: {name} is null with expand naming it, and the run wrote it as {written!r}"
            if written in expanded:
                self.verdicts.fail(
                    "LEADS-EXPAND-002",
                    f"{what}, although it expands {written!r} to an object on line {expanded[written]}",
                    seen.line,
                )
            else:
                nulls.setdefault(written, []).append((seen.line, what))

    def _page_size(self, seen: Seen, results: list[Any], requirement: str, account: str, page: str) -> None:
        text = seen.single("page_size")
        if text is None or not re.fullmatch(r"[0-9]{1,9}", text.strip()) or int(text) < 1:
            return
        size = int(text)
        bound = min(size, 100)
        self.coverage.note(
            requirement, account=account, page=page, values="above-maximum" if size > 100 else "within"
        )
        self.verdicts.check(
            len(results) <= bound,
            requirement,
            lambda: (
                f"{seen.shown} answered {len(results)} results"
                + (", more than the maximum of 100" if size > 100 else "")
            ),
            seen.line,
        )

    # -- filters -------------------------------------------------------------------------------
    def _filters(self, seen: Seen, account: str) -> list[Rule]:
        rules: list[Rule] = []
        for name, (lead_field, requirement) in DATE_FILTERS.items():
            value = seen.single(name)
            moment = parse_datetime(value)
            if moment is not None:
                rules.append(
                    DateRule(
                        name,
                        requirement,
                        str(value),
                        lead_field,
                        moment,
                        name.endswith("_after"),
                        self._bound_class(str(value), moment, lead_field, account),
                    )
                )
        for name, (lead_field, requirement) in EXACT_FILTERS.items():
            value = seen.single(name)
            if value:
                rules.append(
                    ExactRule(
                        name, requirement, value, lead_field, self._value_class(value, lead_field, account)
                    )
                )
        for name, (list_field, sub, requirement) in CONTACT_FILTERS.items():
            value = seen.single(name)
            wanted = [part for part in (value or "").split(",") if part.strip()]
            if wanted:
                rules.append(ContactRule(name, requirement, str(value), list_field, sub, wanted))
        return rules

    def _known_values(self, lead_field: str, account: str) -> set[str]:
        values: set[str] = set()
        for lead in self.ledger.leads(account):
            value = relation_id(lead.shown.get(lead_field))
            if isinstance(value, str) and value:
                values.add(value)
        if lead_field == "owner":
            values |= self.relations[account]
        return values

    def _value_class(self, value: str, lead_field: str, account: str) -> str:
        known = self._known_values(lead_field, account)
        if value in known:
            return "exact"
        for other in known:
            if other.lower() == value.lower():
                return "case"
            if other.startswith(value):
                return "prefix"
            if value.startswith(other):
                return "suffix"
            if value in other:
                return "substring"
        return "other"

    def _bound_class(self, text: str, moment: datetime, lead_field: str, account: str) -> list[str]:
        classes = ["utc" if moment.utcoffset() == timedelta(0) else "offset"]
        if any(
            lead.shown.get(lead_field) is not None and parse_datetime(lead.shown.get(lead_field)) == moment
            for lead in self.ledger.leads(account)
        ):
            classes.append("own-instant")
        return classes

    # -- walks ---------------------------------------------------------------------------------
    def _walk(self, seen: Seen, account: str, ids: list[Any], body: dict[str, Any]) -> None:
        key = _walk_key(seen, account)
        cursor = seen.single("cursor")
        if cursor is None:
            if "cursor" in seen.params():
                return
            walk = Walk(seen.operation, account, key[2], seen.exchange.sent_at, first_line=seen.line)
        else:
            pending = self._walks.pop((key, cursor), None)
            if pending is None:
                return
            walk = pending
        walk.pages += 1
        walk.ids.extend(ident for ident in ids if isinstance(ident, str))
        nxt = body.get("next")
        if isinstance(nxt, str) and nxt:
            if len(self._walks) >= MAX_PENDING:
                self._walks.pop(next(iter(self._walks)))
            self._walks[(key, nxt)] = walk
        elif nxt is None:
            walk.finished = seen.exchange.answered_at
            self._ended(walk, seen)

    def _ended(self, walk: Walk, seen: Seen) -> None:
        """A walk that reached ``next: null``: each item once; every matching lead the run wrote is in it."""
        rfc = walk.operation == RFC
        requirement = "LEADS-RFC-002" if rfc else "LEADS-PAGE-004"
        quiet = rfc or not self.ledger.writes_during(walk.account, walk.started, walk.finished)
        params = dict(walk.params)
        if quiet:
            repeated = [ident for ident, count in Counter(walk.ids).items() if count > 1]
            self.coverage.note(
                requirement,
                account=walk.account,
                page="later" if walk.pages > 1 else "first",
                parameter=[k for k in params if k != "page_size"] or ["none"],
            )
            self.verdicts.check(
                not repeated,
                requirement,
                lambda: (
                    f"the walk from {walk.first_line} to {seen.line} ({walk.pages} pages) visited "
                    f"{_short(repeated[:3])} more than once"
                ),
                seen.line,
            )
        if rfc:
            return
        self._absent(walk, seen, params)

    def _absent(self, walk: Walk, seen: Seen, params: dict[str, str]) -> None:
        """A lead the run wrote, matching the walk's one filter (or none), is in a walk that ended on its
        first page: no paging can have lost it (a lead lost between pages is PAGE-004's concern)."""
        if walk.pages != 1 or any(
            name not in NEUTRAL
            and name not in DATE_FILTERS
            and name not in EXACT_FILTERS
            and name not in CONTACT_FILTERS
            for name in params
        ):
            return
        rules = self._filters(
            Seen(seen.exchange, LIST, "GET", None, list(walk.params), seen.headers, 200, None, None),
            walk.account,
        )
        if len(rules) > 1:
            return
        requirement = rules[0].requirement if rules else "LEADS-CREATE-008"
        visited = set(walk.ids)
        candidates = self.ledger.created_before(walk.account, walk.started)
        missing: dict[str, list[Written]] = {}
        for lead in candidates:
            if rules and not rules[0].surely_holds(lead.shown):
                continue
            self.coverage.note(
                requirement, account=walk.account, walk="ended", page="later" if walk.pages > 1 else "first"
            )
            if lead.id in visited:
                self.verdicts.ok(requirement)
                continue
            # a lead no list of its account has ever shown is not listed at all: that is CREATE-008's
            # concern, not the filter's
            charged = requirement if lead.id in self.listed[walk.account] else "LEADS-CREATE-008"
            missing.setdefault(charged, []).append(lead)
        what = rules[0].shown if rules else "the unfiltered list"
        for charged, leads in missing.items():
            self.verdicts.fail(
                charged,
                f"the walk of {what} from line {walk.first_line} to line {seen.line} "
                f"({walk.pages} pages, ended) "
                f"did not list {len(leads)} lead(s) the run created before it and that match it"
                + ("" if charged == requirement else ", which no list of the account has ever shown")
                + ": "
                + ", ".join(f"{lead.id} (line {lead.line})" for lead in leads[:3]),
                seen.line,
            )

    # -- remote field classes and meta/post ------------------------------------------------------
    def _rfc(self, seen: Seen, account: str) -> None:
        body = seen.answer
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return
        first = "cursor" not in seen.params()
        page = "first" if first else "later"
        self._page_size(seen, results, "LEADS-RFC-002", account, page)
        if first:
            self.verdicts.check(
                body.get("previous") is None,
                "LEADS-RFC-002",
                lambda: f"{seen.shown} (a first page) has previous {_short(body.get('previous'))}",
                seen.line,
            )
        custom = seen.single("is_custom")
        if custom in ("true", "false"):
            wanted = custom == "true"
            for item in results:
                if not isinstance(item, dict):
                    continue
                self.coverage.note("LEADS-RFC-003", account=account, page=page, values=custom)
                self.verdicts.check(
                    item.get("is_custom") is wanted,
                    "LEADS-RFC-003",
                    lambda item=item: (
                        f"{seen.shown} lists the class {item.get('id')!r} with is_custom "
                        f"{item.get('is_custom')!r}"
                    ),
                    seen.line,
                )
        self._walk(seen, account, [item.get("id") for item in results if isinstance(item, dict)], body)

    def _meta(self, seen: Seen, account: str) -> None:
        body = seen.answer
        schema = body.get("request_schema") if isinstance(body, dict) else None
        props = schema.get("properties") if isinstance(schema, dict) else None
        model = props.get("model") if isinstance(props, dict) else None
        properties = model.get("properties") if isinstance(model, dict) else None
        if isinstance(properties, dict):
            self.meta[account] = properties


# ------------------------------------------------------------------------------ filter rules
@dataclass
class Rule:
    """One filter of a list query: ``param=value``, charged to ``requirement``."""

    param: str
    requirement: str
    value: str

    @property
    def shown(self) -> str:
        return f"{self.param}={self.value}"

    def holds(self, lead: dict[str, Any]) -> bool | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def surely_holds(self, lead: dict[str, Any]) -> bool:
        """Whether the lead satisfies the filter beyond doubt (before its absence is called a
        violation)."""
        return self.holds(lead) is True

    def explain(self, lead: dict[str, Any]) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def classes(self) -> list[str]:
        return []

    def judge(self, oracle: Oracle, seen: Seen, lead: dict[str, Any], page: str, account: str) -> None:
        verdict = self.holds(lead)
        if verdict is None:
            return
        oracle.coverage.note(
            self.requirement, parameter=self.param, page=page, values=self.classes(), account=account
        )
        oracle.verdicts.check(
            verdict,
            self.requirement,
            lambda: (
                f"{seen.shown} ({'first page' if page == 'first' else 'a page reached by next'}) "
                "returned the lead "
                f"{lead.get('id')!r}, which {self.shown} excludes: {self.explain(lead)}"
            ),
            seen.line,
        )


@dataclass
class DateRule(Rule):
    field_name: str = "created_at"
    moment: datetime = datetime.min
    after: bool = True
    bound_classes: list[str] = field(default_factory=list)

    def holds(self, lead: dict[str, Any]) -> bool | None:
        moment = parse_datetime(lead.get(self.field_name))
        if moment is None:
            return None
        return moment > self.moment if self.after else moment < self.moment

    def surely_holds(self, lead: dict[str, Any]) -> bool:
        moment = parse_datetime(lead.get(self.field_name))
        if moment is None:
            return False
        return moment > self.moment + BOUND_MARGIN if self.after else moment < self.moment - BOUND_MARGIN

    def explain(self, lead: dict[str, Any]) -> str:
        value = lead.get(self.field_name)
        if parse_datetime(value) == self.moment:
            return f"its {self.field_name} {value!r} is the bound itself"
        return f"its {self.field_name} is {value!r}"

    def classes(self) -> list[str]:
        return self.bound_classes


@dataclass
class ExactRule(Rule):
    field_name: str = "remote_id"
    value_class: str = "other"

    def holds(self, lead: dict[str, Any]) -> bool | None:
        if self.field_name not in lead:
            return None
        return relation_id(lead[self.field_name]) == self.value

    def explain(self, lead: dict[str, Any]) -> str:
        return f"its {self.field_name} is {_short(relation_id(lead.get(self.field_name)))}"

    def classes(self) -> list[str]:
        return [self.value_class]


@dataclass
class ContactRule(Rule):
    list_field: str = "email_addresses"
    sub_field: str = "email_address"
    wanted: list[str] = field(default_factory=list)

    def _values(self, lead: dict[str, Any]) -> list[Any]:
        items = lead.get(self.list_field)
        return (
            [
                item.get(self.sub_field)
                for item in items
                if isinstance(item, dict) and isinstance(item.get(self.sub_field), str)
            ]
            if isinstance(items, list)
            else []
        )

    def _same(self, a: str, b: str) -> bool:
        if self.list_field == "email_addresses":
            return a.strip().casefold() == b.strip().casefold()
        digits_a, digits_b = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
        return a.strip() == b.strip() or (bool(digits_a) and digits_a == digits_b)

    def holds(self, lead: dict[str, Any]) -> bool | None:
        if self.list_field not in lead:
            return None
        return any(self._same(value, wanted) for value in self._values(lead) for wanted in self.wanted)

    def explain(self, lead: dict[str, Any]) -> str:
        return f"its {self.list_field} are {_short(self._values(lead))}"


# ------------------------------------------------------------------------------ helpers
def _request_fields() -> tuple[set[str], dict[str, set[str]]]:
    """LeadRequest's properties, and the properties of each nested request item, from the fragment."""
    schemas = load_fragment()["components"]["schemas"]
    known = set((schemas.get("LeadRequest") or {}).get("properties") or {})
    items = {
        "addresses": "AddressRequest",
        "email_addresses": "EmailAddressRequest",
        "phone_numbers": "PhoneNumberRequest",
    }
    nested = {
        name: set((schemas.get(record) or {}).get("properties") or {}) for name, record in items.items()
    }
    return known, {name: keys for name, keys in nested.items() if name in NESTED_FIELDS and keys}


def _is_json_request(headers: dict[str, str]) -> bool:
    return "json" in headers.get("content-type", "").lower()


def _expand_names(value: str | None) -> list[str] | None:
    """The relations an ``expand`` value names, when every one is known (None: ambiguous or open)."""
    if not value:
        return None
    names = value.split(",")
    return names if all(name in RELATION_FIELDS for name in names) else None


def _remote_data_problems(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"remote_data is {_short(value)}, not an array"]
    problems = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            problems.append(f"remote_data[{index}] is {_short(item)}, not an object")
        elif not isinstance(item.get("path"), str):
            problems.append(f"remote_data[{index}] has path {_short(item.get('path'))}, not a string")
    return problems


def _uuid_class(value: str) -> str:
    parsed = uuid.UUID(value)
    if parsed.int == 0:
        return "nil"
    if parsed.int == (1 << 128) - 1:
        return "max"
    return f"v{parsed.version}" if parsed.variant == uuid.RFC_4122 and parsed.version else "other-variant"


def _defect_words(requirement: str, credential: str) -> str:
    return {
        "LEADS-AUTH-001": "no Authorization",
        "LEADS-AUTH-002": f"a {credential} API key",
        "LEADS-AUTH-003": "no X-Account-Token",
        "LEADS-AUTH-004": f"a {credential} account token",
        "LEADS-AUTH-005": "a scheme other than Bearer",
    }[requirement]


def _short(value: Any, limit: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
