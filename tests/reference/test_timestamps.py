"""RFC 3339 parsing and the fixed-width stored form of instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conformance.reference.timestamps import MAX_KEY, MIN_KEY, format_instant, parse_rfc3339, to_key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2021-09-15T00:00:00Z", "2021-09-15T00:00:00.000000Z"),
        ("2021-09-15t00:00:00z", "2021-09-15T00:00:00.000000Z"),
        ("2021-09-15T02:30:00+02:30", "2021-09-15T00:00:00.000000Z"),
        ("2021-09-15T02:30:00 02:30", "2021-09-15T00:00:00.000000Z"),
        ("2021-09-14T23:00:00.5-01:00", "2021-09-15T00:00:00.500000Z"),
        ("2021-09-15T00:00:00.1234567891Z", "2021-09-15T00:00:00.123456Z"),
        ("0001-01-01T00:00:00+01:00", MIN_KEY),
        ("0000-06-01T00:00:00Z", MIN_KEY),
        ("9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999Z"),
    ],
)
def test_valid_date_times_map_to_their_utc_key(text: str, key: str) -> None:
    """RFC 3339 date-times become fixed-width UTC keys; out-of-range instants clamp."""
    assert to_key(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2021-09-15",
        "2021-09-15T00:00:00",
        "2021-09-15 00:00:00Z",
        "2021-02-29T00:00:00Z",
        "2021-09-15T24:00:00Z",
        "2021-09-15T00:00:60Z",
        "2021-09-15T00:00:00+24:00",
        "2021-09-15T00:00:00+0100",
        "２０２１-09-15T00:00:00Z",
        "2021-09-15T00:00:00Z\n",
    ],
)
def test_malformed_date_times_are_rejected(text: str) -> None:
    """Anything that is not an RFC 3339 date-time with an offset parses to None."""
    assert to_key(text) is None


def test_strict_parsing_refuses_to_clamp() -> None:
    """With clamp=False an unrepresentable instant is None rather than the nearest edge."""
    assert parse_rfc3339("0001-01-01T00:00:00+01:00", clamp=False) is None
    assert parse_rfc3339("0000-01-01T00:00:00Z", clamp=False) is None


def test_keys_sort_as_instants() -> None:
    """Fixed-width keys compare as the instants they stand for, across years with few digits."""
    moments = [datetime(year, 1, 1, tzinfo=UTC) for year in (1, 999, 1000, 2024, 9999)]
    keys = [format_instant(moment) for moment in moments]
    assert keys == sorted(keys) and keys[0] == "0001-01-01T00:00:00.000000Z" and keys[-1] < MAX_KEY
