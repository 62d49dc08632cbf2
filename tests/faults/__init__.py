"""The library of broken servers. Each module lists its faults in ``FAULTS``."""

from __future__ import annotations

from tests.faults import (
    filter_bounds,
    http,
    meta_bodies,
    open_values,
    problem_objects,
    read_path,
    tenant_reads,
    whole_domain,
    write_path,
)
from tests.faults._base import Fault

_MODULES = (
    write_path, read_path, http, problem_objects, tenant_reads, filter_bounds, meta_bodies, whole_domain,
    open_values,
)


def all_faults() -> list[Fault]:
    return [fault for module in _MODULES for fault in module.FAULTS]
