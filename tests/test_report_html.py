"""report.html, the page a person acts on alone, and checks.html, pytest-html's page of the run."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from conformance.contract.catalog import load_catalog
from conformance.http.evidence import EvidenceLog
from conformance.http.redaction import Redactor
from conformance.reference import serve_in_thread
from conformance.reporting import RunInfo, build_report, roll_up, write_reports
from conformance.reporting.baseline import Baseline, BaselineEntry
from conformance.reporting.bodies import capped_json
from conformance.reporting.evidence_lookup import exchanges_of
from conformance.reporting.exchanges import (
    curl_command,
    describe_exchange,
    response_text,
)
from conformance.reporting.html import render_html
from conformance.run.html_hooks import (
    check_records,
    obligation,
    pytest_html_results_table_header,
    pytest_html_results_table_row,
)
from conformance.run.options import DEFAULT_COVERAGE_CASES
from tests._runs import CREDENTIALS, run_cli, target_args
from tests.faults import all_faults

API_KEY = "sk-live-Zq7Secret"
ACCOUNT = "acct-Yx8Secret"
BASE = "https://crm.example.com/api"
LONG_NAME = "N" * 201


def _exchange(log: EvidenceLog, check: str, ids: list[str], **kw: Any) -> int:
    values: dict[str, Any] = {
        "method": "GET",
        "url": f"{BASE}/crm/v1/leads",
        "request_headers": {"Authorization": f"Bearer {API_KEY}", "X-Account-Token": ACCOUNT},
        "request_body": b"",
        "status": 200,
        "response_headers": {"content-type": "application/json"},
        "response_body": b'{"results": []}',
        "elapsed": 0.01,
    }
    values.update(kw)
    return log.record(check=check, requirements=ids, **values)


def _outcome(nodeid: str, ids: list[str], outcome: str = "passed", **kw: Any) -> dict[str, Any]:
    return {"nodeid": nodeid, "requirements": ids, "outcome": outcome, "duration": 0.25, **kw}


def _info(checks: list[dict[str, Any]], **kw: Any) -> RunInfo:
    values: dict[str, Any] = {
        "suite_name": "leads-conformance",
        "suite_version": "0.1.0",
        "spec_path": "specs/leads.openapi.yaml",
        "spec_sha256": "f" * 64,
        "catalog_sha256": "c" * 64,
        "base_url": BASE,
        "profile": "full",
        "seed": 4242,
        "max_examples": 5,
        "strict": False,
        "run_id": "lc-20260101t000000-abcdef",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:01:00Z",
        "duration_seconds": 60.0,
        "tests": len(checks),
        "notes": [],
        "tools": {"python": "3.11.7", "pytest": "9.1.1"},
        "tenant": True,
        "checks": checks,
    }
    values.update(kw)
    return RunInfo(**values)


@pytest.fixture
def failing(tmp_path: Path) -> dict[str, Any]:
    """A failing run's folder: a 500, a warning, an inconclusive, a known failure and a stale entry."""
    redactor = Redactor([API_KEY, ACCOUNT])
    log = EvidenceLog(tmp_path / "evidence.ndjson", redactor)
    _exchange(log, "preflight", [])
    post = _exchange(
        log,
        "create.py::test_create_echoes",
        ["LEADS-CREATE-001"],
        method="POST",
        request_headers={
            "Authorization": f"Bearer {API_KEY}",
            "X-Account-Token": ACCOUNT,
            "Content-Type": "application/json",
        },
        request_body=json.dumps({"model": {"first_name": LONG_NAME, "last_name": "Lovelace"}}).encode(),
        status=500,
        response_body=json.dumps({"detail": "Internal error", "trace": "x" * 20000}).encode(),
    )
    wrong_key = _exchange(
        log,
        "auth.py::test_wrong_key",
        ["LEADS-AUTH-006"],
        request_headers={"Authorization": "Bearer lc-not-the-key", "X-Account-Token": ACCOUNT},
        status=401,
        response_body=b'{"error": 1}',
    )
    known = _exchange(
        log, "page.py::test_default_size", ["LEADS-PAGE-003"], url=f"{BASE}/crm/v1/leads?page_size="
    )
    log.close()
    outcomes = [
        _outcome(
            "create.py::test_create_echoes",
            ["LEADS-CREATE-001"],
            "failed",
            failures=[
                {"requirements": ["LEADS-CREATE-001"], "message": "POST answered 500", "exchange": post}
            ],
        ),
        _outcome(
            "auth.py::test_wrong_key",
            ["LEADS-AUTH-002", "LEADS-AUTH-006"],
            "failed",
            failures=[
                {"requirements": ["LEADS-AUTH-006"], "message": "no string detail", "exchange": wrong_key}
            ],
        ),
        _outcome(
            "pagination.py::test_walk",
            ["LEADS-PAGE-004"],
            "inconclusive",
            reason="the walk ran out of budget",
        ),
        _outcome(
            "pagination.py::test_default_size",
            ["LEADS-PAGE-003"],
            "failed",
            failures=[{"requirements": ["LEADS-PAGE-003"], "message": "page of 10", "exchange": known}],
        ),
        _outcome("retrieve.py::test_unknown", ["LEADS-RETRIEVE-001"]),
    ]
    catalog = load_catalog()
    baseline = Baseline(
        source="baseline.yaml",
        entries=(
            BaselineEntry("LEADS-PAGE-003", "the vendor pages by 10"),
            BaselineEntry("LEADS-RETRIEVE-001", "was broken once"),
        ),
    )
    verdict = roll_up(catalog, outcomes, baseline=baseline)
    checks = [
        {
            "test": o["nodeid"],
            "outcome": o["outcome"],
            "duration_seconds": 0.25,
            "requirements": o["requirements"],
            "obligation": f"obligation of {o['nodeid']}",
        }
        for o in outcomes
    ]
    (tmp_path / "checks.html").write_text("<!doctype html>")
    report = build_report(_info(checks, baseline=baseline, insecure=True, evidence_lines=4), verdict)
    clean, paths = write_reports(report, tmp_path, redactor)
    return {
        "folder": tmp_path,
        "report": clean,
        "html": paths["html"].read_text(),
        "lines": (post, wrong_key, known),
    }


def test_the_verdict_gate_and_certification_come_first(failing):
    html = failing["html"]
    order = [
        html.index(marker)
        for marker in ("id=verdict", "id=what-failed", "id=areas", "id=requirements", "id=facts")
    ]
    assert order == sorted(order)
    hero = html[html.index("id=verdict") : html.index("id=what-failed")]
    assert ">FAIL<" in hero and "CI gate" in hero and "fail (exit status 1)" in hero
    assert "not a certification: run without --certify" in hero


def test_what_failed_lists_each_problem_once_linked_to_its_row(failing):
    html = failing["html"]
    section = html[html.index("id=what-failed") : html.index("id=areas")]
    links = re.findall(r'<a class=id href="#([^"]+)">', section)
    assert links == [
        "LEADS-CREATE-001",
        "LEADS-PAGE-004",
        "LEADS-AUTH-006",
        "LEADS-PAGE-003",
        "LEADS-RETRIEVE-001",
    ]
    for rid in links:
        assert f'<div class=req id="{rid}"' in html
    assert "stale entry" in section and "now passes" in section
    assert (
        "The server answered 500 (Internal Server Error) to POST /crm/v1/leads "
        "with a 201-character first name" in section
    )


def test_a_failure_shows_what_was_expected_the_exchange_and_a_curl(failing):
    html = failing["html"]
    row = html[html.index('id="LEADS-CREATE-001"') :]
    row = row[: row.index("</details></div>")]
    assert "Expected</dt><dd>" in row and "POST answered 500" in row
    assert "POST https://crm.example.com/api/crm/v1/leads" in row
    assert "&quot;first_name&quot;: &quot;NNNN" in row  # pretty-printed body
    assert "500 (Internal Server Error)" in row and "&quot;detail&quot;: &quot;Internal error&quot;" in row
    # the answer's body, longer than the evidence keeps, is shown up to its last whole JSON value
    assert "the evidence keeps its first 16 KiB, shown here up to its last complete JSON value" in row
    assert "curl -i --insecure -X POST" in row
    assert "-H &quot;Authorization: Bearer $CONFORMANCE_TOKEN&quot;" in row
    assert "-H &quot;X-Account-Token: $CONFORMANCE_ACCOUNT_TOKEN&quot;" in row
    assert "0.25 s" in row and "obligation of create.py::test_create_echoes" in row
    assert 'href="checks.html#create.py%3A%3Atest_create_echoes"' in row


def test_no_credential_reaches_the_page(failing):
    html = failing["html"]
    assert API_KEY not in html and ACCOUNT not in html
    assert "Authorization: Bearer ***" in html and "X-Account-Token: ***" in html


def test_known_failures_and_stale_entries_are_shown_apart(failing):
    html = failing["html"]
    known = html[html.index("id=known") : html.index("id=facts")]
    assert "LEADS-PAGE-003" in known and "the vendor pages by 10" in known
    assert "LEADS-RETRIEVE-001" in known and "stale" in known and "remove it from the baseline" in known
    assert "was broken once" in known


def test_the_run_facts_and_the_digests_of_the_record(failing):
    folder, html = failing["folder"], failing["html"]
    facts = html[html.index("id=facts") :]
    for fact in (
        "4242",
        "lc-20260101t000000-abcdef",
        "f" * 64,
        "c" * 64,
        "pytest 9.1.1",
        "full",
        BASE,
        "not verified (--insecure)",
        "the whole catalog",
        "60.0 s",
    ):
        assert fact in facts, fact
    for name in ("report.json", "evidence.ndjson"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"{name} sha256</td><td class=mono>{digest}" in facts
    assert "attestation.json" in facts and "conformance verify" in facts
    assert '<a href="checks.html">checks.html</a>' in facts


def test_the_page_is_self_contained_and_reads_without_script(failing):
    html = failing["html"]
    assert not re.search(r"<(script|img|link|iframe|object)\b[^>]*\b(src|href)=", html)
    assert "url(" not in html and "@import" not in html
    rows = re.findall(r"<div class=req [^>]*>", html)
    assert len(rows) == len(load_catalog()) and not any(" hidden" in row for row in rows)
    assert "<form id=filters class=filters hidden>" in html  # shown by the script only


def test_the_area_pictures_cover_every_requirement(failing):
    html = failing["html"]
    areas = html[html.index("id=areas") : html.index("id=requirements")]
    assert areas.count("<rect ") == len(load_catalog())
    for status in ("pass", "fail", "known", "warn", "skip", "inconclusive"):
        assert f'fill="var(--{status})"' in areas, status


def test_only_the_failures_evidence_lines_are_read(failing, tmp_path):
    path = tmp_path / "e.ndjson"
    path.write_text('{"n": 1}\n{"n": 2}\n{"n": 3}\nnot json at all\n')
    report = {"requirements": [{"failures": [{"exchange": 2}, {"exchange": 3}, {"exchange": None}]}]}
    assert exchanges_of(report, path) == {2: {"n": 2}, 3: {"n": 3}}
    post, wrong_key, known = failing["lines"]
    assert set(exchanges_of(failing["report"], failing["folder"] / "evidence.ndjson")) == {
        post,
        wrong_key,
        known,
    }


def test_a_failing_run_with_many_large_failures_gives_a_small_page(tmp_path):
    redactor = Redactor([API_KEY])
    log = EvidenceLog(tmp_path / "evidence.ndjson", redactor)
    big = json.dumps({"results": [{"id": str(i), "text": "y" * 150} for i in range(100)]}).encode()
    outcomes = []
    for requirement in load_catalog():
        failures = []
        for n in range(8):
            line = _exchange(
                log,
                f"x.py::test_{requirement.id}",
                [requirement.id],
                response_body=big,
                status=500,
                request_body=big,
                method="POST",
            )
            failures.append(
                {"requirements": [requirement.id], "message": f"failure {n} " + "m" * 1500, "exchange": line}
            )
        outcomes.append(
            _outcome(f"x.py::test_{requirement.id}", [requirement.id], "failed", failures=failures)
        )
    log.close()
    report = build_report(_info([]), roll_up(load_catalog(), outcomes))
    _, paths = write_reports(report, tmp_path, redactor)
    size = paths["html"].stat().st_size
    assert size < 1_000_000, size
    assert "The exchange is line" in paths["html"].read_text()  # beyond the budget: named, not shown


def test_the_sentence_says_what_was_sent_and_what_came_back():
    def entry(
        headers: dict[str, str], response: dict[str, Any] | None = None, **request: Any
    ) -> dict[str, Any]:
        value: dict[str, Any] = {
            "request": {"method": "GET", "url": f"{BASE}/crm/v1/leads/x", "headers": headers, **request}
        }
        if response is not None:
            value["response"] = response
        return value

    ok = {"Authorization": "Bearer ***", "X-Account-Token": "***"}
    said = describe_exchange(entry({"X-Account-Token": "***"}, {"status": 200, "headers": {}}), BASE)
    assert said == "The server answered 200 (OK) to GET /crm/v1/leads/x without an Authorization header."
    said = describe_exchange(
        entry({"Authorization": "Token ***", "X-Account-Token": "***"}, {"status": 200}), BASE
    )
    assert "with the 'Token' scheme instead of Bearer" in said
    said = describe_exchange(entry({"Authorization": "***", "X-Account-Token": "***"}, {"status": 200}), BASE)
    assert said.endswith("to GET /crm/v1/leads/x with an Authorization header without the Bearer scheme.")
    said = describe_exchange({**entry(ok), "error": "ReadTimeout: timed out"}, BASE)
    assert said == "The server gave no answer to GET /crm/v1/leads/x (ReadTimeout: timed out)."
    said = describe_exchange(
        entry(ok, {"status": 500, "body": {"detail": "boom"}}, method="POST", body_text="{"), BASE
    )
    assert (
        said == "The server answered 500 (Internal Server Error) to POST /crm/v1/leads/x "
        'with a body that is not JSON, saying "boom".'
    )


def test_the_curl_command_sends_the_same_request_with_the_credentials_from_the_environment():
    entry = {
        "request": {
            "method": "POST",
            "url": f"{BASE}/crm/v1/leads?expand=owner&x=[1]",
            "headers": {
                "Host": "h",
                "Authorization": "Bearer ***",
                "X-Account-Token": "***",
                "Content-Type": "application/json",
                "Content-Length": "9",
            },
            "body": {"model": {"first_name": "O'Hara"}},
        }
    }
    command = curl_command(entry, insecure=False)
    words = shlex.split(
        command.replace("\\\n", " ")
        .replace("$CONFORMANCE_TOKEN", "KEY")
        .replace("$CONFORMANCE_ACCOUNT_TOKEN", "ACCT")
    )
    assert words == [
        "curl",
        "-i",
        "--globoff",
        "-X",
        "POST",
        f"{BASE}/crm/v1/leads?expand=owner&x=[1]",
        "-H",
        "Authorization: Bearer KEY",
        "-H",
        "X-Account-Token: ACCT",
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        '{"model": {"first_name": "O\'Hara"}}',
    ]
    assert "--insecure" in curl_command(entry, insecure=True)


def test_render_html_without_evidence_still_names_the_reproduce_command():
    outcomes = [
        _outcome(
            "a.py::test_a",
            ["LEADS-RETRIEVE-001"],
            "failed",
            failures=[
                {
                    "requirements": ["LEADS-RETRIEVE-001"],
                    "message": "got 500",
                    "reproduce": "curl -X GET u",
                    "exchange": 7,
                }
            ],
        )
    ]
    report = build_report(_info([]), roll_up(load_catalog(), outcomes))
    html = render_html(report)
    assert "curl -X GET u" in html and "line 7 of evidence.ndjson" in html and "got 500" in html


def test_the_obligation_of_a_check_is_its_docstring_first_line():
    assert (
        obligation("retrieve.py::test_malformed_id_gets_404_or_400")
        == "A malformed lead id gets 404 or 400, never a 5xx (under every account)."
    )
    assert obligation("retrieve.py::test_malformed_id_gets_404_or_400[param]").startswith(
        "A malformed lead id"
    )
    assert obligation("nowhere.py::test_x") == "" and obligation("preflight") == ""

    class Outcome:
        nodeid, outcome, duration, requirements, inconclusive = (
            "a.py::t",
            "inconclusive",
            0.1234,
            ["X"],
            ["X"],
        )

    assert check_records([Outcome()]) == [
        {
            "test": "a.py::t",
            "outcome": "inconclusive",
            "duration_seconds": 0.123,
            "requirements": ["X"],
            "obligation": "",
            "inconclusive": ["X"],
        }
    ]


def test_the_checks_page_rows_name_their_requirements_and_are_found_by_node_id():
    header = [
        '<th class="sortable" data-column-type="result">Result</th>',
        '<th class="sortable" data-column-type="testId">Test</th>',
        "<th>Duration</th>",
        "<th>Links</th>",
    ]
    pytest_html_results_table_header(header)
    assert "Requirements" in header[2] and len(header) == 5

    class Report:
        nodeid = "auth.py::test_x[list]"
        user_properties = [("requirements", "LEADS-AUTH-001,LEADS-AUTH-006")]

    cells = [
        '<td class="col-result">Skipped</td>',
        '<td class="col-testId">auth.py::test_x[list]::setup</td>',
        '<td class="col-duration">1 ms</td>',
        '<td class="col-links"></td>',
    ]
    pytest_html_results_table_row(Report(), cells)
    assert cells[1] == '<td class="col-testId">auth.py::test_x[list]</td>'  # pytest-html's row id
    assert cells[2] == '<td class="col-requirements">LEADS-AUTH-001, LEADS-AUTH-006</td>'


def test_a_real_failing_run_gives_both_pages(tmp_path):
    fault = next(f for f in all_faults() if f.name == "retrieve-unknown-id-500")
    with serve_in_thread(fault.build()) as server:
        run = run_cli([*target_args(server.base_url), "--max-examples", "3", "-k", "retrieve"], tmp_path)
    assert run.code == 1, run.stderr[-2000:]
    page = (tmp_path / "report.html").read_text()
    checks = (tmp_path / "checks.html").read_text()
    for text in (page, checks):
        for secret in (CREDENTIALS.api_key, *CREDENTIALS.account_tokens):
            assert secret not in text
    assert "The server answered 500 (Internal Server Error) to GET /crm/v1/leads/not-a-uuid" in page
    assert 'href="checks.html#retrieve.py%3A%3Atest_malformed_id_gets_404_or_400%5Baccount-a%5D"' in page
    data = json.loads(unescape(re.search(r'data-jsonblob="([^"]*)"', checks).group(1)))
    rows = {test["testId"]: test for tests in data["tests"].values() for test in tests}
    failed = rows["retrieve.py::test_malformed_id_gets_404_or_400[account-a]"]
    assert "LEADS-RETRIEVE-003" in failed["requirements"]
    assert any(
        "curl -i" in extra["content"] and "not-a-uuid" in extra["content"] for extra in failed["extras"]
    )
    assert data["environment"]["Seed"] == "20261126" and data["environment"]["Profile"] == "full"
    assert data["environment"]["Run id"] == run.report["run_id"]
    assert set(data["environment"]) == {
        "Target base URL",
        "Suite",
        "Seed",
        "Max examples",
        "Coverage cases",
        "Profile",
        "Run id",
    }
    assert data["environment"]["Coverage cases"] == f"at most {DEFAULT_COVERAGE_CASES} per operation"
    record = run.report
    checks = {c["test"] for c in record["checks"]}
    assert checks >= {"retrieve.py::test_malformed_id_gets_404_or_400[account-a]"}
    assert all(c["obligation"] for c in record["checks"])
    subjects = json.loads((tmp_path / "attestation.json").read_text())
    assert "checks.html" in json.dumps(subjects)


def test_a_failure_whose_line_holds_another_request_shows_the_one_it_reproduces(tmp_path):
    redactor = Redactor([API_KEY, ACCOUNT])
    log = EvidenceLog(tmp_path / "evidence.ndjson", redactor)
    wanted = _exchange(log, "other.py::test_setup", [], url=f"{BASE}/crm/v1/leads?page_size=0", status=500)
    latest = _exchange(
        log, "p.py::test_generated", ["LEADS-HTTP-001"], url=f"{BASE}/crm/v1/leads", status=200
    )
    log.close()
    credentials = "-H 'authorization: Bearer ***' -H 'x-account-token: ***'"
    reproduce = f"curl -X GET '{BASE}/crm/v1/leads?page_size=0' {credentials}"
    failure = {
        "requirements": ["LEADS-HTTP-001"],
        "message": "GET /crm/v1/leads -> 500: Server error",
        "reproduce": reproduce,
        "exchange": latest,  # the latest exchange of the check, not the failing one
    }
    outcomes = [_outcome("p.py::test_generated", ["LEADS-HTTP-001"], "failed", failures=[failure])]
    report = build_report(_info([]), roll_up(load_catalog(), outcomes))
    _, paths = write_reports(report, tmp_path, redactor)
    row = paths["html"].read_text()
    row = row[row.index('id="LEADS-HTTP-001"') :]
    assert f"(line {wanted} of evidence.ndjson)" in row and f"line {latest} of" not in row
    assert "The server answered 500 (Internal Server Error) to GET /crm/v1/leads with page_size=0" in row


def test_a_long_body_is_read_from_its_evidence_line_by_the_curl_command(tmp_path):
    log = EvidenceLog(tmp_path / "evidence.ndjson", Redactor([API_KEY]))
    body = {"model": {"first_name": "Ä" * 1000 + "x" * 3000, "last_name": "L"}}
    line = _exchange(log, "c.py::t", [], method="POST", request_body=json.dumps(body).encode())
    log.close()
    entry = json.loads((tmp_path / "evidence.ndjson").read_text().splitlines()[line - 1])
    command = curl_command(entry, line=line)
    assert "--data-binary @-" in command and "ÄÄÄ" not in command
    head = command.split("\n")[0].rstrip("|")
    printed = subprocess.run(["bash", "-c", head], cwd=tmp_path, capture_output=True, check=True).stdout
    assert json.loads(printed) == body
    assert subprocess.run(["bash", "-n", "-c", command]).returncode == 0  # one valid shell command
    assert "--data-raw" in curl_command(entry)  # without its line, the body is spelled out


def test_captured_output_and_skip_reasons_on_the_checks_page_are_redacted():
    from types import SimpleNamespace

    from conformance.http.target import Target
    from conformance.run.context import RunContext
    from conformance.run.html_hooks import pytest_runtest_makereport
    from conformance.run.options import RunOptions
    from conformance.run.plugin import install_context

    target = Target(
        base_url="http://127.0.0.1:9/api", token="tok-Qw3rty-Key", account_token="acct-Qw3rty-Tok"
    )
    item = SimpleNamespace(config=SimpleNamespace(stash={}))
    install_context(item.config, RunContext(RunOptions(), target))

    class Call:
        excinfo = None

    report = pytest.TestReport(
        "a.py::t",
        ("a.py", 1, "t"),
        {},
        "skipped",
        ("a.py", 1, "Skipped: answered tok-Qw3rty-Key"),
        "call",
        sections=[("Captured stdout call", "sent acct-Qw3rty-Tok and tok-Qw3rty-Key")],
    )
    wrapper = pytest_runtest_makereport(item, Call())
    next(wrapper)
    with pytest.raises(StopIteration) as done:
        wrapper.send(report)
    clean = done.value.value
    assert clean.sections == [("Captured stdout call", "sent *** and ***")]
    assert clean.longrepr == ("a.py", 1, "Skipped: answered ***")


def test_a_capped_body_is_cut_between_json_nodes_and_says_how_much_was_left_out():
    results = [{"id": str(n), "notes": "y" * 150, "tags": ["a", "b"]} for n in range(60)]
    body = {"next": "cD0x", "results": results}
    text, left_out = capped_json(body, 3000)
    whole = json.dumps(body, indent=2, ensure_ascii=False)
    assert len(text) <= 3000 and left_out == len(whole) - len(text) > 0
    assert "more items" in text
    # without the lines that say what was left out, what is shown is JSON: a head of the body
    shown = json.loads("\n".join(line for line in text.splitlines() if not line.strip().startswith("…")))
    assert shown["next"] == "cD0x" and 0 < len(shown["results"]) < 60
    assert all(item == body["results"][n] for n, item in enumerate(shown["results"][:-1]))
    long_string, _ = capped_json({"detail": "z" * 5000}, 500)
    detail = json.loads(long_string)["detail"]
    assert detail.startswith("zzz") and re.search(r"z… \(\d+ more characters\)$", detail)
    assert len(long_string) <= 500


def test_a_json_body_the_evidence_cut_is_shown_up_to_its_last_complete_value():
    text = json.dumps({"results": [{"id": n, "amount": 12345} for n in range(2000)]})[:16384]
    entry = {"request": {"method": "GET", "url": f"{BASE}/crm/v1/leads", "headers": {}},
             "response": {"status": 200, "headers": {}, "body_text": text, "body_truncated": 60000}}
    shown = response_text(entry, line=7)
    assert "the body was 60000 bytes; the evidence keeps its first 16 KiB, shown here up to its last" in shown
    assert ",)" not in shown and '"amount": 1234\n' not in shown  # never a cut value or a cut object
    body = shown.split("\n\n", 1)[1]
    head = json.loads("\n".join(line for line in body.splitlines() if not line.strip().startswith("…")))
    assert all(item == {"id": n, "amount": 12345} for n, item in enumerate(head["results"]))


def test_requirements_that_share_a_failing_answer_are_grouped_under_it(tmp_path):
    """One bug, six rows: a create answering 200 fails CREATE, ENVELOPE and HTTP requirements, warns
    a SHOULD and leaves the stateful link inconclusive; they are grouped under that answer. A
    failure on an ordinary answer (a 200 list) is grouped only with those sharing its very exchange."""
    log = EvidenceLog(tmp_path / "evidence.ndjson", Redactor([API_KEY]))
    created = b'{"model": {"id": "1"}, "warnings": [], "errors": []}'

    def post(check: str, ids: list[str]) -> int:
        return _exchange(log, check, ids, method="POST", status=200, response_body=created,
                         request_body=b'{"model": {"last_name": "L"}}')

    lines = {
        "LEADS-CREATE-001": post("create.py::test_201", ["LEADS-CREATE-001"]),
        "LEADS-ENVELOPE-002": post("envelope.py::test_warning", ["LEADS-ENVELOPE-002"]),
        "LEADS-META-004": post("meta_post.py::test_generated", ["LEADS-META-004"]),
        "LEADS-HTTP-002": post("properties.py::test_generated", ["LEADS-HTTP-002"]),
    }
    post("properties.py::test_link", ["LEADS-HTTP-004"])
    shared = _exchange(log, "filters.py::test_window", ["LEADS-FILTER-001", "LEADS-FILTER-002"])
    alone = _exchange(log, "pagination.py::test_size", ["LEADS-PAGE-002"])
    log.close()
    outcomes = [
        _outcome(check, [rid], "failed",
                 failures=[{"requirements": [rid], "message": "not a 201", "exchange": line}])
        for check, (rid, line) in zip(
            ["create.py::test_201", "envelope.py::test_warning", "meta_post.py::test_generated",
             "properties.py::test_generated"], lines.items(), strict=True)
    ]
    outcomes += [
        _outcome("properties.py::test_link", ["LEADS-HTTP-004"], "inconclusive", reason="no link followed"),
        _outcome("filters.py::test_window", ["LEADS-FILTER-001", "LEADS-FILTER-002"], "failed",
                 failures=[{"requirements": [], "message": "a lead outside the window", "exchange": shared}]),
        _outcome("pagination.py::test_size", ["LEADS-PAGE-002"], "failed",
                 failures=[{"requirements": ["LEADS-PAGE-002"], "message": "31 leads", "exchange": alone}]),
    ]
    verdict = roll_up(load_catalog(), outcomes)
    report, paths = write_reports(build_report(_info([]), verdict), tmp_path, Redactor([API_KEY]))
    answer, exchange = report["causes"]
    said = (answer["kind"], answer["method"], answer["path"], answer["status"])
    assert said == ("answer", "POST", "/crm/v1/leads", 200)
    assert answer["requirements"] == [
        "LEADS-CREATE-001", "LEADS-ENVELOPE-002", "LEADS-META-004", "LEADS-HTTP-002", "LEADS-HTTP-004"
    ]
    assert answer["exchanges"] == sorted(lines.values())
    assert (exchange["kind"], exchange["exchange"]) == ("exchange", shared)
    assert exchange["requirements"] == ["LEADS-FILTER-001", "LEADS-FILTER-002"]
    assert not any("LEADS-PAGE-002" in cause["requirements"] for cause in report["causes"])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page.split("<section id=what-failed>", 1)[1].split("</section>", 1)[0]
    group = section.split('<div class=cause id="cause-1">', 1)[1].split("</div>", 1)[0]
    assert "POST /crm/v1/leads answered 200, a status the fragment does not document for it" in group
    for rid in answer["requirements"]:
        assert f'href="#{rid}"' in group
    # each grouped requirement is listed under its cause, not again below
    assert section.count('href="#LEADS-CREATE-001"') == 1
    assert 'href="#LEADS-PAGE-002"' in section.split("Other problems", 1)[1]
