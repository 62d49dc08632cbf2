"""SQLite storage of the reference server, one implementation for memory and file.

Every linked account owns its rows (the ``account`` column leads every key and index), so
one store serves any number of accounts without mixing them. Lists are read by keyset
pagination on ``(account, created_at, id)``: a page is one index range scan of ``size + 1``
rows from the cursor position, however deep the cursor is.

A single connection is shared by all threads and guarded by a lock, so concurrent writers
are serialised and none is lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .queries import (
    LeadFilters,
    Page,
    PageRequest,
    Position,
    RemoteFieldClassFilters,
    SeedData,
    normalize_email,
    normalize_phone,
)
from .timestamps import now

__all__ = [
    "LeadFilters",
    "Page",
    "PageRequest",
    "Position",
    "RemoteFieldClassFilters",
    "SeedData",
    "Store",
    "normalize_email",
    "normalize_phone",
]

JSONObject = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS linked_accounts (
    token TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS leads (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    remote_id TEXT,
    owner TEXT,
    converted_contact TEXT,
    converted_account TEXT,
    remote_was_deleted INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS leads_page ON leads (account, created_at, id);
CREATE TABLE IF NOT EXISTS lead_contact_points (
    account TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lead_contact_points_value ON lead_contact_points (account, kind, value);
CREATE TABLE IF NOT EXISTS related (
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, kind, id)
);
CREATE TABLE IF NOT EXISTS remote_field_classes (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    is_custom INTEGER NOT NULL,
    is_common_model_field INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS remote_field_classes_page ON remote_field_classes (account, sort_key, id);
"""

RELATED_KINDS = ("user", "contact", "account")


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class _Listing:
    table: str
    key_column: str


_LEADS = _Listing("leads", "created_at")
_REMOTE_FIELD_CLASSES = _Listing("remote_field_classes", "sort_key")


class Store:
    """Leads, their related objects and remote field classes, per linked account."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(
            path if path is not None else ":memory:",
            check_same_thread=False,
            isolation_level=None,
            timeout=30.0,
        )
        self._known_accounts: set[str] = set()
        self._last_instant: datetime | None = None
        with self._lock:
            if path is not None:
                self._connection.execute("PRAGMA journal_mode=WAL")
                self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ accounts and seed

    def ensure_account(self, account: str, seeder: Callable[[str], SeedData] | None) -> None:
        """Seed ``account`` once, the first time it is seen with a seeder and no data."""
        if seeder is None or account in self._known_accounts:
            return
        with self._transaction() as connection:
            seen = connection.execute("SELECT 1 FROM linked_accounts WHERE token = ?", (account,)).fetchone()
            if seen is None:
                connection.execute("INSERT INTO linked_accounts (token) VALUES (?)", (account,))
                has_leads = connection.execute(
                    "SELECT 1 FROM leads WHERE account = ? LIMIT 1", (account,)
                ).fetchone()
                if has_leads is None:
                    self._insert_seed(connection, account, seeder(account))
            self._known_accounts.add(account)

    def _insert_seed(self, connection: sqlite3.Connection, account: str, seed: SeedData) -> None:
        for kind, objects in (("user", seed.users), ("contact", seed.contacts), ("account", seed.accounts)):
            connection.executemany(
                "INSERT INTO related (account, kind, id, body) VALUES (?, ?, ?, ?)",
                [(account, kind, item["id"], _dump(item)) for item in objects],
            )
        connection.executemany(
            "INSERT INTO remote_field_classes"
            " (account, id, sort_key, is_custom, is_common_model_field, body) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    account,
                    item["id"],
                    f"{index:06d}",
                    int(bool(item.get("is_custom"))),
                    int(bool(item.get("is_common_model_field"))),
                    _dump(item),
                )
                for index, item in enumerate(seed.remote_field_classes)
            ],
        )
        self._insert_leads(connection, account, seed.leads)

    # ------------------------------------------------------------------ leads

    def allocate_instant(self) -> datetime:
        """Return the current instant, strictly later than any this store handed out before."""
        with self._lock:
            moment = now()
            if self._last_instant is not None and moment <= self._last_instant:
                moment = self._last_instant + timedelta(microseconds=1)
            self._last_instant = moment
            return moment

    def insert_lead(self, account: str, lead: Mapping[str, Any]) -> None:
        """Store one lead document (the Lead shape, relations as ids)."""
        self.insert_leads(account, [lead])

    def insert_leads(self, account: str, leads: Iterable[Mapping[str, Any]]) -> None:
        """Store many lead documents in one transaction."""
        with self._transaction() as connection:
            self._insert_leads(connection, account, leads)

    @staticmethod
    def _insert_leads(
        connection: sqlite3.Connection, account: str, leads: Iterable[Mapping[str, Any]]
    ) -> None:
        lead_rows: list[tuple[Any, ...]] = []
        point_rows: list[tuple[str, str, str, str]] = []
        for lead in leads:
            lead_rows.append(
                (
                    account,
                    lead["id"],
                    lead["created_at"],
                    lead["modified_at"],
                    lead.get("remote_id"),
                    lead.get("owner"),
                    lead.get("converted_contact"),
                    lead.get("converted_account"),
                    int(bool(lead.get("remote_was_deleted"))),
                    _dump(lead),
                )
            )
            point_rows.extend(_contact_points(account, lead))
        connection.executemany(
            "INSERT INTO leads (account, id, created_at, modified_at, remote_id, owner,"
            " converted_contact, converted_account, remote_was_deleted, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            lead_rows,
        )
        connection.executemany(
            "INSERT INTO lead_contact_points (account, lead_id, kind, value) VALUES (?, ?, ?, ?)",
            point_rows,
        )

    def get_lead(self, account: str, lead_id: str) -> JSONObject | None:
        """Return the stored lead document, or ``None`` when the account has no such lead."""
        rows = self._query("SELECT body FROM leads WHERE account = ? AND id = ?", (account, lead_id))
        return json.loads(rows[0][0]) if rows else None

    def page_leads(self, account: str, filters: LeadFilters, request: PageRequest) -> Page:
        """Return one page of ``account``'s leads, ordered by ``created_at`` then ``id``."""
        clauses, params = filters.where()
        return self._page(_LEADS, account, clauses, params, request)

    def explain_lead_page(self, account: str, filters: LeadFilters, request: PageRequest) -> list[str]:
        """Return SQLite's query plan for the page query, one line per step."""
        clauses, params = filters.where()
        sql, bound = _page_query(_LEADS, account, clauses, params, request)
        return [str(row[3]) for row in self._query(f"EXPLAIN QUERY PLAN {sql}", bound)]

    # ------------------------------------------------------------------ related objects

    def related(self, account: str, kind: str, ids: Iterable[str]) -> dict[str, JSONObject]:
        """Return the ``kind`` objects (``user``, ``contact``, ``account``) with the given ids."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        found: dict[str, JSONObject] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                f"SELECT id, body FROM related WHERE account = ? AND kind = ? AND id IN ({marks})",
                (account, kind, *chunk),
            )
            found.update((row_id, json.loads(body)) for row_id, body in rows)
        return found

    def remote_field_classes(self, account: str) -> list[JSONObject]:
        """Return every remote field class of ``account`` in list order."""
        rows = self._query(
            "SELECT body FROM remote_field_classes WHERE account = ? ORDER BY sort_key, id", (account,)
        )
        return [json.loads(body) for (body,) in rows]

    def page_remote_field_classes(
        self, account: str, filters: RemoteFieldClassFilters, request: PageRequest
    ) -> Page:
        """Return one page of ``account``'s remote field classes."""
        clauses, params = filters.where()
        return self._page(_REMOTE_FIELD_CLASSES, account, clauses, params, request)

    # ------------------------------------------------------------------ keyset paging

    def _page(
        self,
        listing: _Listing,
        account: str,
        clauses: list[str],
        params: list[Any],
        request: PageRequest,
    ) -> Page:
        sql, bound = _page_query(listing, account, clauses, params, request)
        with self._lock:
            rows = self._connection.execute(sql, bound).fetchall()
            more = len(rows) > request.size
            rows = rows[: request.size]
            if request.before is not None:
                rows.reverse()
                has_previous = more
                has_next = self._exists(listing, account, clauses, params, ">=", request.before)
            else:
                has_next = more
                has_previous = request.after is not None and self._exists(
                    listing, account, clauses, params, "<=", request.after
                )
        return Page(
            rows=[(Position(key, row_id), json.loads(body)) for key, row_id, body in rows],
            has_previous=has_previous,
            has_next=has_next,
        )

    def _exists(
        self,
        listing: _Listing,
        account: str,
        clauses: list[str],
        params: list[Any],
        operator: str,
        position: Position,
    ) -> bool:
        where = " AND ".join(["account = ?", *clauses, f"({listing.key_column}, id) {operator} (?, ?)"])
        sql = f"SELECT 1 FROM {listing.table} WHERE {where} LIMIT 1"
        row = self._connection.execute(sql, [account, *params, position.key, position.id]).fetchone()
        return row is not None


def _page_query(
    listing: _Listing,
    account: str,
    clauses: list[str],
    params: list[Any],
    request: PageRequest,
) -> tuple[str, list[Any]]:
    conditions = ["account = ?", *clauses]
    bound: list[Any] = [account, *params]
    direction = "ASC"
    if request.before is not None:
        conditions.append(f"({listing.key_column}, id) < (?, ?)")
        bound.extend([request.before.key, request.before.id])
        direction = "DESC"
    elif request.after is not None:
        conditions.append(f"({listing.key_column}, id) > (?, ?)")
        bound.extend([request.after.key, request.after.id])
    sql = (
        f"SELECT {listing.key_column}, id, body FROM {listing.table}"
        f" WHERE {' AND '.join(conditions)}"
        f" ORDER BY {listing.key_column} {direction}, id {direction} LIMIT ?"
    )
    bound.append(request.size + 1)
    return sql, bound


def _contact_points(account: str, lead: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    points: list[tuple[str, str, str, str]] = []
    for item in lead.get("email_addresses") or []:
        value = item.get("email_address")
        if isinstance(value, str) and normalize_email(value):
            points.append((account, lead["id"], "email", normalize_email(value)))
    for item in lead.get("phone_numbers") or []:
        value = item.get("phone_number")
        if isinstance(value, str) and normalize_phone(value):
            points.append((account, lead["id"], "phone", normalize_phone(value)))
    return points
