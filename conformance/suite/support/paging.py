"""The one walk over a cursor-paged list: ``Pages`` follows ``next`` from a first page and keeps each page.

A strict walk fails its requirement on trouble (a page that is not a 200 JSON object, a ``next`` that is
neither a cursor nor null, a cursor followed before, and with ``must_end`` the page bound); a lenient one
stops there and says why in ``problem``. Otherwise the page bound is no verdict: ``ended`` is true only
when a page said ``next: null``. Every caller reads what the walk saw from the walk itself: its pages
(``answered``), their results, ids, and how it stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from conformance.contract.operations import shown_request
from conformance.http.target import json_or_none
from conformance.outcomes import Violation
from conformance.suite.support.answers import describe, json_object, not_throttled, result_ids, results_of
from conformance.suite.support.leads import Lead

__all__ = [
    "MAX_PAGE_SIZE",
    "PAGE_SLACK",
    "Page",
    "Pages",
    "listed_once",
    "server_clock",
    "small_page_size",
]

#: the largest page the contract lets a list serve
MAX_PAGE_SIZE = 100
#: the most pages a traversal may take beyond what the data can explain
PAGE_SLACK = 3


def server_clock(response: httpx.Response, elapsed: float) -> datetime | None:
    """An instant no later than the server's clock when the request was sent (from ``Date``)."""
    try:
        stamp = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return stamp - timedelta(seconds=elapsed + 1)


def small_page_size(count: int, most_pages: int, smallest: int) -> int:
    """A page size that spreads ``count`` items over at most about ``most_pages`` pages (no smaller than
    ``smallest``), whose boundaries differ from those of the largest page size."""
    size = min(max(smallest, math.ceil(count / most_pages)), MAX_PAGE_SIZE - 1)
    return size + 1 if MAX_PAGE_SIZE % size == 0 else size


@dataclass(frozen=True)
class Page:
    """One page a walk answered: its number (from 1), the query sent, the response and its body."""

    number: int
    query: dict[str, Any]
    response: httpx.Response
    body: dict[str, Any]

    @property
    def results(self) -> list[Lead]:
        """The object items of the page's ``results``."""
        return results_of(self.body)


def listed_once(page: Page, listed: set[str], repeated: Callable[[str, int], Violation]) -> list[str]:
    """The ids of a page's results, in order, each noted in ``listed``; an id listed before raises
    ``repeated(id, page number)``."""
    ids = []
    for item in page.results:
        ident = item.get("id")
        if not isinstance(ident, str) or not ident:
            continue
        if ident in listed:
            raise repeated(ident, page.number)
        listed.add(ident)
        ids.append(ident)
    return ids


@dataclass
class Pages:
    """The pages of ``path`` from ``params``, following ``next``, at most ``max_pages`` of them.

    ``strict`` names the requirement trouble violates (``must_end``: not ending within the bound too);
    without it the walk is lenient and stops at trouble. ``needs_results``: a page whose ``results`` is not
    an array is trouble too. ``until``, asked after a page's ``next`` was judged, ends the walk early. A
    persisting 429 is inconclusive (for ``requirements``, and the strict one). After the iteration,
    ``answered`` holds the pages; ``ended``, ``problem``, ``refused`` (the unusable answer) and ``bound``
    say how it stopped; ``began`` is the server's clock when the walk began (from the first page's Date).
    """

    client: httpx.Client
    path: str
    params: dict[str, Any]
    max_pages: int
    strict: str | None = None
    must_end: bool = False
    requirements: Iterable[str] = ()
    needs_results: bool = False
    until: Callable[[Page], bool] | None = None
    answered: list[Page] = field(default_factory=list)
    ended: bool = False
    bound: bool = False
    problem: str = ""
    refused: httpx.Response | None = None
    followed: set[str] = field(default_factory=set)
    began: datetime | None = None

    @property
    def shown(self) -> str:
        return shown_request(self.path, self.params)

    @property
    def count(self) -> int:
        """How many pages the walk answered."""
        return len(self.answered)

    def __iter__(self) -> Iterator[Page]:
        requirements = [*self.requirements, *([self.strict] if self.strict else [])]
        cursor: str | None = None
        started = time.monotonic()
        for number in range(1, self.max_pages + 1):
            query = dict(self.params) if cursor is None else {**self.params, "cursor": cursor}
            response = not_throttled(self.client.get(self.path, params=query), requirements)
            body = self._usable(number, response)
            if body is None:
                return
            if number == 1:
                self.began = server_clock(response, time.monotonic() - started)
            page = Page(number, query, response, body)
            self.answered.append(page)
            yield page
            nxt = body.get("next")
            if nxt is None:
                self.ended = True
                return
            if not self._followable(number, nxt):
                return
            self.followed.add(nxt)
            cursor = nxt
            if self.until is not None and self.until(page):
                return
        self.bound = True
        size = self.params.get("page_size")
        self.problem = f"it did not end within {self.max_pages} pages" + (f" of {size}" if size else "")
        if self.strict is not None and self.must_end:
            raise Violation(
                f"following next from the first page of {self.path} did not end within "
                f"{self.max_pages} pages",
                [self.strict],
            )

    def read(self) -> Pages:
        """Walk every page there is to walk; the walk itself, for what it saw."""
        for _ in self:
            pass
        return self

    # -- what the walk saw ---------------------------------------------------------------------
    @property
    def results(self) -> list[tuple[Page, Lead]]:
        """Every result object of every page, with its page, in order."""
        return [(page, item) for page in self.answered for item in page.results]

    @property
    def ids(self) -> list[str]:
        """The string ids of every page's results, in order."""
        return [ident for page in self.answered for ident in result_ids(page.body)]

    def first_results(self) -> list[tuple[Page, Lead]]:
        """Every result object with an id, the first occurrence of each, with its page, in order."""
        first: dict[str, tuple[Page, Lead]] = {}
        for page, item in self.results:
            ident = item.get("id")
            if isinstance(ident, str) and ident:
                first.setdefault(ident, (page, item))
        return list(first.values())

    def by_id(self) -> dict[str, Lead]:
        """Every result object with an id, by its id, the first occurrence of each, in order."""
        return {item["id"]: item for _, item in self.first_results()}

    @property
    def longest_page(self) -> int:
        """The most results one page held."""
        return max((len(page.results) for page in self.answered), default=0)

    @property
    def last(self) -> httpx.Response:
        """The walk's latest answer: the unusable one that stopped it, else its last page's."""
        if self.refused is not None:
            return self.refused
        if not self.answered:
            raise RuntimeError(f"the walk of {self.shown} sent no request")
        return self.answered[-1].response

    # -- how a page is read --------------------------------------------------------------------
    def _usable(self, number: int, response: httpx.Response) -> dict[str, Any] | None:
        """The page's body, or None (or a violation, when strict) for an unusable answer."""
        where = f"page {number} of {self.shown}"
        if self.strict is not None:
            if response.status_code != 200:
                raise Violation(f"{where} did not answer 200 ({describe(response)})", [self.strict])
            body: Any = json_object(response, self.strict, where)
        else:
            body = json_or_none(response)
        results = body.get("results") if isinstance(body, dict) else None
        if response.status_code == 200 and isinstance(body, dict) and (
            isinstance(results, list) or not self.needs_results
        ):
            return body
        if self.strict is not None:
            raise Violation(f"{where}: results is {results!r:.60}, not an array", [self.strict])
        self.refused = response
        self.problem = f"page {number}: {describe(response)}"
        return None

    def _followable(self, number: int, nxt: Any) -> bool:
        """Whether ``next`` is a cursor not followed before; if not, a violation when strict."""
        if not isinstance(nxt, str) or not nxt:
            trouble = f"page {number} of {self.shown} has next {nxt!r:.80}, neither a cursor nor null"
        elif nxt in self.followed:
            trouble = (f"page {number} of {self.shown} has a next cursor followed before "
                       f"({nxt[:60]!r}): the traversal loops")
        else:
            return True
        if self.strict is not None:
            raise Violation(trouble, [self.strict])
        self.problem = trouble
        return False
