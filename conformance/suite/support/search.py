"""Finding leads in the target's list: bounded searches, windows narrowed by ``created_after``.

A search is a lenient walk: trouble with the list ends it incomplete, never a violation here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.contract.operations import LEADS
from conformance.outcomes import Inconclusive
from conformance.suite.support.paging import Pages

__all__ = [
    "SAMPLE_PAGES",
    "SEARCH_PAGES",
    "SEARCH_PAGE_SIZE",
    "LeadPredicate",
    "Search",
    "created_after_bound",
    "find_in_list",
    "found_by_id",
    "listing_of",
    "search_leads",
]

LeadPredicate = Callable[[dict[str, Any]], bool]
#: pages a search of the lead list may take (100 leads a page)
SEARCH_PAGES = 100
SEARCH_PAGE_SIZE = 100
#: pages of 100 leads the read-path checks sample from the target's list
SAMPLE_PAGES = 20
_SEARCH_SLACK_SECONDS = 1


@dataclass
class Search:
    """What one walk of a lead list found, and whether it saw the whole list."""

    found: list[dict[str, Any]]
    seen_ids: set[str]
    complete: bool
    problem: str = ""


def search_leads(
    client: httpx.Client,
    wanted: LeadPredicate,
    params: dict[str, Any] | None = None,
    max_pages: int = SEARCH_PAGES,
    stop_at: Callable[[Search], bool] | None = None,
) -> Search:
    """Walk the lead list (bounded), keeping the leads ``wanted(lead)`` picks.

    Trouble with the list (a non-200 page, a looping cursor, the page bound) ends the walk
    with ``complete`` False and the reason in ``problem``; it is never a violation here.
    ``stop_at(search)`` returning True ends the walk early (complete stays False).
    """
    search = Search(found=[], seen_ids=set(), complete=False)
    pages = Pages(client, LEADS, {"page_size": SEARCH_PAGE_SIZE, **(params or {})}, max_pages,
                  needs_results=True)
    for page in pages:
        for lead in page.body["results"]:
            if isinstance(lead, dict):
                if isinstance(lead.get("id"), str):
                    search.seen_ids.add(lead["id"])
                if wanted(lead):
                    search.found.append(lead)
        if stop_at is not None and stop_at(search):
            return search
    search.complete = pages.ended
    search.problem = f"the lead list: {pages.problem}" if pages.problem else ""
    return search


def created_after_bound(*leads: dict[str, Any]) -> str | None:
    """A created_after bound a little before the earliest created_at of ``leads`` (the server's clock).

    None when one of them shows no usable created_at: only timestamps the target returned say where
    a lead lies. The margin below the earliest one allows for a bound that excludes its own instant
    and for a target that stores finer instants than it returns; it only ever widens the window.
    """
    moments = [parse_datetime(lead.get("created_at")) for lead in leads]
    known = [moment for moment in moments if moment is not None]
    if not known or len(known) < len(moments):
        return None
    return isoformat_z(min(known) - timedelta(seconds=_SEARCH_SLACK_SECONDS))


def find_in_list(
    client: httpx.Client,
    wanted: LeadPredicate,
    control: dict[str, Any] | None,
    sought: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The leads of ``client``'s list that ``wanted`` picks, or Inconclusive when absence cannot be shown.

    ``control`` is a lead visible to ``client``, created before any lead looked for that the run
    did not see (a write answered with an error): a search counts as seeing every new lead only if
    it sees the control. ``sought`` are the leads looked for whose created_at the target returned.
    The search first narrows the list with ``created_after``, below the earliest created_at of the
    control and the sought leads, however long the writes took; a target whose filter is broken
    is walked in full instead.
    """
    control_id = control.get("id") if control else None
    attempts: list[dict[str, Any]] = []
    window = [*([control] if control else []), *sought]
    bound = created_after_bound(*window)
    if bound is not None:
        attempts.append({"created_after": bound})
    attempts.append({})
    problems = []
    for params in attempts:
        search = search_leads(client, wanted, params)
        if search.found:
            return search.found
        control_seen = control_id is None or control_id in search.seen_ids
        if search.complete and control_seen:
            return []
        problems.append(search.problem or "the list did not show the control lead the run had just created")
    raise Inconclusive("cannot tell whether the lead list holds it: " + "; ".join(problems))


def found_by_id(lead_id: str) -> tuple[Callable[[dict[str, Any]], bool], Callable[[Search], bool]]:
    """What a search for one lead keeps, and when it may stop (as soon as it has it)."""
    return (lambda item: item.get("id") == lead_id), (lambda search: bool(search.found))


def listing_of(client: httpx.Client, lead: dict[str, Any]) -> tuple[bool | None, list[str]]:
    """Whether the list holds ``lead`` now: True, False (a walk of the whole list missed it) or None.

    The list is first narrowed to leads created from just before the lead's own created_at, as the
    target returned it; a target whose filter drops the lead is walked in full. Each walk is bounded
    (``SEARCH_PAGES`` pages); what each one saw is said in the notes.
    """
    wanted, stop = found_by_id(lead["id"])
    notes: list[str] = []
    bound = created_after_bound(lead)
    if bound is not None:
        narrowed = search_leads(client, wanted, {"created_after": bound}, stop_at=stop)
        if narrowed.found:
            return True, notes
        notes.append(f"created_after={bound}: {narrowed.problem or 'walked to its end without it'}")
    else:
        notes.append(f"its created_at {lead.get('created_at')!r} cannot narrow the list")
    whole = search_leads(client, wanted, stop_at=stop)
    if whole.found:
        return True, notes
    notes.append(f"the whole list: {whole.problem or 'walked to its end without it'}")
    return (False if whole.complete else None), notes
