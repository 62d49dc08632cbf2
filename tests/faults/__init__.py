"""The library of broken servers. Each module lists its faults in ``FAULTS``."""

from __future__ import annotations

import importlib

from tests.faults._base import Fault

_MODULES = (
    "write_path", "read_path", "http", "problem_objects", "tenant_reads", "filter_bounds", "meta_bodies",
    "whole_domain", "open_values",
)


def all_faults() -> list[Fault]:
    faults: list[Fault] = []
    for name in _MODULES:
        try:
            module = importlib.import_module(f"tests.faults.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.faults.{name}":
                raise
            continue
        faults.extend(module.FAULTS)
    return faults
