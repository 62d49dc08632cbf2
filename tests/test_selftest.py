"""The suite against the reference server and against every broken server in tests/faults.

The reference passes every requirement; each fault fails (MUST) or warns (SHOULD) on exactly the
requirements it declares; every MUST requirement is broken by at least one fault.
"""

from __future__ import annotations

import pytest

from conformance.contract.catalog import load_catalog
from conformance.reference import serve_in_thread
from tests._runs import SELFTEST_ARGS, run_cli, target_args
from tests.faults import all_faults

FAULTS = all_faults()


@pytest.mark.slow
def test_reference_server_passes_every_requirement(tmp_path):
    run = run_cli(["run", *SELFTEST_ARGS], tmp_path)
    assert run.code == 0, run.stderr[-3000:]
    statuses = run.statuses()
    assert {rid: s for rid, s in statuses.items() if s != "pass"} == {}
    assert (run.report["verdict"], run.report["gate"]) == ("pass", "pass")
    fields = run.report["field_support"]["fields"]
    # every field the reference stores is measured supported: none is partial or not supported
    off = {name: e["summary"] for name, e in fields.items() if e["summary"] in ("partial", "not supported")}
    assert off == {}
    writable = {name for name, e in fields.items() if e["writable"] and e["summary"] == "supported"}
    assert {"first_name", "last_name", "title", "owner", "addresses.city", "converted_date"} <= writable


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_suite_fails_exactly_the_requirements_a_fault_breaks(fault, tmp_path):
    with serve_in_thread(fault.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    assert run.broken() == set(fault.breaks), {
        "unexpected": sorted(run.broken() - fault.breaks),
        "missed": sorted(fault.breaks - run.broken()),
    }
    catalog = load_catalog()
    must_broken = any(catalog[rid].is_must for rid in fault.breaks)
    inconclusive = {rid for rid, s in run.statuses().items() if s == "inconclusive"}
    assert inconclusive <= fault.inconclusive, sorted(inconclusive - fault.inconclusive)
    gate_fails = must_broken or any(catalog[rid].is_must for rid in inconclusive)
    assert (run.report["gate"], run.code) == (("fail", 1) if gate_fails else ("pass", 0))
    assert run.report["verdict"] == ("fail" if must_broken else "incomplete" if gate_fails else "pass")


def test_every_fault_declares_known_requirements():
    catalog = load_catalog()
    for fault in FAULTS:
        assert fault.breaks, fault.name
        assert all(rid in catalog for rid in fault.breaks), fault.name


def test_fault_names_are_unique():
    names = [f.name for f in FAULTS]
    assert len(names) == len(set(names))


def test_every_must_requirement_is_broken_by_at_least_one_fault():
    broken = set().union(*(f.breaks for f in FAULTS))
    musts = {r.id for r in load_catalog() if r.is_must}
    assert sorted(musts - broken) == []
