"""Opaque cursors for keyset pagination.

A cursor is URL-safe base64 (unpadded) of a small query string: ``d`` the direction
(``n`` rows after the position, ``p`` rows before it), ``k`` the sort key and ``i`` the id
of the row at the position. Clients must not parse it; the server rejects any cursor it
did not make the way DRF does, with 404 ``Invalid cursor``.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qs, urlencode

from .store import Page, PageRequest, Position

__all__ = ["InvalidCursor", "decode_cursor", "encode_cursor", "page_cursors"]

_MAX_CURSOR = 2048


class InvalidCursor(ValueError):
    """The cursor was not made by this server."""


def encode_cursor(direction: str, position: Position) -> str:
    """Return the cursor for the rows after (``n``) or before (``p``) ``position``."""
    payload = urlencode({"d": direction, "k": position.key, "i": position.id})
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, size: int) -> PageRequest:
    """Return the page a cursor names, with ``size`` rows."""
    if len(cursor) > _MAX_CURSOR or not cursor.isascii():
        raise InvalidCursor(cursor)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidCursor(cursor) from error
    if set(fields) != {"d", "k", "i"} or any(len(values) != 1 for values in fields.values()):
        raise InvalidCursor(cursor)
    direction, key, ident = fields["d"][0], fields["k"][0], fields["i"][0]
    if direction not in ("n", "p") or not key or not ident:
        raise InvalidCursor(cursor)
    position = Position(key, ident)
    if direction == "n":
        return PageRequest(size=size, after=position)
    return PageRequest(size=size, before=position)


def page_cursors(page: Page) -> tuple[str | None, str | None]:
    """Return the ``next`` and ``previous`` cursors of a page."""
    if not page.rows:
        return None, None
    next_cursor = encode_cursor("n", page.rows[-1][0]) if page.has_next else None
    previous_cursor = encode_cursor("p", page.rows[0][0]) if page.has_previous else None
    return next_cursor, previous_cursor
