"""What the filter checks share: rules, filtered queries, and the filtered walk that judges every page.

A filtered query is one query of the lead list: the rules every lead it answers must satisfy (each
charged to the requirement of the filter it stands for, so combined filters are checked as ANDed),
and the leads known to satisfy them all. Its walk follows ``next`` to the end of the filtered list
and judges every page, with a page size that makes the walk span several pages when the list holds
the leads the query knows of. Date-time bounds are strict and compared as instants.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from conformance.contract.formats import parse_datetime
from conformance.contract.operations import LEADS, shown_request
from conformance.outcomes import Inconclusive
from conformance.suite.support.answers import current_lead, describe
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.leads import Lead, relation_id
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages

__all__ = [
    "Bound",
    "FilteredQuery",
    "Rule",
    "contact_rule",
    "equal_rule",
    "lies_beyond",
    "page_size_for",
    "run_queries",
    "same_email",
    "same_phone",
]

#: pages a filtered walk may take; a walk still not at its end then leaves the check undecided
FILTERED_PAGES = 20
#: the pages a query's walk aims at: its page size is the leads it knows of divided by this
AIMED_PAGES = 3
#: known leads missing from a filtered answer that are read again by id
FILTER_RECHECKS = 3
#: wrong leads named in one message
MAX_SHOWN = 3

Matcher = Callable[[Lead], bool | None]


@dataclass(frozen=True)
class Rule:
    """One filter of a query: ``param=value``, and whether a lead satisfies it (None: cannot tell)."""

    requirement: str
    param: str
    value: str
    matches: Matcher
    #: why a lead that does not satisfy the rule breaks it
    explain: Callable[[Lead], str]


def lies_beyond(value: Any, bound: datetime, after: bool) -> bool | None:
    """Whether the date-time ``value`` lies strictly after (or before) ``bound``; None when it is none."""
    moment = parse_datetime(value)
    if moment is None:
        return None
    return moment > bound if after else moment < bound


@dataclass(frozen=True)
class Bound:
    """One strict date-time bound: ``param=value`` keeps the leads whose ``field`` lies beyond it."""

    param: str
    field: str
    value: str
    moment: datetime

    @classmethod
    def of(cls, param: str, field: str, value: Any) -> Bound:
        moment = parse_datetime(value)
        if moment is None:
            raise Inconclusive(f"{value!r:.60} is not a date-time, so it cannot bound {param}")
        return cls(param, field, value, moment)

    @property
    def after(self) -> bool:
        return self.param.endswith("_after")

    def holds(self, lead: Lead) -> bool | None:
        """Whether ``lead`` lies strictly beyond the bound; None when it has no usable value."""
        return lies_beyond(lead.get(self.field), self.moment, self.after)

    def explain(self, lead: Lead) -> str:
        value = lead.get(self.field)
        if parse_datetime(value) == self.moment:
            return f"{self.field} {value!r} is the bound itself, which {self.param} excludes"
        return f"{self.field} {value!r} is not {'after' if self.after else 'before'} the bound"

    def rule(self, requirement: str) -> Rule:
        return Rule(requirement, self.param, self.value, self.holds, self.explain)


def equal_rule(requirement: str, param: str, name: str, value: str) -> Rule:
    """``param=value`` keeps the leads whose ``name`` (a relation's id) is ``value``."""

    def matches(lead: Lead) -> bool | None:
        if name not in lead:
            return None
        return relation_id(lead[name]) == value

    def explain(lead: Lead) -> str:
        return f"{name} is {relation_id(lead.get(name))!r:.80}"

    return Rule(requirement, param, value, matches, explain)


def same_email(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def same_phone(a: str, b: str) -> bool:
    digits_a, digits_b = re.sub(r"\D", "", a), re.sub(r"\D", "", b)
    return a.strip() == b.strip() or (bool(digits_a) and digits_a == digits_b)


def contact_rule(
    requirement: str,
    param: str,
    wanted: list[str],
    values_of: Callable[[Lead], list[str]],
    same: Callable[[str, str], bool],
) -> Rule:
    """``param`` (comma-separated) keeps the leads holding one of the ``wanted`` values."""

    def matches(lead: Lead) -> bool | None:
        if param not in lead:
            return None
        return any(same(value, w) for value in values_of(lead) for w in wanted)

    def explain(lead: Lead) -> str:
        return f"{param} {values_of(lead)!r:.80}"

    return Rule(requirement, param, ",".join(wanted), matches, explain)


def page_size_for(known: int) -> int:
    """A page size that spreads ``known`` leads over about AIMED_PAGES pages."""
    return max(1, min(MAX_PAGE_SIZE, math.ceil(known / AIMED_PAGES)))


@dataclass
class FilteredQuery:
    """A filtered query, the rules its answer must satisfy, and the leads known to satisfy them."""

    rules: list[Rule]
    inside: list[Lead]
    page_size: int = 0
    #: a 4xx refusing the query is fine (a near miss the target may refuse: it shows nothing)
    refusal_ok: bool = False

    def __post_init__(self) -> None:
        if not self.page_size:
            self.page_size = page_size_for(len(self.inside))

    @property
    def params(self) -> dict[str, str]:
        return {rule.param: rule.value for rule in self.rules}

    @property
    def requirements(self) -> list[str]:
        return list(dict.fromkeys(rule.requirement for rule in self.rules))

    @property
    def shown(self) -> str:
        return shown_request(LEADS, self.params)

    def all_broken(self) -> Callable[[list[Lead]], bool]:
        """A page watcher: true once the pages it saw break every rule (more pages add no evidence)."""
        unbroken = list(self.rules)

        def watch(page: list[Lead]) -> bool:
            unbroken[:] = [rule for rule in unbroken if all(rule.matches(lead) is not False for lead in page)]
            return not unbroken

        return watch

    def satisfied_by(self, lead: Lead) -> bool:
        return all(rule.matches(lead) is True for rule in self.rules)


# ------------------------------------------------------------------------------ the walk
def walk_filtered(
    client: httpx.Client, params: dict[str, str], page_size: int, stop: Callable[[list[Lead]], bool]
) -> Pages:
    """Follow ``next`` from the first page, at most FILTERED_PAGES pages; stop after a page for which
    ``stop`` (called with each page's results in turn) says nothing further changes the verdict."""
    walk = Pages(client, LEADS, {**params, "page_size": str(page_size)}, FILTERED_PAGES)
    for page in walk:
        if stop(page.results):
            break
    return walk


# ------------------------------------------------------------------------------ the verdict
def run_query(client: httpx.Client, findings: Findings, query: FilteredQuery,
              unlisted: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Walk the query's filtered list to its end and judge every page.

    A lead that breaks a rule is a violation of that rule's requirement, whichever page it is on; so
    is a page after the first that does not answer. A known lead missing from the answer counts once
    the list was read to its end and the lead, read again by id, still satisfies every rule. A walk
    that cannot be finished in small pages is read again in pages of MAX_PAGE_SIZE (a known lead lost
    by the paging alone is a paging matter, not a filter's). When no walk reaches the end, the
    reason is returned: the query is undecided.
    """
    walk = walk_filtered(client, query.params, query.page_size, query.all_broken())
    if not walk.answered:
        refused = walk.last
        if query.refusal_ok and 400 <= refused.status_code < 500:
            return None
        for requirement in query.requirements:
            findings.fail(requirement, f"{query.shown} did not answer a page ({walk.problem})", refused)
        return None
    walks = [walk]
    broke = report_broken(findings, query, walk)
    if not broke and (not walk.ended or missing(query, walks)) and query.page_size < MAX_PAGE_SIZE:
        wide = walk_filtered(client, query.params, MAX_PAGE_SIZE, query.all_broken())
        walks.append(wide)
        broke = report_broken(findings, query, wide)
    if broke:
        return None
    ended = [w for w in walks if w.ended]
    if not ended:
        return (
            f"{query.shown} could not be read to its end ({walks[-1].problem}), so whether its filters "
            "hold on every page is unknown"
        )
    # a lead no unfiltered list shows is not listed at all: that is CREATE-008's concern, not the filter's
    recheck = [lead for lead in missing(query, walks) if lead.get("id") not in unlisted][:FILTER_RECHECKS]
    lost = [str(lead["id"]) for lead in recheck if still_satisfies(client, query, lead)]
    for requirement in query.requirements if lost else []:
        findings.fail(
            requirement, f"{query.shown} did not return lead(s) {', '.join(lost)}, which match it",
            ended[-1].last,
        )
    return None


def report_broken(findings: Findings, query: FilteredQuery, walk: Pages) -> bool:
    """Fail each rule some lead of the walk breaks (and a page that did not answer); whether any did."""
    broke = False
    where = f"{query.shown} (pages of {walk.params['page_size']})"
    for rule in query.rules:
        wrong = [(page, lead) for page, lead in walk.results if rule.matches(lead) is False]
        if wrong:
            broke = True
            first = wrong[0][0]
            page = "the first page" if first.number == 1 else f"page {first.number}, reached by next"
            shown = [f"{lead.get('id')} ({rule.explain(lead)})" for _, lead in wrong]
            findings.fail(
                rule.requirement,
                f"{where} returned {len(wrong)} lead(s) that {rule.param} excludes, from {page}: "
                + summarise(shown, MAX_SHOWN),
                first.response,
            )
    if walk.refused is not None and walk.answered:
        broke = True
        failed = f"page {walk.count + 1} (reached by next) answered {describe(walk.refused)}"
        for requirement in query.requirements:
            findings.fail(requirement, f"{where} could not be walked: {failed}", walk.refused)
    return broke


def missing(query: FilteredQuery, walks: list[Pages]) -> list[Lead]:
    """The known leads no walk returned."""
    seen = {ident for w in walks for ident in w.by_id()}
    return [lead for lead in query.inside if lead.get("id") not in seen]


def still_satisfies(client: httpx.Client, query: FilteredQuery, lead: Lead) -> bool:
    """Whether the lead, read again by id, exists, is not deleted, and satisfies every rule."""
    now = current_lead(client, str(lead.get("id")))
    return now is not None and query.satisfied_by(now)


def run_queries(client: httpx.Client, findings: Findings, queries: list[FilteredQuery],
                unlisted: set[str] | frozenset[str] = frozenset()) -> None:
    """Run every query; fail with all that was seen broken, else inconclusive when one was undecided."""
    undecided: list[tuple[str, list[str]]] = []
    for query in queries:
        reason = run_query(client, findings, query, unlisted)
        if reason:
            undecided.append((reason, query.requirements))
    findings.raise_if_any()
    if undecided:
        requirements = list(dict.fromkeys(r for _, ids in undecided for r in ids))
        raise Inconclusive("; ".join(reason for reason, _ in undecided), requirements)
