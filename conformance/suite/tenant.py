"""TENANT: the account token names whose data a request sees; no lead crosses accounts.

These checks need a second linked account token (``--second-account-token``); without one
the ``second_client`` fixture skips them with that reason.
"""

from __future__ import annotations

import httpx
import pytest

from conformance._outcomes import Inconclusive, Violation
from conformance.suite._support import (
    MetaPost,
    describe,
    find_in_list,
    full_body,
    lead_path,
    not_throttled,
    run_tag,
)
from conformance.suite.conftest import Created, LeadFactory
from conformance.target import Target


def create_under_second(
    target: Target, lead_factory: LeadFactory, meta_post: MetaPost, second_client: httpx.Client
) -> Created:
    """A lead created under account B (no relation ids: those of account A mean nothing there)."""
    return lead_factory(full_body(meta_post, run_tag(target, "tenant-b"), {}), http=second_client)


def retrieve_status(http: httpx.Client, lead_id: str, requirement: str) -> httpx.Response:
    response = not_throttled(http.get(lead_path(lead_id)), [requirement])
    if response.status_code == 401:
        raise Inconclusive(
            f"the account token used to look across accounts was refused ({describe(response)})",
            [requirement],
        )
    return response


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-001")
def test_lead_of_account_a_is_404_under_account_b(
    lead_factory: LeadFactory, second_client: httpx.Client
) -> None:
    """A lead created under account A is 404 when retrieved under account B."""
    lead = lead_factory()
    response = retrieve_status(second_client, lead.id, "LEADS-TENANT-001")
    if response.status_code != 404:
        raise Violation(
            f"account B retrieving account A's lead {lead.id!r} is not answered 404 ({describe(response)})",
            ["LEADS-TENANT-001"],
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-002")
def test_lead_of_account_a_is_absent_from_account_b_list(
    target: Target, lead_factory: LeadFactory, meta_post: MetaPost, second_client: httpx.Client
) -> None:
    """A lead created under account A is absent from account B's list."""
    lead = lead_factory()
    control = create_under_second(target, lead_factory, meta_post, second_client)
    found = find_in_list(second_client, lambda item: item.get("id") == lead.id, control.model)
    if found:
        raise Violation(f"account A's lead {lead.id!r} is listed under account B", ["LEADS-TENANT-002"])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-TENANT-003")
def test_leads_of_account_b_never_show_up_under_account_a(
    target: Target,
    client: httpx.Client,
    lead_factory: LeadFactory,
    meta_post: MetaPost,
    second_client: httpx.Client,
) -> None:
    """Leads created under account B never show up under account A (by id or in the list)."""
    control = lead_factory()
    lead = create_under_second(target, lead_factory, meta_post, second_client)
    response = retrieve_status(client, lead.id, "LEADS-TENANT-003")
    if 200 <= response.status_code < 300:
        raise Violation(
            f"account A can retrieve account B's lead {lead.id!r} ({describe(response)})",
            ["LEADS-TENANT-003"],
        )
    found = find_in_list(client, lambda item: item.get("id") == lead.id, control.model)
    if found:
        raise Violation(f"account B's lead {lead.id!r} is listed under account A", ["LEADS-TENANT-003"])
