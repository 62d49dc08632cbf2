"""The requirement catalog: frozen IDs ``LEADS-<AREA>-<NNN>``, each MUST or SHOULD, with its title and
source (package data, ``specs/requirements.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conformance.contract.files import data_file, load_yaml
from conformance.outcomes import CatalogError

__all__ = ["LEVELS", "Catalog", "Requirement", "catalog_path", "load_catalog", "parse_catalog"]

LEVELS = ("MUST", "SHOULD")
_ID = re.compile(r"^LEADS-(?P<area>[A-Z]+)-(?P<num>\d{3})$")


def catalog_path() -> Path:
    """Where the installed requirement catalog lies."""
    return data_file("requirements.yaml")


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
    return parse_catalog(load_yaml(catalog_path()))
