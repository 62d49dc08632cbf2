"""Concurrent creates through a served instance all land, with unique ids."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conformance.reference import ReferenceConfig, create_app, serve_in_thread

from ._support import LEADS, auth

THREADS = 8
CREATES = 200


def _create_many(base_url: str, worker: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=base_url, headers=auth(), timeout=30) as client:
        for index in range(CREATES):
            model = {"last_name": f"Worker {worker}", "company": f"Create {index}"}
            response = client.post(LEADS, json={"model": model})
            assert response.status_code == 201, response.text
            ids.append(response.json()["model"]["id"])
    return ids


def _list_ids(base_url: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers=auth(), timeout=30) as client:
        while True:
            params = {"page_size": 100, **({"cursor": cursor} if cursor else {})}
            body = client.get(LEADS, params=params).json()
            ids.extend(lead["id"] for lead in body["results"])
            cursor = body["next"]
            if cursor is None:
                return ids


@pytest.mark.parametrize("storage", ["memory", "file"])
def test_eight_threads_of_two_hundred_creates_all_land(tmp_path: Path, storage: str) -> None:
    """8 threads x 200 creates: 1,600 distinct ids, every one listed afterwards."""
    db_path = str(tmp_path / "leads.sqlite3") if storage == "file" else None
    with serve_in_thread(create_app(ReferenceConfig(db_path=db_path))) as server:
        with ThreadPoolExecutor(THREADS) as pool:
            batches = list(pool.map(lambda worker: _create_many(server.base_url, worker), range(THREADS)))
        created = [lead_id for batch in batches for lead_id in batch]
        assert len(created) == len(set(created)) == THREADS * CREATES
        listed = _list_ids(server.base_url)
        assert len(listed) == len(set(listed)) == 130 + THREADS * CREATES
        assert set(created) <= set(listed)


def test_served_base_url_looks_like_merges() -> None:
    """The served base URL ends in /api and stops cleanly."""
    server = serve_in_thread(create_app())
    try:
        assert server.base_url.startswith("http://127.0.0.1:") and server.base_url.endswith("/api")
        assert httpx.get(f"{server.base_url}{LEADS}", headers=auth()).status_code == 200
    finally:
        server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}{LEADS}", headers=auth(), timeout=2)
