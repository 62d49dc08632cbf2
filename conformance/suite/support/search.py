"""Finding leads in the target's list: bounded searches, narrowed by ``created_after``.

A search is a lenient walk of the lead list: trouble with the list ends it incomplete, never a violation
here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

import httpx

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.contract.operations import LEADS
from conformance.outcomes import Inconclusive
from conformance.suite.support.leads import Lead, carries_tag
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages

__all__ = [
    "SAMPLE_PAGES",
    "SAMPLE_PAGE_SIZE",
    "SEARCH_PAGES",
    "SEARCH_PAGE_SIZE",
    "LeadPredicate",
    "created_after_bound",
    "find_in_list",
    "find_tagged",
    "listing_of",
    "search_leads",
]

LeadPredicate = Callable[[Lead], bool]
#: pages a search of the lead list may take, and their size
SEARCH_PAGES = 100
SEARCH_PAGE_SIZE = MAX_PAGE_SIZE
#: pages the read-path checks sample from the target's list (``lead_sample``), and their size
SAMPLE_PAGES = 20
SAMPLE_PAGE_SIZE = MAX_PAGE_SIZE
_SEARCH_SLACK_SECONDS = 1
Label = TypeVar("Label")


def search_leads(
    client: httpx.Client, params: dict[str, Any] | None = None, looking_for: str | None = None
) -> Pages:
    """Walk the lead list (at most ``SEARCH_PAGES`` pages, each a list of results) from ``params``.

    Trouble with the list (a non-200 page, a looping cursor, the page bound) ends the walk before its end
    (``ended`` False), with the reason in ``problem``; it is never a violation here. ``looking_for``: the
    walk stops after the page that lists the lead of that id (it has not ended then).
    """
    query = {"page_size": SEARCH_PAGE_SIZE, **(params or {})}
    walk = Pages(client, LEADS, query, SEARCH_PAGES, needs_results=True)
    for page in walk:
        if looking_for is not None and any(lead.get("id") == looking_for for lead in page.results):
            break
    return walk


def trouble(walk: Pages) -> str:
    """Why a search of the lead list did not reach its end ("" when nothing went wrong)."""
    return f"the lead list: {walk.problem}" if walk.problem else ""


def created_after_bound(*leads: Lead) -> str | None:
    """A created_after bound a little before the earliest created_at of ``leads`` (the server's clock).

    None when one of them shows no usable created_at: only timestamps the target returned say where
    a lead lies. The margin below the earliest one allows for a bound that excludes its own instant
    and for a target that stores finer instants than it returns; it only ever widens what is searched.
    """
    moments = [parse_datetime(lead.get("created_at")) for lead in leads]
    known = [moment for moment in moments if moment is not None]
    if not known or len(known) < len(moments):
        return None
    return isoformat_z(min(known) - timedelta(seconds=_SEARCH_SLACK_SECONDS))


def find_in_list(
    client: httpx.Client,
    wanted: LeadPredicate,
    control: Lead | None,
    sought: Iterable[Lead] = (),
) -> list[Lead]:
    """The leads of ``client``'s list that ``wanted`` picks, or Inconclusive when absence cannot be shown.

    ``control`` is a lead visible to ``client``, created before any lead looked for that the run
    did not see (a write answered with an error): a search counts as seeing every new lead only if
    it sees the control. ``sought`` are the leads looked for whose created_at the target returned.
    The search first narrows the list with ``created_after``, below the earliest created_at of the
    control and the sought leads, however long the writes took; a target whose filter is broken
    is walked in full instead.
    """
    control_id = control.get("id") if control else None
    bound = created_after_bound(*([control] if control else []), *sought)
    attempts: list[dict[str, Any]] = [*([{"created_after": bound}] if bound is not None else []), {}]
    problems = []
    for params in attempts:
        walk = search_leads(client, params)
        found = [lead for _, lead in walk.results if wanted(lead)]
        if found:
            return found
        control_seen = control_id is None or control_id in walk.ids
        if walk.ended and control_seen:
            return []
        problems.append(trouble(walk) or "the list did not show the control lead the run had just created")
    raise Inconclusive("cannot tell whether the lead list holds it: " + "; ".join(problems))


def find_tagged(
    client: httpx.Client, tags: Mapping[str, Label], control: Lead | None
) -> tuple[list[Lead], set[Label]]:
    """The leads of ``client``'s list carrying one of ``tags`` (found as ``find_in_list`` finds them), and
    what ``tags`` maps the tags they carry to."""
    found = find_in_list(client, lambda lead: any(carries_tag(lead, tag) for tag in tags), control)
    return found, {label for tag, label in tags.items() if any(carries_tag(lead, tag) for lead in found)}


def listing_of(client: httpx.Client, lead: Lead) -> tuple[bool | None, list[str]]:
    """Whether the list holds ``lead`` now: True, False (a walk of the whole list missed it) or None.

    The list is first narrowed to leads created from just before the lead's own created_at, as the
    target returned it; a target whose filter drops the lead is walked in full. Each walk is bounded
    (``SEARCH_PAGES`` pages); what each one saw is said in the notes.
    """
    ident = lead["id"]
    notes: list[str] = []
    bound = created_after_bound(lead)
    if bound is not None:
        narrowed = search_leads(client, {"created_after": bound}, looking_for=ident)
        if ident in narrowed.ids:
            return True, notes
        notes.append(f"created_after={bound}: {trouble(narrowed) or 'walked to its end without it'}")
    else:
        notes.append(f"its created_at {lead.get('created_at')!r} cannot narrow the list")
    whole = search_leads(client, looking_for=ident)
    if ident in whole.ids:
        return True, notes
    notes.append(f"the whole list: {trouble(whole) or 'walked to its end without it'}")
    return (False if whole.ended else None), notes
