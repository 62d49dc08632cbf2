"""What the lead list and the remote field class list share as cursor-paged lists: every page answers
the page envelope, a page size above the maximum is bounded or refused, and a first page has no
``previous``."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from conformance.contract.operations import shown_request
from conformance.http.target import json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages
from conformance.suite.support.validators import envelope_problems

__all__ = ["BOUND_PAGES", "TYPED_PAGES", "first_pages_have_no_previous", "pages_above_max", "pages_are_typed"]

#: a page size above the maximum: pages of at most 100, or a 4xx
ABOVE_MAX = 150
#: pages of each page size checked against the bound
BOUND_PAGES = 2
#: pages of 100 whose items are type-checked (and, of remote field classes, read for the filter check)
TYPED_PAGES = 20


def pages_are_typed(
    findings: Findings, client: httpx.Client, path: str, requirement: str, kind: str, label: str
) -> None:
    """The first page, without page_size and with 100, answers 200 with the ``kind`` envelope, and so does
    every later page of ``label`` reached by next (pages of 100, at most ``TYPED_PAGES``)."""
    for params in ({}, {"page_size": MAX_PAGE_SIZE}):
        response = not_throttled(client.get(path, params=params), [requirement])
        if not findings.check(
            response.status_code == 200, requirement, f"the list did not answer 200 ({describe(response)})",
            response,
        ):
            continue
        problems = envelope_problems(json_or_none(response), kind)
        findings.check(
            not problems, requirement, f"{shown_request(path, params)}: {summarise(problems)}", response
        )
    walk = Pages(client, path, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES).read()
    for page in walk.answered[1:]:
        problems = envelope_problems(page.body, kind)
        findings.check(
            not problems, requirement, f"page {page.number} of {label}: {summarise(problems)}", page.response
        )


def pages_above_max(
    findings: Findings, client: httpx.Client, path: str, requirement: str, bounded: Callable[[int, int], None]
) -> None:
    """``page_size`` above 100 gets pages of at most 100 (``bounded(size, bound)`` checks them), or a 4xx."""
    response = not_throttled(client.get(path, params={"page_size": ABOVE_MAX}), [requirement])
    if response.status_code == 200:
        bounded(ABOVE_MAX, MAX_PAGE_SIZE)
    else:
        findings.check(
            400 <= response.status_code < 500,
            requirement,
            f"page_size={ABOVE_MAX} got neither pages of at most 100 nor a 4xx ({describe(response)})",
            response,
        )


def first_pages_have_no_previous(
    findings: Findings, client: httpx.Client, path: str, requirement: str, sizes: tuple[int, ...]
) -> None:
    """The first page, without page_size and with each of ``sizes``, has ``previous`` null."""
    for params in ({}, *({"page_size": size} for size in sizes)):
        response = not_throttled(client.get(path, params=params), [requirement])
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise Inconclusive(f"the first page is unusable ({describe(response)})", [requirement])
        previous = body.get("previous")
        findings.check(
            previous is None,
            requirement,
            f"the first page ({shown_request(path, params)}) has previous {previous!r:.80}",
            response,
        )
