"""LEADS-PAGE: the lead list and its cursor pagination (GET /crm/v1/leads).

Other checks create leads during the run, so no two requests are assumed to see the same data:
a lead missing from one traversal is only a violation once it is shown to exist still, and a
lead only one traversal saw is only a violation when it was created before both began.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from conformance._outcomes import Inconclusive, Violation
from conformance.suite._support import (
    LEADS,
    PAGE_SLACK,
    Findings,
    describe,
    envelope_problems,
    lead_path,
    lead_problems,
    lenient_walk,
    not_throttled,
    parse_datetime,
    result_ids,
    results_of,
    shown_request,
    summarise,
    walk,
)
from conformance.target import Target, json_or_none

PAGE_001 = "LEADS-PAGE-001"
PAGE_002 = "LEADS-PAGE-002"
PAGE_003 = "LEADS-PAGE-003"
PAGE_004 = "LEADS-PAGE-004"
PAGE_005 = "LEADS-PAGE-005"
PAGE_006 = "LEADS-PAGE-006"

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 30
#: page sizes the bound is tried with, and one above the maximum
SMALL_PAGE_SIZES = (1, 7)
ABOVE_MAX = 150
#: pages of each page size checked against the bound
BOUND_PAGES = 3
#: pages of 100 whose leads are type-checked
TYPED_PAGES = 20
#: the most pages of 100 a full traversal may take: 100,000 leads
CEILING_PAGES = 1000
#: the most pages the small-page traversal may take, which sets its page size
SMALL_TRAVERSAL_PAGES = 100
#: leads that checks running alongside may add between two traversals
GROWTH = 20
#: missing leads re-read by id before the check decides
MAX_RECHECKS = 5


# ------------------------------------------------------------------------------ PAGE-001
@pytest.mark.requirement(PAGE_001)
def test_list_answers_200_with_cursors_and_typed_leads(client: httpx.Client, target: Target) -> None:
    """GET /leads answers 200 with next and previous (string or null) and results (an array of Lead)."""
    findings = Findings(target)
    for params in ({}, {"page_size": MAX_PAGE_SIZE}):
        response = not_throttled(client.get(LEADS, params=params), [PAGE_001])
        if not findings.check(
            response.status_code == 200, PAGE_001, f"the list did not answer 200 ({describe(response)})"
        ):
            continue
        problems = envelope_problems(json_or_none(response), lead_problems)
        findings.check(not problems, PAGE_001, f"{shown_request(LEADS, params)}: {summarise(problems)}")
    traversal = lenient_walk(client, LEADS, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES)
    for number, page in enumerate(traversal.pages[1:], start=2):
        problems = envelope_problems(page, lead_problems)
        findings.check(
            not problems, PAGE_001, f"page {number} of the list (page_size=100): {summarise(problems)}"
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ PAGE-002
@pytest.mark.requirement(PAGE_002)
def test_page_size_bounds_every_page(client: httpx.Client, target: Target) -> None:
    """page_size=n gives at most n results, and never more than 100 (or a 400 above 100)."""
    findings = Findings(target)
    for size in (*SMALL_PAGE_SIZES, MAX_PAGE_SIZE):
        first = not_throttled(client.get(LEADS, params={"page_size": size}), [PAGE_002])
        if not findings.check(
            first.status_code == 200, PAGE_002, f"page_size={size} did not answer 200 ({describe(first)})"
        ):
            continue
        check_page_bound(findings, client, size, size)
    check_above_maximum(findings, client)
    findings.raise_if_any()


def check_page_bound(findings: Findings, client: httpx.Client, size: int, bound: int) -> None:
    """The first pages of the list with ``page_size=size`` hold at most ``bound`` results each."""
    traversal = lenient_walk(client, LEADS, {"page_size": size}, BOUND_PAGES)
    for number, page in enumerate(traversal.pages, start=1):
        results = page.get("results")
        count = len(results) if isinstance(results, list) else 0
        findings.check(
            count <= bound,
            PAGE_002,
            f"page {number} with page_size={size} holds {count} results, more than {bound}",
        )


def check_above_maximum(findings: Findings, client: httpx.Client) -> None:
    """``page_size`` above 100: pages of at most 100, or a 4xx rejection."""
    response = not_throttled(client.get(LEADS, params={"page_size": ABOVE_MAX}), [PAGE_002])
    if 400 <= response.status_code < 500:
        return
    if not findings.check(
        response.status_code == 200,
        PAGE_002,
        f"page_size={ABOVE_MAX} got neither pages of at most 100 nor a 4xx ({describe(response)})",
    ):
        return
    check_page_bound(findings, client, ABOVE_MAX, MAX_PAGE_SIZE)


# ------------------------------------------------------------------------------ PAGE-003
@pytest.mark.requirement(PAGE_003)
def test_default_page_holds_30_leads(client: httpx.Client) -> None:
    """Without page_size a page holds 30 results when there are more than 30."""
    counted = lenient_walk(client, LEADS, {"page_size": MAX_PAGE_SIZE}, 2)
    known = len(set(counted.ids))
    if known <= DEFAULT_PAGE_SIZE:
        if counted.ended:
            pytest.skip(f"the target holds {known} leads, not more than {DEFAULT_PAGE_SIZE}")
        pytest.skip(
            f"could not count more than {DEFAULT_PAGE_SIZE} leads ({counted.problem or 'the list ended'})"
        )
    response = not_throttled(client.get(LEADS), [PAGE_003])
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise Inconclusive(f"the list without page_size is unusable ({describe(response)})", [PAGE_003])
    count = len(body["results"])
    if count != DEFAULT_PAGE_SIZE:
        raise Violation(
            f"without page_size the first page holds {count} results although the target holds more than "
            f"{DEFAULT_PAGE_SIZE} leads ({known} counted)",
            [PAGE_003],
        )


# ------------------------------------------------------------------------------ PAGE-004
@dataclass
class Visit:
    """One traversal to its end: the ids in the order seen, and the server's clock when it began."""

    ids: list[str] = field(default_factory=list)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    began: datetime | None = None
    pages: int = 0
    longest_page: int = 0


def server_clock(response: httpx.Response, elapsed: float) -> datetime | None:
    """An instant no later than the server's clock when the request was sent (from ``Date``)."""
    try:
        stamp = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp - timedelta(seconds=elapsed + 1)


def visit(client: httpx.Client, page_size: int, max_pages: int) -> Visit:
    """Follow ``next`` from the first page to null; a repeated lead or cursor, or too many pages, fails."""
    result = Visit()
    seen: set[str] = set()
    started = time.monotonic()
    for number, (response, body) in enumerate(
        walk(client, LEADS, {"page_size": page_size}, max_pages, PAGE_004), 1
    ):
        if number == 1:
            result.began = server_clock(response, time.monotonic() - started)
        result.pages = number
        result.longest_page = max(result.longest_page, len(results_of(body)))
        for lead in results_of(body):
            ident = lead.get("id")
            if not isinstance(ident, str) or not ident:
                continue
            if ident in seen:
                raise Violation(
                    f"with page_size={page_size}, lead {ident} is listed again on page {number}: "
                    "the traversal visits it more than once",
                    [PAGE_004],
                )
            seen.add(ident)
            result.ids.append(ident)
            result.leads[ident] = lead
    return result


def page_budget(large: Visit, size: int) -> int:
    """Pages a traversal with ``page_size=size`` may take: twice what the leads the large traversal
    saw (plus some added meanwhile) explain, at the page length the target actually serves."""
    served = min(size, large.longest_page) if large.pages > 1 and large.longest_page else size
    count = len(large.ids) + max(GROWTH, len(large.ids) // 10)
    return 2 * math.ceil(count / served) + PAGE_SLACK


def small_page_size(count: int) -> int:
    """A page size whose boundaries differ from 100's, small enough to cross many boundaries."""
    size = min(max(7, math.ceil(count / SMALL_TRAVERSAL_PAGES)), MAX_PAGE_SIZE - 1)
    return size + 1 if MAX_PAGE_SIZE % size == 0 else size


def still_listed(client: httpx.Client, ident: str) -> bool:
    """Whether a lead still exists and is not deleted (so a traversal must have listed it)."""
    response = not_throttled(client.get(lead_path(ident)), [PAGE_004])
    body = json_or_none(response)
    return (
        response.status_code == 200 and isinstance(body, dict) and body.get("remote_was_deleted") is not True
    )


def created_before(lead: dict[str, Any], moment: datetime | None) -> bool:
    created = parse_datetime(lead.get("created_at"))
    return moment is not None and created is not None and created < moment


@pytest.mark.requirement(PAGE_004)
def test_following_next_visits_every_lead_once_and_ends(client: httpx.Client) -> None:
    """Following next until null visits every lead exactly once and ends."""
    large = visit(client, MAX_PAGE_SIZE, CEILING_PAGES)
    size = small_page_size(len(large.ids))
    small = visit(client, size, page_budget(large, size))
    missed_by_small = [i for i in large.ids if i not in small.leads]
    gone = [i for i in missed_by_small[:MAX_RECHECKS] if still_listed(client, i)]
    if gone:
        raise Violation(
            f"following next with page_size={size} never listed {len(missed_by_small)} lead(s) that "
            f"page_size=100 listed and that still exist, e.g. {', '.join(gone[:3])}",
            [PAGE_004],
        )
    missed_by_large = [
        i for i in small.ids if i not in large.leads and created_before(small.leads[i], large.began)
    ]
    if missed_by_large:
        raise Violation(
            f"following next with page_size=100 never listed {len(missed_by_large)} lead(s) created "
            f"before it began that page_size={size} listed, e.g. {', '.join(missed_by_large[:3])}",
            [PAGE_004],
        )


# ------------------------------------------------------------------------------ PAGE-005
@pytest.mark.requirement(PAGE_005)
def test_previous_is_null_on_the_first_page(client: httpx.Client, target: Target) -> None:
    """previous is null on the first page."""
    findings = Findings(target)
    for params in ({}, {"page_size": 7}, {"page_size": MAX_PAGE_SIZE}):
        response = not_throttled(client.get(LEADS, params=params), [PAGE_005])
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise Inconclusive(f"the first page is unusable ({describe(response)})", [PAGE_005])
        previous = body.get("previous")
        findings.check(
            previous is None,
            PAGE_005,
            f"the first page ({shown_request(LEADS, params)}) has previous {previous!r:.80}",
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ PAGE-006
BACK_PAGE_SIZE = 7


def page(client: httpx.Client, params: dict[str, Any]) -> dict[str, Any]:
    """One page as an object, or Inconclusive (the list's own checks judge a broken page)."""
    response = not_throttled(client.get(LEADS, params=params), [PAGE_006])
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict):
        raise Inconclusive(f"a page needed to go back is unusable ({describe(response)})", [PAGE_006])
    return body


@pytest.mark.requirement(PAGE_006)
def test_previous_from_page_two_gives_back_page_one(client: httpx.Client) -> None:
    """Following previous from page 2 gives back page 1."""
    first = page(client, {"page_size": BACK_PAGE_SIZE})
    nxt = first.get("next")
    if not isinstance(nxt, str) or not nxt:
        pytest.skip(f"the list has a single page of {BACK_PAGE_SIZE}, so there is no page 2 to go back from")
    second = page(client, {"page_size": BACK_PAGE_SIZE, "cursor": nxt})
    previous = second.get("previous")
    if not isinstance(previous, str) or not previous:
        raise Violation(f"page 2 has previous {previous!r:.80}, not a cursor back to page 1", [PAGE_006])
    back = result_ids(page(client, {"page_size": BACK_PAGE_SIZE, "cursor": previous}))
    if back == result_ids(first):
        return
    fresh = result_ids(page(client, {"page_size": BACK_PAGE_SIZE}))
    if back != fresh:
        raise Violation(
            f"previous from page 2 gave {back[:BACK_PAGE_SIZE]}, not page 1 {fresh[:BACK_PAGE_SIZE]}",
            [PAGE_006],
        )
