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

from conformance._outcomes import Inconclusive, Violation
from conformance.suite._bodies import full_body
from conformance.suite._created import Created, LeadFactory
from conformance.suite._http import describe, not_throttled
from conformance.suite._leads import run_tag
from conformance.suite._meta import MetaPost
from conformance.suite._paths import LEADS, lead_path
from conformance.suite._search import SEARCH_PAGE_SIZE, find_in_list
from conformance.suite._tenancy import (
    LIST_TEMPLATE,
    RETRIEVE_TEMPLATE,
    Lead,
    QueryParameter,
    QueryValue,
    field_value,
    parameter_value,
    query_parameters,
    results_of_page,
    selects_by_field,
    shown,
    walk_list,
    window,
)
from conformance.target import Target, json_or_none

TENANT_001 = "LEADS-TENANT-001"
TENANT_002 = "LEADS-TENANT-002"
#: the query parameters of the list and of one lead, as the fragment documents them
LIST_PARAMETERS = query_parameters(LIST_TEMPLATE)
RETRIEVE_PARAMETERS = query_parameters(RETRIEVE_TEMPLATE)
LIST_DOCUMENTED = {parameter.name for parameter in LIST_PARAMETERS}
#: pages of account B's list one probe may walk inside its window before it is inconclusive
PROBE_PAGES = 5


def create_under_second(
    target: Target, lead_factory: LeadFactory, meta_post: MetaPost, second_client: httpx.Client
) -> Created:
    """A lead created under account B (no relation ids: those of account A mean nothing there)."""
    return lead_factory(full_body(meta_post, run_tag(target, "tenant-b"), {}), http=second_client)


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


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-001")
def test_lead_of_account_a_is_404_under_account_b(
    lead_factory: LeadFactory, second_client: httpx.Client
) -> None:
    """A lead created under account A is 404 when retrieved under account B."""
    lead = lead_factory()
    response = retrieve_status(second_client, lead.id, "LEADS-TENANT-001")
    if response.status_code != 404:
        raise Violation(
            f"account B retrieving account A's lead {lead.id!r} is not answered 404 ({describe(response)})",
            ["LEADS-TENANT-001"],
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-002")
def test_lead_of_account_a_is_absent_from_account_b_list(
    target: Target, lead_factory: LeadFactory, meta_post: MetaPost, second_client: httpx.Client
) -> None:
    """A lead created under account A is absent from account B's list."""
    lead = lead_factory()
    control = create_under_second(target, lead_factory, meta_post, second_client)
    found = find_in_list(second_client, lambda item: item.get("id") == lead.id, control.model, [lead.model])
    if found:
        raise Violation(f"account A's lead {lead.id!r} is listed under account B", ["LEADS-TENANT-002"])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-003")
def test_leads_of_account_b_never_show_up_under_account_a(
    target: Target,
    client: httpx.Client,
    lead_factory: LeadFactory,
    meta_post: MetaPost,
    second_client: httpx.Client,
) -> None:
    """Leads created under account B never show up under account A (by id or in the list)."""
    control = lead_factory()
    lead = create_under_second(target, lead_factory, meta_post, second_client)
    response = retrieve_status(client, lead.id, "LEADS-TENANT-003")
    if 200 <= response.status_code < 300:
        raise Violation(
            f"account A can retrieve account B's lead {lead.id!r} ({describe(response)})",
            ["LEADS-TENANT-003"],
        )
    found = find_in_list(client, lambda item: item.get("id") == lead.id, control.model, [lead.model])
    if found:
        raise Violation(f"account B's lead {lead.id!r} is listed under account A", ["LEADS-TENANT-003"])


# ------------------------------------------------------------------------------ the read surface
@pytest.fixture(scope="module")
def lead_of_a(lead_factory: LeadFactory) -> Created:
    """A lead of account A holding every field the read-surface probes select it by."""
    return lead_factory()


def subject_for(parameter: QueryParameter, lead: Lead, request: pytest.FixtureRequest) -> Lead:
    """The lead of account A a probe of ``parameter`` selects.

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


def list_probe(parameter: QueryParameter, subject: Lead) -> dict[str, QueryValue] | None:
    """A query of the list that selects ``subject``: ``parameter`` with its value, inside a window
    just around the subject's created_at. The parameter's own value wins; ``created_after`` alone
    narrows the list enough, so it is sent without the window's upper bound."""
    value = parameter_value(parameter, subject)
    if value is None:
        return None
    query: dict[str, QueryValue] = {}
    if "page_size" in LIST_DOCUMENTED:
        query["page_size"] = str(SEARCH_PAGE_SIZE)
    bounds = window(subject, LIST_DOCUMENTED)
    if parameter.name == "created_after":
        bounds = {}
    query.update(bounds)
    query[parameter.name] = value
    return query


def leaks(target: Target, second_client: httpx.Client, query: dict[str, QueryValue],
          watched: set[str], max_pages: int = PROBE_PAGES, to_the_end: bool = True) -> None:
    """Walk account B's list from ``query``: a lead with a ``watched`` id (account A's) is a violation.

    ``to_the_end``: absence counts only once the walk reached the end of the list within ``max_pages``.
    """
    walk = walk_list(second_client, query, max_pages, [TENANT_002])
    for item, page_query in walk.seen:
        if item.get("id") in watched:
            raise Violation(
                f"account A's lead {item['id']!r} is listed under account B by {shown(page_query)}",
                [TENANT_002],
                target.last_reproduce(),
            )
    if to_the_end and not walk.ended:
        raise Inconclusive(
            f"account B's list for {shown(query)} could not be read to its end ({walk.problem})", [TENANT_002]
        )


def minted_cursor(client: httpx.Client) -> tuple[dict[str, QueryValue], set[str]]:
    """A ``next`` cursor of account A's list as a query, and the ids A sees on the page it names."""
    first = not_throttled(client.get(LEADS, params={"page_size": "1"}), [TENANT_002])
    body: Any = json_or_none(first)
    cursor = body.get("next") if isinstance(body, dict) else None
    if first.status_code != 200 or not isinstance(cursor, str) or not cursor:
        pytest.skip(f"account A's list minted no next cursor to replay ({describe(first)})")
    query: dict[str, QueryValue] = {"page_size": "1", "cursor": cursor}
    page = not_throttled(client.get(LEADS, params=query), [TENANT_002])
    results = results_of_page(json_or_none(page)) or []
    ids = {item["id"] for item in results if isinstance(item, dict) and isinstance(item.get("id"), str)}
    return query, ids


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
    own = lead_of_a.model
    if parameter.name == "cursor":
        query, watched = minted_cursor(client)
        leaks(target, second_client, query, watched | {lead_of_a.id}, max_pages=1, to_the_end=False)
        return
    subject = subject_for(parameter, own, request)
    probe = list_probe(parameter, subject)
    if probe is None:
        pytest.skip(f"no lead of account A gives {parameter.name} a value to select it by")
    watched = {lead_of_a.id, *([subject["id"]] if isinstance(subject.get("id"), str) else [])}
    leaks(target, second_client, probe, watched)


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
