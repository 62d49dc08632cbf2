"""The triage file: each survivor's verdict, equivalent or gap."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutation.common import VERDICTS, BadInput
from mutation.population import Mutant, triage_key

# --------------------------------------------------------------------------- triage


@dataclass
class Triage:
    entries: dict[str, dict[str, Any]]  # key -> entry (verdict, reason, ...)

    def verdict(self, key: str) -> str | None:
        entry = self.entries.get(key)
        return entry.get("verdict") or None if entry else None

    def reason(self, key: str) -> str:
        entry = self.entries.get(key)
        return str(entry.get("reason") or "") if entry else ""


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_triage(path: Path) -> Triage:
    """The triage file: ``survivors``, a list of entries naming a mutant with a verdict and a reason."""
    if not path.exists():
        return Triage({})
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except Exception as error:  # noqa: BLE001 - any parse error is bad input
        raise BadInput(f"{path}: not readable YAML ({type(error).__name__})") from None
    if data is None:
        return Triage({})
    if not isinstance(data, dict) or not isinstance(data.get("survivors", []), list):
        raise BadInput(f"{path}: expected a mapping with a 'survivors' list")
    entries: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(data.get("survivors") or [], 1):
        where = f"{path}: survivor {index}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where}: not a mapping")
        missing = [
            k
            for k in ("file", "function", "operator", "before", "after")
            if not isinstance(entry.get(k), str)
        ]
        if missing:
            raise BadInput(f"{where}: missing or not text: {', '.join(missing)}")
        verdict = entry.get("verdict") or None
        if verdict is not None and verdict not in VERDICTS:
            raise BadInput(f"{where}: verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        if verdict is not None and not str(entry.get("reason") or "").strip():
            raise BadInput(f"{where}: a {verdict} verdict needs a reason")
        nth = entry.get("nth", 0)
        if not isinstance(nth, int) or nth < 0:
            raise BadInput(f"{where}: nth must be a whole number")
        key = triage_key(
            entry["file"], entry["function"], entry["operator"], entry["before"], entry["after"], nth
        )
        if key in entries:
            raise BadInput(f"{where}: names the same mutant as an earlier entry")
        entries[key] = {**entry, "verdict": verdict}
    return Triage(entries)


def stub_untriaged(path: Path, survivors: Iterable[Mutant]) -> int:
    """Append an entry without a verdict for each survivor the file does not name; the number added."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = CommentedMap()
    if data.get("survivors") is None:
        data["survivors"] = CommentedSeq()
    known = read_triage(path).entries if path.exists() else {}
    added = 0
    for mutant in survivors:
        if mutant.key in known:
            continue
        entry = CommentedMap()
        entry["file"] = mutant.file
        entry["function"] = mutant.function
        entry["operator"] = mutant.operator
        for name in ("before", "after"):
            text = getattr(mutant, name)
            entry[name] = LiteralScalarString(text) if "\n" in text else text
        if mutant.nth:
            entry["nth"] = mutant.nth
        entry["verdict"] = None
        entry["reason"] = None
        data["survivors"].append(entry)
        added += 1
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return added


