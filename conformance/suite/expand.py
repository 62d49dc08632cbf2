"""LEADS-EXPAND: relations with and without ``expand``, and ``remote_data`` with and without its flag.

Each check reads the list and a few leads by id. Relation ids that name no known object may
expand to null (Merge cannot expand what it does not hold), so null is always accepted.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS, lead_path
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.leads import EXPAND_ALL, RELATION_FIELDS, Lead, remote_data_problems
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages

EXPAND_001 = "LEADS-EXPAND-001"
EXPAND_002 = "LEADS-EXPAND-002"
EXPAND_003 = "LEADS-EXPAND-003"
EXPAND_004 = "LEADS-EXPAND-004"

#: leads also read by id
BY_ID = 2

#: a lead as one answer showed it: where (for a message), the lead, and the answer
Shown = tuple[str, Lead, httpx.Response]


def listed(client: httpx.Client, params: dict[str, Any], requirement: str) -> list[Shown]:
    """The leads of the list's first page with ``params``, as that page showed them (inconclusive when
    there is no page: the list's own checks judge that)."""
    walk = Pages(client, LEADS, {"page_size": MAX_PAGE_SIZE, **params}, 1).read()
    if not walk.answered:
        raise Inconclusive(f"the list is unusable ({walk.problem})", [requirement])
    response = walk.answered[0].response
    leads = [(f"listed lead {lead.get('id')}", lead, response) for lead in walk.by_id().values()]
    if not leads:
        pytest.skip("the target lists no lead to check")
    return leads


def by_id(client: httpx.Client, lead_id: str, params: dict[str, Any], requirement: str) -> Shown:
    """One listed lead read by id with ``params``. Refusing the parameters the requirement is about
    breaks it; without parameters, a lead the target will not show makes the check inconclusive."""
    response = not_throttled(client.get(lead_path(lead_id), params=params), [requirement])
    body = json_or_none(response)
    if response.status_code == 200 and isinstance(body, dict):
        return f"lead {lead_id} by id", body, response
    message = f"a listed lead could not be read by id ({describe(response)})"
    if params:
        raise Violation(message, [requirement])
    raise Inconclusive(message, [requirement])


def with_relations(leads: list[Shown]) -> list[Shown]:
    """Up to ``BY_ID`` leads, those holding a relation first."""
    holding = [shown for shown in leads if any(shown[1].get(name) is not None for name in RELATION_FIELDS)]
    rest = [shown for shown in leads if shown not in holding]
    return (holding + rest)[:BY_ID]


def report(
    findings: Findings, requirement: str, what: str, problems: list[tuple[str, httpx.Response]]
) -> None:
    """Fail ``requirement`` with every problem seen, shown by the answer of the first."""
    if problems:
        findings.fail(requirement, f"{what}: {summarise([text for text, _ in problems])}", problems[0][1])
    findings.raise_if_any()


# ------------------------------------------------------------------------------ EXPAND-001
@pytest.mark.requirement(EXPAND_001)
def test_relations_are_ids_without_expand(client: httpx.Client, target: Target) -> None:
    """Without expand, owner, converted_contact and converted_account are strings or null."""
    leads = listed(client, {}, EXPAND_001)
    shown = [*leads, *(by_id(client, lead["id"], {}, EXPAND_001) for _, lead, _ in with_relations(leads))]
    problems = [
        (f"{where}: {name} is {lead[name]!r:.80}", response)
        for where, lead, response in shown
        for name in RELATION_FIELDS
        if name in lead and lead[name] is not None and not isinstance(lead[name], str)
    ]
    report(Findings(target), EXPAND_001, "relations without expand are not ids", problems)


# ------------------------------------------------------------------------------ EXPAND-002
def expanded_problems(where: str, lead: Lead, plain: Lead | None) -> list[str]:
    """How the relations of an expanded lead break "an object with an id, or null" (and the id it had)."""
    problems = []
    for name in RELATION_FIELDS:
        if name not in lead or lead[name] is None:
            continue
        value = lead[name]
        if not isinstance(value, dict):
            problems.append(f"{where}: {name} is {value!r:.80}, not an object")
        elif not isinstance(value.get("id"), str) or not value["id"]:
            problems.append(f"{where}: the expanded {name} has no id ({value!r:.80})")
        elif plain is not None and isinstance(plain.get(name), str) and value["id"] != plain[name]:
            problems.append(
                f"{where}: {name} is {plain[name]!r} without expand but expands to id {value['id']!r}"
            )
    return problems


def first_page(
    client: httpx.Client, params: dict[str, Any], requirement: str
) -> tuple[httpx.Response, list[Shown] | None]:
    """The leads of the list's first page of 100 with ``params``, as it showed them (None: not a page)."""
    response = not_throttled(client.get(LEADS, params={"page_size": MAX_PAGE_SIZE, **params}), [requirement])
    body = json_or_none(response)
    results = body.get("results") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(results, list):
        return response, None
    leads = [lead for lead in results if isinstance(lead, dict)]
    return response, [(f"listed lead {lead.get('id')}", lead, response) for lead in leads]


@pytest.mark.requirement(EXPAND_002)
def test_expand_gives_objects_with_the_same_ids(client: httpx.Client, target: Target) -> None:
    """With expand, each named relation is an object with an id, or null."""
    leads = listed(client, {}, EXPAND_002)
    plain = {lead["id"]: lead for _, lead, _ in leads}
    findings = Findings(target)
    response, expanded = first_page(client, {"expand": EXPAND_ALL}, EXPAND_002)
    if expanded is None:
        findings.fail(
            EXPAND_002, f"the list with expand={EXPAND_ALL} is not a page ({describe(response)})", response
        )
        expanded = []
    shown = [(where, lead, response, plain.get(lead.get("id"))) for where, lead, response in expanded]
    for _, lead, _ in with_relations(leads):
        shown.append((*by_id(client, lead["id"], {"expand": EXPAND_ALL}, EXPAND_002), lead))
    problems = [
        (problem, response)
        for where, lead, response, before in shown
        for problem in expanded_problems(where, lead, before)
    ]
    report(findings, EXPAND_002, f"expand={EXPAND_ALL}", problems)
    related = [lead.get(name) for lead in [*plain.values(), *(lead for _, lead, _ in expanded)]
               for name in RELATION_FIELDS]
    if all(value is None for value in related):
        pytest.skip("no listed lead has an owner, converted contact or converted account to expand")


# ------------------------------------------------------------------------------ EXPAND-003
@pytest.mark.requirement(EXPAND_003)
def test_remote_data_is_null_or_absent_without_the_flag(client: httpx.Client, target: Target) -> None:
    """Without include_remote_data, remote_data is null or absent."""
    leads = listed(client, {}, EXPAND_003)
    shown = [*leads, *(by_id(client, lead["id"], {}, EXPAND_003) for _, lead, _ in leads[:BY_ID])]
    problems = [
        (f"{where}: remote_data is {lead['remote_data']!r:.80}", response)
        for where, lead, response in shown
        if lead.get("remote_data") is not None
    ]
    report(Findings(target), EXPAND_003, "remote_data without include_remote_data", problems)


# ------------------------------------------------------------------------------ EXPAND-004
@pytest.mark.requirement(EXPAND_004)
def test_remote_data_with_the_flag_is_path_and_data(client: httpx.Client, target: Target) -> None:
    """With include_remote_data=true, remote_data is an array of {path, data} or null."""
    flag = {"include_remote_data": "true"}
    response, leads = first_page(client, flag, EXPAND_004)
    if leads is None:
        raise Violation(
            f"the list with include_remote_data=true is not a page ({describe(response)})", [EXPAND_004]
        )
    if not leads:
        pytest.skip("the target lists no lead to check")
    shown = [*leads, *(by_id(client, lead["id"], flag, EXPAND_004)
                       for _, lead, _ in leads[:BY_ID] if isinstance(lead.get("id"), str))]
    problems = [
        (f"{where}: {problem}", answer)
        for where, lead, answer in shown
        for problem in remote_data_problems(lead.get("remote_data"))
    ]
    report(Findings(target), EXPAND_004, "include_remote_data=true", problems)
