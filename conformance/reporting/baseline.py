"""Known failures (``--baseline FILE``): a vendor's accepted deviations, each with its reason.

The file is YAML or JSON (UTF-8 text): a list of entries, or a mapping with a ``known_failures``
(or ``baseline``) list. Each entry is ``{id, reason}``, optionally with the ``check`` it concerns,
and with ``status: inconclusive`` for a requirement known to stay undecided (a MUST the target's
known failures leave without evidence, as a create that answers 200 leaves the POST -> GET link
unfollowed); without it an entry is a known failure (or warning).
An earlier ``report.json`` serves too: its failed, warned, known and inconclusive requirements
become the entries, each with the reason it already had, the first failure's message, or the
reason it was inconclusive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.outcomes import UsageError
from conformance.reporting.user_files import load_document

__all__ = ["ENTRY_STATUSES", "Baseline", "BaselineEntry", "load_baseline"]

#: what an entry accepts: a failure (or, for a SHOULD, a warning), or an inconclusive requirement
ENTRY_STATUSES = ("fail", "inconclusive")


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted deviation."""

    id: str
    reason: str
    check: str | None = None
    #: ``fail`` (a known failure or warning) or ``inconclusive`` (known to stay undecided)
    status: str = "fail"

    def describe(self) -> str:
        said = [part for part in (self.check, "inconclusive" if self.inconclusive else None) if part]
        return self.id + (f" ({', '.join(said)})" if said else "")

    @property
    def inconclusive(self) -> bool:
        return self.status == "inconclusive"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "reason": self.reason}
        if self.check:
            data["check"] = self.check
        if self.inconclusive:
            data["status"] = self.status
        return data


@dataclass(frozen=True)
class Baseline:
    """The known failures a run was given, and the file they came from."""

    source: str
    entries: tuple[BaselineEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "entries": [entry.to_dict() for entry in self.entries]}


def _from_report(document: dict[str, Any]) -> list[dict[str, Any]]:
    if document.get("interrupted"):
        raise UsageError(
            "--baseline: that report.json is of an interrupted run (its checks did not all run): "
            "make the baseline from a whole run's report"
        )
    entries: list[dict[str, Any]] = []
    when = document.get("finished_at") or document.get("started_at") or "an earlier run"
    for requirement in document.get("requirements", []):
        status = requirement.get("status")
        if status not in ("fail", "warn", "known", "inconclusive"):
            continue
        known = requirement.get("known") or []
        if known:
            entries.extend(known)
            continue
        if status == "inconclusive":
            reasons = requirement.get("reasons") or ["inconclusive"]
            said = str(reasons[0]).split(": inconclusive: ", 1)[-1]
            entries.append(
                {
                    "id": requirement["id"],
                    "status": "inconclusive",
                    "reason": f"inconclusive in the report of {when}: {said[:300]}",
                }
            )
            continue
        failures = requirement.get("failures") or [{}]
        message = str(failures[0].get("message") or status)
        entries.append(
            {"id": requirement["id"], "reason": f"failing in the report of {when}: {message[:300]}"}
        )
    return entries


def _entries_of(document: Any) -> Iterable[Any]:
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "requirements" in document and "verdict" in document:
            return _from_report(document)
        for key in ("known_failures", "baseline", "entries"):
            if isinstance(document.get(key), list):
                return document[key]
            if isinstance(document.get(key), dict) and isinstance(document[key].get("entries"), list):
                return document[key]["entries"]
    raise UsageError("--baseline: expected a list of {id, reason} entries, or a report.json")


def load_baseline(path: Path, known_ids: Iterable[str]) -> Baseline:
    """Read and check a baseline file; a malformed one is a usage error naming what is wrong."""
    document = load_document(path, "--baseline", "a YAML or JSON file, or a report.json")
    ids = set(known_ids)
    entries = []
    for number, raw in enumerate(_entries_of(document), 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise UsageError(f"--baseline: entry {number} has no requirement id")
        if raw["id"] not in ids:
            raise UsageError(f"--baseline: entry {number} names {raw['id']!r}, which is not in the catalog")
        reason = raw.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"--baseline: entry {number} ({raw['id']}) gives no reason")
        check = raw.get("check")
        if check is not None and not isinstance(check, str):
            raise UsageError(f"--baseline: entry {number} ({raw['id']}) has a check that is not a string")
        status = raw.get("status", "fail")
        if status not in ENTRY_STATUSES:
            raise UsageError(
                f"--baseline: entry {number} ({raw['id']}) has status {status!r}: an entry is a known "
                "failure (no status, or fail) or status: inconclusive"
            )
        entries.append(BaselineEntry(raw["id"], reason.strip(), check or None, status))
    return Baseline(source=path.name, entries=tuple(entries))
