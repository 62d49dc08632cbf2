"""Benchmark of the reference Leads server.

1. Throughput over HTTP (loopback, one keep-alive httpx client) against an instance served
   in a child process (so that client and server do not share an interpreter lock):
   creates, retrieves and 100-lead pages per second.
2. Page latency with 1,000 / 10,000 / 100,000 stored leads (bulk-inserted into the store),
   for the first page and for a deep page (90 % of the way in), side by side with a naive peer
   that pages the same table with LIMIT/OFFSET. The reference follows a cursor with one index
   range scan, so its deep page costs what its first page costs; OFFSET walks every skipped row.

Run: ``python benchmarks/reference_server.py`` (about half a minute).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.reference.pagination import encode_cursor  # noqa: E402
from conformance.reference.seed import build_seed  # noqa: E402
from conformance.reference.store import LeadFilters, PageRequest, Position, Store  # noqa: E402
from conformance.reference.timestamps import format_instant  # noqa: E402

ACCOUNT = "reference-account-a"
HEADERS = {"Authorization": "Bearer reference-api-key", "X-Account-Token": ACCOUNT}
LEADS = "/crm/v1/leads"
SIZES = (1_000, 10_000, 100_000)
PAGE = 100
REPEATS = 15


def _rate(count: int, action: Callable[[int], None]) -> tuple[float, float]:
    """Run ``action`` ``count`` times; return requests per second and the median latency in ms."""
    latencies = []
    started = time.perf_counter()
    for index in range(count):
        before = time.perf_counter()
        action(index)
        latencies.append(time.perf_counter() - before)
    elapsed = time.perf_counter() - started
    return count / elapsed, statistics.median(latencies) * 1000


@contextmanager
def served(db_path: str | None = None, seed: bool = True) -> Iterator[str]:
    """Serve a reference instance in a child process; yield its base URL."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from conformance.reference import ReferenceConfig, serve_forever;"
        "serve_forever(ReferenceConfig(db_path=sys.argv[2] or None, seed=sys.argv[3] == '1'), '127.0.0.1', 0)"
    )
    root = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-c", code, root, db_path or "", "1" if seed else "0"]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        base_url = child.stdout.readline().split()[-1]
        for _ in range(200):
            try:
                httpx.get(f"{base_url}{LEADS}", headers=HEADERS, params={"page_size": 1}).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=10)


def throughput() -> list[tuple[str, int, float, float]]:
    """Creates, retrieves and 100-lead pages per second against a served, seeded instance."""
    rows = []
    with served() as base_url, httpx.Client(base_url=base_url, headers=HEADERS) as client:
        first = client.get(LEADS, params={"page_size": PAGE}).json()
        ids = [lead["id"] for lead in first["results"]]

        def create(index: int) -> None:
            model = {"last_name": f"Bench {index}", "company": "Benchmark Inc", "email_addresses": []}
            assert client.post(LEADS, json={"model": model}).status_code == 201

        def retrieve(index: int) -> None:
            assert client.get(f"{LEADS}/{ids[index % len(ids)]}").status_code == 200

        def page(_index: int) -> None:
            assert len(client.get(LEADS, params={"page_size": PAGE}).json()["results"]) == PAGE

        for name, count, action in (
            ("create (POST)", 1000, create),
            ("retrieve (GET /{id})", 1000, retrieve),
            ("page of 100 (GET)", 300, page),
        ):
            per_second, median_ms = _rate(count, action)
            rows.append((name, count, per_second, median_ms))
    return rows


def _lead_documents(count: int) -> list[dict[str, Any]]:
    """Realistic lead documents (a seed lead's shape) with distinct ids, emails and created_at."""
    template = build_seed(ACCOUNT).leads[0]
    email = template["email_addresses"][0]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    documents = []
    for index in range(count):
        stamp = format_instant(start + timedelta(seconds=index * 7))
        documents.append(
            {
                **template,
                "id": str(uuid.UUID(int=index + 1)),
                "remote_id": f"00Q{index:015d}",
                "created_at": stamp,
                "modified_at": stamp,
                "remote_was_deleted": False,
                "email_addresses": [{**email, "email_address": f"lead{index}@example.com"}],
            }
        )
    return documents


def _median_ms(action: Callable[[], object]) -> float:
    samples = []
    for _ in range(REPEATS):
        before = time.perf_counter()
        action()
        samples.append(time.perf_counter() - before)
    return statistics.median(samples) * 1000


def _offset_page(connection: sqlite3.Connection, offset: int) -> list[Any]:
    rows = connection.execute(
        "SELECT body FROM leads WHERE account = ? AND remote_was_deleted = 0"
        " ORDER BY created_at, id LIMIT ? OFFSET ?",
        (ACCOUNT, PAGE, offset),
    ).fetchall()
    return [json.loads(body) for (body,) in rows]


def page_latency(size: int, folder: Path) -> dict[str, float]:
    """First and deep page latency at ``size`` leads: store keyset, OFFSET peer, and over HTTP."""
    db_path = str(folder / f"leads-{size}.sqlite3")
    store = Store(db_path)
    store.insert_leads(ACCOUNT, _lead_documents(size))
    deep_index = int(size * 0.9)
    deep_key = format_instant(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=(deep_index - 1) * 7))
    position = Position(deep_key, str(uuid.UUID(int=deep_index)))
    filters = LeadFilters()
    keyset_deep = store.page_leads(ACCOUNT, filters, PageRequest(size=PAGE, after=position))
    offset_peer = sqlite3.connect(db_path)
    assert [body["id"] for _, body in keyset_deep.rows] == [
        lead["id"] for lead in _offset_page(offset_peer, deep_index)
    ]
    figures = {
        "keyset first": _median_ms(lambda: store.page_leads(ACCOUNT, filters, PageRequest(size=PAGE))),
        "keyset deep": _median_ms(
            lambda: store.page_leads(ACCOUNT, filters, PageRequest(size=PAGE, after=position))
        ),
        "offset first": _median_ms(lambda: _offset_page(offset_peer, 0)),
        "offset deep": _median_ms(lambda: _offset_page(offset_peer, deep_index)),
    }
    plan = " | ".join(store.explain_lead_page(ACCOUNT, filters, PageRequest(size=PAGE, after=position)))
    offset_peer.close()
    store.close()
    cursor = encode_cursor("n", position)
    with served(db_path, seed=False) as base_url, httpx.Client(base_url=base_url, headers=HEADERS) as client:
        figures["http first"] = _median_ms(
            lambda: client.get(LEADS, params={"page_size": PAGE}).raise_for_status()
        )
        figures["http deep"] = _median_ms(
            lambda: client.get(LEADS, params={"page_size": PAGE, "cursor": cursor}).raise_for_status()
        )
    print(f"  plan of the deep keyset page at {size:,}: {plan}")
    return figures


def main() -> None:
    """Run both benchmarks and print their tables."""
    print("Reference Leads server benchmark")
    print()
    print("Throughput over loopback HTTP (one keep-alive client, seeded in-memory store)")
    print(f"  {'operation':<22} {'requests':>8} {'req/s':>9} {'median ms':>10}")
    for name, count, per_second, median_ms in throughput():
        print(f"  {name:<22} {count:>8} {per_second:>9.0f} {median_ms:>10.2f}")
    print()
    print(f"Page latency, {PAGE} leads per page, median of {REPEATS} (ms); deep page = 90 % of the way in")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in SIZES:
            results[size] = page_latency(size, Path(folder))
    columns = ("keyset first", "keyset deep", "offset first", "offset deep", "http first", "http deep")
    print(f"  {'stored leads':>12} " + " ".join(f"{column:>13}" for column in columns))
    for size, figures in results.items():
        print(f"  {size:>12,} " + " ".join(f"{figures[column]:>13.2f}" for column in columns))
    print()
    print("keyset = the reference store following a cursor (index range scan of page_size + 1 rows);")
    print("offset = a naive peer paging the same table with LIMIT/OFFSET; http = the served reference.")


if __name__ == "__main__":
    main()
