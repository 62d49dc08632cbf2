"""The contract's tolerances as data: the file, the code that applies them, and the report that lists them."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import conformance
from conformance.contract import tolerances
from conformance.reference import serve_in_thread
from conformance.run.context import RunContext
from conformance.run.options import RunOptions
from tests._runs import SELFTEST_ARGS, run_cli, target_args
from tests.variants import VARIANTS


def _named_in_code() -> set[str]:
    """The tolerance ids the product names: each module resolves its ids when it is imported."""
    for module in pkgutil.walk_packages(conformance.__path__, "conformance."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return tolerances.referenced()


def test_every_tolerance_has_a_reason_and_known_requirements():
    loaded = tolerances.load_tolerances()
    assert len(loaded) >= 20
    assert {t.kind for t in loaded.values()} == set(tolerances.KINDS)


def test_the_code_names_only_tolerances_of_the_file_and_applies_every_input_one():
    loaded = tolerances.load_tolerances()
    named = _named_in_code()
    assert named - set(loaded) == set()
    assert set(loaded) - named == set(), "tolerances no code applies"


def test_an_unknown_tolerance_is_an_error_naming_it():
    with pytest.raises(KeyError, match="no-such-tolerance"):
        tolerances.tolerance("no-such-tolerance")


def test_the_report_lists_input_tolerances_used_and_shape_ones_whose_requirements_ran():
    context = RunContext(RunOptions())
    context.tolerate(["advisory-format", "advisory-format"])
    with pytest.raises(KeyError, match="no-such-tolerance"):
        context.tolerate(["no-such-tolerance"])
    entries = {e["id"]: e for e in tolerances.report_entries(["LEADS-ENVELOPE-001"], context.tolerated)}
    assert entries["advisory-format"]["applied"] == 2
    assert "pointer-slash" in entries  # a shape tolerance of ENVELOPE-001
    assert "open-enums" not in entries  # none of its requirements ran
    assert "foreign-cursor" not in entries  # an input tolerance never used


@pytest.mark.slow
def test_a_run_against_a_strict_conformant_server_says_which_tolerances_it_applied(tmp_path):
    variant = next(v for v in VARIANTS if v.name == "offset-dates-reworded-errors")
    with serve_in_thread(variant.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS], tmp_path)
    assert run.code == 0, run.stdout[-2000:]
    applied = {t["id"]: t.get("applied") for t in run.report["tolerances"]}
    assert applied.get("page-size-out-of-range", 0) > 0, applied
    html = (tmp_path / "report.html").read_text()
    assert "Tolerances applied" in html and "page-size-out-of-range" in html
