"""The OpenAPI fragment and the requirement catalog, shipped as package data.

Both are YAML 1.2 (ruamel.yaml): a YAML 1.1 loader reads the country code ``NO`` as ``false``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from conformance._cache import cache_folder
from conformance._outcomes import CatalogError

__all__ = [
    "LEVELS",
    "Catalog",
    "Requirement",
    "fragment_path",
    "fragment_sha256",
    "load_catalog",
    "load_fragment",
]

LEVELS = ("MUST", "SHOULD")
_ID = re.compile(r"^LEADS-(?P<area>[A-Z]+)-(?P<num>\d{3})$")


def _data_file(name: str) -> Path:
    return Path(__file__).resolve().parent / "specs" / name


def fragment_path() -> Path:
    """Where the installed OpenAPI fragment lies."""
    return _data_file("leads.openapi.yaml")


def catalog_path() -> Path:
    """Where the installed requirement catalog lies."""
    return _data_file("requirements.yaml")


def _plain(value: Any) -> Any:
    """ruamel's commented maps and sequences as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _load_yaml(path: Path) -> Any:
    """The YAML file as plain data; parsed once per content, then read from a JSON copy in the user's cache.

    The YAML 1.2 loader is pure Python and takes most of a second over the fragment.
    """
    raw = path.read_bytes()
    folder = cache_folder("yaml")
    cached = folder / f"{hashlib.sha256(raw).hexdigest()}.json" if folder is not None else None
    if cached is not None and cached.exists():
        with contextlib.suppress(OSError, ValueError):
            return json.loads(cached.read_text(encoding="utf-8"))
    data = _plain(YAML(typ="safe", pure=True).load(raw))
    if cached is not None:
        with contextlib.suppress(OSError, TypeError, ValueError):
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(data), encoding="utf-8")
            partial.replace(cached)
    return data


@cache
def _fragment() -> dict[str, Any]:
    data: dict[str, Any] = _load_yaml(fragment_path())
    return data


def load_fragment() -> dict[str, Any]:
    """The OpenAPI fragment as plain data (a fresh copy the caller may change)."""
    return copy.deepcopy(_fragment())


@cache
def fragment_sha256() -> str:
    """sha256 of the fragment's bytes, as recorded in every report."""
    return hashlib.sha256(fragment_path().read_bytes()).hexdigest()


@dataclass(frozen=True)
class Requirement:
    """One catalog entry."""

    id: str
    level: str
    title: str
    source: str
    area: str

    @property
    def is_must(self) -> bool:
        return self.level == "MUST"


@dataclass(frozen=True)
class Catalog:
    """The requirement catalog: areas and requirements in catalog order."""

    areas: dict[str, str]
    requirements: tuple[Requirement, ...]

    def __contains__(self, requirement_id: object) -> bool:
        return any(r.id == requirement_id for r in self.requirements)

    def __getitem__(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def in_area(self, *areas: str) -> list[Requirement]:
        return [r for r in self.requirements if r.area in areas]


def parse_catalog(data: Any) -> Catalog:
    """Validate catalog data: unique well-formed IDs, known areas, known levels, a title and a source."""
    if not isinstance(data, dict) or not isinstance(data.get("requirements"), list):
        raise CatalogError("the catalog must be a mapping with a 'requirements' list")
    areas = data.get("areas")
    if not isinstance(areas, dict) or not areas:
        raise CatalogError("the catalog must name its areas")
    seen: set[str] = set()
    requirements = []
    for index, entry in enumerate(data["requirements"]):
        if not isinstance(entry, dict):
            raise CatalogError(f"catalog entry #{index + 1} is not a mapping")
        rid = entry.get("id")
        match = _ID.match(rid) if isinstance(rid, str) else None
        if match is None or not isinstance(rid, str):
            raise CatalogError(f"catalog entry #{index + 1}: malformed id {rid!r} (LEADS-<AREA>-<NNN>)")
        if rid in seen:
            raise CatalogError(f"catalog entry {rid}: duplicate id")
        seen.add(rid)
        area = match["area"]
        if area not in areas:
            raise CatalogError(f"catalog entry {rid}: unknown area {area!r}")
        level = entry.get("level")
        if level not in LEVELS:
            raise CatalogError(f"catalog entry {rid}: unknown level {level!r} (MUST or SHOULD)")
        for key in ("title", "source"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CatalogError(f"catalog entry {rid}: missing {key}")
        requirements.append(
            Requirement(id=rid, level=level, title=entry["title"], source=entry["source"], area=area)
        )
    return Catalog(areas={str(k): str(v) for k, v in areas.items()}, requirements=tuple(requirements))


@cache
def load_catalog() -> Catalog:
    """The installed catalog, validated."""
    return parse_catalog(_load_yaml(catalog_path()))
