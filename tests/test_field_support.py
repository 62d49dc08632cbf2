"""Field support: each value compared, each cell's status, the declared file beside the evidence, the
report and the matrix that show it, and a run against a server that mishandles three fields."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from conformance.matrix.build import build_matrix, trend_of
from conformance.matrix.html import render_matrix
from conformance.outcomes import UsageError
from conformance.reference import serve_in_thread
from conformance.reporting.declared import compare_declared, load_declared
from conformance.reporting.field_table import field_section
from conformance.suite.oracle.field_support import (
    NOT_OBSERVED,
    NOT_SUPPORTED,
    PARTIAL,
    SUPPORTED,
    FieldSupport,
    compare_value,
)
from conformance.suite.support.leads import declined_fields
from tests._runs import SELFTEST_ARGS, run_cli, target_args
from tests.faults.whole_domain import stored_as


# ------------------------------------------------------------------------------ one value
@pytest.mark.parametrize(
    ("name", "sent", "got", "expected"),
    [
        ("title", "Engineer", "Engineer", None),
        ("title", "  Engineer  ", "Engineer", "trimmed"),
        ("title", "Engineer", None, "dropped"),
        ("title", "Engineer", "", "dropped"),
        ("title", "x" * 300, "x" * 255, "truncated at 255"),
        ("title", "Cafe\u0301", "Caf\u00e9", "normalised"),
        ("title", "Engineer", "ENGINEER", "case changed"),
        ("title", "Engineer", "Manager", "changed"),
        ("title", "Engineer", 12, "changed type"),
        ("phone_number", "+1 415-555-0132", "+14155550132", "reformatted"),
        ("converted_date", "2026-01-02T03:04:05+01:00", "2026-01-02T02:04:05Z", None),
        ("converted_date", "2026-01-02T03:04:05+01:00", "2026-01-02T03:04:05Z", "changed"),
        ("converted_date", "2026-01-02T03:04:05Z", None, "dropped"),
        ("owner", "usr_1", {"id": "usr_1", "name": "Ada"}, None),
        ("owner", {"id": "usr_1"}, "usr_1", None),
        ("owner", "usr_1", None, "dropped"),
        ("owner", "usr_1", "usr_2", "changed"),
    ],
)
def test_each_value_is_compared_and_how_it_changed_is_named(name, sent, got, expected):
    assert compare_value(name, sent, got) == expected


def test_a_warning_declines_a_field_only_when_it_points_at_the_whole_field():
    answer = {"warnings": [
        {"source": {"pointer": "/model/title"}},
        {"source": {"pointer": "/model/addresses/0/lc_unknown"}},
        {"source": {"pointer": "company"}},
        {"detail": "no pointer"},
    ]}
    assert declined_fields(answer, whole=True) == {"title", "company"}
    assert declined_fields(answer) == {"title", "addresses", "company"}


# ------------------------------------------------------------------------------ cells
def _support() -> FieldSupport:
    support = FieldSupport()
    sent = {
        "title": "  Engineer  ",
        "company": "Analytical Engines",
        "first_name": "Ada",
        "email_addresses": [
            {"email_address": f"ada@example.{tld}", "email_address_type": "WORK"} for tld in ("com", "org")
        ],
    }
    support.written(sent, {"first_name"}, 10)
    shown = {**sent, "title": "Engineer", "company": None, "email_addresses": sent["email_addresses"][:1]}
    support.shown("echoed", sent, shown, {"first_name"}, 10)
    support.shown("read_back", {"title": "Engineer"}, {"title": "Engineer"}, set(), 11)
    support.filtered("owner_id", True, 12)
    support.filtered("remote_id", False, 13)
    support.expanded("owner", "usr_1", 14)
    support.listed("primary", {"id": "a", "title": "x", "company": None})
    support.listed("primary", {"id": "b", "title": None, "company": None})
    return support


def test_cells_say_supported_partial_not_supported_or_not_observed_with_reasons_and_lines():
    fields = _support().report()["fields"]
    assert fields["title"]["echoed"]["status"] == PARTIAL
    assert fields["title"]["echoed"]["reason"] == "trimmed (1 of 1)"
    assert fields["title"]["read_back"]["status"] == SUPPORTED
    assert fields["title"]["read_back"]["evidence_lines"] == [11]
    assert fields["title"]["summary"] == PARTIAL
    assert fields["company"]["echoed"]["status"] == NOT_SUPPORTED
    assert fields["company"]["summary"] == NOT_SUPPORTED
    assert fields["first_name"]["accepted"]["status"] == NOT_SUPPORTED  # declined by a warning
    assert fields["email_addresses"]["echoed"]["reason"] == "first item only (1 of 1)"
    assert fields["email_addresses.email_address"]["echoed"]["status"] == PARTIAL
    assert fields["owner"]["filterable"]["status"] == SUPPORTED
    assert fields["remote_id"]["filterable"]["status"] == NOT_SUPPORTED
    assert fields["owner"]["expandable"]["reason"] == "left as an id"
    assert fields["lead_url"]["summary"] == NOT_OBSERVED
    assert fields["title"]["populated"] == {"primary": {"leads": 2, "holding": 1, "share": 0.5}}
    assert "accepted" not in fields["id"] and "echoed" not in fields["created_at"]


def test_every_field_of_the_fragment_and_every_filter_parameter_has_an_entry():
    report = FieldSupport().report()
    assert {"id", "title", "addresses.city", "phone_numbers.phone_number", "integration_params"} <= set(
        report["fields"]
    )
    assert set(report["parameters"]) >= {"created_after", "owner_id", "email_addresses", "phone_numbers"}
    assert {entry["summary"] for entry in report["fields"].values()} == {NOT_OBSERVED}


def test_what_meta_post_offers_is_kept_per_account():
    support = FieldSupport()
    addresses = {"type": "array", "items": {"properties": {"city": {"type": "string"}}}}
    support.offered("primary", {"title": {"type": "string", "maxLength": 20}, "addresses": addresses})
    fields = support.report()["fields"]
    assert fields["title"]["offered"] == {"primary": {"type": "string", "maxLength": 20}}
    assert fields["addresses.city"]["offered"] == {"primary": {"type": "string"}}
    assert fields["converted_date"]["offered"] == {"primary": None}


# ------------------------------------------------------------------------------ declared
def _declared(tmp_path: Path, text: str, name: str = "declared.yaml") -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_declared(path)


def test_a_declared_file_that_overclaims_is_caught(tmp_path):
    declared = _declared(tmp_path, "integration: Acme\nfields:\n  company: {read: true, write: true}\n"
                                   "  title: [write]\n  owner: {filter: true}\n  lead_url: {write: true}\n")
    result = compare_declared(_support().report(), declared)
    disagreeing = {(d["field"], d["capability"]) for d in result["disagreements"]}
    assert ("company", "write") in disagreeing and ("title", "write") in disagreeing
    assert ("owner", "filter") not in disagreeing
    assert {(u["field"], u["capability"]) for u in result["unverified"]} >= {("lead_url", "write")}
    assert result["integration"] == "Acme"


def test_a_declared_underclaim_is_a_disagreement_too(tmp_path):
    declared = _declared(tmp_path, '{"fields": {"owner": {"filter": false}}}', "declared.json")
    result = compare_declared(_support().report(), declared)
    assert [(d["field"], d["measured"]) for d in result["disagreements"]] == [("owner", "supported")]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("fields: {}\n", "no 'fields' mapping"),
        ("fields:\n  title: {store: true}\n", "names store"),
        ("fields:\n  title: {write: yes please}\n", "true or false"),
        ("fields: [\n", "not valid YAML"),
    ],
)
def test_a_malformed_declared_file_is_a_one_line_usage_error(tmp_path, text, said):
    with pytest.raises(UsageError) as raised:
        _declared(tmp_path, text)
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_declared_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_declared(tmp_path / "absent.yaml")


# ------------------------------------------------------------------------------ report and matrix
def test_report_html_lays_out_the_table_and_the_disagreements(tmp_path):
    support = _support().report()
    support["declared"] = compare_declared(support, _declared(tmp_path, "fields:\n  company: [write]\n"))
    section = field_section({"field_support": support})
    assert section is not None
    rows = {row["name"]: row for row in section["rows"]}
    assert rows["company"]["summary"] == NOT_SUPPORTED and rows["company"]["colour"] == "fail"
    assert [d["field"] for d in section["disagreements"]] == ["company"]
    assert field_section({"field_support": {}}) is None


def _entry(name: str, summaries: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "state": "ok", "reason": None, "passed": True, "field_support": summaries}


def test_the_matrix_sets_fields_beside_targets_and_marks_what_changed(tmp_path):
    a = (_entry("a", {"title": SUPPORTED}), {})
    before = build_matrix([a, (_entry("b", {"title": SUPPORTED}), {})], {})
    after = build_matrix([a, (_entry("b", {"title": PARTIAL}), {})], {})
    assert after["fields"] == {"title": {"a": SUPPORTED, "b": PARTIAL}}
    after["trend"] = trend_of(after, before, tmp_path / "matrix.json")
    changes = after["trend"]["field_changes"]
    assert changes == [{"field": "title", "target": "b", "was": SUPPORTED, "now": PARTIAL}]
    page = render_matrix(after)
    assert "id=field-matrix" in page and "(was supported)" in page


# ------------------------------------------------------------------------------ against a server
def _mishandled(model: dict[str, Any]) -> dict[str, Any]:
    changed = dict(model)
    if "title" in changed:
        changed["title"] = None
    if isinstance(changed.get("company"), str):
        changed["company"] = changed["company"][:20]
    if isinstance(changed.get("last_name"), str):
        changed["last_name"] = unicodedata.normalize("NFC", changed["last_name"])
    return changed


@pytest.mark.slow
def test_a_server_that_drops_truncates_and_normalises_one_field_each_shows_exactly_those(tmp_path):
    declared = tmp_path / "declared.yaml"
    declared.write_text("fields:\n  title: {read: true, write: true}\n  first_name: [read, write]\n")
    with serve_in_thread(stored_as(_mishandled)()) as server:
        run = run_cli(
            [*target_args(server.base_url), *SELFTEST_ARGS, "--declared", str(declared)], tmp_path / "run"
        )
    assert run.report is not None, run.stderr[-3000:]
    fields = run.report["field_support"]["fields"]
    off = {name: e["summary"] for name, e in fields.items() if e["summary"] not in (SUPPORTED, NOT_OBSERVED)}
    assert off == {"title": NOT_SUPPORTED, "company": PARTIAL, "last_name": PARTIAL}
    assert "truncated at 20" in fields["company"]["echoed"]["reason"]
    assert "normalised" in fields["last_name"]["echoed"]["reason"]
    assert all(fields["title"][stage]["evidence_lines"] for stage in ("echoed", "read_back", "listed"))
    claims = run.report["field_support"]["declared"]
    disagreeing = {(d["field"], d["capability"]) for d in claims["disagreements"]}
    assert disagreeing == {("title", "write"), ("title", "read")}
    assert "title: declared supported for write, measured not supported" in run.stdout
    page = (tmp_path / "run" / "report.html").read_text()
    assert 'data-field="title" data-summary="not supported"' in page and "id=field-disagreements" in page


def test_the_report_of_a_run_without_an_oracle_has_an_empty_field_support():
    from conformance.run.record import field_support_of

    assert field_support_of(None, None) == {}


def test_matrix_json_round_trips_the_fields(tmp_path):
    matrix = build_matrix([(_entry("a", {"title": SUPPORTED}), {})], {})
    assert json.loads(json.dumps(matrix))["fields"] == {"title": {"a": SUPPORTED}}


def test_a_matrix_target_may_declare_its_field_support(tmp_path):
    from conformance.matrix.targets import load_targets

    (tmp_path / "claims.yaml").write_text("fields:\n  title: [read, write]\n")
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[defaults]\nmax_examples = 3\n\n[[target]]\nname = "reference"\ndeclared = "claims.yaml"\n'
    )
    (spec,) = load_targets(targets, {})
    assert spec.arguments() == ["--max-examples", "3", "--declared", str(tmp_path / "claims.yaml")]
    (tmp_path / "claims.yaml").write_text("fields: {}\n")
    with pytest.raises(UsageError, match="target 'reference': --declared: .* no 'fields' mapping"):
        load_targets(targets, {})


def test_a_cell_the_write_budget_left_unmeasured_says_so():
    from types import SimpleNamespace

    from conformance.run.record import field_support_of
    from conformance.suite.oracle.budget import WriteBudget

    budget = WriteBudget.split(3, {})
    model = SimpleNamespace(oracle=SimpleNamespace(state=SimpleNamespace(fields=_support())), budget=budget)
    assert "unmeasured" not in field_support_of(model, None)  # nothing held back yet
    assert budget.allow("plan") and budget.allow("plan") and budget.allow("plan")
    assert not budget.allow("plan") and budget.denied == 1
    report = field_support_of(model, None)
    why = report["unmeasured"]
    assert "--write-budget of 3" in why
    assert report["fields"]["lead_url"]["echoed"]["reason"] == why  # never written
    assert "reason" not in report["fields"]["owner"]["filterable"]  # a read stage is not the budget's
    assert report["fields"]["title"]["read_back"]["status"] == SUPPORTED


def test_each_expand_value_is_a_parameter_of_its_own():
    parameters = _support().report()["parameters"]
    assert parameters["expand=owner"]["status"] == NOT_SUPPORTED  # left as an id
    assert parameters["expand=converted_account"]["status"] == NOT_OBSERVED
    assert parameters["remote_id"]["status"] == NOT_SUPPORTED
    assert parameters["owner_id"]["status"] == SUPPORTED


def _first_phone_only(model: dict[str, Any]) -> dict[str, Any]:
    changed = dict(model)
    if isinstance(changed.get("phone_numbers"), list):
        changed["phone_numbers"] = changed["phone_numbers"][:1]
    return changed


@pytest.mark.slow
def test_a_server_that_keeps_the_first_phone_number_only_shows_the_phones_partial(tmp_path):
    with serve_in_thread(stored_as(_first_phone_only)()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    fields = run.report["field_support"]["fields"]
    off = {name: e["summary"] for name, e in fields.items() if e["summary"] not in (SUPPORTED, NOT_OBSERVED)}
    assert set(off) == {"phone_numbers", "phone_numbers.phone_number", "phone_numbers.phone_number_type"}
    assert "first item only" in fields["phone_numbers"]["echoed"]["reason"]
    assert fields["phone_numbers.phone_number"]["echoed"]["reason"].startswith("dropped")
