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

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.contract.operations import lead_path
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.filtering import (
    Bound,
    Lead,
    Probe,
    Rule,
    Stamp,
    between,
    equal_rule,
    marks,
    run_probes,
    stamps,
    window,
)
from conformance.suite.support.findings import Findings
from conformance.suite.support.leads import relation_id
from conformance.suite.support.search import SAMPLE_PAGES

FILTER_001 = "LEADS-FILTER-001"
FILTER_002 = "LEADS-FILTER-002"
FILTER_003 = "LEADS-FILTER-003"
FILTER_004 = "LEADS-FILTER-004"
FILTER_005 = "LEADS-FILTER-005"
FILTER_006 = "LEADS-FILTER-006"

#: leads per page of the sample read by the ``lead_sample`` fixture
SAMPLE_PAGE_SIZE = 100
#: sampled leads a bound on existing leads encloses when the sample holds the whole list
ENCLOSED = 6


# ------------------------------------------------------------------------------ the sample
def whole_list(sample: list[Lead]) -> bool:
    """Whether the sample is the target's whole list (it ended before its page bound)."""
    return len(sample) < SAMPLE_PAGES * SAMPLE_PAGE_SIZE


def enclosed_for(sample: list[Lead]) -> int:
    """How many sampled leads a bound encloses: few enough that the filtered list stays short."""
    return ENCLOSED if whole_list(sample) else 1


def closed_sides(sample: list[Lead], field: str) -> set[str]:
    """The one-sided bounds (``after``, ``before``) near an end of the sample that select few leads.

    On the whole list, both. On a sample that is not the whole list, only the side the list's order
    closes: when ``field`` only grows along the sample, the list is read in that order, the leads not
    read all lie later, and a bound near the oldest sampled value selects sampled leads only (and the
    other way round when it only shrinks).
    """
    if whole_list(sample):
        return {"after", "before"}
    moments = [m for m in (parse_datetime(lead.get(field)) for lead in sample) if m is not None]
    pairs = list(zip(moments, moments[1:], strict=False))
    sides = set()
    if all(a <= b for a, b in pairs):
        sides.add("before")
    if all(a >= b for a, b in pairs):
        sides.add("after")
    return sides


def spread_of(rows: list[Stamp], field: str) -> list[Stamp]:
    spread = marks(rows)
    if len(spread) < 3:
        pytest.skip(f"fewer than three distinct {field} values among the target's leads to pick bounds from")
    return spread


# ------------------------------------------------------------------------------ date-times
def bound(param: str, field: str, stamp: Stamp | Lead) -> Bound:
    return Bound.of(param, field, stamp.text if isinstance(stamp, Stamp) else stamp.get(field))


def existing_probes(sample: list[Lead], field: str, requirement: str) -> list[Probe]:
    """On existing leads: ``<prefix>_after`` a value near the newest and ``<prefix>_before`` one near
    the oldest (where they select few leads), and both around values from the middle; each bound is
    a lead's own value."""
    rows = stamps(sample, field)
    spread = spread_of(rows, field)
    enclosed = min(enclosed_for(sample), len(spread) - 2)
    prefix = field.removesuffix("_at")
    closed = closed_sides(sample, field)
    probes = []
    if "after" in closed:
        newest = spread[-1 - enclosed]
        after = bound(f"{prefix}_after", field, newest)
        probes.append(Probe([after.rule(requirement)], between(rows, newest, None)))
    if "before" in closed:
        oldest = spread[enclosed]
        before = bound(f"{prefix}_before", field, oldest)
        probes.append(Probe([before.rule(requirement)], between(rows, None, oldest)))
    pair = window(spread, enclosed)
    if pair is not None:
        lower, upper = pair
        rules = [bound(f"{prefix}_after", field, lower).rule(requirement),
                 bound(f"{prefix}_before", field, upper).rule(requirement)]
        probes.append(Probe(rules, between(rows, lower, upper)))
    return probes


def timeline_probes(timeline: list[Lead], field: str, requirement: str) -> list[Probe]:
    """On four leads created one after another (L0 < L1 < L2 < L3): after L0 and before L3 returns
    L1 and L2 and neither bound lead; after L2 returns L3 and nothing from L2 back; and the same window
    with its bounds written in other offsets (+05:30 and -08:00), the same instants."""
    first, second, third, last = timeline
    prefix = field.removesuffix("_at")
    around = [bound(f"{prefix}_after", field, first).rule(requirement),
              bound(f"{prefix}_before", field, last).rule(requirement)]
    later = bound(f"{prefix}_after", field, third).rule(requirement)
    shifted = [
        Bound.of(f"{prefix}_after", field, in_offset(first.get(field), OFFSETS[0])).rule(requirement),
        Bound.of(f"{prefix}_before", field, in_offset(last.get(field), OFFSETS[1])).rule(requirement),
    ]
    return [Probe(around, [second, third]), Probe([later], [last]), Probe(shifted, [second, third])]


#: the offsets a bound is written in besides the target's own: east and west of UTC, one with minutes
OFFSETS = (timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))


def in_offset(value: Any, offset: timezone) -> str | None:
    """The instant ``value`` names, written in ``offset`` (microseconds kept)."""
    moment = parse_datetime(value)
    return None if moment is None else moment.astimezone(offset).isoformat(timespec="microseconds")


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


@pytest.mark.writes
@pytest.mark.requirement(FILTER_001)
def test_created_filters_split_created_leads(
    client: httpx.Client, target: Target, timeline: list[Lead], run_model: RunModel
) -> None:
    """created_after and created_before return only leads on the right side of the bound."""
    run_probes(client, Findings(target), timeline_probes(timeline, "created_at", FILTER_001),
               never_listed(run_model))


@pytest.mark.requirement(FILTER_001)
def test_created_filters_split_existing_leads(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """created_after and created_before return only leads on the right side of the bound."""
    run_probes(client, Findings(target), existing_probes(lead_sample, "created_at", FILTER_001))


@pytest.mark.writes
@pytest.mark.requirement(FILTER_002)
def test_modified_filters_split_created_leads(
    client: httpx.Client, target: Target, timeline: list[Lead], run_model: RunModel
) -> None:
    """modified_after and modified_before return only leads on the right side of the bound."""
    run_probes(client, Findings(target), timeline_probes(timeline, "modified_at", FILTER_002),
               never_listed(run_model))


@pytest.mark.requirement(FILTER_002)
def test_modified_filters_split_existing_leads(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """modified_after and modified_before return only leads on the right side of the bound."""
    run_probes(client, Findings(target), existing_probes(lead_sample, "modified_at", FILTER_002))


# ------------------------------------------------------------------------------ combined filters
def created_window(rows: list[Stamp], enclosed: int, requirement: str) -> tuple[list[Rule], list[Lead]]:
    """created_after and created_before around ``enclosed`` of ``rows``, and the leads between."""
    pair = window(marks(rows), enclosed)
    if pair is None:
        pytest.skip("fewer than three distinct created_at values to pick a window from")
    lower, upper = pair
    rules = [bound("created_after", "created_at", lower).rule(requirement),
             bound("created_before", "created_at", upper).rule(requirement)]
    return rules, between(rows, lower, upper)


def owners(sample: list[Lead]) -> dict[str, list[Lead]]:
    grouped: dict[str, list[Lead]] = defaultdict(list)
    for lead in sample:
        owner = relation_id(lead.get("owner"))
        if isinstance(owner, str) and owner:
            grouped[owner].append(lead)
    return grouped


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
    rules, inside = created_window(spread[owner], enclosed_for(lead_sample), FILTER_001)
    probe = Probe([*rules, equal_rule(FILTER_004, "owner_id", "owner", owner)], inside)
    run_probes(client, Findings(target), [probe])


@pytest.mark.requirement(FILTER_001, FILTER_002)
def test_created_window_and_modified_after_are_anded(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """created_after, created_before and modified_after together return only leads satisfying all three."""
    rows = stamps(lead_sample, "created_at")
    rules, created = created_window(rows, 2 * enclosed_for(lead_sample), FILTER_001)
    modified = stamps(created, "modified_at")
    spread = marks(modified)
    if len(spread) < 2:
        pytest.skip("fewer than two distinct modified_at values among the leads of a created_at window")
    middle = spread[(len(spread) - 1) // 2]
    after = bound("modified_after", "modified_at", middle)
    probe = Probe([*rules, after.rule(FILTER_002)], between(modified, middle, None))
    run_probes(client, Findings(target), [probe])


# ------------------------------------------------------------------------------ exact matches
def rarest(sample: list[Lead], value_of: Callable[[Lead], Any]) -> tuple[str, list[Lead]] | None:
    """The non-empty string value fewest sampled leads share, and those leads."""
    counts = Counter(v for v in map(value_of, sample) if isinstance(v, str) and v)
    if not counts:
        return None
    value = min(counts, key=lambda v: (counts[v], v))
    return value, [lead for lead in sample if value_of(lead) == value]


def check_exact(
    client: httpx.Client, target: Target, sample: list[Lead], param: str, name: str, requirement: str
) -> None:
    """``param`` on the rarest value of ``name`` among the sampled leads."""
    picked = rarest(sample, lambda lead: relation_id(lead.get(name)))
    if picked is None:
        pytest.skip(f"no lead of the target has any {name}, so {param} has nothing to match")
    value, inside = picked
    run_probes(client, Findings(target), [Probe([equal_rule(requirement, param, name, value)], inside)])


def near_misses(value: str, case: bool = True) -> list[str]:
    """Values that differ from ``value`` in one way: it with a suffix, a prefix of it, a substring of it,
    and (when ``case``) it in another case."""
    misses = [value + "x"]
    if len(value) > 1:
        misses.append(value[:-1])
    if len(value) > 2:
        misses.append(value[1:-1])
    if case and value.swapcase() != value:
        misses.append(value.swapcase())
    return misses


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
    probes = []
    remote = lead.get("remote_id")
    if isinstance(remote, str) and remote:
        probes.append(Probe([equal_rule(FILTER_003, "remote_id", "remote_id", remote)], [lead]))
        probes += [Probe([equal_rule(FILTER_003, "remote_id", "remote_id", miss)], [], refusal_ok=True)
                   for miss in near_misses(remote)]
    owner = relation_id(lead.get("owner"))
    if isinstance(owner, str) and owner:
        probes += [Probe([equal_rule(FILTER_004, "owner_id", "owner", miss)], [], refusal_ok=True)
                   for miss in near_misses(owner, case=not is_uuid(owner))]
    if not probes:
        pytest.skip("the run's lead has neither a remote_id nor an owner to filter by")
    run_probes(client, Findings(target), probes, never_listed(run_model))


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
def emails_of(lead: Lead) -> list[str]:
    return contact_values(lead, "email_addresses", "email_address")


def phones_of(lead: Lead) -> list[str]:
    return contact_values(lead, "phone_numbers", "phone_number")


def contact_values(lead: Lead, list_name: str, value_name: str) -> list[str]:
    items = lead.get(list_name)
    if not isinstance(items, list):
        return []
    values = (item.get(value_name) for item in items if isinstance(item, dict))
    return [v for v in values if isinstance(v, str) and v.strip() and "," not in v]


def same_email(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def same_phone(a: str, b: str) -> bool:
    digits_a, digits_b = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
    return a.strip() == b.strip() or (bool(digits_a) and digits_a == digits_b)


def two_leads(
    sample: list[Lead], values_of: Callable[[Lead], list[str]], same: Callable[[str, str], bool]
) -> list[tuple[Lead, str]] | None:
    """Two different leads and a value of each, the values not the same; None when there are not two."""
    picked: list[tuple[Lead, str]] = []
    for lead in sample:
        for value in values_of(lead):
            if all(lead.get("id") != other.get("id") and not same(value, v) for other, v in picked):
                picked.append((lead, value))
                break
        if len(picked) == 2:
            return picked
    return None


def contact_rule(
    requirement: str,
    param: str,
    wanted: list[str],
    values_of: Callable[[Lead], list[str]],
    same: Callable[[str, str], bool],
) -> Rule:
    """``param`` (comma-separated) keeps the leads holding one of the ``wanted`` values."""

    def matches(lead: Lead) -> bool | None:
        if param not in lead:
            return None
        return any(same(value, w) for value in values_of(lead) for w in wanted)

    def explain(lead: Lead) -> str:
        return f"{param} {values_of(lead)!r:.80}"

    return Rule(requirement, param, ",".join(wanted), matches, explain)


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
    run_probes(client, Findings(target), [Probe([rule], [lead for lead, _ in picked])], never_listed(model))


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
