"""The problem objects of write answers: reading them, the field they name, and the run's audit of them.

``ProblemAudit`` watches every exchange the target answers (hand-written checks and generated cases
alike) and keeps, for each write answer, how its ``warnings`` and ``errors`` break Merge's shape
(the fragment's ``WarningValidationProblem`` and ``ErrorValidationProblem``), with the exchange's
evidence line and a command that repeats it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.tolerances import tolerance
from conformance.http.target import Exchange, Target
from conformance.suite.support.validators import shape_problems

__all__ = [
    "MalformedProblem",
    "ProblemAudit",
    "detail_names",
    "names_field",
    "pointer_names",
    "pointer_of",
    "pointer_tokens",
    "problem_shape_issues",
    "problems_named",
    "problems_of",
]

#: at most this many broken problem objects are kept (the first ones)
MAX_KEPT = 20
#: the fragment's shape of an item of each list
_SHAPES = {"warnings": "WarningValidationProblem", "errors": "ErrorValidationProblem"}
#: what LEADS-ENVELOPE-001 asks of a problem object: string title, detail and problem_type, and a
#: source (when there is one, null being none: nullable everything) with a string pointer
CHECKED = ("title", "detail", "problem_type", "source")
#: a pointer is read with or without its leading slash (the tolerance of that name)
POINTER_SLASH = tolerance("pointer-slash").id
NULLABLE = ("source",)


def problems_of(body: Any) -> list[tuple[str, Any]]:
    """Every item of a write answer's ``warnings`` and ``errors``, as (list name, item)."""
    if not isinstance(body, dict):
        return []
    lists = [key for key in ("warnings", "errors") if isinstance(body.get(key), list)]
    return [(key, item) for key in lists for item in body[key]]


def problem_shape_issues(key: str, item: Any, where: str) -> list[str]:
    """How an item of ``warnings`` or ``errors`` (``key``), shown as ``where``, breaks Merge's shape."""
    return shape_problems(item, _SHAPES[key], where, only=CHECKED, nullable=NULLABLE)


def pointer_of(item: Any) -> str | None:
    source = item.get("source") if isinstance(item, dict) else None
    pointer = source.get("pointer") if isinstance(source, dict) else None
    return pointer if isinstance(pointer, str) else None


def pointer_tokens(pointer: str) -> list[str]:
    """An RFC 6901 pointer's tokens, unescaped; a pointer written without its leading slash reads alike."""
    text = pointer[1:] if pointer.startswith("/") else pointer
    return [token.replace("~1", "/").replace("~0", "~") for token in text.split("/")] if text else []


def pointer_names(pointer: str, *path: str | int) -> bool:
    """Whether a pointer names the model field at ``path``: rooted at the body (``/model/age``,
    ``model/age``) or at the model (``/age``, ``age``); ``/model/addresses/0/floor`` names
    ``("addresses", 0, "floor")``."""
    wanted = [str(part) for part in path]
    tokens = pointer_tokens(pointer)
    readings = [tokens, tokens[:-1]] if tokens[-1:] == [""] else [tokens]
    return any(reading in (["model", *wanted], wanted) for reading in readings)


def detail_names(item: Any, name: str) -> bool:
    detail = item.get("detail") if isinstance(item, dict) else None
    return isinstance(detail, str) and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", detail) is not None


def names_field(item: Any, *path: str | int, detail_counts: bool) -> bool:
    """Whether a problem names a field (``path`` from the model down): by its pointer, or by its detail
    (which names the field's own key).

    ``detail_counts`` False: the detail counts only when the problem has no pointer.
    """
    pointer = pointer_of(item)
    if pointer is not None and pointer.strip("/ ") and pointer_names(pointer, *path):
        return True
    if detail_counts or pointer is None or not pointer.strip("/ "):
        return detail_names(item, str(path[-1]))
    return False


def problems_named(body: Any, problem_type: str, name: str | tuple[str | int, ...], lists: tuple[str, ...], *,
                   detail_counts: bool) -> list[Any]:
    """The items of ``lists`` with ``problem_type`` that name the field ``name`` (or the nested ``path``)."""
    path = name if isinstance(name, tuple) else (name,)
    return [
        item for key, item in problems_of(body)
        if key in lists and isinstance(item, dict) and item.get("problem_type") == problem_type
        and names_field(item, *path, detail_counts=detail_counts)
    ]


@dataclass(frozen=True)
class MalformedProblem:
    """A warning or error that breaks the shape, and the exchange it came in."""

    what: str
    issue: str
    line: int
    reproduce: str


@dataclass
class ProblemAudit:
    """Collects the problem objects of every write answer of the run."""

    target: Target
    seen: int = 0
    writes: int = 0
    malformed: list[MalformedProblem] = field(default_factory=list)

    def start(self) -> ProblemAudit:
        self.target.observe(self)
        return self

    def __call__(self, exchange: Exchange, body: bytes) -> None:
        if exchange.method != "POST" or not exchange.url.split("?")[0].rstrip("/").endswith("/crm/v1/leads"):
            return
        self.writes += 1
        try:
            answer: Any = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            return
        counts = dict.fromkeys(_SHAPES, 0)
        for key, item in problems_of(answer):
            self.seen += 1
            where = f"{key}[{counts[key]}]"
            counts[key] += 1
            for issue in problem_shape_issues(key, item, where):
                if len(self.malformed) < MAX_KEPT:
                    what = f"POST {exchange.url.split('?')[0]} answered {exchange.status}"
                    reproduce = self.target.curl(exchange)
                    self.malformed.append(MalformedProblem(what, issue, exchange.line, reproduce))
