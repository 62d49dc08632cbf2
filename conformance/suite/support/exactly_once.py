"""LEADS-PAGE-004 on a list of any length: every lead visited exactly once, and the walk ends.

A list short enough is walked whole (twice, at two page sizes); a long one is shown on the start of
its walk, walked again, and on a window of ``created_at`` found from the timestamps the target
returned, small enough for one page to hold whole. A walk that outgrows its budget leaves the
requirement inconclusive, never failed. Other checks create leads during the run, so no two
requests are assumed to see the same data.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from conformance.contract.formats import parse_datetime
from conformance.contract.operations import LEADS, lead_path, shown_request
from conformance.http.target import json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.support.answers import describe, not_throttled, results_of
from conformance.suite.support.paging import PAGE_SLACK, Pages
from conformance.suite.support.windows import Fetch, Probe, Window, find_window

PAGE_004 = "LEADS-PAGE-004"
MAX_PAGE_SIZE = 100
#: pages of 100 the list is walked for from its first page; a list that ends within them is walked whole
PREFIX_PAGES = 10
#: the page size and the most pages of the second walk over the start of a longer list
PREFIX_CHECK_SIZE = 23
PREFIX_CHECK_PAGES = 12
#: the most pages the small-page traversal of a whole list may take, which sets its page size
SMALL_TRAVERSAL_PAGES = 10
#: leads that checks running alongside may add between two traversals
GROWTH = 20
#: missing leads re-read by id before the check decides
MAX_RECHECKS = 5
#: leads a window holds at least (fewer when the list or its pages are shorter)
WINDOW_MIN = 40
#: pages a search for a window may read
WINDOW_PROBES = 24
#: about how many pages the first walk through a window takes
WINDOW_PAGES = 25


@dataclass
class Visit:
    """A traversal from the first page of one query: the ids in the order seen, the server's clock
    when it began, and whether it reached ``next: null``."""

    query: dict[str, Any]
    ids: list[str] = field(default_factory=list)
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    began: datetime | None = None
    pages: int = 0
    longest_page: int = 0
    ended: bool = False

    @property
    def shown(self) -> str:
        return shown_request(LEADS, self.query)


def server_clock(response: httpx.Response, elapsed: float) -> datetime | None:
    """An instant no later than the server's clock when the request was sent (from ``Date``)."""
    try:
        stamp = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp - timedelta(seconds=elapsed + 1)


def visit(client: httpx.Client, query: dict[str, Any], max_pages: int, enough: int | None = None) -> Visit:
    """Follow ``next`` from the first page of ``query``, for at most ``max_pages`` pages (and, given
    ``enough``, until that many leads are listed).

    A page that is not a 200 object, a lead listed again and a cursor followed before are violations:
    the traversal does not visit each lead once. Stopping at the bound is no verdict (``ended`` False).
    """
    result = Visit(query=dict(query))
    pages = Pages(
        client,
        LEADS,
        query,
        max_pages,
        strict=PAGE_004,
        until=None if enough is None else lambda _: len(result.ids) >= enough,
    )
    started = time.monotonic()
    for page in pages:
        if page.number == 1:
            result.began = server_clock(page.response, time.monotonic() - started)
        result.pages = page.number
        add_page(result, results_of(page.body), page.number)
    result.ended = pages.ended
    return result
    return result


def add_page(result: Visit, leads: list[dict[str, Any]], number: int) -> None:
    """Record a page's leads; a lead the traversal listed before is a violation."""
    result.longest_page = max(result.longest_page, len(leads))
    for lead in leads:
        ident = lead.get("id")
        if not isinstance(ident, str) or not ident:
            continue
        if ident in result.leads:
            raise Violation(
                f"{result.shown}: lead {ident} is listed again on page {number}: the traversal "
                "visits it more than once",
                [PAGE_004],
            )
        result.ids.append(ident)
        result.leads[ident] = lead


def current(client: httpx.Client, ident: str) -> dict[str, Any] | None:
    """The lead as it is now, when it exists and is not deleted (so a traversal must list it)."""
    response = not_throttled(client.get(lead_path(ident)), [PAGE_004])
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict) or body.get("remote_was_deleted") is True:
        return None
    return body


def before(lead: dict[str, Any], key: str, moment: datetime | None) -> bool:
    stamp = parse_datetime(lead.get(key))
    return moment is not None and stamp is not None and stamp < moment


def example(ids: list[str]) -> str:
    return ", ".join(ids[:3])


# ---------------------------------------------------------------- a list short enough to walk whole
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


def check_whole_list(client: httpx.Client, large: Visit) -> None:
    """The whole list walked again with a small page size lists the same leads as page_size=100.

    A lead only one traversal listed counts once it is shown to exist still (for the small one)
    or to have been created before the large one began (for the large one).
    """
    size = small_page_size(len(large.ids))
    budget = page_budget(large, size)
    small = visit(client, {"page_size": size}, budget)
    if not small.ended:
        raise Inconclusive(
            f"following next with page_size={size} did not end within {budget} pages, the budget for the "
            f"{len(large.ids)} leads page_size=100 listed and some added meanwhile",
            [PAGE_004],
        )
    missed_by_small = [i for i in large.ids if i not in small.leads]
    gone = [i for i in missed_by_small[:MAX_RECHECKS] if current(client, i) is not None]
    if gone:
        raise Violation(
            f"following next with page_size={size} never listed {len(missed_by_small)} lead(s) that "
            f"page_size=100 listed and that still exist, e.g. {example(gone)}",
            [PAGE_004],
        )
    missed_by_large = [
        i for i in small.ids if i not in large.leads and before(small.leads[i], "created_at", large.began)
    ]
    if missed_by_large:
        raise Violation(
            f"following next with page_size=100 never listed {len(missed_by_large)} lead(s) created "
            f"before it began that page_size={size} listed, e.g. {example(missed_by_large)}",
            [PAGE_004],
        )


# ---------------------------------------------------------------- the start of a long list
def check_prefix(client: httpx.Client, prefix: Visit) -> None:
    """The start of the list walked with another page size lists no lead page_size=100 passed over.

    The second walk stops well inside what page_size=100 covered, so even leads added at the head
    of the list meanwhile do not push an old lead beyond it; a lead counts once it exists still and
    was created and last modified before page_size=100 began (a list ordered by modified_at moves it).
    """
    enough = len(prefix.ids) - max(GROWTH, len(prefix.ids) // 10)
    if enough < 2 * PREFIX_CHECK_SIZE:
        return
    again = visit(client, {"page_size": PREFIX_CHECK_SIZE}, PREFIX_CHECK_PAGES, enough)
    passed_over = [i for i in again.ids[:enough] if i not in prefix.leads]
    confirmed = []
    for ident in passed_over[:MAX_RECHECKS]:
        lead = current(client, ident)
        if lead and before(lead, "created_at", prefix.began) and before(lead, "modified_at", prefix.began):
            confirmed.append(ident)
    if confirmed:
        raise Violation(
            f"following next with page_size=100 passed over {len(passed_over)} of the first "
            f"{min(enough, len(again.ids))} leads that page_size={PREFIX_CHECK_SIZE} lists, leads that exist "
            f"and were created and last modified before it began, e.g. {example(confirmed)}",
            [PAGE_004],
        )


# ---------------------------------------------------------------- a window that one page holds whole
def window_page(client: httpx.Client) -> Fetch:
    """Reads the first page (page_size=100) of the list narrowed to a window."""

    def fetch(window: Window) -> Probe:
        query: dict[str, Any] = {**window.params, "page_size": MAX_PAGE_SIZE}
        response = not_throttled(client.get(LEADS, params=query), [PAGE_004])
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            return Probe(
                window, [], False, f"the list narrowed to {window.shown()} is unusable ({describe(response)})"
            )
        page = Visit(query=query)
        add_page(page, results_of(body), 1)
        strays = window.strays(page.leads.values())
        if strays:
            return Probe(
                window,
                [],
                False,
                f"the list narrowed to {window.shown()} shows {len(strays)} "
                f"lead(s) created outside it, e.g. {strays[0].get('id')}",
            )
        return Probe(window, list(page.leads.values()), body.get("next") is None)

    return fetch


def window_page_sizes(count: int) -> list[int]:
    """Two page sizes that split a window of ``count`` leads into many pages, and fewer."""
    first = max(2, math.ceil(count / WINDOW_PAGES))
    return [size for size in (first, 2 * first + 1) if size < count]


def listed_in(client: httpx.Client, ident: str, window: Window) -> bool:
    """Whether the lead exists, is not deleted and was created inside the window (which is in the past)."""
    lead = current(client, ident)
    return lead is not None and window.holds(lead)


def check_window(client: httpx.Client, prefix: Visit, decisive: bool) -> None:
    """Following next through a window of the list lists exactly the leads one page of it holds.

    ``decisive``: the window is the only evidence about the list's end (it is too long to walk
    whole), so a window that cannot be found or read to its end is inconclusive; otherwise it only
    adds evidence.
    """
    page = min(prefix.longest_page or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    smallest = max(2, min(WINDOW_MIN, page // 2, len(prefix.ids) // 2))
    search = find_window(window_page(client), prefix.leads.values(), smallest, page, WINDOW_PROBES)
    if search.found is None:
        if decisive:
            raise Inconclusive(
                f"the list did not end within {PREFIX_PAGES} pages of 100, and {search.problem}", [PAGE_004]
            )
        return
    window, expected = search.found.window, {lead["id"]: lead for lead in search.found.leads}
    for size in window_page_sizes(len(expected)):
        budget = len(expected) + 2 * PAGE_SLACK
        walked = visit(client, {**window.params, "page_size": size}, budget)
        unusable = "" if walked.ended else f"did not end within {budget} pages"
        strays = window.strays(walked.leads.values())
        if strays and not unusable:
            unusable = f"lists {len(strays)} lead(s) created outside the window, e.g. {strays[0].get('id')}"
        if unusable:
            if decisive:
                raise Inconclusive(
                    f"following next from {walked.shown} {unusable}, where one page of the window holds "
                    f"{len(expected)} leads",
                    [PAGE_004],
                )
            return
        compare_window(client, window, expected, walked)


def compare_window(client: httpx.Client, window: Window, expected: dict[str, Any], walked: Visit) -> None:
    """The leads following next listed are those one page of the same window lists, leads shown to
    exist and to lie inside the window on either side."""
    size = walked.query["page_size"]
    missed = [i for i in expected if i not in walked.leads]
    confirmed = [i for i in missed[:MAX_RECHECKS] if listed_in(client, i, window)]
    if confirmed:
        raise Violation(
            f"following next from {walked.shown} ({walked.pages} pages) never listed {len(missed)} of the "
            f"{len(expected)} leads that one page of the window lists (page_size=100, next null), "
            f"e.g. {example(confirmed)}",
            [PAGE_004],
        )
    extra = [i for i in walked.ids if i not in expected]
    confirmed = [i for i in extra[:MAX_RECHECKS] if listed_in(client, i, window)]
    if confirmed:
        raise Violation(
            f"one page of {window.shown()} (page_size=100, next null) leaves out {len(extra)} lead(s) "
            f"created inside it that following next with page_size={size} lists, e.g. {example(confirmed)}",
            [PAGE_004],
        )
