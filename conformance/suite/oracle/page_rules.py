"""Pages: ``page_size`` bounds every page (PAGE-002, RFC-002); a first page has no ``previous`` (RFC-002 here;
PAGE-005 with the lead list's rules); ``is_custom`` holds on every page (RFC-003).

Pages are linked into walks by their cursors. A walk that ended visited each item once (PAGE-004, RFC-002)
and, with at most one filter, holds every lead the run wrote that matches it and was created before the
walk began (CREATE-008, FILTER-00x).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.suite.oracle.exchanges import RFC, Seen
from conformance.suite.oracle.filter_rules import FilterRules, filtered_only
from conformance.suite.oracle.ledger import Written
from conformance.suite.oracle.state import OracleState, Rules
from conformance.suite.support.findings import short

__all__ = ["MAX_PENDING", "NEUTRAL", "ObservedWalk", "PageRules"]

#: cursors of unfinished walks kept at once
MAX_PENDING = 5000
#: list parameters that do not change whether a live, non-shell lead the run wrote is listed
NEUTRAL = {
    "page_size",
    "cursor",
    "expand",
    "include_remote_data",
    "include_remote_fields",
    "include_deleted_data",
    "include_shell_data",
}


@dataclass
class ObservedWalk:
    """Pages of one list the run read, linked by their cursors, from a first page."""

    operation: str
    account: str
    params: tuple[tuple[str, str], ...]
    started: float
    pages: int = 0
    ids: list[str] = field(default_factory=list)
    first_line: int = 0
    finished: float = 0.0


WalkKey = tuple[str, str, tuple[tuple[str, str], ...]]


def walk_key(seen: Seen, account: str) -> WalkKey:
    return seen.operation, account, tuple(sorted((k, v) for k, v in seen.query if k != "cursor"))


class PageRules(Rules):
    """The rules of each page's size and first page, and of the walks the pages make."""

    def __init__(self, state: OracleState, filters: FilterRules) -> None:
        super().__init__(state)
        self.filters = filters
        self._walks: dict[tuple[WalkKey, str], ObservedWalk] = {}

    def page_size(self, seen: Seen, results: list[Any], requirement: str, account: str, page: str) -> None:
        text = seen.single("page_size")
        if text is None or not re.fullmatch(r"[0-9]{1,9}", text.strip()) or int(text) < 1:
            return
        size = int(text)
        self.coverage.note(
            requirement, account=account, page=page, values="above-maximum" if size > 100 else "within"
        )
        self.verdicts.check(
            len(results) <= min(size, 100),
            requirement,
            lambda: (
                f"{seen.shown} answered {len(results)} results"
                + (", more than the maximum of 100" if size > 100 else "")
            ),
            seen.line,
        )

    def no_previous(self, seen: Seen, body: dict[str, Any], requirement: str) -> None:
        """A first page has no ``previous``."""
        self.verdicts.check(
            body.get("previous") is None,
            requirement,
            lambda: f"{seen.shown} (a first page) has previous {short(body.get('previous'))}",
            seen.line,
        )

    # -- remote field classes ----------------------------------------------------------------------
    def rfc_page(self, seen: Seen, account: str) -> None:
        body = seen.answer
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return
        first = seen.first_page
        page = "first" if first else "later"
        self.page_size(seen, results, "LEADS-RFC-002", account, page)
        if first:
            self.no_previous(seen, body, "LEADS-RFC-002")
        custom = seen.single("is_custom")
        if custom in ("true", "false"):
            wanted = custom == "true"
            for item in results:
                if not isinstance(item, dict):
                    continue
                self.coverage.note("LEADS-RFC-003", account=account, page=page, values=custom)
                self.verdicts.check(
                    item.get("is_custom") is wanted,
                    "LEADS-RFC-003",
                    lambda item=item: (
                        f"{seen.shown} lists the class {item.get('id')!r} with is_custom "
                        f"{item.get('is_custom')!r}"
                    ),
                    seen.line,
                )
        self.walk(seen, account, [item.get("id") for item in results if isinstance(item, dict)], body)

    # -- walks -----------------------------------------------------------------------------------
    def walk(self, seen: Seen, account: str, ids: list[Any], body: dict[str, Any]) -> None:
        """Link a page into its walk; judge the walk when the page ends it."""
        key = walk_key(seen, account)
        cursor = seen.single("cursor")
        if cursor is None:
            if seen.given("cursor"):
                return
            walk = ObservedWalk(seen.operation, account, key[2], seen.exchange.sent_at, first_line=seen.line)
        else:
            pending = self._walks.pop((key, cursor), None)
            if pending is None:
                return
            walk = pending
        walk.pages += 1
        walk.ids.extend(ident for ident in ids if isinstance(ident, str))
        nxt = body.get("next")
        if isinstance(nxt, str) and nxt:
            if len(self._walks) >= MAX_PENDING:
                self._walks.pop(next(iter(self._walks)))
            self._walks[(key, nxt)] = walk
        elif nxt is None:
            walk.finished = seen.exchange.answered_at
            self._ended(walk, seen)

    def _ended(self, walk: ObservedWalk, seen: Seen) -> None:
        """A walk that reached ``next: null``: each item once; every matching lead the run wrote is in it."""
        rfc = walk.operation == RFC
        requirement = "LEADS-RFC-002" if rfc else "LEADS-PAGE-004"
        quiet = rfc or not self.ledger.writes_during(walk.account, walk.started, walk.finished)
        params = dict(walk.params)
        if quiet:
            repeated = [ident for ident, count in Counter(walk.ids).items() if count > 1]
            page = "later" if walk.pages > 1 else "first"
            parameter = [k for k in params if k != "page_size"] or ["none"]
            self.coverage.note(requirement, account=walk.account, page=page, parameter=parameter)
            self.verdicts.check(
                not repeated,
                requirement,
                lambda: (
                    f"the walk from {walk.first_line} to {seen.line} ({walk.pages} pages) visited "
                    f"{short(repeated[:3])} more than once"
                ),
                seen.line,
            )
        if not rfc:
            self._absent(walk, seen, params)

    def _absent(self, walk: ObservedWalk, seen: Seen, params: dict[str, str]) -> None:
        """A lead the run wrote, matching the walk's one filter (or none), is in a walk that ended on its
        first page: no paging can have lost it (a lead lost between pages is PAGE-004's concern)."""
        if walk.pages != 1 or not filtered_only(params, NEUTRAL):
            return
        filters = self.filters.filters_of(list(walk.params), walk.account)
        if len(filters) > 1:
            return
        requirement = filters[0].requirement if filters else "LEADS-CREATE-008"
        visited = set(walk.ids)
        missing: dict[str, list[Written]] = {}
        for lead in self.ledger.created_before(walk.account, walk.started):
            if filters and not filters[0].surely_holds(lead.shown):
                continue
            self.coverage.note(requirement, account=walk.account, walk="ended", page="first")
            if lead.id in visited:
                self.verdicts.ok(requirement)
                continue
            # a lead no list of its account has ever shown is not listed at all: that is CREATE-008's
            # concern, not the filter's
            charged = requirement if lead.id in self.state.listed[walk.account] else "LEADS-CREATE-008"
            missing.setdefault(charged, []).append(lead)
        what = filters[0].shown if filters else "the unfiltered list"
        for charged, leads in missing.items():
            self.verdicts.fail(
                charged,
                f"the walk of {what} from line {walk.first_line} to line {seen.line} "
                f"({walk.pages} pages, ended) "
                f"did not list {len(leads)} lead(s) the run created before it and that match it"
                + ("" if charged == requirement else ", which no list of the account has ever shown")
                + ": "
                + ", ".join(f"{lead.id} (line {lead.line})" for lead in leads[:3]),
                seen.line,
            )
