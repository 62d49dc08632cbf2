"""Narrowing the lead list to a window of ``created_at`` that one page holds whole.

A window is the open interval ``created_after`` .. ``created_before``. Its upper bound always lies
halfway between two ``created_at`` values the target returned, so no lead the run saw sits on it
and a group of leads sharing one instant is never split; every lead of a window was created before
the lead whose instant bounds it, so the window no longer changes. The lower bound lies a little
before the earliest lead seen.

The search bisects on the upper bound: the list narrowed to the window is read one page at a
time (``page_size`` 100); a page with ``next`` null holds the window whole, a page with a ``next``
says the window is wider than a page. Every page read adds the instants it shows to those the next
guess is chosen from, whatever order the target lists its leads in; between two instants no lead
was seen at, the bound is halved in time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.suite.support.leads import Lead

#: how far below the earliest lead seen a window begins
LOWER_SLACK = timedelta(seconds=1)
#: how far outside its bounds a lead may seem to lie before a window counts as not narrowed (the
#: target may store finer instants than it returns, or round them)
BOUND_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Window:
    """Leads created strictly after ``after`` and strictly before ``before``."""

    after: datetime
    before: datetime

    @property
    def params(self) -> dict[str, str]:
        return {"created_after": isoformat_z(self.after), "created_before": isoformat_z(self.before)}

    def shown(self) -> str:
        return f"created_after={self.params['created_after']}&created_before={self.params['created_before']}"

    def holds(self, lead: Lead) -> bool:
        """Whether the lead's own ``created_at`` lies strictly inside the window."""
        moment = parse_datetime(lead.get("created_at"))
        return moment is not None and self.after < moment < self.before

    def strays(self, leads: Iterable[Lead]) -> list[Lead]:
        """The leads whose ``created_at`` is missing or lies clearly outside the window."""
        low, high = self.after - BOUND_TOLERANCE, self.before + BOUND_TOLERANCE
        moments = [(lead, parse_datetime(lead.get("created_at"))) for lead in leads]
        return [lead for lead, moment in moments if moment is None or not low <= moment <= high]


@dataclass
class WindowPage:
    """The first page of the list narrowed to a window (``page_size`` 100), or why it could not be used."""

    window: Window
    leads: list[Lead]
    whole: bool
    problem: str = ""


#: reads the first page of the list narrowed to a window
WindowReader = Callable[[Window], WindowPage]


@dataclass
class WindowSearch:
    """How a window search went: the window page that holds a window whole, or why none was found."""

    found: WindowPage | None = None
    #: window pages read
    reads: int = 0
    problem: str = ""
    #: leads seen at each instant (by id), from the sample and every window page read
    seen: dict[datetime, set[str]] = field(default_factory=dict)

    def observe(self, leads: Iterable[Lead]) -> None:
        for lead in leads:
            moment = parse_datetime(lead.get("created_at"))
            ident = lead.get("id")
            if moment is not None and isinstance(ident, str):
                self.seen.setdefault(moment, set()).add(ident)


def midpoint(low: datetime, high: datetime) -> datetime:
    return low + (high - low) / 2


def splits_between(seen: dict[datetime, set[str]], low: datetime, high: datetime | None) -> list[
    tuple[datetime, int]
]:
    """Each instant halfway between two consecutive instants seen, strictly between ``low`` and
    ``high``, with how many seen leads lie between ``low`` and it."""
    instants = sorted(seen)
    out: list[tuple[datetime, int]] = []
    below = 0
    for earlier, later in zip(instants, instants[1:], strict=False):
        if earlier > low:
            below += len(seen[earlier])
        split = midpoint(earlier, later)
        if split <= low or split in seen:
            continue
        if high is not None and split >= high:
            break
        out.append((split, below))
    return out


def next_bound(search: WindowSearch, low: datetime, high: datetime | None, wanted: int) -> datetime | None:
    """The next upper bound to try between ``low`` (too few leads) and ``high`` (more than a page).

    Among the splits between instants seen, the one that adds about ``wanted`` seen leads, and never
    more than half of those seen between the two; with no split, the instant halfway in time.
    """
    splits = splits_between(search.seen, low, high)
    if not splits:
        if high is None:
            return None
        guess = midpoint(low, high)
        return guess if low < guess < high else None
    if high is not None:
        between = sum(len(ids) for moment, ids in search.seen.items() if low < moment < high)
        wanted = min(wanted, math.ceil(between / 2))
    fitting = [split for split, below in splits if below <= wanted]
    return fitting[-1] if fitting else splits[0][0]


def find_window(read: WindowReader, sample: Iterable[Lead], smallest: int, page: int,
                max_reads: int) -> WindowSearch:
    """A window holding between ``smallest`` and ``page`` leads that one page lists whole.

    ``sample`` are leads the target listed; ``read`` reads the first page of a window. At most
    ``max_reads`` pages are read.
    """
    search = WindowSearch()
    search.observe(sample)
    if not search.seen:
        search.problem = "no lead of the list shows a usable created_at to bound a window with"
        return search
    after = min(search.seen) - LOWER_SLACK
    low, low_count, high = after, 0, None
    target = (smallest + page) // 2
    while search.reads < max_reads:
        bound = next_bound(search, low, high, max(1, target - low_count))
        if bound is None:
            search.problem = (
                f"no window of {smallest} to {page} leads could be bounded between the created_at values "
                f"seen (one instant may hold more leads than a page)"
            )
            return search
        read_page = read(Window(after, bound))
        search.reads += 1
        if read_page.problem:
            search.problem = read_page.problem
            return search
        search.observe(read_page.leads)
        if read_page.whole and len(read_page.leads) >= smallest:
            search.found = read_page
            return search
        if read_page.whole:
            low, low_count = bound, len(read_page.leads)
        else:
            high = bound
    search.problem = f"no window of {smallest} to {page} leads was found within {max_reads} pages"
    return search
