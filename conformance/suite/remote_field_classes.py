"""LEADS-RFC: GET /crm/v1/leads/remote-field-classes, its pages and its is_custom filter.

The suite never writes remote field classes, but a live target may change them, so a class
missing from one traversal counts only when a second traversal confirms it.
"""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from conformance.contract.operations import REMOTE_FIELD_CLASSES, shown_request
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.support.answers import describe, not_throttled, results_of
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.paging import PAGE_SLACK, Traversal, lenient_walk, traversal_items, walk
from conformance.suite.support.validators import RFC_PAGE, envelope_problems

RFC_001 = "LEADS-RFC-001"
RFC_002 = "LEADS-RFC-002"
RFC_003 = "LEADS-RFC-003"

MAX_PAGE_SIZE = 100
ABOVE_MAX = 150
#: pages of each page size checked against the bound
BOUND_PAGES = 2
#: pages of 100 read for types, for the filter check, and at most for a traversal
TYPED_PAGES = 20
CEILING_PAGES = 200
#: the most pages the small-page traversal may take, which sets its page size
SMALL_TRAVERSAL_PAGES = 100

RemoteFieldClass = dict[str, Any]


# ------------------------------------------------------------------------------ RFC-001
@pytest.mark.requirement(RFC_001)
def test_remote_field_classes_answer_a_typed_page(client: httpx.Client, target: Target) -> None:
    """remote-field-classes answers 200 with a paginated list of RemoteFieldClass."""
    findings = Findings(target)
    for params in ({}, {"page_size": MAX_PAGE_SIZE}):
        response = not_throttled(client.get(REMOTE_FIELD_CLASSES, params=params), [RFC_001])
        if not findings.check(
            response.status_code == 200, RFC_001, f"the list did not answer 200 ({describe(response)})"
        ):
            continue
        problems = envelope_problems(json_or_none(response), RFC_PAGE)
        findings.check(
            not problems, RFC_001, f"{shown_request(REMOTE_FIELD_CLASSES, params)}: {summarise(problems)}"
        )
    traversal = lenient_walk(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES)
    for number, page in enumerate(traversal.pages[1:], start=2):
        problems = envelope_problems(page, RFC_PAGE)
        findings.check(not problems, RFC_001, f"page {number} of remote-field-classes: {summarise(problems)}")
    findings.raise_if_any()


# ------------------------------------------------------------------------------ RFC-002
def check_page_bound(findings: Findings, client: httpx.Client, size: int, bound: int) -> None:
    """The first pages with ``page_size=size`` hold at most ``bound`` classes each."""
    traversal = lenient_walk(client, REMOTE_FIELD_CLASSES, {"page_size": size}, BOUND_PAGES)
    if not traversal.pages:
        findings.fail(RFC_002, f"page_size={size} did not answer a page ({traversal.problem})")
    for number, page in enumerate(traversal.pages, start=1):
        count = len(page["results"]) if isinstance(page.get("results"), list) else 0
        findings.check(count <= bound, RFC_002, f"page {number} with page_size={size} holds {count} classes")


@pytest.mark.requirement(RFC_002)
def test_remote_field_classes_page_size_bounds_every_page(client: httpx.Client, target: Target) -> None:
    """remote-field-classes paginates as GET /leads does: page_size=n gives at most n, never more than 100."""
    findings = Findings(target)
    for size in (1, 2, MAX_PAGE_SIZE):
        check_page_bound(findings, client, size, size)
    response = not_throttled(client.get(REMOTE_FIELD_CLASSES, params={"page_size": ABOVE_MAX}), [RFC_002])
    if response.status_code == 200:
        check_page_bound(findings, client, ABOVE_MAX, MAX_PAGE_SIZE)
    else:
        findings.check(
            400 <= response.status_code < 500,
            RFC_002,
            f"page_size={ABOVE_MAX} got neither pages of at most 100 nor a 4xx ({describe(response)})",
        )
    findings.raise_if_any()


@pytest.mark.requirement(RFC_002)
def test_remote_field_classes_previous_is_null_on_the_first_page(
    client: httpx.Client, target: Target
) -> None:
    """remote-field-classes paginates as GET /leads does: previous is null on the first page."""
    findings = Findings(target)
    for params in ({}, {"page_size": 1}, {"page_size": MAX_PAGE_SIZE}):
        response = not_throttled(client.get(REMOTE_FIELD_CLASSES, params=params), [RFC_002])
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            raise Inconclusive(f"the first page is unusable ({describe(response)})", [RFC_002])
        previous = body.get("previous")
        findings.check(
            previous is None,
            RFC_002,
            f"the first page ({shown_request(REMOTE_FIELD_CLASSES, params)}) has previous {previous!r:.80}",
        )
    findings.raise_if_any()


def visit(client: httpx.Client, page_size: int, max_pages: int) -> list[str]:
    """The class ids from the first page to ``next: null``; a repeat, a loop or too many pages fails."""
    ids: list[str] = []
    seen: set[str] = set()
    pages = walk(client, REMOTE_FIELD_CLASSES, {"page_size": page_size}, max_pages, RFC_002)
    for page in pages:
        number = page.number
        for item in results_of(page.body):
            ident = item.get("id")
            if not isinstance(ident, str) or not ident:
                continue
            if ident in seen:
                raise Violation(
                    f"with page_size={page_size}, class {ident} is listed again on page {number}", [RFC_002]
                )
            seen.add(ident)
            ids.append(ident)
    return ids


def small_page_size(count: int) -> int:
    """A page size that crosses many page boundaries, none of them 100's."""
    size = min(max(3, math.ceil(count / SMALL_TRAVERSAL_PAGES)), MAX_PAGE_SIZE - 1)
    return size + 1 if MAX_PAGE_SIZE % size == 0 else size


@pytest.mark.requirement(RFC_002)
def test_following_next_visits_every_remote_field_class_once(client: httpx.Client) -> None:
    """remote-field-classes paginates as GET /leads does: next until null visits each class once and ends."""
    large = visit(client, MAX_PAGE_SIZE, CEILING_PAGES)
    size = small_page_size(len(large))
    small = visit(client, size, 2 * math.ceil((len(large) + 5) / size) + PAGE_SLACK)
    if set(large) == set(small):
        return
    again = set(visit(client, MAX_PAGE_SIZE, CEILING_PAGES))
    missed_by_small = [i for i in large if i in again and i not in small]
    missed_by_large = [i for i in small if i not in large and i not in again]
    if missed_by_small:
        raise Violation(
            f"with page_size={size} the traversal never listed {len(missed_by_small)} class(es) that "
            f"page_size=100 listed twice, e.g. {', '.join(missed_by_small[:3])}",
            [RFC_002],
        )
    if missed_by_large:
        raise Violation(
            f"two traversals with page_size=100 never listed {len(missed_by_large)} class(es) that "
            f"page_size={size} listed, e.g. {', '.join(missed_by_large[:3])}",
            [RFC_002],
        )


# ------------------------------------------------------------------------------ RFC-003
def filtered(
    client: httpx.Client, findings: Findings, value: str, size: int = MAX_PAGE_SIZE
) -> Traversal | None:
    """The classes listed with ``is_custom=value`` in pages of ``size`` (None after a violation)."""
    traversal = lenient_walk(
        client, REMOTE_FIELD_CLASSES, {"is_custom": value, "page_size": size}, TYPED_PAGES
    )
    if not traversal.pages:
        findings.fail(RFC_003, f"is_custom={value} did not answer a page ({traversal.problem})")
        return None
    return traversal


#: each account's list of classes is its own
ACCOUNTS = [pytest.param("client", id="account-a"), pytest.param("second_client", id="account-b")]


@pytest.mark.requirement(RFC_003)
@pytest.mark.parametrize("account", ACCOUNTS)
def test_is_custom_returns_only_classes_with_that_value(
    target: Target, account: str, request: pytest.FixtureRequest
) -> None:
    """is_custom=true|false returns only classes with that value, on every page, under every account.

    Each filtered list is walked in pages of about a third of the classes with that value, so the walk
    crosses pages; a class the filter left out counts once a fresh unfiltered read still lists it so.
    """
    client: httpx.Client = request.getfixturevalue(account)
    everything = lenient_walk(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES)
    classes = traversal_items(everything)
    if not classes:
        pytest.skip("the target lists no remote field class to filter")
    findings = Findings(target)
    for wanted, value in ((True, "true"), (False, "false")):
        count = sum(1 for c in classes if c.get("is_custom") is wanted)
        small = filtered(client, findings, value, max(1, min(MAX_PAGE_SIZE, math.ceil(count / 3))))
        if small is None:
            continue
        wrong = [c["id"] for c in traversal_items(small) if "is_custom" in c and c["is_custom"] is not wanted]
        findings.check(
            not wrong,
            RFC_003,
            f"is_custom={value} returned {len(wrong)} class(es) whose is_custom is not {value}: "
            + summarise(wrong, 3),
        )
        # what the filter leaves out is read in pages of 100 (a class lost between small pages is RFC-002's)
        whole = filtered(client, findings, value) if small.pages and len(small.pages) > 1 else small
        if whole is None:
            continue
        expected = [c["id"] for c in classes if c.get("is_custom") is wanted]
        missing = [i for i in expected if i not in set(whole.ids)]
        if missing and everything.ended and whole.ended:
            confirmed = confirm_present(client, missing, wanted)
            findings.check(
                not confirmed,
                RFC_003,
                f"is_custom={value} left out {len(confirmed)} class(es) with that value: "
                + summarise(confirmed, 3),
            )
    findings.raise_if_any()


def confirm_present(client: httpx.Client, ids: list[str], wanted: bool) -> list[str]:
    """Which of ``ids`` a fresh unfiltered read still lists with ``is_custom`` equal to ``wanted``."""
    fresh = traversal_items(
        lenient_walk(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES)
    )
    still = {c["id"] for c in fresh if c.get("is_custom") is wanted}
    return [i for i in ids if i in still]
