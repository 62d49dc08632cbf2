"""LEADS-FILTER: the list filters of GET /crm/v1/leads.

Each filter is checked both ways: no lead on any page of the filtered list breaks it (which an
ignored filter, or one forgotten on the pages reached by ``next``, breaks), and a lead known to
satisfy it is returned (which a filter that drops too much breaks). Every filtered list is walked
to its end in pages small enough that the walk spans several of them. Date-time bounds are strict
("after", "before"): each bound is a timestamp taken from a lead, and that lead lies on neither
side. Filters given together are ANDed: a lead is charged to each filter it breaks.

The date-time filters are checked on leads the run creates, whose timestamps it knows, and on the
target's existing leads, so the read-only profile checks them too. Bounds on existing leads enclose
a few of the sampled leads (one when the sample is not the whole list), so the filtered lists stay
short on an account of any size. Other checks create leads meanwhile, so a known lead missing from
an answer is read again by id before it counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import httpx
import pytest

from conformance.contract.formats import is_uuid
from conformance.contract.operations import lead_path
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.filter_values import (
    between,
    bound,
    contact_values,
    created_between,
    enclosed_for,
    existing_queries,
    marks,
    near_misses,
    owners,
    rarest,
    stamps,
    timeline_queries,
    two_leads,
    whole_list,
)
from conformance.suite.support.filtering import (
    FilteredQuery,
    contact_rule,
    equal_rule,
    run_queries,
    same_email,
    same_phone,
)
from conformance.suite.support.findings import Findings
from conformance.suite.support.leads import Lead, relation_id

FILTER_001 = "LEADS-FILTER-001"
FILTER_002 = "LEADS-FILTER-002"
FILTER_003 = "LEADS-FILTER-003"
FILTER_004 = "LEADS-FILTER-004"
FILTER_005 = "LEADS-FILTER-005"
FILTER_006 = "LEADS-FILTER-006"


def stored(client: httpx.Client, model: Lead) -> Lead:
    """The lead as the target now shows it by id (the create's model when it cannot be read)."""
    ident = model.get("id")
    if not isinstance(ident, str) or not ident:
        raise Inconclusive("a created lead has no id, so the filters cannot be checked on it")
    response = not_throttled(client.get(lead_path(ident)))
    body = json_or_none(response)
    return body if response.status_code == 200 and isinstance(body, dict) else model


def never_listed(model: RunModel) -> set[str]:
    """The run's own leads of the first account that no list page of the run has shown (yet)."""
    listed = model.oracle.listed["primary"] if model.oracle is not None else set()
    return {lead.id for lead in model.ledger.leads("primary")} - set(listed)


@pytest.fixture(scope="module")
def timeline(client: httpx.Client, write_plan: WritePlan) -> list[Lead]:
    """Four of the run's leads, each stamped strictly later than the one before (the planned ones, and one
    more when the target stamped two of them alike)."""
    return write_plan.timeline(lambda created: stored(client, {**created.model, "id": created.id}))


def splits_the_run_leads(field: str, requirement: str, obligation: str) -> Callable[..., None]:
    """The check that ``field``'s bounds split the run's timeline of leads (``obligation`` is its
    docstring)."""

    @pytest.mark.writes
    @pytest.mark.requirement(requirement)
    def check(client: httpx.Client, target: Target, timeline: list[Lead], run_model: RunModel) -> None:
        queries = timeline_queries(timeline, field, requirement)
        run_queries(client, Findings(target), queries, never_listed(run_model))

    check.__doc__ = obligation
    return check


def splits_existing_leads(field: str, requirement: str, obligation: str) -> Callable[..., None]:
    """The check that ``field``'s bounds split the target's sampled leads (``obligation`` is its
    docstring)."""

    @pytest.mark.requirement(requirement)
    def check(client: httpx.Client, target: Target, lead_sample: list[Lead]) -> None:
        run_queries(client, Findings(target), existing_queries(lead_sample, field, requirement))

    check.__doc__ = obligation
    return check


CREATED_SPLIT = "created_after and created_before return only leads on the right side of the bound."
MODIFIED_SPLIT = "modified_after and modified_before return only leads on the right side of the bound."
test_created_filters_split_created_leads = splits_the_run_leads("created_at", FILTER_001, CREATED_SPLIT)
test_created_filters_split_existing_leads = splits_existing_leads("created_at", FILTER_001, CREATED_SPLIT)
test_modified_filters_split_created_leads = splits_the_run_leads("modified_at", FILTER_002, MODIFIED_SPLIT)
test_modified_filters_split_existing_leads = splits_existing_leads("modified_at", FILTER_002, MODIFIED_SPLIT)


# ------------------------------------------------------------------------------ combined filters
@pytest.mark.requirement(FILTER_001, FILTER_004)
def test_created_window_and_owner_id_are_anded(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """created_after, created_before and owner_id together return only leads satisfying all three."""
    spread = {
        owner: stamps(leads, "created_at")
        for owner, leads in owners(lead_sample).items()
        if len(marks(stamps(leads, "created_at"))) >= 3
    }
    if not spread:
        pytest.skip("no owner of the target's leads has three leads with distinct created_at values")
    owner = min(spread, key=lambda o: (len(spread[o]), o))
    rules, inside = created_between(spread[owner], enclosed_for(lead_sample), FILTER_001)
    query = FilteredQuery([*rules, equal_rule(FILTER_004, "owner_id", "owner", owner)], inside)
    run_queries(client, Findings(target), [query])


@pytest.mark.requirement(FILTER_001, FILTER_002)
def test_created_window_and_modified_after_are_anded(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """created_after, created_before and modified_after together return only leads satisfying all three."""
    rows = stamps(lead_sample, "created_at")
    rules, created = created_between(rows, 2 * enclosed_for(lead_sample), FILTER_001)
    modified = stamps(created, "modified_at")
    spread = marks(modified)
    if len(spread) < 2:
        pytest.skip("fewer than two distinct modified_at values among the leads of a created_at window")
    middle = spread[(len(spread) - 1) // 2]
    after = bound("modified_after", "modified_at", middle)
    query = FilteredQuery([*rules, after.rule(FILTER_002)], between(modified, middle, None))
    run_queries(client, Findings(target), [query])


# ------------------------------------------------------------------------------ exact matches
def check_exact(
    client: httpx.Client, target: Target, sample: list[Lead], param: str, name: str, requirement: str
) -> None:
    """``param`` on the rarest value of ``name`` among the sampled leads."""
    picked = rarest(sample, lambda lead: relation_id(lead.get(name)))
    if picked is None:
        pytest.skip(f"no lead of the target has any {name}, so {param} has nothing to match")
    value, inside = picked
    query = FilteredQuery([equal_rule(requirement, param, name, value)], inside)
    run_queries(client, Findings(target), [query])


@pytest.mark.writes
@pytest.mark.requirement(FILTER_003, FILTER_004)
def test_exact_filters_take_no_near_miss(
    client: httpx.Client, target: Target, write_plan: WritePlan, run_model: RunModel
) -> None:
    """remote_id and owner_id match exactly: a lead the run wrote is found by its own remote_id, and no
    lead comes back for a value that is a prefix, a suffix, a substring or another case of a real one
    (a UUID owner id keeps its case: UUIDs are read regardless of case). A query the target refuses
    shows nothing, and is fine."""
    created = write_plan.lead("edges")
    lead = stored(client, {**created.model, "id": created.id})
    queries = []
    remote = lead.get("remote_id")
    if isinstance(remote, str) and remote:
        queries.append(FilteredQuery([equal_rule(FILTER_003, "remote_id", "remote_id", remote)], [lead]))
        queries += [
            FilteredQuery([equal_rule(FILTER_003, "remote_id", "remote_id", miss)], [], refusal_ok=True)
            for miss in near_misses(remote)
        ]
    owner = relation_id(lead.get("owner"))
    if isinstance(owner, str) and owner:
        queries += [
            FilteredQuery([equal_rule(FILTER_004, "owner_id", "owner", miss)], [], refusal_ok=True)
            for miss in near_misses(owner, case=not is_uuid(owner))
        ]
    if not queries:
        pytest.skip("the run's lead has neither a remote_id nor an owner to filter by")
    run_queries(client, Findings(target), queries, never_listed(run_model))


@pytest.mark.requirement(FILTER_003)
def test_remote_id_filter_returns_exactly_that_remote_id(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """remote_id returns exactly the leads with that remote_id."""
    check_exact(client, target, lead_sample, "remote_id", "remote_id", FILTER_003)


@pytest.mark.requirement(FILTER_004)
def test_owner_id_filter_returns_exactly_that_owner(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """owner_id returns exactly the leads with that owner."""
    if not whole_list(lead_sample):
        pytest.skip(
            "the target's list is longer than its sample, so one owner's leads may be more than a walk "
            "can read; owner_id is checked within a created_at window instead"
        )
    check_exact(client, target, lead_sample, "owner_id", "owner", FILTER_004)


# ------------------------------------------------------------------------------ contact points
emails_of = functools.partial(contact_values, list_name="email_addresses", value_name="email_address")
phones_of = functools.partial(contact_values, list_name="phone_numbers", value_name="phone_number")


def run_contacts(
    request: pytest.FixtureRequest, values_of: Callable[[Lead], list[str]]
) -> list[tuple[Lead, str]]:
    """The run's two edge-valued leads, each with the last of its values (a lead holds several), as the
    target now shows them; [] in the read-only profile or when they could not be created."""
    target: Target = request.getfixturevalue("target")
    if not target.writes_allowed:
        return []
    plan: WritePlan = request.getfixturevalue("write_plan")
    picked = []
    for name in ("edges", "debug"):
        try:
            created = plan.lead(name)
        except Inconclusive:
            return []
        values = values_of(created.model)
        if values:
            picked.append(({**created.model, "id": created.id}, values[-1]))
    return picked if len(picked) == 2 else []


def check_contact_filter(
    client: httpx.Client,
    request: pytest.FixtureRequest,
    param: str,
    values_of: Callable[[Lead], list[str]],
    same: Callable[[str, str], bool],
    requirement: str,
) -> None:
    """``param`` with the last values of the run's two leads (comma-separated), or with values of two of
    the target's leads when the run wrote none."""
    target: Target = request.getfixturevalue("target")
    sample = request.getfixturevalue("lead_sample")
    picked = run_contacts(request, values_of) or two_leads(sample, values_of, same)
    if not picked:
        pytest.skip(f"fewer than two of the target's leads have a value for {param} to filter on")
    rule = contact_rule(requirement, param, [value for _, value in picked], values_of, same)
    model: RunModel = request.getfixturevalue("run_model")
    query = FilteredQuery([rule], [lead for lead, _ in picked])
    run_queries(client, Findings(target), [query], never_listed(model))


@pytest.mark.requirement(FILTER_005)
def test_email_addresses_filter_matches_either_address(
    client: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """email_addresses (comma-separated) returns the leads with a matching email address."""
    check_contact_filter(client, request, "email_addresses", emails_of, same_email, FILTER_005)


@pytest.mark.requirement(FILTER_006)
def test_phone_numbers_filter_matches_either_number(
    client: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """phone_numbers (comma-separated) returns the leads with a matching phone number."""
    check_contact_filter(client, request, "phone_numbers", phones_of, same_phone, FILTER_006)
