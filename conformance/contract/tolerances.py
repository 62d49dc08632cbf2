"""The contract's Tolerances as data (``specs/tolerances.yaml``), and which of them a run applied.

The code that applies a tolerance names it by id, once, when its module is imported
(``ADVISORY_FORMAT = tolerance("advisory-format")``): an id missing from the file is an error at import,
every id named is kept (``referenced``), and the reason a person reads comes from the file. A run counts
each time an ``input`` tolerance kept a generated case from being charged (its ``RunContext``);
``shape`` tolerances are in effect whenever their requirements run. The report lists both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import cache

from conformance.contract.catalog import load_catalog
from conformance.contract.files import data_file as _data_file
from conformance.contract.files import load_yaml as _load_yaml
from conformance.outcomes import CatalogError

__all__ = [
    "KINDS",
    "Tolerance",
    "load_tolerances",
    "referenced",
    "report_entries",
    "tolerance",
]

KINDS = ("input", "shape")
#: every tolerance id the imported code names (not run state: what the code is)
_REFERENCED: set[str] = set()


@dataclass(frozen=True)
class Tolerance:
    id: str
    kind: str
    reason: str
    requirements: tuple[str, ...]


@cache
def load_tolerances() -> dict[str, Tolerance]:
    """Every tolerance of the shipped file, by id; a malformed file or an unknown requirement is an error."""
    data = _load_yaml(_data_file("tolerances.yaml"))
    entries = data.get("tolerances") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CatalogError("tolerances.yaml: no 'tolerances' list")
    catalog = load_catalog()
    found: dict[str, Tolerance] = {}
    for entry in entries:
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or ident in found:
            raise CatalogError(f"tolerances.yaml: a missing or repeated id ({ident!r})")
        requirements = tuple(entry.get("requirements") or ())
        unknown = [rid for rid in requirements if rid not in catalog]
        if entry.get("kind") not in KINDS or not entry.get("reason") or not requirements or unknown:
            raise CatalogError(
                f"tolerances.yaml: {ident}: needs kind, reason and known requirements {unknown}"
            )
        found[ident] = Tolerance(ident, entry["kind"], " ".join(str(entry["reason"]).split()), requirements)
    return found


def tolerance(ident: str) -> Tolerance:
    """The tolerance named ``ident`` (a KeyError naming it when the file has no such tolerance)."""
    try:
        found = load_tolerances()[ident]
    except KeyError:
        raise KeyError(f"no tolerance {ident!r} in tolerances.yaml") from None
    _REFERENCED.add(ident)
    return found


def referenced() -> set[str]:
    """The tolerance ids the code imported so far names."""
    return set(_REFERENCED)


def report_entries(ran: Iterable[str], counts: Mapping[str, int]) -> list[dict[str, object]]:
    """The tolerances a run applied: each input one used (``counts``: how often), each shape one whose
    requirements ran."""
    ran_ids = set(ran)
    entries: list[dict[str, object]] = []
    for item in load_tolerances().values():
        if item.kind == "input" and not counts.get(item.id):
            continue
        if item.kind == "shape" and not ran_ids.intersection(item.requirements):
            continue
        entry: dict[str, object] = {**asdict(item), "requirements": list(item.requirements)}
        if item.kind == "input":
            entry["applied"] = counts[item.id]
        entries.append(entry)
    return entries
