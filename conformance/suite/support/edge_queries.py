"""Query values at the edge of what the contract allows, for the checks that no request gets a 5xx.

Every parameter an operation documents is sent at once with odd text (any code point, surrounding
whitespace), long text, and booleans and counts outside the schema; date-time parameters with dates that
name no instant and bounds past either end of the range; cursors no server issues, made up and made from
one the target issued.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode

import httpx

from conformance.http.target import json_or_none
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.tenancy import query_parameters

__all__ = ["ODD_CURSORS", "bound_queries", "derived_cursors", "edge_queries", "issued_cursor"]

#: a value holding what a text may hold: surrounding whitespace, accents, a combining mark, a script
#: written right to left, a character beyond the Basic Multilingual Plane
ODD_TEXT = "  ŝtrïng ☃ e\u0301 مرحبا \U0001f984  "
LONG_VALUE = "x" * 300
#: what a boolean or a count may be sent as, outside what the schema allows
ODD_BOOLEAN = "True"
ODD_COUNTS = ("-1", "99999999999999999999")


def edge_queries(template: str) -> list[dict[str, str]]:
    """Queries of one operation carrying, all at once, edge values of every parameter the fragment
    documents: odd text, long text, then malformed booleans and counts outside the schema."""
    parameters = query_parameters(template)
    texts = [
        p.name
        for p in parameters
        if p.types <= {"string"} and p.schema.get("format") != "date-time" and p.name != "cursor"
    ]
    booleans = [p.name for p in parameters if "boolean" in p.types]
    counts = [p.name for p in parameters if p.types & {"integer", "number"}]
    queries = [{name: ODD_TEXT for name in texts}, {name: LONG_VALUE for name in texts}]
    for count in ODD_COUNTS:
        queries.append({**{name: ODD_BOOLEAN for name in booleans}, **{name: count for name in counts}})
    return [query for query in queries if query]


#: date-time values of the right shape that name no instant (a month 13, February 30, hour 24)
NO_INSTANTS = ("2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z")
#: bounds at the ends of the range that their offsets push past it: no lead is before the first or after
#: the second
BEFORE_EVERYTHING = "0001-01-01T00:00:00+01:00"
AFTER_EVERYTHING = "9999-12-31T23:59:59.999999999-01:00"
#: cursors no server issues: text, text that decodes as base64, encoded query strings of other keys
ODD_CURSORS = (
    "abcde",
    "__4=",
    "YWJj",
    base64.b64encode(b"o=30&p=x").decode(),
    base64.urlsafe_b64encode(b"d=&k=&i=&lc=1").decode(),
)


def bound_queries(template: str) -> list[dict[str, str]]:
    """Queries whose date-time parameters all hold a date that names no instant, one query per such date,
    then the before-side bounds before everything and the after-side ones after everything."""
    names = [p.name for p in query_parameters(template) if p.schema.get("format") == "date-time"]
    if not names:
        return []
    queries = [{name: value for name in names} for value in NO_INSTANTS]
    queries.append({name: BEFORE_EVERYTHING for name in names if name.endswith("_before")})
    queries.append({name: AFTER_EVERYTHING for name in names if name.endswith("_after")})
    return [query for query in queries if query]


def derived_cursors(cursor: str) -> list[str]:
    """Cursors made from one the target issued: cut in half, its last character changed, doubled, and,
    when it decodes as a base64 query string, that query with a key dropped, a key added, a key repeated
    and every value emptied (encoded as the original was)."""
    last = "A" if cursor[-1:] != "A" else "B"
    made = [cursor[: len(cursor) // 2], cursor[:-1] + last, cursor + cursor]
    urlsafe = "-" in cursor or "_" in cursor
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_" if urlsafe else None)
        pairs = parse_qsl(text.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return made
    if not pairs:
        return made
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    for changed in (
        pairs[1:],
        [*pairs, ("lc", "1")],
        [pairs[0], *pairs],
        [(key, "") for key, _ in pairs],
    ):
        made.append(encode(urlencode(changed).encode()).decode())
    return made


def issued_cursor(client: httpx.Client, path: str) -> str | None:
    """The cursor of the target's ``next`` link for a page of one, when it names one."""
    body = json_or_none(not_throttled(client.get(path, params={"page_size": "1"})))
    link = body.get("next") if isinstance(body, dict) else None
    if not isinstance(link, str) or not link:
        return None
    try:
        cursor = httpx.URL(link).params.get("cursor")
    except (httpx.InvalidURL, ValueError):
        return link if "/" not in link and "?" not in link else None
    return cursor or (link if "/" not in link and "?" not in link else None)
