"""LEADS-RFC: GET /crm/v1/leads/remote-field-classes, its pages and its is_custom filter.

The suite never writes remote field classes, but a live target may change them, so a class
missing from one traversal counts only when a second traversal confirms it.
"""

from __future__ import annotations

import math

import httpx
import pytest

from conformance.contract.operations import REMOTE_FIELD_CLASSES
from conformance.http.target import Target
from conformance.outcomes import Violation
from conformance.suite.support.accounts import ACCOUNTS, account_client
from conformance.suite.support.filtering import page_size_for
from conformance.suite.support.findings import Findings, summarise
from conformance.suite.support.list_checks import (
    BOUND_PAGES,
    TYPED_PAGES,
    first_pages_have_no_previous,
    pages_above_max,
    pages_are_typed,
)
from conformance.suite.support.paging import MAX_PAGE_SIZE, PAGE_SLACK, Pages, listed_once, small_page_size
from conformance.suite.support.validators import RFC_PAGE

RFC_001 = "LEADS-RFC-001"
RFC_002 = "LEADS-RFC-002"
RFC_003 = "LEADS-RFC-003"

#: the most pages a traversal may take
CEILING_PAGES = 200
#: the most pages the small-page traversal may take, which sets its page size
SMALL_TRAVERSAL_PAGES = 100


# ------------------------------------------------------------------------------ RFC-001
@pytest.mark.requirement(RFC_001)
def test_remote_field_classes_answer_a_typed_page(client: httpx.Client, target: Target) -> None:
    """remote-field-classes answers 200 with a paginated list of RemoteFieldClass."""
    findings = Findings(target)
    pages_are_typed(findings, client, REMOTE_FIELD_CLASSES, RFC_001, RFC_PAGE, "remote-field-classes")
    findings.raise_if_any()


# ------------------------------------------------------------------------------ RFC-002
def check_page_bound(findings: Findings, client: httpx.Client, size: int, bound: int) -> None:
    """The first pages with ``page_size=size`` hold at most ``bound`` classes each."""
    walk = Pages(client, REMOTE_FIELD_CLASSES, {"page_size": size}, BOUND_PAGES).read()
    if not walk.answered:
        findings.fail(RFC_002, f"page_size={size} did not answer a page ({walk.problem})", walk.last)
    for page in walk.answered:
        count = len(page.body["results"]) if isinstance(page.body.get("results"), list) else 0
        findings.check(
            count <= bound, RFC_002, f"page {page.number} with page_size={size} holds {count} classes",
            page.response,
        )


@pytest.mark.requirement(RFC_002)
def test_remote_field_classes_page_size_bounds_every_page(client: httpx.Client, target: Target) -> None:
    """remote-field-classes paginates as GET /leads does: page_size=n gives at most n, never more than 100."""
    findings = Findings(target)
    for size in (1, 2, MAX_PAGE_SIZE):
        check_page_bound(findings, client, size, size)
    pages_above_max(
        findings, client, REMOTE_FIELD_CLASSES, RFC_002,
        lambda size, bound: check_page_bound(findings, client, size, bound),
    )
    findings.raise_if_any()


@pytest.mark.requirement(RFC_002)
def test_remote_field_classes_previous_is_null_on_the_first_page(
    client: httpx.Client, target: Target
) -> None:
    """remote-field-classes paginates as GET /leads does: previous is null on the first page."""
    findings = Findings(target)
    first_pages_have_no_previous(findings, client, REMOTE_FIELD_CLASSES, RFC_002, (1, MAX_PAGE_SIZE))
    findings.raise_if_any()


def class_ids(client: httpx.Client, page_size: int, max_pages: int) -> list[str]:
    """The class ids from the first page to ``next: null``; a repeat, a loop or too many pages fails."""
    ids: list[str] = []
    listed: set[str] = set()
    walk = Pages(
        client, REMOTE_FIELD_CLASSES, {"page_size": page_size}, max_pages, strict=RFC_002, must_end=True
    )

    def repeated(ident: str, number: int) -> Violation:
        return Violation(
            f"with page_size={page_size}, class {ident} is listed again on page {number}", [RFC_002]
        )

    for page in walk:
        ids += listed_once(page, listed, repeated)
    return ids


@pytest.mark.requirement(RFC_002)
def test_following_next_visits_every_remote_field_class_once(client: httpx.Client) -> None:
    """remote-field-classes paginates as GET /leads does: next until null visits each class once and ends."""
    large = class_ids(client, MAX_PAGE_SIZE, CEILING_PAGES)
    size = small_page_size(len(large), SMALL_TRAVERSAL_PAGES, 3)
    small = class_ids(client, size, 2 * math.ceil((len(large) + 5) / size) + PAGE_SLACK)
    if set(large) == set(small):
        return
    again = set(class_ids(client, MAX_PAGE_SIZE, CEILING_PAGES))
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
def filtered(client: httpx.Client, findings: Findings, value: str, size: int = MAX_PAGE_SIZE) -> Pages | None:
    """The classes listed with ``is_custom=value`` in pages of ``size`` (None after a violation)."""
    walk = Pages(client, REMOTE_FIELD_CLASSES, {"is_custom": value, "page_size": size}, TYPED_PAGES).read()
    if not walk.answered:
        findings.fail(RFC_003, f"is_custom={value} did not answer a page ({walk.problem})", walk.last)
        return None
    return walk


@pytest.mark.requirement(RFC_003)
@pytest.mark.parametrize("account", ACCOUNTS)
def test_is_custom_returns_only_classes_with_that_value(
    target: Target, account: str, request: pytest.FixtureRequest
) -> None:
    """is_custom=true|false returns only classes with that value, on every page, under every account.

    Each filtered list is walked in pages of about a third of the classes with that value, so the walk
    crosses pages; a class the filter left out counts once a fresh unfiltered read still lists it so.
    """
    client = account_client(request, account)
    everything = Pages(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES).read()
    classes = list(everything.by_id().values())
    if not classes:
        pytest.skip("the target lists no remote field class to filter")
    findings = Findings(target)
    for wanted, value in ((True, "true"), (False, "false")):
        count = sum(1 for c in classes if c.get("is_custom") is wanted)
        small = filtered(client, findings, value, page_size_for(count))
        if small is None:
            continue
        wrong = [(page, c["id"]) for page, c in small.first_results()
                 if "is_custom" in c and c["is_custom"] is not wanted]
        if wrong:
            findings.fail(
                RFC_003,
                f"is_custom={value} returned {len(wrong)} class(es) whose is_custom is not {value}: "
                + summarise([ident for _, ident in wrong], 3),
                wrong[0][0].response,
            )
        # what the filter leaves out is read in pages of 100 (a class lost between small pages is RFC-002's)
        whole = filtered(client, findings, value) if small.count > 1 else small
        if whole is None:
            continue
        expected = [c["id"] for c in classes if c.get("is_custom") is wanted]
        missing = [i for i in expected if i not in set(whole.ids)]
        if missing and everything.ended and whole.ended:
            confirmed = confirm_present(client, missing, wanted)
            if confirmed:
                findings.fail(
                    RFC_003,
                    f"is_custom={value} left out {len(confirmed)} class(es) with that value: "
                    + summarise(confirmed, 3),
                    whole.last,
                )
    findings.raise_if_any()


def confirm_present(client: httpx.Client, ids: list[str], wanted: bool) -> list[str]:
    """Which of ``ids`` a fresh unfiltered read still lists with ``is_custom`` equal to ``wanted``."""
    fresh = Pages(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, TYPED_PAGES).read().by_id()
    still = {ident for ident, c in fresh.items() if c.get("is_custom") is wanted}
    return [i for i in ids if i in still]
