"""Reading a baseline: YAML, JSON, an earlier report.json; a malformed one is a one-line usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.contract.catalog import load_catalog
from conformance.outcomes import UsageError
from conformance.reporting.baseline import load_baseline

IDS = [r.id for r in load_catalog()]


def test_yaml_and_json_entries_with_an_optional_check(tmp_path):
    yaml_file = tmp_path / "known.yaml"
    yaml_file.write_text(
        "known_failures:\n"
        "  - {id: LEADS-PAGE-003, reason: 'vendor pages hold 25'}\n"
        "  - id: LEADS-AUTH-005\n"
        "    reason: bare keys are accepted\n"
        "    check: test_scheme_other_than_bearer_gets_401\n"
    )
    baseline = load_baseline(yaml_file, IDS)
    assert [(e.id, e.check) for e in baseline.entries] == [
        ("LEADS-PAGE-003", None),
        ("LEADS-AUTH-005", "test_scheme_other_than_bearer_gets_401"),
    ]
    json_file = tmp_path / "known.json"
    json_file.write_text(json.dumps([{"id": "LEADS-PAGE-003", "reason": "25 a page"}]))
    assert load_baseline(json_file, IDS).entries[0].reason == "25 a page"


def _earlier_report(folder: Path, *requirements: dict) -> Path:
    """A report.json of a failed run that finished at 2026-12-01T10:00:00Z, with ``requirements``."""
    path = folder / "report.json"
    report = {"verdict": "fail", "finished_at": "2026-12-01T10:00:00Z", "requirements": list(requirements)}
    path.write_text(json.dumps(report))
    return path


def test_an_earlier_report_gives_its_failures_as_entries(tmp_path):
    path = _earlier_report(
        tmp_path,
        {"id": "LEADS-PAGE-002", "status": "fail", "failures": [{"message": "page of 150"}]},
        {"id": "LEADS-PAGE-003", "status": "warn", "failures": [{"message": "25 a page"}]},
        {"id": "LEADS-AUTH-005", "status": "known", "known": [{"id": "LEADS-AUTH-005", "reason": "kept"}]},
        {"id": "LEADS-AUTH-001", "status": "pass", "failures": []},
    )
    entries = load_baseline(path, IDS).entries
    assert [e.id for e in entries] == ["LEADS-PAGE-002", "LEADS-PAGE-003", "LEADS-AUTH-005"]
    assert "page of 150" in entries[0].reason and entries[2].reason == "kept"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- {id: LEADS-NOPE-001, reason: x}\n", "not in the catalog"),
        ("- {id: LEADS-AUTH-001}\n", "gives no reason"),
        ("- {reason: x}\n", "no requirement id"),
        ("{: [", "not valid YAML"),
        ("just text\n", "expected a list"),
    ],
)
def test_a_malformed_baseline_says_what_is_wrong(tmp_path, text, said):
    path = tmp_path / "known.yaml"
    path.write_text(text)
    with pytest.raises(UsageError, match=said):
        load_baseline(path, IDS)


def test_a_missing_baseline_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read"):
        load_baseline(tmp_path / "absent.yaml", IDS)


def test_an_earlier_reports_inconclusive_requirements_become_inconclusive_entries(tmp_path):
    path = _earlier_report(
        tmp_path,
        {"id": "LEADS-CREATE-001", "status": "fail", "failures": [{"message": "a create is not a 201"}]},
        {
            "id": "LEADS-HTTP-004",
            "status": "inconclusive",
            "failures": [],
            "reasons": ["properties.py::test_link: inconclusive: no create answered 201"],
        },
    )
    failing, undecided = load_baseline(path, IDS).entries
    assert (failing.id, failing.status) == ("LEADS-CREATE-001", "fail")
    assert (undecided.id, undecided.status) == ("LEADS-HTTP-004", "inconclusive")
    assert undecided.reason == "inconclusive in the report of 2026-12-01T10:00:00Z: no create answered 201"
    assert undecided.to_dict()["status"] == "inconclusive" and "status" not in failing.to_dict()


def test_a_yaml_entry_may_be_inconclusive_and_nothing_else(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_text("- {id: LEADS-HTTP-004, status: inconclusive, reason: creates answer 200}\n")
    (entry,) = load_baseline(path, IDS).entries
    assert entry.inconclusive and entry.describe() == "LEADS-HTTP-004 (inconclusive)"
    path.write_text("- {id: LEADS-HTTP-004, status: skip, reason: x}\n")
    with pytest.raises(UsageError, match="has status 'skip'"):
        load_baseline(path, IDS)


def test_the_report_of_an_interrupted_run_is_no_baseline(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"verdict": "incomplete", "interrupted": "SIGINT", "requirements": []}))
    with pytest.raises(UsageError, match="interrupted run"):
        load_baseline(path, IDS)


def test_a_binary_file_is_not_utf8_text(tmp_path):
    path = tmp_path / "known.yaml"
    path.write_bytes(b"\x00\xff\xfe")
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_baseline(path, IDS)
