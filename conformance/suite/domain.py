"""The whole domain: every parameter on every page, under every account, with edge values, in sequences.

The other checks each hold one obligation up against chosen examples. These drive the read surface
across the domain the contract states and let the oracle (``conformance.suite.oracle``) judge every
answer against what the run wrote; each check then reports what the oracle saw on its own exchanges.

- Relations and ``remote_data`` follow ``expand`` and ``include_remote_data`` on every page of a walk,
  under each account, over the run's own leads (and by id).
- The filters hold under the second account as under the first, with bounds in non-UTC offsets.
- Query values at the edge of what the schema allows (any code point, surrounding whitespace, long
  text, malformed booleans and page sizes) get no server error.
- A state machine, seeded by ``--seed``, interleaves walks, filters (exact values and near misses),
  retrieves (ids of either account, UUIDs of every version) and remote field class walks under both
  accounts, with creates within the write budget's share for it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import math
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, Phase, Verbosity, reject, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.contract.operations import LEADS, REMOTE_FIELD_CLASSES, lead_path
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.compare import RELATION_FIELDS, relation_id
from conformance.suite.oracle.edges import edge_model
from conformance.suite.oracle.ledger import Written
from conformance.suite.oracle.plan import WriteBudget, WritePlan
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.bodies import request_body
from conformance.suite.support.paging import Pages
from conformance.suite.support.tenancy import LIST_TEMPLATE, RETRIEVE_TEMPLATE, query_parameters

EXPAND_ALL = ",".join(RELATION_FIELDS)
#: the pages a walk of the run's own leads aims at (its page size is their number divided by this)
AIMED_PAGES = 3
#: the most pages any walk here takes
MAX_PAGES = 6
#: offsets a bound is written in: east and west of UTC, one with minutes
OFFSETS = (timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))
#: the widest offset there is; a bound in it is also written to the nanosecond
WIDEST_OFFSET = timezone(-timedelta(hours=23, minutes=59))
#: a value holding what a text may hold: surrounding whitespace, accents, a combining mark, a script
#: written right to left, a character beyond the Basic Multilingual Plane
ODD_TEXT = "  ŝtrïng ☃ e\u0301 مرحبا \U0001f984  "
LONG_TEXT = "x" * 300
#: what a boolean or a count may be sent as, outside what the schema allows
ODD_BOOLEAN = "True"
ODD_COUNTS = ("-1", "99999999999999999999")

ACCOUNTS = [pytest.param("primary", id="account-a"), pytest.param("second", id="account-b")]
VIEW = ("LEADS-EXPAND-002", "LEADS-EXPAND-003", "LEADS-EXPAND-004")
FILTERS = ("LEADS-FILTER-001", "LEADS-FILTER-003", "LEADS-FILTER-005", "LEADS-FILTER-006")
EXPLORED = (
    "LEADS-TENANT-001",
    "LEADS-TENANT-002",
    "LEADS-TENANT-003",
    "LEADS-CREATE-007",
    "LEADS-CREATE-008",
    "LEADS-FILTER-001",
    "LEADS-FILTER-002",
    "LEADS-FILTER-003",
    "LEADS-FILTER-004",
    "LEADS-EXPAND-001",
    "LEADS-EXPAND-002",
    "LEADS-EXPAND-003",
    "LEADS-EXPAND-004",
    "LEADS-PAGE-002",
    "LEADS-PAGE-004",
    "LEADS-RETRIEVE-001",
    "LEADS-RFC-002",
    "LEADS-RFC-003",
    "LEADS-HTTP-001",
)


def http_for(request: pytest.FixtureRequest, account: str) -> httpx.Client:
    return request.getfixturevalue("client" if account == "primary" else "second_client")


def walk(http: httpx.Client, path: str, params: dict[str, Any], max_pages: int = MAX_PAGES) -> int:
    """Follow ``next`` from ``params`` (the oracle judges each page); the pages read."""
    pages = Pages(http, path, params, max_pages)
    return sum(1 for _ in pages)


def run_window(leads: list[Written], offset: timezone = UTC, nanoseconds: str = "") -> dict[str, str]:
    """``created_after`` a second before the earliest of ``leads``, written in ``offset`` (its fraction
    extended with ``nanoseconds`` digits, when given)."""
    moments = [lead.created_at for lead in leads if lead.created_at is not None]
    if not moments:
        raise Inconclusive("the run's leads show no created_at to bound a walk with")
    bound = (min(moments) - timedelta(seconds=1)).astimezone(offset)
    text = bound.isoformat(timespec="microseconds")
    if nanoseconds:
        text = text[:26] + nanoseconds + text[26:]
    return {"created_after": text}


def planned_of(plan: WritePlan, account: str) -> list[Written]:
    """The account's leads the run wrote (after its planned leads were made)."""
    names = (
        ("edges", "debug", "twin-1", "twin-2") if account == "primary" else ("second", "second-naming-first")
    )
    for name in names:
        try:
            plan.lead(name)
        except Inconclusive:
            continue
    leads = plan.ledger.leads(account)
    if not leads:
        raise Inconclusive(f"no lead could be created under the {account} account")
    return leads


# ------------------------------------------------------------------------------ every page
@pytest.mark.writes
@pytest.mark.requirement(*VIEW)
@pytest.mark.parametrize("account", ACCOUNTS)
def test_relations_and_remote_data_follow_their_parameters_on_every_page(
    account: str, write_plan: WritePlan, run_model: RunModel, request: pytest.FixtureRequest
) -> None:
    """With expand, each named relation is an object or null, and remote_data is what include_remote_data
    says, on every page of a walk and by id, under each account: the run's own leads are walked in pages
    of about a third of them, with every relation expanded and remote data included, then with
    include_remote_data=false; one of them is read by id both ways."""
    http = http_for(request, account)
    leads = planned_of(write_plan, account)
    window = run_window(leads)
    size = str(max(1, math.ceil(len(leads) / AIMED_PAGES)))
    walk(http, LEADS, {**window, "expand": EXPAND_ALL, "include_remote_data": "true", "page_size": size})
    walk(http, LEADS, {**window, "include_remote_data": "false", "page_size": size})
    lead = leads[0]
    not_throttled(http.get(lead_path(lead.id), params={"expand": EXPAND_ALL, "include_remote_data": "true"}))
    not_throttled(http.get(lead_path(lead.id), params={"include_remote_data": "false"}))
    run_model.conclude(request.node.nodeid, VIEW)


@pytest.mark.writes
@pytest.mark.requirement(*FILTERS)
def test_filters_hold_under_the_second_account(
    write_plan: WritePlan, run_model: RunModel, request: pytest.FixtureRequest
) -> None:
    """The filters hold under the second account as under the first: its own leads, listed, are found by
    a created_after bound written in non-UTC offsets (the widest, -23:59, to the nanosecond), by their
    remote_id, email address and phone number, and no lead that breaks the filter comes back, on any
    page."""
    http = request.getfixturevalue("second_client")
    leads = planned_of(write_plan, "second")
    walk(http, LEADS, {**run_window(leads), "page_size": "100"}, max_pages=2)
    walk(http, LEADS, {**run_window(leads, OFFSETS[0]), "page_size": "1"}, max_pages=len(leads) + 2)
    walk(http, LEADS, {**run_window(leads, WIDEST_OFFSET, "789"), "page_size": "100"}, max_pages=2)
    for lead in leads:
        shown = lead.shown
        remote = shown.get("remote_id")
        if isinstance(remote, str) and remote:
            walk(http, LEADS, {"remote_id": remote, "page_size": "1"}, max_pages=2)
            break
    for list_name, sub, param in (
        ("email_addresses", "email_address", "email_addresses"),
        ("phone_numbers", "phone_number", "phone_numbers"),
    ):
        values = [
            item.get(sub)
            for lead in leads
            for item in lead.shown.get(list_name) or []
            if isinstance(item, dict) and isinstance(item.get(sub), str)
        ]
        if values:
            walk(http, LEADS, {param: values[-1], "page_size": "1"}, max_pages=3)
    run_model.conclude(request.node.nodeid, FILTERS)


# ------------------------------------------------------------------------------ edge query values
def edge_queries(template: str) -> list[dict[str, str]]:
    """Queries of one operation carrying, all at once, edge values of every parameter the fragment
    documents: odd text, long text, then malformed booleans and counts outside the schema."""
    parameters = query_parameters(template)
    texts = [
        p.name
        for p in parameters
        if p.types <= {"string"} and p.schema.get("format") != "date-time" and p.name != "cursor"
    ]
    booleans = [p.name for p in parameters if "boolean" in p.types]
    counts = [p.name for p in parameters if p.types & {"integer", "number"}]
    queries = [{name: ODD_TEXT for name in texts}, {name: LONG_TEXT for name in texts}]
    for count in ODD_COUNTS:
        queries.append({**{name: ODD_BOOLEAN for name in booleans}, **{name: count for name in counts}})
    return [query for query in queries if query]


#: date-time values of the right shape that name no instant (a month 13, February 30, hour 24)
NO_INSTANTS = ("2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z")
#: bounds at the ends of the range that their offsets push past it: no lead is before the first or after
#: the second
BEFORE_EVERYTHING = "0001-01-01T00:00:00+01:00"
AFTER_EVERYTHING = "9999-12-31T23:59:59.999999999-01:00"
#: cursors no server issues: text, text that decodes as base64, encoded query strings of other keys
ODD_CURSORS = (
    "abcde",
    "__4=",
    "YWJj",
    base64.b64encode(b"o=30&p=x").decode(),
    base64.urlsafe_b64encode(b"d=&k=&i=&lc=1").decode(),
)


def bound_queries(template: str) -> list[dict[str, str]]:
    """Queries whose date-time parameters all hold a date that names no instant, one query per such date,
    then the before-side bounds before everything and the after-side ones after everything."""
    names = [p.name for p in query_parameters(template) if p.schema.get("format") == "date-time"]
    if not names:
        return []
    queries = [{name: value for name in names} for value in NO_INSTANTS]
    queries.append({name: BEFORE_EVERYTHING for name in names if name.endswith("_before")})
    queries.append({name: AFTER_EVERYTHING for name in names if name.endswith("_after")})
    return [query for query in queries if query]


def derived_cursors(cursor: str) -> list[str]:
    """Cursors made from one the target issued: cut in half, its last character changed, doubled, and,
    when it decodes as a base64 query string, that query with a key dropped, a key added, a key repeated
    and every value emptied (encoded as the original was)."""
    last = "A" if cursor[-1:] != "A" else "B"
    made = [cursor[: len(cursor) // 2], cursor[:-1] + last, cursor + cursor]
    urlsafe = "-" in cursor or "_" in cursor
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_" if urlsafe else None)
        pairs = parse_qsl(text.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return made
    if not pairs:
        return made
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    for changed in (
        pairs[1:],
        [*pairs, ("lc", "1")],
        [pairs[0], *pairs],
        [(key, "") for key, _ in pairs],
    ):
        made.append(encode(urlencode(changed).encode()).decode())
    return made


def issued_cursor(client: httpx.Client, path: str) -> str | None:
    """The cursor of the target's ``next`` link for a page of one, when it names one."""
    body = json_or_none(not_throttled(client.get(path, params={"page_size": "1"})))
    link = body.get("next") if isinstance(body, dict) else None
    if not isinstance(link, str) or not link:
        return None
    try:
        cursor = httpx.URL(link).params.get("cursor")
    except (httpx.InvalidURL, ValueError):
        return link if "/" not in link and "?" not in link else None
    return cursor or (link if "/" not in link and "?" not in link else None)


EDGE_OPERATIONS = [
    pytest.param(LIST_TEMPLATE, id="list"),
    pytest.param(RETRIEVE_TEMPLATE, id="retrieve"),
    pytest.param("/" + REMOTE_FIELD_CLASSES, id="remote-field-classes"),
]


@pytest.mark.requirement("LEADS-HTTP-001")
@pytest.mark.parametrize("template", EDGE_OPERATIONS)
def test_edge_query_values_get_no_server_error(
    template: str, client: httpx.Client, run_model: RunModel, request: pytest.FixtureRequest, seed: int
) -> None:
    """No request gets a 5xx, whatever its query holds: every parameter of the operation is sent at once
    with text holding any code point and surrounding whitespace, with 300 characters, and with booleans
    and counts outside the schema (-1, a number beyond any integer type); every date-time parameter with
    dates that name no instant and with bounds past either end of the range (the oracle holds the answer
    to the filter: no lead is before the first instant or after the last); and the cursor with values no
    server issues, made up and made from one the target issued."""
    path = template.lstrip("/")
    if template == RETRIEVE_TEMPLATE:
        path = lead_path(str(uuid.UUID(int=seed, version=4)))
    for query in [*edge_queries(template), *bound_queries(template)]:
        not_throttled(client.get(path, params=query), ["LEADS-HTTP-001"])
    if any(p.name == "cursor" for p in query_parameters(template)):
        issued = issued_cursor(client, path)
        for cursor in [*ODD_CURSORS, *(derived_cursors(issued) if issued else [])]:
            not_throttled(client.get(path, params={"cursor": cursor}), ["LEADS-HTTP-001"])
    run_model.conclude(request.node.nodeid, ["LEADS-HTTP-001"])


# ------------------------------------------------------------------------------ sequences
def near_misses(value: str) -> list[str]:
    return [value + "x", value[:-1], value.swapcase()] if len(value) > 1 else [value + "x"]


def kept(step: Callable[..., None]) -> Callable[..., None]:
    """A rule that never raises: its error is kept (``errors``) and every later step is rejected, so that
    Hypothesis never replays a sequence (the replay would send again, to a target that has moved on)."""

    @functools.wraps(step)
    def guarded(self: Exploration, *args: Any, **kwargs: Any) -> None:
        if self.errors:
            reject()
        try:
            step(self, *args, **kwargs)
        except Exception as exc:  # kept, and raised once the machine has stopped
            self.errors.append(exc)
            reject()

    return guarded


class Exploration(RuleBasedStateMachine):
    """Random sequences over the read surface (and a few creates), judged by the oracle as they go."""

    http: dict[str, httpx.Client] = {}
    plan: WritePlan
    budget: WriteBudget
    target: Target
    errors: list[BaseException]
    #: set once a create could not be made: the sequences go on reading
    writes_stopped: bool = False

    def accounts(self) -> list[str]:
        return list(self.http)

    def leads(self, account: str | None = None) -> list[Written]:
        return self.plan.ledger.leads(account)

    @rule(data=st.data())
    @kept
    def walk_the_list(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        params: dict[str, str] = {"page_size": str(data.draw(st.integers(1, 4)))}
        leads = self.leads(account) or self.leads()
        choice = data.draw(st.sampled_from(["window", "remote_id", "owner_id", "modified", "view"]))
        lead = data.draw(st.sampled_from(leads)) if leads else None
        shown = lead.shown if lead is not None else {}
        created, modified = parse_datetime(shown.get("created_at")), parse_datetime(shown.get("modified_at"))
        if choice == "window" and created is not None:
            moment = created
            offset = data.draw(st.sampled_from([UTC, *OFFSETS]))
            side = data.draw(st.sampled_from(["created_after", "created_before"]))
            params[side] = moment.astimezone(offset).isoformat(timespec="microseconds")
            if side == "created_before":
                params["created_after"] = isoformat_z(moment - timedelta(seconds=2))
        elif choice == "modified" and modified is not None:
            params["modified_after"] = isoformat_z(modified - timedelta(milliseconds=1))
        elif choice == "remote_id" and isinstance(shown.get("remote_id"), str) and shown["remote_id"]:
            value = shown["remote_id"]
            params["remote_id"] = data.draw(st.sampled_from([value, *near_misses(value)]))
        elif choice == "owner_id" and isinstance(relation_id(shown.get("owner")), str):
            params["owner_id"] = data.draw(st.sampled_from(near_misses(relation_id(shown["owner"]))))
        else:
            names = data.draw(st.lists(st.sampled_from(RELATION_FIELDS), min_size=1, max_size=3, unique=True))
            params["expand"] = ",".join(names)
            params["include_remote_data"] = data.draw(st.sampled_from(["true", "false"]))
            if lead is not None:
                params.update(run_window([lead]))
        walk(self.http[account], LEADS, params, max_pages=3)

    @rule(data=st.data())
    @kept
    def retrieve(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        leads = self.leads()
        ids = [lead.id for lead in leads]
        version = data.draw(st.sampled_from([1, 3, 4, 5, 7]))
        unknown = str(uuid.UUID(int=data.draw(st.integers(0, (1 << 128) - 1)), version=min(version, 5)))
        ident = data.draw(st.sampled_from([*ids, unknown])) if ids else unknown
        params = data.draw(
            st.sampled_from(
                [
                    {},
                    {"expand": EXPAND_ALL},
                    {"include_remote_data": "true"},
                    {"include_remote_data": "false"},
                ]
            )
        )
        not_throttled(self.http[account].get(lead_path(ident), params=params))

    @rule(data=st.data())
    @kept
    def walk_the_remote_field_classes(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        params = {"page_size": str(data.draw(st.integers(1, 3)))}
        custom = data.draw(st.sampled_from(["true", "false", None]))
        if custom is not None:
            params["is_custom"] = custom
        walk(self.http[account], REMOTE_FIELD_CLASSES, params, max_pages=2)

    @precondition(lambda self: self.budget.left("exploration") > 0 and not self.writes_stopped)
    @rule(data=st.data())
    @kept
    def create(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        if not self.budget.allow("exploration"):
            return
        try:
            meta = self.plan.metas(account)
            tag = self.target.tag("explore")
            known = self.plan.known if account == "primary" else {}
            model = edge_model(meta, tag, known, data.draw(st.integers(0, 1)))
            not_throttled(self.http[account].post(LEADS, json=request_body(meta, model, tag)))
        except Inconclusive:  # a write that cannot be made (or answered) leaves the reads to go on
            type(self).writes_stopped = True


@pytest.mark.writes
@pytest.mark.requirement(*EXPLORED)
def test_random_sequences_agree_with_what_the_run_wrote(
    target: Target,
    write_plan: WritePlan,
    write_budget: WriteBudget,
    run_model: RunModel,
    request: pytest.FixtureRequest,
    seed: int,
    max_examples: int,
) -> None:
    """Seeded sequences of walks, filters (exact values and near misses, bounds in any offset), retrieves
    (ids of either account, unknown UUIDs of several versions, with and without expand and remote data),
    remote field class walks and creates, under both accounts: every answer agrees with the contract and
    with what the run wrote (judged by the oracle)."""
    with contextlib.suppress(Inconclusive):  # without the run's leads, the sequences still read
        planned_of(write_plan, "primary")
    clients = {"primary": request.getfixturevalue("client")}
    if target.second_account_token:
        clients["second"] = request.getfixturevalue("second_client")
        with contextlib.suppress(Inconclusive):
            planned_of(write_plan, "second")
    errors: list[BaseException] = []
    machine = type(
        "SeededExploration",
        (Exploration,),
        {
            "http": clients,
            "plan": write_plan,
            "budget": write_budget,
            "target": target,
            "errors": errors,
        },
    )
    hypothesis_seed(seed)(machine)
    with contextlib.suppress(Unsatisfiable):
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=1,
                stateful_step_count=max(4, max_examples // 3),
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,
            ),
        )
    if errors:
        raise errors[0]
    run_model.conclude(request.node.nodeid, EXPLORED)
