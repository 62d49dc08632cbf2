"""LEADS-PAGE-004 on a list of any length: every lead visited exactly once, and the walk ends.

A list short enough is walked whole (twice, at two page sizes); a long one is shown on the start of
its walk, walked again, and on a window of ``created_at`` found from the timestamps the target
returned, small enough for one page to hold whole. A walk that outgrows its budget leaves the
requirement inconclusive, never failed. Other checks create leads during the run, so no two
requests are assumed to see the same data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from conformance.contract.formats import parse_datetime
from conformance.contract.operations import LEADS
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.support.answers import current_lead, describe
from conformance.suite.support.leads import Lead
from conformance.suite.support.paging import MAX_PAGE_SIZE, PAGE_SLACK, Pages, listed_once, small_page_size
from conformance.suite.support.windows import Window, WindowPage, WindowReader, find_window

PAGE_004 = "LEADS-PAGE-004"
#: pages of 100 the list is walked for from its first page; a list that ends within them is walked whole
PREFIX_PAGES = 10
#: the page size and the most pages of the second walk over the start of a longer list
PREFIX_CHECK_SIZE = 23
PREFIX_CHECK_PAGES = 12
#: the most pages the small-page traversal of a whole list may take, which sets its page size
SMALL_TRAVERSAL_PAGES = 10
#: leads that checks running alongside may add between two traversals
GROWTH = 20
#: leads one traversal missed that are read again by id before the check decides
TRAVERSAL_RECHECKS = 5
#: leads a window holds at least (fewer when the list or its pages are shorter)
WINDOW_MIN = 40
#: pages a search for a window may read
WINDOW_READS = 24
#: about how many pages the first walk through a window takes
WINDOW_PAGES = 10


def visit(client: httpx.Client, query: dict[str, Any], max_pages: int, enough: int | None = None) -> Pages:
    """Follow ``next`` from the first page of ``query``, for at most ``max_pages`` pages (and, given
    ``enough``, until that many leads are listed).

    A page that is not a 200 object, a lead listed again and a cursor followed before are violations:
    the traversal does not visit each lead once. Stopping at the bound is no verdict (``ended`` False).
    """
    walk = Pages(client, LEADS, dict(query), max_pages, strict=PAGE_004)
    if enough is not None:
        walk.until = lambda _: len(walk.ids) >= enough
    listed: set[str] = set()
    for page in walk:
        listed_once(page, listed, repeated_in(walk))
    return walk


def repeated_in(walk: Pages) -> Callable[[str, int], Violation]:
    """The violation of a lead the traversal lists again."""
    return lambda ident, number: Violation(
        f"{walk.shown}: lead {ident} is listed again on page {number}: the traversal visits it more "
        "than once",
        [PAGE_004],
    )


def before(lead: Lead, key: str, moment: datetime | None) -> bool:
    stamp = parse_datetime(lead.get(key))
    return moment is not None and stamp is not None and stamp < moment


def example(ids: list[str]) -> str:
    return ", ".join(ids[:3])


# ---------------------------------------------------------------- a list short enough to walk whole
def page_budget(large: Pages, size: int) -> int:
    """Pages a traversal with ``page_size=size`` may take: twice what the leads the large traversal
    saw (plus some added meanwhile) explain, at the page length the target actually serves."""
    served = min(size, large.longest_page) if large.count > 1 and large.longest_page else size
    count = len(large.ids) + max(GROWTH, len(large.ids) // 10)
    return 2 * math.ceil(count / served) + PAGE_SLACK


def check_whole_list(client: httpx.Client, large: Pages) -> None:
    """The whole list walked again with a small page size lists the same leads as page_size=100.

    A lead only one traversal listed counts once it is shown to exist still (for the small one)
    or to have been created before the large one began (for the large one).
    """
    size = small_page_size(len(large.ids), SMALL_TRAVERSAL_PAGES, 7)
    budget = page_budget(large, size)
    small = visit(client, {"page_size": size}, budget)
    if not small.ended:
        raise Inconclusive(
            f"following next with page_size={size} did not end within {budget} pages, the budget for the "
            f"{len(large.ids)} leads page_size=100 listed and some added meanwhile",
            [PAGE_004],
        )
    small_leads = small.by_id()
    missed_by_small = [i for i in large.ids if i not in small_leads]
    gone = [
        i for i in missed_by_small[:TRAVERSAL_RECHECKS] if current_lead(client, i, [PAGE_004]) is not None
    ]
    if gone:
        raise Violation(
            f"following next with page_size={size} never listed {len(missed_by_small)} lead(s) that "
            f"page_size=100 listed and that still exist, e.g. {example(gone)}",
            [PAGE_004],
        )
    large_leads = large.by_id()
    missed_by_large = [
        i for i in small.ids if i not in large_leads and before(small_leads[i], "created_at", large.began)
    ]
    if missed_by_large:
        raise Violation(
            f"following next with page_size=100 never listed {len(missed_by_large)} lead(s) created "
            f"before it began that page_size={size} listed, e.g. {example(missed_by_large)}",
            [PAGE_004],
        )


# ---------------------------------------------------------------- the start of a long list
def check_prefix(client: httpx.Client, prefix: Pages) -> None:
    """The start of the list walked with another page size lists no lead page_size=100 passed over.

    The second walk stops well inside what page_size=100 covered, so even leads added at the head
    of the list meanwhile do not push an old lead beyond it; a lead counts once it exists still and
    was created and last modified before page_size=100 began (a list ordered by modified_at moves it).
    """
    enough = len(prefix.ids) - max(GROWTH, len(prefix.ids) // 10)
    if enough < 2 * PREFIX_CHECK_SIZE:
        return
    again = visit(client, {"page_size": PREFIX_CHECK_SIZE}, PREFIX_CHECK_PAGES, enough)
    prefix_leads = prefix.by_id()
    passed_over = [i for i in again.ids[:enough] if i not in prefix_leads]
    confirmed = []
    for ident in passed_over[:TRAVERSAL_RECHECKS]:
        lead = current_lead(client, ident, [PAGE_004])
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
def window_page(client: httpx.Client) -> WindowReader:
    """Reads the first page (page_size=100) of the list narrowed to a window."""

    def read(window: Window) -> WindowPage:
        walk = Pages(client, LEADS, {**window.params, "page_size": MAX_PAGE_SIZE}, 1, requirements=[PAGE_004])
        for page in walk:
            listed_once(page, set(), repeated_in(walk))
        if walk.refused is not None:
            unusable = f"the list narrowed to {window.shown()} is unusable ({describe(walk.refused)})"
            return WindowPage(window, [], False, unusable)
        leads = list(walk.by_id().values())
        strays = window.strays(leads)
        if strays:
            return WindowPage(
                window,
                [],
                False,
                f"the list narrowed to {window.shown()} shows {len(strays)} "
                f"lead(s) created outside it, e.g. {strays[0].get('id')}",
            )
        return WindowPage(window, leads, walk.ended)

    return read


def window_page_sizes(count: int) -> list[int]:
    """Two page sizes that split a window of ``count`` leads into many pages, and fewer."""
    first = max(2, math.ceil(count / WINDOW_PAGES))
    return [size for size in (first, 2 * first + 1) if size < count]


def listed_in(client: httpx.Client, ident: str, window: Window) -> bool:
    """Whether the lead exists, is not deleted and was created inside the window (which is in the past)."""
    lead = current_lead(client, ident, [PAGE_004])
    return lead is not None and window.holds(lead)


def check_window(client: httpx.Client, prefix: Pages, decisive: bool) -> None:
    """Following next through a window of the list lists exactly the leads one page of it holds.

    ``decisive``: the window is the only evidence about the list's end (it is too long to walk
    whole), so a window that cannot be found or read to its end is inconclusive; otherwise it only
    adds evidence.
    """
    page = min(prefix.longest_page or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    smallest = max(2, min(WINDOW_MIN, page // 2, len(prefix.ids) // 2))
    search = find_window(window_page(client), prefix.by_id().values(), smallest, page, WINDOW_READS)
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
        strays = window.strays(walked.by_id().values())
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


def compare_window(client: httpx.Client, window: Window, expected: dict[str, Any], walked: Pages) -> None:
    """The leads following next listed are those one page of the same window lists, leads shown to
    exist and to lie inside the window on either side."""
    size = walked.params["page_size"]
    walked_leads = walked.by_id()
    missed = [i for i in expected if i not in walked_leads]
    confirmed = [i for i in missed[:TRAVERSAL_RECHECKS] if listed_in(client, i, window)]
    if confirmed:
        raise Violation(
            f"following next from {walked.shown} ({walked.count} pages) never listed {len(missed)} of the "
            f"{len(expected)} leads that one page of the window lists (page_size=100, next null), "
            f"e.g. {example(confirmed)}",
            [PAGE_004],
        )
    extra = [i for i in walked.ids if i not in expected]
    confirmed = [i for i in extra[:TRAVERSAL_RECHECKS] if listed_in(client, i, window)]
    if confirmed:
        raise Violation(
            f"one page of {window.shown()} (page_size=100, next null) leaves out {len(extra)} lead(s) "
            f"created inside it that following next with page_size={size} lists, e.g. {example(confirmed)}",
            [PAGE_004],
        )
