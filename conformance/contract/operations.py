"""The Leads operations and the paths the checks send them to (relative to the target's base URL)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

__all__ = [
    "LEAD",
    "LEADS",
    "META_POST",
    "OPERATIONS",
    "REMOTE_FIELD_CLASSES",
    "SCHEMA_OPERATIONS",
    "lead_path",
    "shown_request",
]

LEADS = "crm/v1/leads"
LEAD = LEADS + "/{id}"
META_POST = "crm/v1/leads/meta/post"
REMOTE_FIELD_CLASSES = "crm/v1/leads/remote-field-classes"
#: every operation of the fragment: (method, path template, short name)
OPERATIONS = (
    ("GET", LEADS, "list"),
    ("POST", LEADS, "create"),
    ("GET", LEAD, "retrieve"),
    ("GET", META_POST, "meta-post"),
    ("GET", REMOTE_FIELD_CLASSES, "remote-field-classes"),
)
#: the same operations as the fragment spells them: (method, ``/crm/v1/...`` template)
SCHEMA_OPERATIONS = tuple((method, "/" + path) for method, path, _ in OPERATIONS)


def lead_path(lead_id: str) -> str:
    """The path of one lead, its id escaped."""
    return f"{LEADS}/{quote(lead_id, safe='')}"


def shown_request(path: str, params: dict[str, Any]) -> str:
    """``GET /crm/v1/leads?page_size=100`` for messages."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"GET /{path}" + (f"?{query}" if query else "")
