"""The values the filter checks filter by, picked from leads the target returned.

Date-time bounds are a lead's own timestamp (on existing leads, around a few of the sampled leads: one
when the sample is not the whole list, so the filtered lists stay short on an account of any size);
exact values are the rarest among the sample; contact values come from two different leads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conformance.contract.formats import parse_datetime
from conformance.suite.support.filtering import Bound, FilteredQuery, Rule
from conformance.suite.support.leads import Lead, relation_id
from conformance.suite.support.search import SAMPLE_PAGE_SIZE, SAMPLE_PAGES

__all__ = [
    "OFFSETS",
    "Stamp",
    "between",
    "bound",
    "contact_values",
    "created_between",
    "enclosed_for",
    "enclosing",
    "existing_queries",
    "in_offset",
    "marks",
    "near_misses",
    "owners",
    "rarest",
    "stamps",
    "timeline_queries",
    "two_leads",
    "whole_list",
]

#: sampled leads a bound on existing leads encloses when the sample holds the whole list
ENCLOSED = 6
#: the offsets a bound is written in besides the target's own: east and west of UTC, one with minutes
OFFSETS = (timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))


# ------------------------------------------------------------------------------ bounds from leads
@dataclass(frozen=True)
class Stamp:
    """A lead and one of its date-times, as the target returned it."""

    moment: datetime
    text: str
    lead: Lead


def stamps(leads: list[Lead], field: str) -> list[Stamp]:
    """The leads with an id and a usable ``field``, oldest first."""
    rows = []
    for lead in leads:
        moment = parse_datetime(lead.get(field))
        if moment is not None and isinstance(lead.get("id"), str):
            rows.append(Stamp(moment, lead[field], lead))
    return sorted(rows, key=lambda row: row.moment)


def marks(rows: list[Stamp]) -> list[Stamp]:
    """One stamp per distinct instant, oldest first."""
    seen: dict[datetime, Stamp] = {}
    for row in rows:
        seen.setdefault(row.moment, row)
    return list(seen.values())


def between(rows: list[Stamp], after: Stamp | None, before: Stamp | None) -> list[Lead]:
    """The leads strictly after ``after`` and strictly before ``before`` (either may be open)."""
    return [
        row.lead
        for row in rows
        if (after is None or row.moment > after.moment) and (before is None or row.moment < before.moment)
    ]


def enclosing(spread: list[Stamp], enclosed: int) -> tuple[Stamp, Stamp] | None:
    """Two instants from the middle of ``spread`` with ``enclosed`` instants strictly between them."""
    enclosed = min(enclosed, len(spread) - 2)
    if enclosed < 1:
        return None
    start = (len(spread) - enclosed - 2) // 2
    return spread[start], spread[start + enclosed + 1]


def bound(param: str, field: str, stamp: Stamp | Lead) -> Bound:
    return Bound.of(param, field, stamp.text if isinstance(stamp, Stamp) else stamp.get(field))


def in_offset(value: Any, offset: timezone) -> str | None:
    """The instant ``value`` names, written in ``offset`` (microseconds kept)."""
    moment = parse_datetime(value)
    return None if moment is None else moment.astimezone(offset).isoformat(timespec="microseconds")


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


# ------------------------------------------------------------------------------ date-time queries
def existing_queries(sample: list[Lead], field: str, requirement: str) -> list[FilteredQuery]:
    """On existing leads: ``<prefix>_after`` a value near the newest and ``<prefix>_before`` one near
    the oldest (where they select few leads), and both around values from the middle; each bound is
    a lead's own value."""
    rows = stamps(sample, field)
    spread = marks(rows)
    if len(spread) < 3:
        pytest.skip(f"fewer than three distinct {field} values among the target's leads to pick bounds from")
    enclosed = min(enclosed_for(sample), len(spread) - 2)
    prefix = field.removesuffix("_at")
    closed = closed_sides(sample, field)
    queries = []
    if "after" in closed:
        newest = spread[-1 - enclosed]
        after = bound(f"{prefix}_after", field, newest)
        queries.append(FilteredQuery([after.rule(requirement)], between(rows, newest, None)))
    if "before" in closed:
        oldest = spread[enclosed]
        before = bound(f"{prefix}_before", field, oldest)
        queries.append(FilteredQuery([before.rule(requirement)], between(rows, None, oldest)))
    pair = enclosing(spread, enclosed)
    if pair is not None:
        lower, upper = pair
        rules = [bound(f"{prefix}_after", field, lower).rule(requirement),
                 bound(f"{prefix}_before", field, upper).rule(requirement)]
        queries.append(FilteredQuery(rules, between(rows, lower, upper)))
    return queries


def timeline_queries(timeline: list[Lead], field: str, requirement: str) -> list[FilteredQuery]:
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
    return [
        FilteredQuery(around, [second, third]),
        FilteredQuery([later], [last]),
        FilteredQuery(shifted, [second, third]),
    ]


def created_between(rows: list[Stamp], enclosed: int, requirement: str) -> tuple[list[Rule], list[Lead]]:
    """created_after and created_before around ``enclosed`` of ``rows``, and the leads between."""
    pair = enclosing(marks(rows), enclosed)
    if pair is None:
        pytest.skip("fewer than three distinct created_at values to pick a window from")
    lower, upper = pair
    rules = [bound("created_after", "created_at", lower).rule(requirement),
             bound("created_before", "created_at", upper).rule(requirement)]
    return rules, between(rows, lower, upper)


# ------------------------------------------------------------------------------ exact values
def owners(sample: list[Lead]) -> dict[str, list[Lead]]:
    grouped: dict[str, list[Lead]] = defaultdict(list)
    for lead in sample:
        owner = relation_id(lead.get("owner"))
        if isinstance(owner, str) and owner:
            grouped[owner].append(lead)
    return grouped


def rarest(sample: list[Lead], value_of: Callable[[Lead], Any]) -> tuple[str, list[Lead]] | None:
    """The non-empty string value fewest sampled leads share, and those leads."""
    counts = Counter(v for v in map(value_of, sample) if isinstance(v, str) and v)
    if not counts:
        return None
    value = min(counts, key=lambda v: (counts[v], v))
    return value, [lead for lead in sample if value_of(lead) == value]


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


# ------------------------------------------------------------------------------ contact points
def contact_values(lead: Lead, list_name: str, value_name: str) -> list[str]:
    """The values of a list of contact points (``email_addresses``: each ``email_address``) a filter can
    be given (not blank, no comma)."""
    items = lead.get(list_name)
    if not isinstance(items, list):
        return []
    values = (item.get(value_name) for item in items if isinstance(item, dict))
    return [v for v in values if isinstance(v, str) and v.strip() and "," not in v]


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
