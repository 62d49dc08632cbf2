"""The certification record as a user and CI meet it: verdict and gate, --certify, baselines, verify.

Whole runs through the command line against served apps, observed through the report folder.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from conformance.contract.catalog import load_catalog
from conformance.reference import create_app, serve_in_thread
from tests._runs import SELFTEST_ARGS, hangs_on_post, run_cli, target_args
from tests.faults import all_faults

pytestmark = pytest.mark.slow

FAULTS = {fault.name: fault for fault in all_faults()}


def _junit_cases(folder):
    root = ElementTree.parse(folder / "junit.xml").getroot()
    return {
        case.find("properties/property[@name='requirement']").get("value"): case
        for case in root.iter("testcase")
        if case.find("properties") is not None
    }


def test_a_selection_is_incomplete_gates_pass_and_says_what_it_did_not_verify(tmp_path):
    run = run_cli(["run", *SELFTEST_ARGS, "-k", "auth"], tmp_path)
    assert run.code == 0, run.stderr[-2000:]
    assert (run.report["verdict"], run.report["gate"], run.report["certification"]) == (
        "incomplete",
        "pass",
        False,
    )
    assert run.report["selection"]["k"] == "auth"
    musts = [r.id for r in load_catalog() if r.level == "MUST"]
    verified = [rid for rid, status in run.statuses().items() if rid in musts and status == "pass"]
    assert verified and all(rid.startswith("LEADS-AUTH-") for rid in verified)
    missing = len(musts) - len(verified)
    assert run.report["must_not_verified"] == {
        "count": missing, "of": len(musts), "why": {"not selected": missing}
    }
    verdict = run.stdout.splitlines()[0]
    assert "INCOMPLETE" in verdict
    assert f"{missing} of the {len(musts)} MUST requirements were not verified" in verdict
    cases = _junit_cases(tmp_path)
    assert cases["LEADS-PAGE-004"].find("skipped") is not None
    assert cases["LEADS-AUTH-001"].find("failure") is None


def test_certify_refuses_a_selection_the_read_only_profile_and_a_missing_second_token(tmp_path):
    for args in (
        ["run", "--certify", "-k", "auth"],
        ["run", "--certify", "--profile", "read-only"],
        [*target_args("http://127.0.0.1:9/api", second=False), "--certify"],
    ):
        run = run_cli(args, tmp_path)
        assert run.code == 2, (args, run.stderr)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert lines[-1].startswith("conformance: error: --certify refuses"), run.stderr
        assert run.report is None


def test_a_certified_run_of_the_bundled_server_verifies(tmp_path):
    run = run_cli(["run", *SELFTEST_ARGS, "--certify"], tmp_path / "r")
    assert run.code == 0, run.stderr[-2000:]
    report = run.report
    assert (report["verdict"], report["gate"], report["certification"]) == ("pass", "pass", True)
    assert report["target"]["bundled"] and report["target"]["base_url"].startswith("http://127.0.0.1:")
    assert report["target"]["base_url"].endswith("/api")
    assert {"python", "pytest", "schemathesis", "hypothesis", "httpx"} <= set(report["tools"])
    assert report["format_version"] and report["baseline"]["entries"] == []
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert {"report.html", "report.json", "evidence.ndjson", "junit.xml", "attestation.json"} <= names
    lines = (tmp_path / "r" / "evidence.ndjson").read_text().splitlines()
    assert len(lines) == report["evidence"]["exchanges"] > 100
    checks = {json.loads(line)["check"] for line in lines}
    assert any("generated" in check for check in checks) and any("auth" in check for check in checks)
    verified = run_cli(["verify", str(tmp_path / "r")], tmp_path)
    assert verified.code == 0, verified.stdout + verified.stderr
    said = verified.stdout + verified.stderr
    assert "VERIFIED" in said and "pass" in said


def test_one_changed_byte_in_any_file_fails_verify_and_names_the_file(tmp_path):
    folder = tmp_path / "r"
    run = run_cli(["run", *SELFTEST_ARGS, "-k", "auth"], folder)
    assert run.report is not None
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        original = path.read_bytes()
        middle = len(original) // 2
        path.write_bytes(original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :])
        try:
            verified = run_cli(["verify", str(folder)], tmp_path)
            assert verified.code == 1, (path.name, verified.stdout, verified.stderr)
            assert path.name in verified.stdout + verified.stderr, path.name
        finally:
            path.write_bytes(original)
    assert run_cli(["verify", str(folder)], tmp_path).code == 0


def test_a_failure_points_at_its_exchange_in_the_evidence(tmp_path):
    fault = FAULTS["retrieve-unknown-id-200"]
    with serve_in_thread(fault.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS, "-k", "retrieve"], tmp_path)
    failed = [r for r in run.report["requirements"] if r["status"] == "fail"]
    assert failed, run.stderr[-2000:]
    lines = (tmp_path / "evidence.ndjson").read_text().splitlines()
    for requirement in failed:
        for failure in requirement["failures"]:
            assert failure["exchange"], failure
            exchange = json.loads(lines[failure["exchange"] - 1])
            # the oracle's audit reports on every check's exchanges: its failure names the one that showed it
            if not failure["test"].startswith("audit.py::"):
                assert exchange["check"] == failure["test"]
            assert exchange["request"]["url"].split("?")[0] in failure["reproduce"]


@pytest.mark.slow
def test_a_generated_case_failure_points_at_its_own_exchange(tmp_path):
    """A failure found among many generated requests names the exchange that showed it, not the latest."""
    fault = FAULTS["page-type-violation"]
    with serve_in_thread(fault.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS, "-k", "generated"], tmp_path)
    lines = (tmp_path / "evidence.ndjson").read_text().splitlines()
    failures = [f for r in run.report["requirements"] if r["id"] == "LEADS-HTTP-002" for f in r["failures"]]
    assert failures, run.stderr[-2000:]
    for failure in failures:
        exchange = json.loads(lines[failure["exchange"] - 1])
        assert exchange["check"] == failure["test"]
        request = exchange["request"]
        assert f"-X {request['method']} " in failure["reproduce"], (failure, request)
        assert request["url"] in failure["reproduce"], (failure["reproduce"], request["url"])
        assert exchange["response"]["status"] == 200


def test_a_baseline_waives_known_failures_and_a_stale_entry_fails_the_gate(tmp_path):
    fault = FAULTS["page-size-uncapped"]
    selection = ["-k", "page_size_bounds"]
    with serve_in_thread(fault.build()) as server:
        first = run_cli([*target_args(server.base_url), *SELFTEST_ARGS, *selection], tmp_path / "1")
        assert first.code == 1 and first.report["gate"] == "fail"
        baseline = tmp_path / "1" / "report.json"
        second = run_cli(
            [*target_args(server.base_url), *SELFTEST_ARGS, *selection, "--baseline", str(baseline)],
            tmp_path / "2",
        )
    assert second.code == 0, second.stderr[-2000:]
    statuses = second.statuses()
    assert statuses["LEADS-PAGE-002"] == "known"
    assert (second.report["verdict"], second.report["gate"]) == ("fail", "pass")
    assert [e["id"] for e in second.report["baseline"]["entries"]] == ["LEADS-PAGE-002"]
    assert _junit_cases(tmp_path / "2")["LEADS-PAGE-002"].find("skipped") is not None
    with serve_in_thread(create_app(fault_free_config())) as server:
        fixed = run_cli(
            [*target_args(server.base_url), *SELFTEST_ARGS, *selection, "--baseline", str(baseline)],
            tmp_path / "3",
        )
    assert fixed.code == 1, fixed.stderr[-2000:]
    assert fixed.report["gate"] == "fail"
    assert [e["id"] for e in fixed.report["baseline"]["stale"]] == ["LEADS-PAGE-002"]
    assert any("stale baseline entry: LEADS-PAGE-002" in line for line in fixed.stdout.splitlines())


def test_a_bad_baseline_is_one_line_and_exit_2(tmp_path):
    for text in ("- {id: LEADS-NOPE-001, reason: x}\n", "- {id: LEADS-AUTH-001}\n", "{: ["):
        path = tmp_path / "known.yaml"
        path.write_text(text)
        run = run_cli(["run", "--baseline", str(path)], tmp_path / "r")
        assert run.code == 2, run.stderr
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert lines[-1].startswith("conformance: error: --baseline"), run.stderr
        assert "Traceback" not in run.stderr


def test_an_inconclusive_must_is_a_junit_failure(tmp_path):
    """A target that hangs on POST leaves the CREATE requirements undecided: junit agrees with the gate."""
    with serve_in_thread(hangs_on_post()) as server:
        run = run_cli(
            [*target_args(server.base_url), "--max-examples", "2", "--timeout", "1", "-k", "create"], tmp_path
        )
    assert run.statuses()["LEADS-CREATE-001"] == "inconclusive"
    assert run.code == 1 and run.report["gate"] == "fail"
    case = _junit_cases(tmp_path)["LEADS-CREATE-001"]
    assert case.find("failure") is not None and case.find("skipped") is None


def fault_free_config():
    from conformance.reference import ReferenceConfig

    return ReferenceConfig()


def test_a_baseline_made_from_a_failing_report_holds_with_its_inconclusive_musts(tmp_path):
    """A create that answers 200 fails four MUSTs, warns a SHOULD and leaves the POST -> GET link
    (LEADS-HTTP-004) inconclusive: the baseline made from that report holds on the next run, and its
    entries go stale, the inconclusive one too, once the target is fixed."""
    fault = FAULTS["create-answers-200"]
    with serve_in_thread(fault.build()) as server:
        first = run_cli([*target_args(server.base_url), *SELFTEST_ARGS], tmp_path / "1")
        assert first.code == 1 and first.statuses()["LEADS-HTTP-004"] == "inconclusive"
        baseline = tmp_path / "1" / "report.json"
        second = run_cli(
            [*target_args(server.base_url), *SELFTEST_ARGS, "--baseline", str(baseline)], tmp_path / "2"
        )
    assert second.code == 0, second.stdout[-2000:]
    assert (second.report["verdict"], second.report["gate"]) == ("fail", "pass")
    statuses = second.statuses()
    assert {rid for rid, status in statuses.items() if status == "known"} == fault.breaks
    link = next(r for r in second.report["requirements"] if r["id"] == "LEADS-HTTP-004")
    assert link["status"] == "inconclusive" and link["known"][0]["status"] == "inconclusive"
    assert "no create answered 201" in link["known"][0]["reason"]
    assert _junit_cases(tmp_path / "2")["LEADS-HTTP-004"].find("failure") is None
    assert second.report["must_not_verified"]["why"] == {"inconclusive (known)": 1}
    with serve_in_thread(create_app(fault_free_config())) as server:
        fixed = run_cli(
            [*target_args(server.base_url), *SELFTEST_ARGS, "--baseline", str(baseline)], tmp_path / "3"
        )
    assert fixed.code == 1 and fixed.report["gate"] == "fail"
    stale = {(e["id"], e.get("status", "fail")) for e in fixed.report["baseline"]["stale"]}
    assert ("LEADS-HTTP-004", "inconclusive") in stale and ("LEADS-CREATE-001", "fail") in stale
    lines = fixed.stdout.splitlines()
    assert any(line.startswith("stale ") and "LEADS-HTTP-004 now passes" in line for line in lines)
