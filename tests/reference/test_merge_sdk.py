"""Merge's official Python SDK (mergepythonclient), unchanged, against a served reference server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from conformance.reference import RunningServer, create_app, serve_in_thread

from ._support import ACCOUNT_A, API_KEY

pytest.importorskip("merge")
from merge import Merge  # noqa: E402
from merge.resources.crm import (  # noqa: E402
    AddressRequest,
    EmailAddressRequest,
    LeadRequest,
    PhoneNumberRequest,
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """One served reference app for the module."""
    with serve_in_thread(create_app()) as running:
        yield running


@pytest.fixture
def sdk(server: RunningServer) -> Merge:
    """The SDK client, pointed at the served base URL."""
    return Merge(api_key=API_KEY, account_token=ACCOUNT_A, base_url=server.base_url)


def test_sdk_creates_and_retrieves_a_lead_with_expand(sdk: Merge) -> None:
    """create returns the echoed model; retrieve with expand returns the owner as a User."""
    owner = next(lead.owner for lead in sdk.crm.leads.list(page_size=100).results or [] if lead.owner)
    assert isinstance(owner, str)
    converted = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    response = sdk.crm.leads.create(
        model=LeadRequest(
            owner=owner,
            first_name="Grace",
            last_name="Hopper",
            company="Eckert-Mauchly",
            title="Rear Admiral",
            lead_source="Referral",
            converted_date=converted,
            addresses=[
                AddressRequest(street_1="1 Navy Way", city="Arlington", country="US", address_type="BILLING")
            ],
            email_addresses=[
                EmailAddressRequest(email_address="grace@example.com", email_address_type="Work")
            ],
            phone_numbers=[PhoneNumberRequest(phone_number="+17035550100", phone_number_type="Work")],
        ),
        is_debug_mode=True,
    )
    model = response.model
    assert response.errors == [] and response.warnings == []
    assert response.logs and response.logs[0].log_summary.status_code == 201
    assert model.id and model.first_name == "Grace" and model.company == "Eckert-Mauchly"
    assert model.converted_date == converted
    assert model.addresses and model.addresses[0].city == "Arlington"
    assert model.email_addresses and model.email_addresses[0].email_address == "grace@example.com"
    assert model.created_at is not None and model.created_at == model.modified_at

    fetched = sdk.crm.leads.retrieve(model.id, expand="owner", include_remote_data=True)
    assert fetched.id == model.id
    assert not isinstance(fetched.owner, str) and fetched.owner is not None
    assert fetched.owner.id == owner and fetched.owner.name
    assert fetched.remote_data and fetched.remote_data[0].path


def test_sdk_lists_with_filters_and_paging(sdk: Merge) -> None:
    """list pages with page_size / cursor, filters on created_after, expands a list of relations."""
    first = sdk.crm.leads.list(page_size=50, expand=["owner", "converted_contact"])
    assert first.results and len(first.results) == 50 and first.previous is None and first.next
    second = sdk.crm.leads.list(page_size=50, cursor=first.next)
    assert second.results and {lead.id for lead in first.results}.isdisjoint(
        lead.id for lead in second.results
    )
    assert (
        sdk.crm.leads.list(page_size=50, cursor=second.previous).results
        == sdk.crm.leads.list(page_size=50).results
    )
    assert any(lead.owner is not None and not isinstance(lead.owner, str) for lead in first.results)

    bound = first.results[10].created_at
    assert bound is not None
    later = sdk.crm.leads.list(page_size=100, created_after=bound)
    assert later.results and all(lead.created_at and lead.created_at > bound for lead in later.results)
    remote_id = first.results[3].remote_id
    assert [lead.id for lead in sdk.crm.leads.list(remote_id=remote_id).results or []] == [
        first.results[3].id
    ]
    deleted = sdk.crm.leads.list(page_size=100, include_deleted_data=True, include_remote_fields=True)
    assert deleted.results and any(lead.remote_fields for lead in deleted.results)


def test_sdk_reads_meta_post_and_remote_field_classes(sdk: Merge) -> None:
    """meta_post_retrieve and remote_field_classes_list parse and agree with each other."""
    meta = sdk.crm.leads.meta_post_retrieve()
    assert meta.request_schema["properties"]["model"]["required"] == ["last_name", "company"]
    assert meta.status is not None and meta.status.can_make_request is True
    assert meta.has_conditional_params is False and meta.has_required_linked_account_params is False
    classes = sdk.crm.leads.remote_field_classes_list(page_size=100).results or []
    assert meta.remote_field_classes is not None and set(meta.remote_field_classes) == {c.id for c in classes}
    custom = sdk.crm.leads.remote_field_classes_list(is_custom=True).results or []
    assert custom and all(item.is_custom is True for item in custom)
