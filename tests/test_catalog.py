"""The requirement catalog and the OpenAPI fragment, as shipped."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate

import conformance
from conformance.contract.catalog import catalog_path, load_catalog, parse_catalog
from conformance.contract.files import load_yaml
from conformance.contract.fragment import fragment_path, load_fragment
from conformance.outcomes import CatalogError


def test_catalog_loads_with_unique_frozen_ids():
    catalog = load_catalog()
    ids = [r.id for r in catalog]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"LEADS-[A-Z]+-\d{3}", i) for i in ids)
    assert {r.area for r in catalog} == set(catalog.areas)
    assert {r.level for r in catalog} == {"MUST", "SHOULD"}


def test_catalog_numbers_each_area_from_001_without_gaps():
    catalog = load_catalog()
    for area in catalog.areas:
        numbers = [int(r.id.rsplit("-", 1)[1]) for r in catalog.in_area(area)]
        assert numbers == list(range(1, len(numbers) + 1)), area


def _raw():
    return load_yaml(catalog_path())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["requirements"].append(copy.deepcopy(d["requirements"][0])), "duplicate id"),
        (lambda d: d["requirements"][0].update(id="LEADS-NOPE-001"), "unknown area"),
        (lambda d: d["requirements"][0].update(id="LEADS-AUTH-1"), "malformed id"),
        (lambda d: d["requirements"][0].update(level="MAY"), "unknown level"),
        (lambda d: d["requirements"][0].update(title=""), "missing title"),
        (lambda d: d["requirements"][0].pop("source"), "missing source"),
    ],
)
def test_catalog_loader_rejects_malformed_entries(mutate, message):
    data = _raw()
    mutate(data)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(data)


def test_fragment_is_valid_openapi():
    validate(load_fragment())


def test_fragment_has_the_five_operations():
    paths = load_fragment()["paths"]
    operations = {(m.upper(), p) for p, item in paths.items() for m in item if m in ("get", "post")}
    assert operations == {
        ("GET", "/crm/v1/leads"),
        ("POST", "/crm/v1/leads"),
        ("GET", "/crm/v1/leads/{id}"),
        ("GET", "/crm/v1/leads/meta/post"),
        ("GET", "/crm/v1/leads/remote-field-classes"),
    }


def test_fragment_keeps_norway_a_string():
    schemas = load_fragment()["components"]["schemas"]
    assert "NO" in schemas["CountryEnum"]["enum"]
    assert False not in schemas["CountryEnum"]["enum"]


def test_fragment_and_catalog_ship_inside_the_package():
    package = Path(conformance.__file__).resolve().parent
    assert fragment_path().is_relative_to(package) and catalog_path().is_relative_to(package)
    assert json.dumps(load_fragment())


def test_the_yaml_is_read_the_same_from_its_cached_copy(tmp_path, monkeypatch):
    """The fragment and catalog read through the cache (cold, warm, broken) equal a fresh YAML 1.2 parse."""
    from ruamel.yaml import YAML

    from conformance.contract import files

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for path in (fragment_path(), catalog_path()):
        fresh = files._plain(YAML(typ="safe", pure=True).load(path.read_bytes()))
        assert files.load_yaml(path) == fresh  # cold: parsed, then written
        copies = list((tmp_path / "leads-conformance" / "yaml").glob("*.json"))
        assert copies
        assert files.load_yaml(path) == fresh  # warm: from the copy
        for cached in copies:
            cached.write_text("{not json")
        assert files.load_yaml(path) == fresh  # a broken copy is parsed again
    assert files.load_yaml(fragment_path())["info"]["title"]
