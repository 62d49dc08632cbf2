"""conformance drift: the fragment against Merge's published OpenAPI files (copies in tests/data)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from conformance.contract.catalog import load_catalog
from conformance.contract.fragment import load_fragment
from conformance.drift.cli import drift_command
from conformance.drift.diff import Finding, diff, known_entries, load_openapi

DATA = Path(__file__).parent / "data" / "merge-openapi"
#: the source keys the fragment's description and x-known-drift use, by file
FILES = {
    "OAS2507": DATA / "merge-crm-openapi.merge-python-client-2025-07-10.yml",
    "DOCS": DATA / "merge-crm-openapi.docs-export.api-evangelist.yaml",
    "OAS2306": DATA / "merge-crm-openapi.merge-crm-go-v1.3.0-2023-06.yaml",
}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {source: load_openapi(path) for source, path in FILES.items()}


def _cli() -> click.Group:
    @click.group()
    def cli() -> None:
        """A stand-in for the conformance group."""

    cli.add_command(drift_command)
    return cli


def _run(*args: str) -> Any:
    return CliRunner().invoke(_cli(), ["drift", *map(str, args)])


def _entry_key(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    return Finding(entry["kind"], entry["location"], entry["old"], entry["new"]).key()


def _write(tmp_path: Path, document: dict[str, Any], name: str = "edited.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML 1.2
    return path


@pytest.mark.parametrize("source", list(FILES))
def test_each_reference_file_gives_exactly_its_known_entries(source: str, documents: dict) -> None:
    findings = diff(documents[source], label=source)
    expected = {_entry_key(e) for e in known_entries() if source in e["sources"]}
    assert {f.key() for f in findings} == expected
    assert len(findings) == len(expected), "a difference is reported twice"
    assert all(f.known and f.reason for f in findings)


@pytest.mark.parametrize("source", list(FILES))
def test_the_command_prints_only_known_lines_and_exits_0(source: str) -> None:
    result = _run(FILES[source])
    assert result.exit_code == 0, result.output
    *lines, summary = result.output.strip().splitlines()
    expected = sum(source in e["sources"] for e in known_entries())
    assert len(lines) == expected and all(line.startswith("known ") for line in lines)
    assert summary == f"NO DRIFT: no new difference ({expected} known) against {FILES[source]}"


def test_the_yaml_1_2_loader_keeps_norway_a_string(documents: dict) -> None:
    country = documents["OAS2507"]["components"]["schemas"]["CountryEnum"]["enum"]
    assert "NO" in country and False not in country


def test_every_known_entry_is_in_the_description_and_well_formed() -> None:
    fragment = load_fragment()
    description = " ".join(fragment["info"]["description"].split())
    assert description.count("**Known drift.**") == 1
    section = description.split("**Known drift.**")[1]
    entries = known_entries(fragment)
    assert entries
    for entry in entries:
        assert entry["kind"] in ("added", "removed", "changed")
        assert f"`{entry['location']}`" in section, entry["location"]
        assert entry["reason"].strip() and set(entry["sources"]) <= set(FILES) and entry["sources"]
    listed = set(re.findall(r"`([^`]+)`", section.split(" - *", 1)[1]))
    assert listed == {e["location"] for e in entries}, "the prose lists a difference that is not an entry"
    assert len({_entry_key(e) for e in entries}) == len(entries), "duplicate known entries"


def _finding(findings: list[Finding], location: str) -> Finding:
    matches = [f for f in findings if f.location == location]
    assert len(matches) == 1, [f.location for f in findings]
    return matches[0]


def test_a_dropped_enum_value_is_new_drift(documents: dict, tmp_path: Path) -> None:
    edited = copy.deepcopy(documents["DOCS"])
    edited["components"]["schemas"]["LeadStatusEnum"]["enum"].remove("UNQUALIFIED")
    result = _run(_write(tmp_path, edited))
    assert result.exit_code == 1, result.output
    new = [line for line in result.output.splitlines() if line.startswith("NEW")]
    assert new == [
        "NEW    changed  Lead.status enum: removed 'UNQUALIFIED'"
        " -- touches LEADS-CREATE-002, LEADS-PAGE-001, LEADS-HTTP-002"
    ]
    assert (
        result.output.strip().splitlines()[-1].startswith("DRIFT: 34 differences (33 known, 1 new) against ")
    )


def test_an_added_required_field_is_new_drift(documents: dict) -> None:
    edited = copy.deepcopy(documents["OAS2507"])
    lead_request = edited["components"]["schemas"]["LeadRequest"]
    lead_request["properties"]["age"] = {"type": "integer"}
    lead_request["required"] = ["age", "last_name"]
    new = [f for f in diff(edited) if not f.known]
    added = _finding(new, "LeadRequest.age")
    assert (added.kind, added.old, added.new) == ("added", None, "integer")
    required = _finding(new, "LeadRequest required")
    assert (required.kind, required.old, required.new) == ("changed", [], ["age", "last_name"])
    assert required.requirements == ("LEADS-CREATE-002", "LEADS-HTTP-005", "LEADS-HTTP-006")
    assert len(new) == 2


def test_a_removed_parameter_is_new_drift(documents: dict, tmp_path: Path) -> None:
    edited = copy.deepcopy(documents["OAS2507"])
    operation = edited["paths"]["/crm/v1/leads"]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p.get("name") != "created_after"]
    result = _run(_write(tmp_path, edited), "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert document["drift"] is True and document["summary"] == {"differences": 22, "known": 21, "new": 1}
    (finding,) = [f for f in document["findings"] if not f["known"]]
    assert finding["kind"] == "removed"
    assert finding["location"] == "GET /crm/v1/leads query parameter created_after"
    assert finding["old"] == "string(date-time)" and finding["new"] is None
    assert finding["requirements"] == ["LEADS-FILTER-001", "LEADS-HTTP-005", "LEADS-HTTP-006"]


def test_a_removed_operation_is_new_drift(documents: dict) -> None:
    edited = copy.deepcopy(documents["OAS2507"])
    del edited["paths"]["/crm/v1/leads/meta/post"]
    new = [f for f in diff(edited) if not f.known]
    assert [(f.kind, f.location, f.old) for f in new] == [
        ("removed", "GET /crm/v1/leads/meta/post", "leads_meta_post_retrieve")
    ]
    touched = set(new[0].requirements)
    catalog = load_catalog()
    assert {r.id for r in catalog.in_area("META", "AUTH")} <= touched
    assert not {r.id for r in catalog.in_area("FILTER", "RFC", "TENANT")} & touched


def test_a_changed_parameter_and_an_added_operation_are_found(documents: dict) -> None:
    edited = copy.deepcopy(documents["OAS2507"])
    for param in edited["paths"]["/crm/v1/leads"]["get"]["parameters"]:
        if param.get("name") == "page_size":
            param["required"] = True
    edited["paths"]["/crm/v1/leads/{id}/history"] = {"get": {"operationId": "leads_history", "responses": {}}}
    new = {f.location: f for f in diff(edited) if not f.known}
    page_size = new["GET /crm/v1/leads query parameter page_size required"]
    assert (page_size.old, page_size.new) == (False, True)
    assert page_size.requirements == ("LEADS-PAGE-002", "LEADS-PAGE-003", "LEADS-HTTP-005", "LEADS-HTTP-006")
    assert new["GET /crm/v1/leads/{id}/history"].kind == "added"
    assert len(new) == 2


def test_paths_under_a_crm_v1_server_are_normalised(documents: dict) -> None:
    edited = copy.deepcopy(documents["OAS2507"])
    edited["paths"] = {re.sub(r"^/crm/v1", "", path): item for path, item in edited["paths"].items()}
    assert all(f.known for f in diff(edited))
    assert {f.key() for f in diff(edited)} == {f.key() for f in diff(documents["OAS2507"])}


def test_the_fragment_against_itself_has_no_drift(tmp_path: Path) -> None:
    fragment = load_fragment()
    assert diff(fragment) == []
    result = _run(_write(tmp_path, fragment, "fragment.json"))
    assert result.exit_code == 0
    assert result.output.strip() == f"NO DRIFT: the fragment matches {tmp_path / 'fragment.json'}"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "no such file"),
        ("openapi: 3.0.3\npaths: {a: [\n", "not valid YAML or JSON"),
        ("- just\n- a list\n", "not an OpenAPI document"),
        ("swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3.0 or 3.1 document"),
        ("openapi: 3.1.0\npaths:\n  /crm/v1/contacts:\n    get: {responses: {}}\n", "no Leads operation"),
        (
            "openapi: 3.0.3\npaths:\n  /crm/v1/leads:\n    get: {parameters: [{$ref: '#/nowhere'}]}\n",
            "names nothing",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(content: str | None, said: str, tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = _run(path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and said in lines[0] and "Traceback" not in result.output
