"""Which part of each requirement's declared domain (``conformance.contract.domains``) a run covered.

Whatever judges an observation (the oracle, a check) notes the dimension values it covered; the report
says, per requirement, what was declared, what was covered and what was not.
"""

from __future__ import annotations

import threading
from typing import Any

from conformance.contract.domains import declared_domains

__all__ = ["DomainCoverage"]


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
