"""One walk over a cursor-paged list, strict or lenient, and the traversals built on it.

``Pages`` follows ``next`` from a first page and yields each page it answered. A strict walk fails
its requirement on trouble (a page that is not a 200 JSON object, a ``next`` that is neither a cursor
nor null, a cursor followed before); a lenient one stops there and says why in ``problem``. Neither
treats the page bound as a verdict: ``ended`` is true only when a page said ``next: null``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.contract.operations import shown_request
from conformance.http.target import json_or_none
from conformance.outcomes import Violation
from conformance.suite.support.answers import describe, json_object, not_throttled, result_ids, results_of

__all__ = ["PAGE_SLACK", "Page", "Pages", "Traversal", "lenient_walk", "traversal_items", "walk"]

#: the most pages a traversal may take beyond what the data can explain
PAGE_SLACK = 3


@dataclass(frozen=True)
class Page:
    """One page a walk answered: its number (from 1), the query sent, the response and its body."""

    number: int
    query: dict[str, Any]
    response: httpx.Response
    body: dict[str, Any]


@dataclass
class Pages:
    """The pages of ``path`` from ``params``, following ``next``, at most ``max_pages`` of them.

    ``strict`` names the requirement trouble violates; without it the walk is lenient and stops at
    trouble. ``needs_results``: a page whose ``results`` is not an array is trouble too. ``until``,
    asked after a page's ``next`` was judged, ends the walk early. A persisting 429 is inconclusive
    (for ``requirements``, and the strict one). After the iteration, ``pages`` counts the pages
    answered; ``ended``, ``problem``, ``refused`` (the unusable answer) and ``bound`` say how it stopped.
    """

    client: httpx.Client
    path: str
    params: dict[str, Any]
    max_pages: int
    strict: str | None = None
    requirements: Iterable[str] = ()
    needs_results: bool = False
    until: Callable[[Page], bool] | None = None
    pages: int = 0
    ended: bool = False
    bound: bool = False
    problem: str = ""
    refused: httpx.Response | None = None
    followed: set[str] = field(default_factory=set)

    @property
    def shown(self) -> str:
        return shown_request(self.path, self.params)

    def __iter__(self) -> Iterator[Page]:
        requirements = [*self.requirements, *([self.strict] if self.strict else [])]
        cursor: str | None = None
        for number in range(1, self.max_pages + 1):
            query = dict(self.params) if cursor is None else {**self.params, "cursor": cursor}
            response = not_throttled(self.client.get(self.path, params=query), requirements)
            body = self._usable(number, response)
            if body is None:
                return
            self.pages = number
            page = Page(number, query, response, body)
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


def walk(
    client: httpx.Client, path: str, params: dict[str, Any], max_pages: int, requirement: str
) -> Iterator[Page]:
    """A strict walk that must also end within ``max_pages`` pages."""
    pages = Pages(client, path, params, max_pages, strict=requirement)
    yield from pages
    if pages.bound:
        raise Violation(f"following next from the first page of {path} did not end within {max_pages} pages",
                        [requirement])


@dataclass
class Traversal:
    """The pages a lenient walk saw, and how it ended."""

    pages: list[dict[str, Any]]
    ids: list[str]
    ended: bool
    problem: str = ""


def lenient_walk(client: httpx.Client, path: str, params: dict[str, Any], max_pages: int) -> Traversal:
    """Follow ``next`` as far as the target allows, at most ``max_pages`` pages, never failing.

    For checks that need a sample of the list, not a verdict on its paging (those walk strictly).
    """
    pages = Pages(client, path, params, max_pages)
    bodies = [page.body for page in pages]
    ids = [ident for body in bodies for ident in result_ids(body)]
    return Traversal(pages=bodies, ids=ids, ended=pages.ended, problem=pages.problem)


def traversal_items(traversal: Traversal) -> list[dict[str, Any]]:
    """Every result object a traversal saw, the first occurrence of each id only."""
    seen: set[str] = set()
    items = []
    for page in traversal.pages:
        for item in results_of(page):
            ident = item.get("id")
            if isinstance(ident, str) and ident and ident not in seen:
                seen.add(ident)
                items.append(item)
    return items
