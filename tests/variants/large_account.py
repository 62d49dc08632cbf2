"""A conformant server whose account holds 150,000 leads and whose list pages take about a second.

A production account behind Merge is large and its vendor is slow: no walk of its whole list fits
in a run. The account's leads reach back years, and bulk imports left groups of leads that share
one ``created_at`` to the microsecond. The second account keeps the reference seed.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference import ReferenceConfig
from conformance.reference.seed import build_seed
from conformance.reference.store import SeedData, Store
from conformance.reference.timestamps import format_instant
from tests.faults._base import reference
from tests.variants._base import LEADS, Variant, variant

#: leads the first account holds besides the reference seed
BULK_LEADS = 150_000
#: seconds every page of the lead list waits before it answers
PAGE_LATENCY = 1.0
ACCOUNT = ReferenceConfig().account_tokens[0]

_NAMESPACE = uuid.UUID("9b1c7c3e-2f5d-4f0a-8c1e-6d2b3a4f5e60")
#: the oldest lead; the reference seed's own leads start in 2024
_FIRST = datetime(2019, 3, 4, 8, 0, tzinfo=UTC)
_SPACING = timedelta(minutes=17)
#: every IMPORT_EVERY-th run of IMPORT_SIZE leads was imported at one instant
IMPORT_SIZE = 5
IMPORT_EVERY = 8
_CRM_URL = "https://reference-crm.example.com"
_FIRST_NAMES = ("Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken",
                "Frances", "Edsger", "Radia", "Hedy", "Donald", "Annie", "Guido")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov",
               "Thompson", "Allen", "Dijkstra", "Perlman", "Lamarr", "Knuth", "Easley", "Goldwasser")
_COMPANIES = ("Acme Corporation", "Globex", "Initech", "Hooli", "Pied Piper", "Vandelay Industries",
              "Wonka Confections", "Cyberdyne Systems", "Massive Dynamic", "Aperture Science")
_SOURCES = ("Website", "Referral", "Trade Show", "Cold Call", "Partner", "Webinar", None)
_STATUSES = ("OPEN", "OPEN", "UNQUALIFIED", "CLOSED")


def _created(index: int) -> datetime:
    """Leads 17 minutes apart, with microseconds, except imports: IMPORT_SIZE leads at one instant."""
    group = index // IMPORT_SIZE
    if group % IMPORT_EVERY == 0:
        return _FIRST + group * IMPORT_SIZE * _SPACING
    return _FIRST + index * _SPACING + timedelta(microseconds=(index * 7919 + 13) % 1_000_000)


_FIELD_MAPPINGS = {"organization_defined_targets": {}, "linked_account_defined_targets": {}}


def _bulk_lead(index: int, seed: SeedData) -> dict[str, Any]:
    """One older lead of the account: its values follow from ``index`` alone."""
    created = _created(index)
    modified = created + timedelta(days=index * 37 % 90, minutes=index * 13 % 600 + 1)
    stamp, changed = format_instant(created), format_instant(modified)
    first, last = _FIRST_NAMES[index % 16], _LAST_NAMES[(index // 16) % 16]
    company = _COMPANIES[index % len(_COMPANIES)]
    remote_id = f"00Q8b{index:010d}"
    contact = seed.contacts[index % len(seed.contacts)] if index % 9 == 4 else None
    owner = None if index % 11 == 7 else seed.users[index % len(seed.users)]["id"]
    email = f"{first.lower()}.{last.lower()}{index}@{company.split()[0].lower()}.example.com"
    city, state, postal_code = ("Austin", "TX", "78701") if index % 2 else ("Denver", "CO", "80202")
    address = {"created_at": stamp, "modified_at": stamp, "street_1": f"{index % 999 + 1} Main St",
               "street_2": None, "city": city, "state": state, "postal_code": postal_code, "country": "US",
               "address_type": "BILLING"}
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{ACCOUNT}/lead/{index}")),
        "remote_id": remote_id,
        "created_at": stamp,
        "modified_at": changed,
        "owner": owner,
        "lead_source": _SOURCES[index % len(_SOURCES)],
        "title": "Buyer" if index % 3 else None,
        "company": company,
        "first_name": first,
        "last_name": last,
        "addresses": [] if index % 4 == 3 else [address],
        "email_addresses": [{"created_at": stamp, "modified_at": stamp, "email_address": email,
                             "email_address_type": "Work"}],
        "phone_numbers": [{"created_at": stamp, "modified_at": stamp,
                           "phone_number": f"+1{200 + index % 700}555{index % 10_000:04d}",
                           "phone_number_type": "Work"}],
        "remote_updated_at": changed,
        "remote_created_at": stamp,
        "converted_date": changed if contact else None,
        "converted_contact": contact["id"] if contact else None,
        "converted_account": contact["account"] if contact else None,
        "status": "QUALIFIED" if contact else _STATUSES[index % len(_STATUSES)],
        "lead_url": f"{_CRM_URL}/lightning/r/Lead/{remote_id}/view",
        "remote_was_deleted": index % 97 == 13,
        "field_mappings": _FIELD_MAPPINGS,
        "remote_data": [{"path": f"/services/data/v59.0/sobjects/Lead/{remote_id}",
                         "data": {"Id": remote_id, "LastName": last, "Company": company}}],
        "remote_fields": [],
    }


#: leads stored per transaction while the account is filled
_CHUNK = 10_000


def fill(store: Store, account: str, count: int = BULK_LEADS) -> None:
    """Seed ``account`` as the reference does, then store ``count`` older leads in it."""
    seed = build_seed(account)
    store.ensure_account(account, lambda _account: seed)
    for start in range(0, count, _CHUNK):
        stop = min(start + _CHUNK, count)
        store.insert_leads(account, [_bulk_lead(index, seed) for index in range(start, stop)])


@dataclass
class SlowPages:
    """Every page of the lead list answers after ``seconds`` (other requests are not delayed)."""

    app: ASGIApp
    seconds: float

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/").endswith(LEADS):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def large_account(count: int = BULK_LEADS, latency: float = PAGE_LATENCY) -> ASGIApp:
    """The reference app with ``count`` more leads in the first account, and slow list pages."""
    app = reference()
    fill(app.state.store, ACCOUNT, count)
    return SlowPages(app, latency)


LARGE_ACCOUNT: Variant = variant(
    "large-account-slow-pages", large_account,
    f"The account holds {BULK_LEADS:,} leads reaching back to 2019, imports left groups of "
    f"{IMPORT_SIZE} leads with one created_at, and every page of the lead list takes "
    f"{PAGE_LATENCY:g} s: no walk of the whole list fits in a run.",
)
