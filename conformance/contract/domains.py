"""The domain of each requirement, declared once as data (package data, ``specs/domains.yaml``).

It names, per requirement, its dimensions (``account``, ``page``, ``operation``, ``parameter``,
``values`` ...) and the values each takes.
"""

from __future__ import annotations

from functools import cache

from conformance.contract.catalog import load_catalog
from conformance.contract.files import data_file, load_yaml

__all__ = ["declared_domains"]


@cache
def declared_domains() -> dict[str, dict[str, tuple[str, ...]]]:
    """requirement id -> dimension -> the values the domain holds (checked against the catalog)."""
    data = load_yaml(data_file("domains.yaml"))
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
