"""Query-parameter parsing shared by the list and retrieve endpoints.

When a parameter is repeated the last value wins, as in Django (``expand`` is the exception:
every value counts). An empty string filter (``remote_id=``) filters nothing and an empty
``expand=`` expands nothing; a typed parameter (boolean, integer, date-time) that is empty
is malformed. Malformed values raise :class:`ApiError` with status 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from .config import ReferenceConfig
from .pagination import InvalidCursor, decode_cursor
from .store import LeadFilters, PageRequest, RemoteFieldClassFilters, normalize_email, normalize_phone
from .timestamps import to_key

__all__ = [
    "EXPANDABLE",
    "ApiError",
    "LeadView",
    "lead_filters",
    "lead_view",
    "optional_bool",
    "page_request",
    "remote_field_class_filters",
]

EXPANDABLE = ("owner", "converted_contact", "converted_account")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 18
_MAX_UNCAPPED_PAGE = 10_000_000


class ApiError(Exception):
    """An error answered as ``{"detail": ...}`` with an HTTP status."""

    def __init__(self, status_code: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers or {}


@dataclass(frozen=True)
class LeadView:
    """How leads are rendered: which relations to expand and which extras to include."""

    expand: frozenset[str] = frozenset()
    include_remote_data: bool = False
    include_remote_fields: bool = False


def _raw(query: QueryParams, name: str) -> str | None:
    values = query.getlist(name)
    return values[-1] if values else None


def _value(query: QueryParams, name: str) -> str | None:
    value = _raw(query, name)
    return None if value == "" else value


def optional_bool(query: QueryParams, name: str) -> bool | None:
    """Return a boolean parameter (``true`` / ``false``, any case), or ``None`` when absent."""
    value = _raw(query, name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ApiError(400, f"{name} must be true or false.")


def _flag(query: QueryParams, name: str) -> bool:
    return optional_bool(query, name) is True


def _date_time(query: QueryParams, name: str) -> str | None:
    value = _raw(query, name)
    if value is None:
        return None
    key = to_key(value)
    if key is None:
        raise ApiError(400, f"{name} must be an RFC 3339 date-time, e.g. 2021-09-15T00:00:00Z.")
    return key


def _page_size(query: QueryParams, config: ReferenceConfig) -> int:
    value = _raw(query, "page_size")
    if value is None:
        return config.default_page_size
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise ApiError(400, "page_size must be an integer.")
    digits = text.lstrip("+-")
    negative = text.startswith("-")
    size = _MAX_UNCAPPED_PAGE if len(digits) > _MAX_DIGITS else int(digits)
    if negative or size < 1:
        return config.default_page_size
    limit = config.max_page_size if config.max_page_size is not None else _MAX_UNCAPPED_PAGE
    return min(size, limit)


def page_request(query: QueryParams, config: ReferenceConfig) -> PageRequest:
    """Return the page named by ``page_size`` and ``cursor``; 404 for a cursor not made here."""
    size = _page_size(query, config)
    cursor = _value(query, "cursor")
    if cursor is None:
        return PageRequest(size=size)
    try:
        return decode_cursor(cursor, size)
    except InvalidCursor:
        raise ApiError(404, "Invalid cursor") from None


def _expand(query: QueryParams) -> frozenset[str]:
    names: set[str] = set()
    for value in query.getlist("expand"):
        for part in value.split(","):
            name = part.strip()
            if not name:
                continue
            if name not in EXPANDABLE:
                raise ApiError(
                    400, f"Invalid expand value: {name[:100]!r}. Choose from {', '.join(EXPANDABLE)}."
                )
            names.add(name)
    return frozenset(names)


def lead_view(query: QueryParams) -> LeadView:
    """Return the rendering options ``expand``, ``include_remote_data``, ``include_remote_fields``."""
    view = LeadView(
        expand=_expand(query),
        include_remote_data=_flag(query, "include_remote_data"),
        include_remote_fields=_flag(query, "include_remote_fields"),
    )
    optional_bool(query, "include_shell_data")
    return view


def _csv(query: QueryParams, name: str) -> tuple[str, ...] | None:
    value = _value(query, name)
    if value is None:
        return None
    parts = [part.strip() for part in value.split(",")]
    return tuple(part for part in parts if part) or None


def lead_filters(query: QueryParams) -> LeadFilters:
    """Return the lead list filters of a query."""
    emails = _csv(query, "email_addresses")
    phones = _csv(query, "phone_numbers")
    return LeadFilters(
        created_after=_date_time(query, "created_after"),
        created_before=_date_time(query, "created_before"),
        modified_after=_date_time(query, "modified_after"),
        modified_before=_date_time(query, "modified_before"),
        remote_id=_value(query, "remote_id"),
        owner_id=_value(query, "owner_id"),
        converted_account_id=_value(query, "converted_account_id"),
        converted_contact_id=_value(query, "converted_contact_id"),
        email_addresses=None if emails is None else tuple(normalize_email(email) for email in emails),
        phone_numbers=None if phones is None else tuple(normalize_phone(phone) for phone in phones),
        include_deleted_data=_flag(query, "include_deleted_data"),
    )


def remote_field_class_filters(query: QueryParams) -> RemoteFieldClassFilters:
    """Return the remote field class list filters of a query (the ``include_*`` flags are checked only)."""
    for name in (
        "include_deleted_data",
        "include_remote_data",
        "include_remote_fields",
        "include_shell_data",
    ):
        optional_bool(query, name)
    return RemoteFieldClassFilters(
        is_custom=optional_bool(query, "is_custom"),
        is_common_model_field=optional_bool(query, "is_common_model_field"),
    )
