"""Lead documents: building one from a validated create, and rendering stored ones as Lead JSON.

A stored lead document has every field of Merge's ``Lead`` with relations as ids, the full
``remote_data`` and ``remote_fields`` (classes as ids), and a ``write_only`` part that is
kept but never shown. Rendering applies ``expand`` and the ``include_*`` flags.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .query import LeadView
from .store import Store
from .timestamps import format_instant
from .validation import NESTED_ARRAYS, LeadInput

__all__ = ["LEAD_FIELDS", "build_created_lead", "render_leads"]

LEAD_FIELDS = (
    "id",
    "remote_id",
    "created_at",
    "modified_at",
    "owner",
    "lead_source",
    "title",
    "company",
    "first_name",
    "last_name",
    "addresses",
    "email_addresses",
    "phone_numbers",
    "remote_updated_at",
    "remote_created_at",
    "converted_date",
    "converted_contact",
    "converted_account",
    "status",
    "lead_url",
    "remote_was_deleted",
    "field_mappings",
    "remote_data",
    "remote_fields",
)
_RELATED_KIND = {"owner": "user", "converted_contact": "contact", "converted_account": "account"}
_REMOTE_PATH = "/services/data/v59.0/sobjects/Lead"


def _new_remote_id() -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "00Q5e00000" + "".join(secrets.choice(alphabet) for _ in range(8))


def build_created_lead(created: LeadInput, moment: datetime) -> dict[str, Any]:
    """Return the document of a lead created now from validated input."""
    stamp = format_instant(moment)
    values = created.values
    remote_id = _new_remote_id()
    document: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "remote_id": remote_id,
        "created_at": stamp,
        "modified_at": stamp,
        "owner": values.get("owner"),
        "lead_source": values.get("lead_source"),
        "title": values.get("title"),
        "company": values.get("company"),
        "first_name": values.get("first_name"),
        "last_name": values.get("last_name"),
    }
    for name in NESTED_ARRAYS:
        document[name] = [
            {"created_at": stamp, "modified_at": stamp, **item} for item in values.get(name) or []
        ]
    document.update(
        {
            "remote_updated_at": stamp,
            "remote_created_at": stamp,
            "converted_date": values.get("converted_date"),
            "converted_contact": values.get("converted_contact"),
            "converted_account": values.get("converted_account"),
            "status": "OPEN",
            "lead_url": values.get("lead_url"),
            "remote_was_deleted": False,
            "field_mappings": {"organization_defined_targets": {}, "linked_account_defined_targets": {}},
            "remote_data": [{"path": _REMOTE_PATH, "data": {"id": remote_id, "success": True, "errors": []}}],
            "remote_fields": [
                item for item in created.write_only.get("remote_fields") or [] if item["remote_field_class"]
            ],
            "write_only": created.write_only,
        }
    )
    return document


def _relation_ids(documents: Iterable[dict[str, Any]], name: str) -> set[str]:
    return {doc[name] for doc in documents if isinstance(doc.get(name), str)}


def render_leads(
    store: Store, account: str, documents: list[dict[str, Any]], view: LeadView
) -> list[dict[str, Any]]:
    """Return stored lead documents as Lead JSON objects."""
    expanded = {
        name: store.related(account, _RELATED_KIND[name], _relation_ids(documents, name))
        for name in view.expand
    }
    classes: dict[str, dict[str, Any]] = {}
    if view.include_remote_fields:
        classes = {item["id"]: item for item in store.remote_field_classes(account)}
    rendered = []
    for document in documents:
        lead = {name: document.get(name) for name in LEAD_FIELDS}
        for name, objects in expanded.items():
            ident = lead[name]
            lead[name] = objects.get(ident) if isinstance(ident, str) else None
        lead["remote_data"] = document.get("remote_data") if view.include_remote_data else None
        lead["remote_fields"] = (
            [
                {
                    "remote_field_class": classes.get(item["remote_field_class"], item["remote_field_class"]),
                    "value": item.get("value"),
                }
                for item in document.get("remote_fields") or []
            ]
            if view.include_remote_fields
            else []
        )
        for name in NESTED_ARRAYS:
            lead[name] = lead[name] or []
        rendered.append(lead)
    return rendered
