"""The string formats the suite and the reference server both read: UUIDs and RFC 3339 date-times."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

__all__ = ["RFC3339", "UUID", "isoformat_z", "is_uuid", "parse_datetime"]

#: a UUID in its 8-4-4-4-12 hex form, either case
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: an RFC 3339 date-time with an offset (``Z`` or ``±hh:mm``), any fraction, ``T``, ``t`` or a space
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def is_uuid(value: Any) -> bool:
    """Whether ``value`` is a string holding exactly one UUID."""
    return isinstance(value, str) and UUID.fullmatch(value) is not None


def parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 date-time with an offset as an aware datetime (fraction cut to microseconds), or None."""
    if not isinstance(value, str) or RFC3339.fullmatch(value) is None:
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        return None


def isoformat_z(moment: datetime) -> str:
    """``2026-11-26T06:09:13.123456Z``."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
