"""GET /crm/v1/leads/{id}: the lead, or a JSON 404."""

from __future__ import annotations

import pytest

from ._support import LEADS, TestClient, all_pages, auth


def test_retrieve_returns_the_listed_lead(client: TestClient) -> None:
    """A listed lead retrieves as the same object."""
    lead = all_pages(client, page_size=100)[17]
    response = client.get(f"{LEADS}/{lead['id']}", headers=auth())
    assert response.status_code == 200
    assert response.json() == lead


@pytest.mark.parametrize(
    "lead_id",
    [
        "3f2b8c1e-7d4a-4e9b-a6c5-0d1e2f3a4b5c",
        "not-a-uuid",
        "025fjlc6-6000-430a-848e-aafacbadf4fe",
        "%00",
        "%2e%2e",
        "é",
        "x" * 5000,
        "1;DROP TABLE leads",
        "meta",
        "remote-field-classes%2F",
    ],
)
def test_unknown_or_malformed_ids_get_json_404(client: TestClient, lead_id: str) -> None:
    """An unknown or malformed id gets 404 ``{"detail": "Not found."}``, never a 5xx."""
    response = client.get(f"{LEADS}/{lead_id}", headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_deleted_leads_stay_retrievable_by_id(client: TestClient) -> None:
    """A lead deleted in the remote system is hidden from lists but still retrievable, flagged."""
    deleted = [
        lead
        for lead in all_pages(client, page_size=100, include_deleted_data="true")
        if lead["remote_was_deleted"]
    ]
    response = client.get(f"{LEADS}/{deleted[0]['id']}", headers=auth())
    assert response.status_code == 200
    assert response.json()["remote_was_deleted"] is True


def test_retrieve_accepts_its_documented_parameters(client: TestClient) -> None:
    """include_shell_data, include_remote_data and include_remote_fields are accepted on retrieve."""
    lead = all_pages(client)[0]
    response = client.get(
        f"{LEADS}/{lead['id']}",
        headers=auth(),
        params={
            "include_shell_data": "true",
            "include_remote_data": "true",
            "include_remote_fields": "false",
        },
    )
    assert response.status_code == 200
    assert response.json()["remote_data"]
