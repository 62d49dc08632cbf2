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

import contextlib
import math
import uuid
from datetime import timedelta, timezone

import httpx
import pytest

from conformance.contract.operations import LEADS, REMOTE_FIELD_CLASSES, lead_path
from conformance.http.target import Target
from conformance.outcomes import Inconclusive
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.accounts import ACCOUNTS, account_client
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.edge_queries import (
    ODD_CURSORS,
    bound_queries,
    derived_cursors,
    edge_queries,
    issued_cursor,
)
from conformance.suite.support.filter_values import OFFSETS
from conformance.suite.support.leads import EXPAND_ALL
from conformance.suite.support.paging import Pages
from conformance.suite.support.sequences import created_after_of, run_sequences
from conformance.suite.support.tenancy import LIST_TEMPLATE, RETRIEVE_TEMPLATE, query_parameters

#: the pages a walk of the run's own leads aims at (its page size is their number divided by this)
AIMED_PAGES = 3
#: the most pages any walk here takes
MAX_PAGES = 6
#: the widest offset there is; a bound in it is also written to the nanosecond
WIDEST_OFFSET = timezone(-timedelta(hours=23, minutes=59))

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
    http = account_client(request, account)
    leads = write_plan.written(account)
    since = created_after_of(leads)
    size = str(max(1, math.ceil(len(leads) / AIMED_PAGES)))
    Pages(http, LEADS, {**since, "expand": EXPAND_ALL, "include_remote_data": "true", "page_size": size},
          MAX_PAGES).read()
    Pages(http, LEADS, {**since, "include_remote_data": "false", "page_size": size}, MAX_PAGES).read()
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
    leads = write_plan.written("second")
    Pages(http, LEADS, {**created_after_of(leads), "page_size": "100"}, 2).read()
    Pages(http, LEADS, {**created_after_of(leads, OFFSETS[0]), "page_size": "1"}, len(leads) + 2).read()
    Pages(http, LEADS, {**created_after_of(leads, WIDEST_OFFSET, "789"), "page_size": "100"}, 2).read()
    remotes = [lead.shown.get("remote_id") for lead in leads]
    remote = next((value for value in remotes if isinstance(value, str) and value), None)
    if remote is not None:
        Pages(http, LEADS, {"remote_id": remote, "page_size": "1"}, 2).read()
    for param, sub in (("email_addresses", "email_address"), ("phone_numbers", "phone_number")):
        values = [
            item.get(sub)
            for lead in leads
            for item in lead.shown.get(param) or []
            if isinstance(item, dict) and isinstance(item.get(sub), str)
        ]
        if values:
            Pages(http, LEADS, {param: values[-1], "page_size": "1"}, 3).read()
    run_model.conclude(request.node.nodeid, FILTERS)


# ------------------------------------------------------------------------------ edge query values
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
        write_plan.written("primary")
    clients = {"primary": request.getfixturevalue("client")}
    if target.second_account_token:
        clients["second"] = request.getfixturevalue("second_client")
        with contextlib.suppress(Inconclusive):
            write_plan.written("second")
    errors = run_sequences(target, clients, write_plan, write_budget, seed, max_examples)
    if errors:
        raise errors[0]
    run_model.conclude(request.node.nodeid, EXPLORED)
