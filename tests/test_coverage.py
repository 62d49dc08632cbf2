"""Every catalog requirement is verified by at least one check, and checks name only catalog IDs."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import conformance.suite
from conformance.contract.catalog import load_catalog


def _checks():
    for info in pkgutil.iter_modules(conformance.suite.__path__):
        if info.name.startswith("_") or info.name == "conftest":
            continue
        module = importlib.import_module(f"conformance.suite.{info.name}")
        for name, function in inspect.getmembers(module):
            if (
                name.startswith("test_")
                and callable(function)
                and getattr(function, "__module__", "") == module.__name__
            ):
                yield f"{info.name}.{name}", function


def _named_ids(function) -> list[str]:
    """The requirement IDs a check names: on itself, or on each of its parameters."""
    marks = list(getattr(function, "pytestmark", []))
    for mark in list(marks):
        if mark.name == "parametrize":
            for value in mark.args[1]:
                marks.extend(getattr(value, "marks", ()))
    return list(dict.fromkeys(i for mark in marks if mark.name == "requirement" for i in mark.args))


def test_every_check_names_requirements_from_the_catalog():
    catalog = load_catalog()
    for name, function in _checks():
        ids = _named_ids(function)
        assert ids, f"{name} names no requirement"
        assert all(i in catalog for i in ids), name


def test_every_requirement_is_verified_by_a_check():
    named = {i for _, function in _checks() for i in _named_ids(function)}
    missing = [r.id for r in load_catalog() if r.id not in named]
    assert missing == []


def test_every_check_states_its_requirement_in_its_docstring():
    for name, function in _checks():
        assert (function.__doc__ or "").strip(), f"{name} has no docstring"
