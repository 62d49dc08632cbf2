"""RFC 3339 date-times for the reference server.

Every instant the server stores or emits is UTC with microseconds and a ``Z`` suffix, e.g.
``2024-03-01T09:30:00.000000Z``. That text has a fixed width, so comparing two of them as
strings compares them as instants; the store relies on this for ordering and filters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["MAX_KEY", "MIN_KEY", "format_instant", "now", "parse_rfc3339", "to_key"]

_RFC3339 = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[Tt]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+\- ]\d{2}:\d{2})",
    re.ASCII,
)

MIN_KEY = "0001-01-01T00:00:00.000000Z"
MAX_KEY = "9999-12-31T23:59:59.999999Z"


def format_instant(moment: datetime) -> str:
    """Return ``moment`` as fixed-width UTC text with microseconds and ``Z``."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def now() -> datetime:
    """Return the current instant in UTC."""
    return datetime.now(UTC)


def _zone(text: str) -> timezone:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_rfc3339(text: str, clamp: bool = True) -> datetime | None:
    """Parse an RFC 3339 date-time with an offset; ``None`` when ``text`` is not one.

    A space in the offset position is read as ``+``: an unencoded ``+`` in a query string
    arrives as a space. Fractions beyond microseconds are truncated. Instants outside what
    :class:`datetime` can hold (year 0, or an offset pushing year 1 or 9999 over the edge)
    are clamped to the nearest representable instant, or give ``None`` when ``clamp`` is false.
    """
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = (parts["fraction"] or "0")[:6].ljust(6, "0")
    try:
        zone = _zone(parts["zone"])
        year = int(parts["year"])
        if year == 0:
            return datetime.min.replace(tzinfo=UTC) if clamp else None
        local = datetime(
            year,
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"]),
            int(fraction),
        )
    except ValueError:
        return None
    try:
        return local.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        if not clamp:
            return None
        edge = datetime.min if year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def to_key(text: str) -> str | None:
    """Return the stored form of an RFC 3339 date-time, or ``None`` when it is malformed."""
    moment = parse_rfc3339(text)
    return None if moment is None else format_instant(moment)
