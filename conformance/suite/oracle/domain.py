"""The domain of each requirement, declared once as data, and which part of it a run covered.

``specs/domains.yaml`` names, per requirement, its dimensions (``account``, ``page``, ``operation``,
``parameter``, ``values`` ...) and the values each takes. Whatever judges an observation (the oracle,
a check) notes the dimension values it covered; the report says, per requirement, what was declared,
what was covered and what was not.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from conformance.spec import _load_yaml as load_yaml
from conformance.spec import load_catalog

__all__ = ["DomainCoverage", "declared_domains"]


def _domains_path() -> Path:
    return Path(__file__).resolve().parents[2] / "specs" / "domains.yaml"


@cache
def declared_domains() -> dict[str, dict[str, tuple[str, ...]]]:
    """requirement id -> dimension -> the values the domain holds (checked against the catalog)."""
    data = load_yaml(_domains_path())
    raw = data.get("domains") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ValueError("specs/domains.yaml must hold a 'domains' mapping")
    catalog = load_catalog()
    declared: dict[str, dict[str, tuple[str, ...]]] = {}
    for rid, dimensions in raw.items():
        if rid not in catalog:
            raise ValueError(f"specs/domains.yaml names {rid!r}, which is not in the catalog")
        if not isinstance(dimensions, dict):
            raise ValueError(f"specs/domains.yaml: {rid} must map dimensions to lists of values")
        declared[rid] = {str(name): tuple(str(v) for v in values) for name, values in dimensions.items()}
    return declared


class DomainCoverage:
    """The dimension values a run covered, per requirement (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._covered: dict[str, dict[str, set[str]]] = {}

    def note(self, requirement: str, **dimensions: str | list[str] | set[str] | tuple[str, ...]) -> None:
        """Note that an observation judged for ``requirement`` covered these dimension values."""
        with self._lock:
            covered = self._covered.setdefault(requirement, {})
            for name, values in dimensions.items():
                seen = covered.setdefault(name, set())
                if isinstance(values, str):
                    if values:
                        seen.add(values)
                else:
                    seen.update(str(v) for v in values if v)

    def covered(self, requirement: str) -> dict[str, set[str]]:
        with self._lock:
            return {name: set(values) for name, values in self._covered.get(requirement, {}).items()}

    def report(self, requirement: str) -> dict[str, Any]:
        """``{dimension: {declared, covered, missing}}`` for one requirement (declared dimensions only)."""
        declared = declared_domains().get(requirement, {})
        covered = self.covered(requirement)
        entry: dict[str, Any] = {}
        for name, values in declared.items():
            seen = covered.get(name, set())
            entry[name] = {
                "declared": list(values),
                "covered": [value for value in values if value in seen],
                "missing": [value for value in values if value not in seen],
            }
        return entry
