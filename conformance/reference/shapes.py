"""Type checks of request values, declared as small shapes that mirror the OpenAPI fragment.

A shape checks one JSON value and reports every mismatch as an ``INCORRECT_FIELD_TYPE``
problem with an RFC 6901 pointer. Records are named so that they can refer to each other
(a Contact's ``account`` is an Account, whose ``owner`` is a User). Read-only properties of a
record are not listed: the server ignores them in a request. Extra properties are allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.contract.formats import is_uuid

from .timestamps import parse_rfc3339

__all__ = [
    "AnyValue",
    "Either",
    "Flag",
    "FreeObject",
    "ListOf",
    "Problem",
    "Shape",
    "Text",
    "Whole",
    "escape_pointer",
    "or_null",
    "wrong_type",
    "is_text",
]

_MAX_DEPTH = 32
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*")
_FORMATS = {
    "date-time": "an RFC 3339 date-time string",
    "uuid": "a UUID string",
    "uri": "an absolute URI string",
}


@dataclass(frozen=True)
class Problem:
    """One warning or error of a write."""

    title: str
    detail: str
    problem_type: str
    pointer: str

    def as_json(self) -> dict[str, Any]:
        """Return the problem as Merge's ``WarningValidationProblem`` / ``ErrorValidationProblem``."""
        return {
            "source": {"pointer": self.pointer},
            "title": self.title,
            "detail": self.detail,
            "problem_type": self.problem_type,
        }


def escape_pointer(token: str | int) -> str:
    """Return ``token`` escaped as one RFC 6901 reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def is_text(value: Any) -> bool:
    """Whether ``value`` is a string that is valid Unicode (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _modest(value: Any, depth: int = 0) -> bool:
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(is_text(key) and _modest(item, depth + 1) for key, item in value.items())
    if isinstance(value, list):
        return all(_modest(item, depth + 1) for item in value)
    return not isinstance(value, str) or is_text(value)


def wrong_type(pointer: str, label: str, expected: str) -> Problem:
    return Problem("Incorrect Field Type", f"{label} must be {expected}.", "INCORRECT_FIELD_TYPE", pointer)


def or_null(expected: str, nullable: bool) -> str:
    return f"{expected} or null" if nullable else expected


class Shape(Protocol):
    """Something that checks a JSON value."""

    def describe(self) -> str:
        """Say what the value must be, for an error detail."""
        ...

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Append a problem for each mismatch in ``value``; return whether it fits."""
        ...


@dataclass(frozen=True)
class Text:
    """A string (valid Unicode) of an optional format.

    ``date-time`` strings must be RFC 3339 within years 1 to 9999; ``uuid`` strings must be
    UUIDs in their canonical hyphenated form (any case); ``uri`` strings must be absolute
    RFC 3986 URIs (a scheme, then only URI characters and percent-escapes).
    """

    nullable: bool = True
    format: str | None = None
    max_length: int | None = None

    def describe(self) -> str:
        """Say what the value must be."""
        what = _FORMATS.get(self.format or "", "a string")
        if self.max_length is not None:
            what = f"{what} of at most {self.max_length} characters"
        return or_null(what, self.nullable)

    def _formatted(self, value: str) -> bool:
        if self.format == "date-time":
            return parse_rfc3339(value, clamp=False) is not None
        if self.format == "uuid":
            return is_uuid(value)
        if self.format == "uri":
            return _URI.fullmatch(value) is not None
        return True

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check a string value."""
        if value is None and self.nullable:
            return True
        fits = (
            is_text(value)
            and self._formatted(value)
            and (self.max_length is None or len(value) <= self.max_length)
        )
        if not fits:
            problems.append(wrong_type(pointer, label, self.describe()))
        return fits


@dataclass(frozen=True)
class Flag:
    """A boolean."""

    nullable: bool = True

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null("a boolean", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check a boolean value."""
        fits = isinstance(value, bool) or (value is None and self.nullable)
        if not fits:
            problems.append(wrong_type(pointer, label, self.describe()))
        return fits


@dataclass(frozen=True)
class Whole:
    """An integer within bounds (a float with no fractional part counts, as in JSON Schema)."""

    nullable: bool = True
    minimum: int = -(2**31)
    maximum: int = 2**31 - 1

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null(f"an integer from {self.minimum} to {self.maximum}", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check an integer value."""
        fits = (value is None and self.nullable) or (
            not isinstance(value, bool)
            and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))
            and self.minimum <= value <= self.maximum
        )
        if not fits:
            problems.append(wrong_type(pointer, label, self.describe()))
        return fits


@dataclass(frozen=True)
class FreeObject:
    """Any JSON object of modest depth."""

    nullable: bool = True

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null("an object", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check an object value."""
        fits = (value is None and self.nullable) or (isinstance(value, dict) and _modest(value))
        if not fits:
            problems.append(wrong_type(pointer, label, self.describe()))
        return fits


@dataclass(frozen=True)
class AnyValue:
    """Any JSON value of modest depth."""

    def describe(self) -> str:
        """Say what the value must be."""
        return "a JSON value nested at most 32 levels deep"

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check any value."""
        fits = _modest(value)
        if not fits:
            problems.append(wrong_type(pointer, label, self.describe()))
        return fits


@dataclass(frozen=True)
class ListOf:
    """An array whose items all fit ``item``."""

    item: Shape
    nullable: bool = False

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null("an array", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check an array and each of its items."""
        if value is None and self.nullable:
            return True
        if not isinstance(value, list):
            problems.append(wrong_type(pointer, label, self.describe()))
            return False
        results = [
            self.item.check(item, f"{pointer}/{index}", f"{label}[{index}]", problems)
            for index, item in enumerate(value)
        ]
        return all(results)


@dataclass(frozen=True)
class Either:
    """A string or an object, as Merge's relations are (``oneOf: [string, Object]``)."""

    text: Text
    record: Shape
    nullable: bool = True

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null(f"a string or {self.record.describe()}", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check a string-or-object value."""
        if value is None and self.nullable:
            return True
        if isinstance(value, dict):
            return self.record.check(value, pointer, label, problems)
        if isinstance(value, str):
            return self.text.check(value, pointer, label, problems)
        problems.append(wrong_type(pointer, label, self.describe()))
        return False
