"""Linked accounts are isolated: each token sees only its own leads and related objects."""

from __future__ import annotations

from ._support import ACCOUNT_A, ACCOUNT_B, LEADS, TestClient, all_pages, auth, create, valid_model


def test_a_lead_created_under_a_is_invisible_under_b(client: TestClient) -> None:
    """A lead created under A is 404 under B and absent from B's list."""
    lead = create(client, valid_model(first_name="Only-A"), account=ACCOUNT_A).json()["model"]
    assert client.get(f"{LEADS}/{lead['id']}", headers=auth(ACCOUNT_B)).status_code == 404
    assert client.get(f"{LEADS}/{lead['id']}", headers=auth(ACCOUNT_A)).status_code == 200
    assert lead["id"] not in {item["id"] for item in all_pages(client, account=ACCOUNT_B, page_size=100)}


def test_creates_under_b_never_show_up_under_a(client: TestClient) -> None:
    """B's creates never appear in A's list."""
    lead = create(client, valid_model(first_name="Only-B"), account=ACCOUNT_B).json()["model"]
    assert lead["id"] not in {item["id"] for item in all_pages(client, account=ACCOUNT_A, page_size=100)}


def test_seed_ids_differ_between_accounts(client: TestClient) -> None:
    """Each account has its own seed objects: no lead, user or remote field class id is shared."""
    leads_a = all_pages(client, account=ACCOUNT_A, page_size=100, expand="owner")
    leads_b = all_pages(client, account=ACCOUNT_B, page_size=100, expand="owner")
    assert len(leads_a) == len(leads_b) == 130
    assert not {lead["id"] for lead in leads_a} & {lead["id"] for lead in leads_b}
    owners_a = {lead["owner"]["id"] for lead in leads_a if lead["owner"]}
    owners_b = {lead["owner"]["id"] for lead in leads_b if lead["owner"]}
    assert owners_a and owners_b and not owners_a & owners_b
    classes_a = {item["id"] for item in all_pages(client, f"{LEADS}/remote-field-classes", ACCOUNT_A)}
    classes_b = {item["id"] for item in all_pages(client, f"{LEADS}/remote-field-classes", ACCOUNT_B)}
    assert classes_a and not classes_a & classes_b


def test_another_accounts_relation_id_does_not_expand(client: TestClient) -> None:
    """A relation naming another account's user is stored but expands to null."""
    owner_of_b = next(
        lead["owner"] for lead in all_pages(client, account=ACCOUNT_B, page_size=100) if lead["owner"]
    )
    lead = create(client, valid_model(owner=owner_of_b)).json()["model"]
    assert lead["owner"] == owner_of_b
    expanded = client.get(f"{LEADS}/{lead['id']}", headers=auth(), params={"expand": "owner"}).json()
    assert expanded["owner"] is None
