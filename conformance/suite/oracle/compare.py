"""Whether a lead the target shows holds what was written: strings exactly, date-times as instants.

Only the writable fields sent with a well-formed value are compared (a value of the wrong type is the
input checks' concern, not an echo's). Write-only fields and fields the write's warnings declined are
not expected back. A relation is compared by the id it names, when that id names an object the target
holds. A nested item (address, email address, phone number) must appear with every sub-field sent;
a phone number that comes back as the same number in another form (``+1 415-555-0132`` as
``+14155550132``) is a SHOULD matter, not a MUST one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from conformance.contract.formats import parse_datetime
from conformance.contract.tolerances import tolerance
from conformance.suite.support.findings import short
from conformance.suite.support.leads import NESTED_FIELDS, RELATION_FIELDS, relation_id

__all__ = [
    "DATE_FIELDS",
    "ECHO_TOLERANCES",
    "SERVER_OWNED",
    "TEXT_FIELDS",
    "Differences",
    "differences",
    "same_instant",
    "same_number",
    "value_classes",
]

#: writable LeadRequest text fields a lead echoes
TEXT_FIELDS = ("lead_source", "title", "company", "first_name", "last_name", "lead_url")
DATE_FIELDS = ("converted_date",)
#: what a lead need not echo (specs/tolerances.yaml): write-only fields, and fields the write's warnings
#: declined
ECHO_TOLERANCES = (tolerance("write-only-not-echoed").id, tolerance("declined-field-not-echoed").id)
#: fields of a Lead the server owns: a write that sends them inside model must not apply them
SERVER_OWNED = ("id", "remote_id", "created_at", "modified_at", "remote_was_deleted")
#: the longest text the contract's plain examples use; a longer one is a "long" value
LONG_TEXT = 255


#: how far two readings of one instant may be apart when one was written finer than microseconds
#: (a server keeping microseconds rounds or cuts the rest)
FINER_THAN_MICROSECONDS = timedelta(microseconds=1)


def _finer_than_microseconds(value: Any) -> bool:
    fraction = re.search(r"\.(\d+)", value) if isinstance(value, str) else None
    return fraction is not None and len(fraction.group(1)) > 6


def same_instant(sent: Any, got: Any) -> bool:
    """Whether two RFC 3339 date-times name the same instant (to the microsecond, when one was written
    finer than that)."""
    a, b = parse_datetime(sent), parse_datetime(got)
    if a is None or b is None:
        return False
    if _finer_than_microseconds(sent) or _finer_than_microseconds(got):
        return abs(a - b) <= FINER_THAN_MICROSECONDS
    return a == b


def same_number(sent: str, got: str) -> bool:
    """Whether ``got`` is the phone number ``sent`` in another form (same digits; E.164 may add or drop
    a country code of one to three digits)."""
    a, b = re.sub(r"\D", "", sent), re.sub(r"\D", "", got)
    if len(a) < 5 or len(b) < 5:
        return False
    if a == b:
        return True
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer.endswith(shorter) and len(longer) - len(shorter) <= 3


@dataclass
class Differences:
    """How a shown lead differs from what was written: MUST differences and SHOULD ones (phone forms)."""

    must: list[str] = field(default_factory=list)
    should: list[str] = field(default_factory=list)
    #: the fields compared
    compared: list[str] = field(default_factory=list)


def _text_or_null(value: Any) -> bool:
    return value is None or isinstance(value, str)


def differences(
    sent: dict[str, Any],
    shown: dict[str, Any],
    declined: Iterable[str] = (),
    known_relations: set[str] | None = None,
) -> Differences:
    """How ``shown`` (a create's model, a read-back, a listed lead) differs from the model ``sent``.

    ``known_relations``: relation ids the target is known to hold; a relation naming another id is not
    compared (the contract lets a server refuse or drop it). None compares every relation.
    """
    found = Differences()
    skipped = set(declined)
    for name, value in sent.items():
        if name in skipped:
            continue
        got = shown.get(name)
        if name in TEXT_FIELDS:
            if not _text_or_null(value):
                continue
            found.compared.append(name)
            if got != value:
                found.must.append(f"{name}: sent {short(value, 80)}, got {short(got, 80)}")
        elif name in DATE_FIELDS:
            if value is not None and parse_datetime(value) is None:
                continue
            found.compared.append(name)
            same = got is None if value is None else same_instant(value, got)
            if not same:
                found.must.append(f"{name}: sent {short(value, 80)}, got {short(got, 80)}")
        elif name in RELATION_FIELDS:
            ident = relation_id(value)
            if not _text_or_null(ident) or (
                ident is not None and known_relations is not None and ident not in known_relations
            ):
                continue
            found.compared.append(name)
            if relation_id(got) != ident:
                found.must.append(f"{name}: sent {short(ident, 80)}, got {short(got, 80)}")
        elif name in NESTED_FIELDS and isinstance(value, list):
            found.compared.append(name)
            _nested(found, name, value, got)
    return found


def _nested(found: Differences, name: str, sent: list[Any], got: Any) -> None:
    items = [item for item in sent if isinstance(item, dict)]
    if not isinstance(got, list):
        if items:
            found.must.append(f"{name}: sent {len(items)} item(s), got {short(got, 80)}")
        return
    shown = [item for item in got if isinstance(item, dict)]
    for index, item in enumerate(items):
        wanted = {
            key: value for key, value in item.items() if key in NESTED_FIELDS[name] and _text_or_null(value)
        }
        if any(all(other.get(key) == value for key, value in wanted.items()) for other in shown):
            continue
        number = wanted.get("phone_number")
        if (
            name == "phone_numbers"
            and isinstance(number, str)
            and any(
                isinstance(other.get("phone_number"), str)
                and same_number(number, other["phone_number"])
                and all(other.get(key) == value for key, value in wanted.items() if key != "phone_number")
                for other in shown
            )
        ):
            found.should.append(
                f"{name}[{index}]: sent {number!r}, got it as the same number in another form"
            )
            continue
        found.must.append(f"{name}[{index}]: sent {short(wanted, 80)}, not among {len(shown)} item(s) shown")


# ------------------------------------------------------------------------------ value classes
def _text_classes(text: str) -> set[str]:
    held = {
        "whitespace": text != text.strip(),
        "long": len(text) > LONG_TEXT,
        "non-ascii": any(ord(char) > 127 for char in text),
        "astral": any(ord(char) > 0xFFFF for char in text),
        "combining": any(unicodedata.combining(char) for char in text),
        "right-to-left": any(unicodedata.bidirectional(char) in ("R", "AL") for char in text),
    }
    return {name for name, hit in held.items() if hit}


def value_classes(model: dict[str, Any]) -> set[str]:
    """The value classes a sent model holds (whitespace, long, non-ascii, several-items, offset, ...)."""
    classes: set[str] = set()
    for name, value in model.items():
        if isinstance(value, str):
            classes |= _text_classes(value)
            moment = parse_datetime(value)
            if moment is not None:
                classes.add("utc" if moment.utcoffset() == timedelta(0) else "offset")
                if "." in value:
                    classes.add("fraction")
        elif value is None and name in (*TEXT_FIELDS, *DATE_FIELDS, *RELATION_FIELDS):
            classes.add("null")
        elif isinstance(value, list) and name in NESTED_FIELDS:
            if len(value) >= 2:
                classes.add("several-items")
            for item in value:
                if isinstance(item, dict):
                    for sub in item.values():
                        if isinstance(sub, str):
                            classes |= _text_classes(sub)
    return classes
