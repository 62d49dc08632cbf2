"""LEADS-PAGE: the lead list and its cursor pagination (GET /crm/v1/leads).

Other checks create leads during the run, so no two requests are assumed to see the same data:
a lead missing from one traversal is only a violation once it is shown to exist still, and a
lead only one traversal saw is only a violation when it was created before both began.

A production account can hold millions of leads, more than any run can walk. Exactly-once and the
end of the list are therefore also shown on a window of ``created_at`` found from the timestamps
the target returned, small enough for one page to hold whole; a walk that outgrows its budget
leaves the requirement inconclusive, never failed.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.support.answers import describe, not_throttled, result_ids
from conformance.suite.support.exactly_once import (
    PREFIX_PAGES,
    check_prefix,
    check_whole_list,
    check_window,
    visit,
)
from conformance.suite.support.findings import Findings
from conformance.suite.support.list_checks import (
    BOUND_PAGES,
    first_pages_have_no_previous,
    pages_above_max,
    pages_are_typed,
)
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages
from conformance.suite.support.validators import LEAD_PAGE

PAGE_001 = "LEADS-PAGE-001"
PAGE_002 = "LEADS-PAGE-002"
PAGE_003 = "LEADS-PAGE-003"
PAGE_004 = "LEADS-PAGE-004"
PAGE_005 = "LEADS-PAGE-005"
PAGE_006 = "LEADS-PAGE-006"

DEFAULT_PAGE_SIZE = 30
#: page sizes the bound is tried with below the maximum
SMALL_PAGE_SIZES = (1, 7)


# ------------------------------------------------------------------------------ PAGE-001
@pytest.mark.requirement(PAGE_001)
def test_list_answers_200_with_cursors_and_typed_leads(client: httpx.Client, target: Target) -> None:
    """GET /leads answers 200 with next and previous (string or null) and results (an array of Lead)."""
    findings = Findings(target)
    pages_are_typed(findings, client, LEADS, PAGE_001, LEAD_PAGE, "the list (page_size=100)")
    findings.raise_if_any()


# ------------------------------------------------------------------------------ PAGE-002
@pytest.mark.requirement(PAGE_002)
def test_page_size_bounds_every_page(client: httpx.Client, target: Target) -> None:
    """page_size=n gives at most n results, and never more than 100 (or a 400 above 100)."""
    findings = Findings(target)
    for size in (*SMALL_PAGE_SIZES, MAX_PAGE_SIZE):
        first = not_throttled(client.get(LEADS, params={"page_size": size}), [PAGE_002])
        unanswered = f"page_size={size} did not answer 200 ({describe(first)})"
        if findings.check(first.status_code == 200, PAGE_002, unanswered, first):
            check_page_bound(findings, client, size, size)
    pages_above_max(
        findings, client, LEADS, PAGE_002, lambda size, bound: check_page_bound(findings, client, size, bound)
    )
    findings.raise_if_any()


def check_page_bound(findings: Findings, client: httpx.Client, size: int, bound: int) -> None:
    """The first pages of the list with ``page_size=size`` hold at most ``bound`` results each."""
    for page in Pages(client, LEADS, {"page_size": size}, BOUND_PAGES).read().answered:
        results = page.body.get("results")
        count = len(results) if isinstance(results, list) else 0
        findings.check(
            count <= bound,
            PAGE_002,
            f"page {page.number} with page_size={size} holds {count} results, more than {bound}",
            page.response,
        )


# ------------------------------------------------------------------------------ PAGE-003
@pytest.mark.requirement(PAGE_003)
def test_default_page_holds_30_leads(client: httpx.Client) -> None:
    """Without page_size a page holds 30 results when there are more than 30."""
    counted = Pages(client, LEADS, {"page_size": MAX_PAGE_SIZE}, 2).read()
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
@pytest.mark.requirement(PAGE_004)
def test_following_next_visits_every_lead_once_and_ends(client: httpx.Client) -> None:
    """Following next until null visits every lead exactly once and ends.

    The list is walked from its first page for up to PREFIX_PAGES pages of 100. A list that ends
    there is walked whole again with a small page size; a longer one has its start walked again with
    another page size. Either way the list is then narrowed to a window of created_at that one page
    holds whole, and following next through that window with small page sizes must list exactly
    its leads, each once, and end.
    """
    prefix = visit(client, {"page_size": MAX_PAGE_SIZE}, PREFIX_PAGES)
    if prefix.ended:
        check_whole_list(client, prefix)
    else:
        check_prefix(client, prefix)
    check_window(client, prefix, decisive=not prefix.ended)


# ------------------------------------------------------------------------------ PAGE-005
@pytest.mark.requirement(PAGE_005)
def test_previous_is_null_on_the_first_page(client: httpx.Client, target: Target) -> None:
    """previous is null on the first page."""
    findings = Findings(target)
    first_pages_have_no_previous(findings, client, LEADS, PAGE_005, (7, MAX_PAGE_SIZE))
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
