"""What the filter checks share: rules, probes, and the filtered walk that checks every page.

A probe is one filtered query of the lead list: the rules every lead it answers must satisfy (each
charged to the requirement of the filter it stands for, so combined filters are checked as ANDed),
and the leads known to satisfy them all. Its walk follows ``next`` to the end of the filtered list
and judges every page, with a page size that makes the walk span several pages when the list holds
the leads the probe knows of. Date-time bounds are strict and compared as instants.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from conformance.contract.formats import parse_datetime
from conformance.contract.operations import LEADS, lead_path, shown_request
from conformance.http.target import json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.support.answers import describe, not_throttled, results_of
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.leads import relation_id
from conformance.suite.support.paging import Pages

#: pages a filtered walk may take; a walk still not at its end then leaves the check undecided
FILTERED_PAGES = 20
#: the pages a probe's walk aims at: its page size is the leads it knows of divided by this
AIMED_PAGES = 3
MAX_PAGE_SIZE = 100
#: known leads missing from an answer that are read again by id
MAX_RECHECKS = 3
#: wrong leads named in one message
MAX_SHOWN = 3

Lead = dict[str, Any]
Matcher = Callable[[Lead], bool | None]


@dataclass(frozen=True)
class Rule:
    """One filter of a probe: ``param=value``, and whether a lead satisfies it (None: cannot tell)."""

    requirement: str
    param: str
    value: str
    matches: Matcher
    #: why a lead that does not satisfy the rule breaks it
    explain: Callable[[Lead], str]


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
        moment = parse_datetime(lead.get(self.field))
        if moment is None:
            return None
        return moment > self.moment if self.after else moment < self.moment

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


def page_size_for(known: int) -> int:
    """A page size that spreads ``known`` leads over about AIMED_PAGES pages."""
    return max(1, min(MAX_PAGE_SIZE, math.ceil(known / AIMED_PAGES)))


@dataclass
class Probe:
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
@dataclass
class FilteredWalk:
    """The pages one walk of a filtered list answered: each lead with the page it came on."""

    page_size: int
    pages: int = 0
    leads: list[tuple[int, Lead]] = field(default_factory=list)
    ended: bool = False
    #: why the walk stopped before the end (a page that broke a rule is not a reason)
    problem: str = ""
    #: a page after the first that did not answer a 200 JSON page
    failed_page: str = ""
    #: the status of the answer that ended the walk when it was not a page
    refused_status: int | None = None

    @property
    def ids(self) -> set[str]:
        return {lead["id"] for _, lead in self.leads if isinstance(lead.get("id"), str)}


def walk_filtered(
    client: httpx.Client, params: dict[str, str], page_size: int, stop: Callable[[list[Lead]], bool]
) -> FilteredWalk:
    """Follow ``next`` from the first page, at most FILTERED_PAGES pages; stop after a page for which
    ``stop`` (called with each page's results in turn) says nothing further changes the verdict."""
    walk = FilteredWalk(page_size)
    pages = Pages(client, LEADS, {**params, "page_size": str(page_size)}, FILTERED_PAGES)
    for page in pages:
        walk.pages = page.number
        leads = results_of(page.body)
        walk.leads.extend((page.number, lead) for lead in leads)
        if stop(leads):
            return walk
    walk.ended = pages.ended
    walk.problem = pages.problem
    walk.refused_status = pages.refused.status_code if pages.refused is not None else None
    if pages.refused is not None and pages.pages > 0:
        walk.failed_page = f"page {pages.pages + 1} (reached by next) answered {describe(pages.refused)}"
    return walk


# ------------------------------------------------------------------------------ the verdict
def run_probe(client: httpx.Client, findings: Findings, probe: Probe,
              unlisted: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Walk the probe's filtered list to its end and judge every page.

    A lead that breaks a rule is a violation of that rule's requirement, whichever page it is on; so
    is a page after the first that does not answer. A known lead missing from the answer counts once
    the list was read to its end and the lead, read again by id, still satisfies every rule. A walk
    that cannot be finished in small pages is read again in pages of MAX_PAGE_SIZE (a known lead lost
    by the paging alone is a paging matter, not a filter's). When no walk reaches the end, the
    reason is returned: the probe is undecided.
    """
    walk = walk_filtered(client, probe.params, probe.page_size, probe.all_broken())
    if walk.pages == 0:
        if probe.refusal_ok and walk.refused_status is not None and 400 <= walk.refused_status < 500:
            return None
        for requirement in probe.requirements:
            findings.fail(requirement, f"{probe.shown} did not answer a page ({walk.problem})")
        return None
    walks = [walk]
    broke = report_broken(findings, probe, walk)
    if not broke and (not walk.ended or missing(probe, walks)) and walk.page_size < MAX_PAGE_SIZE:
        wide = walk_filtered(client, probe.params, MAX_PAGE_SIZE, probe.all_broken())
        walks.append(wide)
        broke = report_broken(findings, probe, wide)
    if broke:
        return None
    if not any(w.ended for w in walks):
        return (
            f"{probe.shown} could not be read to its end ({walks[-1].problem}), so whether its filters "
            "hold on every page is unknown"
        )
    # a lead no unfiltered list shows is not listed at all: that is CREATE-008's concern, not the filter's
    recheck = [lead for lead in missing(probe, walks) if lead.get("id") not in unlisted][:MAX_RECHECKS]
    lost = [str(lead["id"]) for lead in recheck if still_satisfies(client, probe, lead)]
    for requirement in probe.requirements if lost else []:
        findings.fail(requirement, f"{probe.shown} did not return lead(s) {', '.join(lost)}, which match it")
    return None


def report_broken(findings: Findings, probe: Probe, walk: FilteredWalk) -> bool:
    """Fail each rule some lead of the walk breaks (and a page that did not answer); whether any did."""
    broke = False
    where = f"{probe.shown} (pages of {walk.page_size})"
    for rule in probe.rules:
        wrong = [(number, lead) for number, lead in walk.leads if rule.matches(lead) is False]
        if wrong:
            broke = True
            first = wrong[0][0]
            page = "the first page" if first == 1 else f"page {first}, reached by next"
            shown = [f"{lead.get('id')} ({rule.explain(lead)})" for _, lead in wrong]
            findings.fail(
                rule.requirement,
                f"{where} returned {len(wrong)} lead(s) that {rule.param} excludes, from {page}: "
                + summarise(shown, MAX_SHOWN),
            )
    if walk.failed_page:
        broke = True
        for requirement in probe.requirements:
            findings.fail(requirement, f"{where} could not be walked: {walk.failed_page}")
    return broke


def missing(probe: Probe, walks: list[FilteredWalk]) -> list[Lead]:
    """The known leads no walk returned."""
    seen = set().union(*(w.ids for w in walks))
    return [lead for lead in probe.inside if lead.get("id") not in seen]


def still_satisfies(client: httpx.Client, probe: Probe, lead: Lead) -> bool:
    """Whether the lead, read again by id, exists, is not deleted, and satisfies every rule."""
    response = not_throttled(client.get(lead_path(str(lead.get("id")))))
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict) or body.get("remote_was_deleted") is True:
        return False
    return probe.satisfied_by(body)


def run_probes(client: httpx.Client, findings: Findings, probes: list[Probe],
               unlisted: set[str] | frozenset[str] = frozenset()) -> None:
    """Run every probe; fail with all that was seen broken, else inconclusive when one was undecided."""
    undecided: list[tuple[str, list[str]]] = []
    for probe in probes:
        reason = run_probe(client, findings, probe, unlisted)
        if reason:
            undecided.append((reason, probe.requirements))
    findings.raise_if_any()
    if undecided:
        requirements = list(dict.fromkeys(r for _, ids in undecided for r in ids))
        raise Inconclusive("; ".join(reason for reason, _ in undecided), requirements)


# ------------------------------------------------------------------------------ bounds from leads
@dataclass(frozen=True)
class Stamp:
    """A lead and one of its date-times, as the target returned it."""

    moment: datetime
    text: str
    lead: Lead


def stamps(leads: list[Lead], field: str) -> list[Stamp]:
    """The leads with an id and a usable ``field``, oldest first."""
    rows = []
    for lead in leads:
        moment = parse_datetime(lead.get(field))
        if moment is not None and isinstance(lead.get("id"), str):
            rows.append(Stamp(moment, lead[field], lead))
    return sorted(rows, key=lambda row: row.moment)


def marks(rows: list[Stamp]) -> list[Stamp]:
    """One stamp per distinct instant, oldest first."""
    seen: dict[datetime, Stamp] = {}
    for row in rows:
        seen.setdefault(row.moment, row)
    return list(seen.values())


def between(rows: list[Stamp], after: Stamp | None, before: Stamp | None) -> list[Lead]:
    """The leads strictly after ``after`` and strictly before ``before`` (either may be open)."""
    return [
        row.lead
        for row in rows
        if (after is None or row.moment > after.moment) and (before is None or row.moment < before.moment)
    ]


def window(spread: list[Stamp], enclosed: int) -> tuple[Stamp, Stamp] | None:
    """Two instants from the middle of ``spread`` with ``enclosed`` instants strictly between them."""
    enclosed = min(enclosed, len(spread) - 2)
    if enclosed < 1:
        return None
    start = (len(spread) - enclosed - 2) // 2
    return spread[start], spread[start + enclosed + 1]
