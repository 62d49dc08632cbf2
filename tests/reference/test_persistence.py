"""With db_path, data survives a restart and the seed is not repeated."""

from __future__ import annotations

from pathlib import Path

from conformance.reference import ReferenceConfig

from ._support import ACCOUNT_A, ACCOUNT_B, LEADS, all_pages, auth, create, make_client, valid_model


def test_data_survives_a_restart_without_reseeding(tmp_path: Path) -> None:
    """A lead created by one app instance is served by the next one on the same file."""
    config = ReferenceConfig(db_path=str(tmp_path / "leads.sqlite3"))
    with make_client(config) as first:
        model = create(first, valid_model(first_name="Persistent")).json()["model"]
        seeded = all_pages(first, page_size=100)
    with make_client(config) as second:
        assert second.get(f"{LEADS}/{model['id']}", headers=auth()).json() == model
        again = all_pages(second, page_size=100)
        assert len(again) == len(seeded) == 131
        assert again == seeded


def test_seed_is_the_same_for_the_same_account(tmp_path: Path) -> None:
    """Seeding is deterministic: two fresh stores hold the same seed for an account."""
    with make_client() as first, make_client(ReferenceConfig(db_path=str(tmp_path / "x.db"))) as second:
        assert all_pages(first, page_size=100, account=ACCOUNT_B) == all_pages(
            second, page_size=100, account=ACCOUNT_B
        )


def test_unseeded_store_starts_empty() -> None:
    """With seed=False an account starts with no leads and no remote field classes."""
    with make_client(ReferenceConfig(seed=False)) as client:
        assert all_pages(client, account=ACCOUNT_A) == []
        assert all_pages(client, f"{LEADS}/remote-field-classes") == []
        assert client.get(LEADS, headers=auth()).json() == {"next": None, "previous": None, "results": []}
        create(client, valid_model())
        assert len(all_pages(client)) == 1
