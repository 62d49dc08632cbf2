"""TENANT: the account token names whose data a request sees; no lead crosses accounts.

Isolation is a property of the whole read surface: besides the default list and the retrieve by
id, every query parameter the fragment documents for ``GET /crm/v1/leads`` and
``GET /crm/v1/leads/{id}`` is sent under account B with a value that would select a lead of
account A, and a cursor minted under A is replayed under B. Every search window comes from
timestamps the target returned, never from the local clock.

These checks need a second linked account token (``--second-account-token``); without one
the ``second_client`` fixture skips them with that reason.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS, lead_path
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import describe, not_throttled, results_of
from conformance.suite.support.created import Created
from conformance.suite.support.findings import violation_at
from conformance.suite.support.leads import RELATION_FIELDS, Lead
from conformance.suite.support.paging import Pages
from conformance.suite.support.search import SEARCH_PAGE_SIZE, find_in_list, find_tagged
from conformance.suite.support.tenancy import (
    LIST_TEMPLATE,
    RETRIEVE_TEMPLATE,
    QueryParameter,
    QueryValue,
    bounds_around,
    field_value,
    parameter_value,
    query_parameters,
    selects_by_field,
    shown,
)

TENANT_001 = "LEADS-TENANT-001"
TENANT_002 = "LEADS-TENANT-002"
TENANT_003 = "LEADS-TENANT-003"
TENANT_004 = "LEADS-TENANT-004"
#: the query parameters of the list and of one lead, as the fragment documents them
LIST_PARAMETERS = query_parameters(LIST_TEMPLATE)
RETRIEVE_PARAMETERS = query_parameters(RETRIEVE_TEMPLATE)
LIST_DOCUMENTED = {parameter.name for parameter in LIST_PARAMETERS}
#: pages of the reading account's list one selecting query may walk before it is inconclusive
LEAK_PAGES = 5


def retrieve_status(
    http: httpx.Client, lead_id: str, requirement: str, params: dict[str, QueryValue] | None = None
) -> httpx.Response:
    response = not_throttled(http.get(lead_path(lead_id), params=params or {}), [requirement])
    if response.status_code == 401:
        raise Inconclusive(
            f"the account token used to look across accounts was refused ({describe(response)})",
            [requirement],
        )
    return response


def listing(reader: httpx.Client, lead: Created, control: Created) -> list[Lead]:
    """``lead`` as ``reader``'s list shows it ([] when it does not), searched from ``control``, a lead
    ``reader`` sees."""
    return find_in_list(reader, lambda item: item.get("id") == lead.id, control.model, [lead.model])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-001")
def test_lead_of_account_a_is_404_under_account_b(write_plan: WritePlan, second_client: httpx.Client) -> None:
    """A lead created under account A is 404 when retrieved under account B."""
    lead = write_plan.lead("edges")
    response = retrieve_status(second_client, lead.id, "LEADS-TENANT-001")
    if response.status_code != 404:
        raise Violation(
            f"account B retrieving account A's lead {lead.id!r} is not answered 404 ({describe(response)})",
            ["LEADS-TENANT-001"],
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-002")
def test_lead_of_account_a_is_absent_from_account_b_list(
    write_plan: WritePlan, second_client: httpx.Client
) -> None:
    """A lead created under account A is absent from account B's list."""
    lead = write_plan.lead("edges")
    if listing(second_client, lead, write_plan.any_lead("second")):
        raise Violation(f"account A's lead {lead.id!r} is listed under account B", ["LEADS-TENANT-002"])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-003")
def test_leads_of_account_b_never_show_up_under_account_a(
    client: httpx.Client, write_plan: WritePlan, second_client: httpx.Client
) -> None:
    """Leads created under account B never show up under account A (by id or in the list)."""
    lead = write_plan.any_lead("second")
    control = write_plan.any_lead("primary")
    response = retrieve_status(client, lead.id, "LEADS-TENANT-003")
    if 200 <= response.status_code < 300:
        raise Violation(
            f"account A can retrieve account B's lead {lead.id!r} ({describe(response)})",
            ["LEADS-TENANT-003"],
        )
    if listing(client, lead, control):
        raise Violation(f"account B's lead {lead.id!r} is listed under account A", ["LEADS-TENANT-003"])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-004")
def test_create_under_account_b_naming_account_a_objects_stays_in_account_b(
    client: httpx.Client, write_plan: WritePlan, second_client: httpx.Client
) -> None:
    """A create under account B that names account A's owner, contact and account is refused or stored
    under B, and never shows up under A (by id, or in A's list)."""
    control = write_plan.any_lead("primary")
    write_plan.any_lead("second")
    named = [name for name in RELATION_FIELDS if name in write_plan.known]
    if not named:
        pytest.skip("account A's leads show no owner, contact or account for a create under B to name")
    try:
        lead: Created | None = write_plan.lead("second-naming-first")
    except Inconclusive:
        lead = None
    if lead is not None:
        response = retrieve_status(client, lead.id, TENANT_004)
        if 200 <= response.status_code < 300:
            raise Violation(
                f"account A can retrieve the lead {lead.id!r} that account B created naming A's "
                f"{', '.join(named)} ({describe(response)})", [TENANT_004],
            )
        found = listing(client, lead, control)
    else:
        refused = [r for r in write_plan.refusals if r.lead == "second-naming-first" and r.tag]
        if not refused:
            raise Inconclusive(
                "the create under account B naming account A's objects got no answer", [TENANT_004]
            )
        found, _ = find_tagged(client, {refusal.tag: refusal.lead for refusal in refused}, control.model)
    if found:
        raise Violation(
            f"a lead account B created naming A's {', '.join(named)} shows up in account A's list "
            f"({[item.get('id') for item in found]})", [TENANT_004],
        )


# ------------------------------------------------------------------------------ the read surface
@pytest.fixture(scope="module")
def lead_of_a(write_plan: WritePlan) -> Created:
    """A lead of account A holding every field the read-surface queries select it by."""
    return write_plan.lead("edges")


def subject_for(parameter: QueryParameter, lead: Lead, request: pytest.FixtureRequest) -> Lead:
    """The lead of account A a query of ``parameter`` selects.

    The run's own lead, unless ``parameter`` takes its value from a field that lead leaves empty;
    then the first lead of A's list that holds one.
    """
    if not selects_by_field(parameter) or field_value(lead, parameter.name) is not None:
        return lead
    sample: list[Lead] = request.getfixturevalue("lead_sample")
    return next(
        (item for item in sample if isinstance(item.get("id"), str) and field_value(item, parameter.name)),
        lead,
    )


def selecting_query(parameter: QueryParameter, subject: Lead) -> dict[str, QueryValue] | None:
    """A query of the list that selects ``subject``: ``parameter`` with its value, inside a window
    just around the subject's created_at. The parameter's own value wins; ``created_after`` alone
    narrows the list enough, so it is sent without the window's upper bound."""
    value = parameter_value(parameter, subject)
    if value is None:
        return None
    sized = "page_size" in LIST_DOCUMENTED
    query: dict[str, QueryValue] = {"page_size": str(SEARCH_PAGE_SIZE)} if sized else {}
    if parameter.name != "created_after":
        query.update(bounds_around(subject, LIST_DOCUMENTED))
    query[parameter.name] = value
    return query


def leaks(target: Target, reader: httpx.Client, query: dict[str, QueryValue], watched: set[str],
          requirement: str = TENANT_002, max_pages: int = LEAK_PAGES, to_the_end: bool = True,
          charges: dict[str, str] | None = None) -> None:
    """Walk the reading account's list from ``query``: a lead with a ``watched`` id (the other account's)
    is a violation of ``requirement`` (or of the one ``charges`` names for that lead).

    ``to_the_end``: absence counts only once the walk reached the end of the list within ``max_pages``.
    """
    owner, reading = ("A", "B") if requirement == TENANT_002 else ("B", "A")
    walk = Pages(reader, LEADS, query, max_pages, requirements=[requirement], needs_results=True).read()
    for page, item in walk.results:
        if item.get("id") in watched:
            raise violation_at(
                target,
                (charges or {}).get(item["id"], requirement),
                f"account {owner}'s lead {item['id']!r} is listed under account {reading} by "
                f"{shown(page.query)}",
                page.response,
            )
    # a query the reading account's list refuses shows nothing: the list ended for it
    ended = walk.ended or (walk.refused is not None and not walk.answered)
    if to_the_end and not ended:
        raise Inconclusive(
            f"account {reading}'s list for {shown(query)} could not be read to its end ({walk.problem})",
            [requirement],
        )


def minted_cursor(minter: httpx.Client, requirement: str) -> tuple[dict[str, QueryValue], set[str]]:
    """A ``next`` cursor of one account's list as a query, and the ids that account sees on its page."""
    first = not_throttled(minter.get(LEADS, params={"page_size": "1"}), [requirement])
    body: Any = json_or_none(first)
    cursor = body.get("next") if isinstance(body, dict) else None
    if first.status_code != 200 or not isinstance(cursor, str) or not cursor:
        pytest.skip(f"the list minted no next cursor to replay ({describe(first)})")
    query: dict[str, QueryValue] = {"page_size": "1", "cursor": cursor}
    page = not_throttled(minter.get(LEADS, params=query), [requirement])
    ids = {item["id"] for item in results_of(json_or_none(page)) if isinstance(item.get("id"), str)}
    return query, ids


def listed_by(request: pytest.FixtureRequest, account: str) -> set[str]:
    """The lead ids the account's own list pages have shown so far in the run."""
    model: RunModel = request.getfixturevalue("run_model")
    return set(model.oracle.listed[account]) if model.oracle is not None else set()


def query_across(
    target: Target,
    parameter: QueryParameter,
    subjects: list[Lead],
    minter: httpx.Client,
    reader: httpx.Client,
    requirement: str,
    charges: dict[str, str] | None = None,
    readers_own: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Send ``parameter`` under the reading account with a value that selects one of ``subjects`` (the
    other account's leads); none of them may come back. A cursor minted under the other account is
    replayed: none of the leads its page showed there may come back either, but for those the reading
    account's own lists have shown (``readers_own``: a page that leaks may show the reader's leads)."""
    watched = {lead["id"] for lead in subjects if isinstance(lead.get("id"), str)}
    if parameter.name == "cursor":
        query, seen = minted_cursor(minter, requirement)
        leaks(target, reader, query, watched | (seen - set(readers_own)), requirement, max_pages=1,
              to_the_end=False, charges=charges)
        return
    for subject in subjects:
        selecting = selecting_query(parameter, subject)
        if selecting is not None:
            leaks(target, reader, selecting, watched, requirement, charges=charges)
            return
    pytest.skip(f"no lead of the other account gives {parameter.name} a value to select it by")


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-002")
@pytest.mark.parametrize("parameter", LIST_PARAMETERS, ids=[parameter.name for parameter in LIST_PARAMETERS])
def test_no_list_query_shows_account_a_lead_under_account_b(
    target: Target,
    client: httpx.Client,
    second_client: httpx.Client,
    lead_of_a: Created,
    parameter: QueryParameter,
    request: pytest.FixtureRequest,
) -> None:
    """No query parameter of the lead list brings a lead of account A into account B's list.

    Each parameter the fragment documents is sent under B with a value that selects a lead of A
    (its own remote id, owner, email, a bound just beyond its timestamps, true, every expand value),
    inside a window just around that lead's created_at; a ``next`` cursor minted under A is
    replayed under B. A query B's list refuses shows nothing, and is fine.
    """
    own = {**lead_of_a.model, "id": lead_of_a.id}
    subject = subject_for(parameter, own, request)
    query_across(target, parameter, [own, subject] if subject is not own else [own], client, second_client,
                 TENANT_002, readers_own=listed_by(request, "second"))


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-003", "LEADS-TENANT-004")
@pytest.mark.parametrize("parameter", LIST_PARAMETERS, ids=[parameter.name for parameter in LIST_PARAMETERS])
def test_no_list_query_shows_account_b_lead_under_account_a(
    target: Target,
    client: httpx.Client,
    second_client: httpx.Client,
    write_plan: WritePlan,
    parameter: QueryParameter,
    request: pytest.FixtureRequest,
) -> None:
    """No query parameter of the lead list brings a lead of account B into account A's list: each parameter
    is sent under A with a value that selects one of B's leads; a cursor minted under B is replayed under
    A."""
    subjects, charges = [], {}
    for name in ("second", "second-naming-first"):
        try:
            created = write_plan.lead(name)
        except Inconclusive:
            continue
        subjects.append({**created.model, "id": created.id})
        if name == "second-naming-first":
            charges[created.id] = TENANT_004
    if not subjects:
        raise Inconclusive("no lead could be created under account B", [TENANT_003])
    query_across(target, parameter, subjects, second_client, client, TENANT_003, charges,
                 readers_own=listed_by(request, "primary"))


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-001")
@pytest.mark.parametrize(
    "parameter", RETRIEVE_PARAMETERS, ids=[parameter.name for parameter in RETRIEVE_PARAMETERS]
)
def test_lead_of_account_a_stays_404_under_account_b_with_any_query(
    second_client: httpx.Client, lead_of_a: Created, parameter: QueryParameter
) -> None:
    """A lead of account A stays 404 under account B whatever query parameter the retrieve carries."""
    value = parameter_value(parameter, lead_of_a.model)
    if value is None:
        pytest.skip(f"neither the lead nor the fragment gives {parameter.name} a value")
    response = retrieve_status(second_client, lead_of_a.id, TENANT_001, {parameter.name: value})
    if response.status_code != 404:
        raise Violation(
            f"account B retrieving account A's lead {lead_of_a.id!r} with {parameter.name}={value} is not "
            f"answered 404 ({describe(response)})",
            [TENANT_001],
        )
