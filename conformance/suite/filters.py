"""LEADS-FILTER: the list filters of GET /crm/v1/leads.

Each filter is checked both ways: no lead it returns is on the wrong side (which an ignored filter
breaks at once), and a lead known to be on the right side is returned (which a filter that drops
too much breaks). The date-time filters are checked on leads the run creates, whose timestamps it
knows, and on the target's existing leads, so the read-only profile checks them too. Equality at
a bound is tolerated either way. Other checks create leads meanwhile, so a known lead missing from
an answer is read again by id before it counts.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from conformance._outcomes import Inconclusive
from conformance.suite._support import (
    LEADS,
    Findings,
    isoformat_z,
    lead_path,
    lenient_walk,
    not_throttled,
    parse_datetime,
    relation_id,
    shown_request,
    summarise,
    traversal_items,
)
from conformance.suite.conftest import LeadFactory
from conformance.target import Target, json_or_none

FILTER_001 = "LEADS-FILTER-001"
FILTER_002 = "LEADS-FILTER-002"
FILTER_003 = "LEADS-FILTER-003"
FILTER_004 = "LEADS-FILTER-004"
FILTER_005 = "LEADS-FILTER-005"
FILTER_006 = "LEADS-FILTER-006"

#: pages of 100 a filtered list may take before the check stops reading it
FILTERED_PAGES = 20
#: known leads missing from an answer that are read again by id
MAX_RECHECKS = 3
#: how many leads the run creates one after another for the date-time filters
TIMELINE = 3
#: tries to get a lead stamped strictly later than the previous one
TIMELINE_TRIES = 3

Lead = dict[str, Any]
Matcher = Callable[[Lead], bool | None]


# ------------------------------------------------------------------------------ shared
@dataclass(frozen=True)
class Bound:
    """One date-time bound: ``param=value`` keeps leads whose ``field`` is on its side."""

    param: str
    field: str
    value: str
    moment: datetime

    @classmethod
    def of(cls, param: str, field: str, value: Any) -> Bound:
        moment = parse_datetime(value)
        if moment is None:
            raise Inconclusive(f"{value!r:.60} is not a date-time, so it cannot bound {param}")
        return cls(param, field, value, moment)

    def holds(self, lead: Lead) -> bool | None:
        """Whether ``lead`` is on the bound's side (equality counts), None when it has no usable value."""
        moment = parse_datetime(lead.get(self.field))
        if moment is None:
            return None
        return moment >= self.moment if self.param.endswith("_after") else moment <= self.moment

    def strictly_inside(self, lead: Lead) -> bool:
        moment = parse_datetime(lead.get(self.field))
        if moment is None:
            return False
        return moment > self.moment if self.param.endswith("_after") else moment < self.moment


def within(bounds: list[Bound]) -> Matcher:
    """A lead matches when every bound holds (None when one cannot be told)."""

    def match(lead: Lead) -> bool | None:
        verdicts = [bound.holds(lead) for bound in bounds]
        if False in verdicts:
            return False
        return None if None in verdicts else True

    return match


def check_filter(
    client: httpx.Client,
    findings: Findings,
    params: dict[str, str],
    matches: Matcher,
    inside: list[Lead],
    requirement: str,
    shown_fields: tuple[str, ...],
) -> str | None:
    """The filtered list returns no lead that ``matches`` rejects, and every lead of ``inside``.

    A known lead that is missing counts only once the list was read to its end and the lead, read
    again by id, still matches; when the list could not be read to its end, the reason is returned
    (the check is undecided). A filtered list that cannot be read at all is a violation.
    """
    shown = shown_request(LEADS, params)
    traversal = lenient_walk(client, LEADS, {**params, "page_size": 100}, FILTERED_PAGES)
    if not traversal.pages:
        findings.fail(requirement, f"{shown} did not answer a page ({traversal.problem})")
        return None
    wrong = [lead for lead in traversal_items(traversal) if matches(lead) is False]
    findings.check(
        not wrong,
        requirement,
        f"{shown} returned {len(wrong)} lead(s) that do not match: "
        + summarise([describe_lead(lead, shown_fields) for lead in wrong], 3),
    )
    seen = set(traversal.ids)
    missing = [lead for lead in inside if lead.get("id") not in seen]
    if not missing:
        return None
    if not traversal.ended:
        return f"{shown} could not be read to its end ({traversal.problem})"
    confirmed = [lead["id"] for lead in missing[:MAX_RECHECKS] if still_matches(client, lead["id"], matches)]
    findings.check(
        not confirmed,
        requirement,
        f"{shown} did not return lead(s) {', '.join(confirmed)}, which match it",
    )
    return None


def conclude(findings: Findings, undecided: list[str | None], requirement: str) -> None:
    """Fail with what was seen broken; else inconclusive when a known lead's presence was undecided."""
    findings.raise_if_any()
    reasons = [reason for reason in undecided if reason]
    if reasons:
        raise Inconclusive(
            "; ".join(reasons) + ", so whether it returns the leads known to match is unknown", [requirement]
        )


def still_matches(client: httpx.Client, lead_id: str, matches: Matcher) -> bool:
    """Whether the lead, read again by id, exists, is not deleted, and matches."""
    response = not_throttled(client.get(lead_path(lead_id)))
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict) or body.get("remote_was_deleted") is True:
        return False
    return matches(body) is True


def describe_lead(lead: Lead, fields: tuple[str, ...]) -> str:
    values = ", ".join(f"{name} {lead.get(name)!r:.80}" for name in fields)
    return f"{lead.get('id')} ({values})"


# ------------------------------------------------------------------------------ date-times
def stamped(sample: list[Lead], field: str) -> list[tuple[datetime, str, Lead]]:
    """The sample's leads with a usable ``field``, oldest first."""
    rows = []
    for lead in sample:
        moment = parse_datetime(lead.get(field))
        if moment is not None and isinstance(lead.get("id"), str):
            rows.append((moment, lead[field], lead))
    return sorted(rows, key=lambda row: row[0])


def check_existing_bounds(
    client: httpx.Client, target: Target, sample: list[Lead], field: str, requirement: str
) -> None:
    """On existing leads: ``<prefix>_after`` the third newest value, ``<prefix>_before`` the third oldest."""
    rows = stamped(sample, field)
    distinct = sorted({moment for moment, _, _ in rows})
    if len(distinct) < 3:
        pytest.skip(f"fewer than three distinct {field} values among the target's leads to pick bounds from")
    prefix = field.removesuffix("_at")
    findings = Findings(target)
    undecided = []
    for param, moment in ((f"{prefix}_after", distinct[-3]), (f"{prefix}_before", distinct[2])):
        value = next(text for when, text, _ in rows if when == moment)
        bound = Bound.of(param, field, value)
        inside = [lead for _, _, lead in rows if bound.strictly_inside(lead)]
        undecided.append(
            check_filter(client, findings, {param: value}, within([bound]), inside, requirement, (field,))
        )
    conclude(findings, undecided, requirement)


def check_created_bounds(
    client: httpx.Client, target: Target, timeline: list[Lead], field: str, requirement: str
) -> None:
    """On three leads created one after another (L0 < L1 < L2): after L1 returns L2 and nothing
    before L1; before L1 (and after a moment before L0, to keep the answer small) returns L0 and
    nothing after L1."""
    first, middle, last = timeline
    prefix = field.removesuffix("_at")
    findings = Findings(target)
    after = Bound.of(f"{prefix}_after", field, middle[field])
    undecided = [
        check_filter(
            client, findings, {after.param: after.value}, within([after]), [last], requirement, (field,)
        )
    ]
    start = Bound.of(f"{prefix}_after", field, first[field]).moment - timedelta(seconds=1)
    floor = Bound.of(f"{prefix}_after", field, isoformat_z(start))
    before = Bound.of(f"{prefix}_before", field, middle[field])
    params = {before.param: before.value, floor.param: floor.value}
    undecided.append(
        check_filter(client, findings, params, within([before, floor]), [first], requirement, (field,))
    )
    conclude(findings, undecided, requirement)


def stored(client: httpx.Client, model: Lead) -> Lead:
    """The lead as the target now shows it by id (the create's model when it cannot be read)."""
    ident = model.get("id")
    if not isinstance(ident, str) or not ident:
        raise Inconclusive("a created lead has no id, so the filters cannot be checked on it")
    response = not_throttled(client.get(lead_path(ident)))
    body = json_or_none(response)
    return body if response.status_code == 200 and isinstance(body, dict) else model


def strictly_later(lead: Lead, earlier: Lead) -> bool:
    for field in ("created_at", "modified_at"):
        now, then = parse_datetime(lead.get(field)), parse_datetime(earlier.get(field))
        if now is None or then is None:
            raise Inconclusive(
                f"a created lead has no usable {field}, so the filters cannot be checked on it"
            )
        if now <= then:
            return False
    return True


@pytest.fixture(scope="module")
def timeline(client: httpx.Client, lead_factory: LeadFactory) -> list[Lead]:
    """Three leads created one after another, each stamped strictly later than the one before."""
    leads: list[Lead] = []
    while len(leads) < TIMELINE:
        for attempt in range(TIMELINE_TRIES):
            lead = stored(client, lead_factory().model)
            if not leads or strictly_later(lead, leads[-1]):
                leads.append(lead)
                break
            if attempt + 1 == TIMELINE_TRIES:
                raise Inconclusive("leads created one after another get the same created_at or modified_at")
            time.sleep(1.1)
    return leads


@pytest.mark.writes
@pytest.mark.requirement(FILTER_001)
def test_created_filters_split_created_leads(
    client: httpx.Client, target: Target, timeline: list[Lead]
) -> None:
    """created_after and created_before return only leads on the right side of the bound."""
    check_created_bounds(client, target, timeline, "created_at", FILTER_001)


@pytest.mark.requirement(FILTER_001)
def test_created_filters_split_existing_leads(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """created_after and created_before return only leads on the right side of the bound."""
    check_existing_bounds(client, target, lead_sample, "created_at", FILTER_001)


@pytest.mark.writes
@pytest.mark.requirement(FILTER_002)
def test_modified_filters_split_created_leads(
    client: httpx.Client, target: Target, timeline: list[Lead]
) -> None:
    """modified_after and modified_before return only leads on the right side of the bound."""
    check_created_bounds(client, target, timeline, "modified_at", FILTER_002)


@pytest.mark.requirement(FILTER_002)
def test_modified_filters_split_existing_leads(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """modified_after and modified_before return only leads on the right side of the bound."""
    check_existing_bounds(client, target, lead_sample, "modified_at", FILTER_002)


# ------------------------------------------------------------------------------ exact matches
def rarest(sample: list[Lead], value_of: Callable[[Lead], Any]) -> tuple[str, list[Lead]] | None:
    """The non-empty string value fewest sampled leads share, and those leads."""
    counts = Counter(v for v in map(value_of, sample) if isinstance(v, str) and v)
    if not counts:
        return None
    value = min(counts, key=lambda v: (counts[v], v))
    return value, [lead for lead in sample if value_of(lead) == value]


def equal_to(name: str, value: str) -> Matcher:
    """A lead matches when its ``name`` (a relation's id) equals ``value``; None when the key is absent."""

    def match(lead: Lead) -> bool | None:
        if name not in lead:
            return None
        return relation_id(lead[name]) == value

    return match


def check_exact(
    client: httpx.Client, target: Target, sample: list[Lead], param: str, name: str, requirement: str
) -> None:
    picked = rarest(sample, lambda lead: relation_id(lead.get(name)))
    if picked is None:
        pytest.skip(f"no lead of the target has any {name}, so {param} has nothing to match")
    value, inside = picked
    findings = Findings(target)
    undecided = check_filter(
        client, findings, {param: value}, equal_to(name, value), inside, requirement, (name,)
    )
    conclude(findings, [undecided], requirement)


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


def check_contact_filter(
    client: httpx.Client,
    target: Target,
    sample: list[Lead],
    param: str,
    values_of: Callable[[Lead], list[str]],
    same: Callable[[str, str], bool],
    requirement: str,
) -> None:
    picked = two_leads(sample, values_of, same)
    if picked is None:
        pytest.skip(f"fewer than two of the target's leads have a value for {param} to filter on")
    wanted = [value for _, value in picked]

    def matches(lead: Lead) -> bool | None:
        if param not in lead:
            return None
        return any(same(value, w) for value in values_of(lead) for w in wanted)

    findings = Findings(target)
    inside = [lead for lead, _ in picked]
    undecided = check_filter(
        client, findings, {param: ",".join(wanted)}, matches, inside, requirement, (param,)
    )
    conclude(findings, [undecided], requirement)


@pytest.mark.requirement(FILTER_005)
def test_email_addresses_filter_matches_either_address(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """email_addresses (comma-separated) returns the leads with a matching email address."""
    check_contact_filter(client, target, lead_sample, "email_addresses", emails_of, same_email, FILTER_005)


@pytest.mark.requirement(FILTER_006)
def test_phone_numbers_filter_matches_either_number(
    client: httpx.Client, target: Target, lead_sample: list[Lead]
) -> None:
    """phone_numbers (comma-separated) returns the leads with a matching phone number."""
    check_contact_filter(client, target, lead_sample, "phone_numbers", phones_of, same_phone, FILTER_006)
