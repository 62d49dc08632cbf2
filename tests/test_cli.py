"""The command line as users and CI meet it: exit statuses, one-line errors, reports without secrets."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import conformance.suite
from conformance.contract.catalog import load_catalog
from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from conformance.run.bridge import pytest_args as _pytest_args
from conformance.run.options import RunOptions
from tests._runs import free_port, run_cli, target_args


def _one_line_error(run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("conformance: error: "), run.stderr
    assert "Traceback" not in run.stderr
    return lines[-1]



def test_bad_usage_is_one_line_and_exit_2(tmp_path):
    for args in (
        ["run", "--base-url", "not-a-url"],
        ["run", "--max-examples", "0"],
        ["run", "--nope"],
        ["run", "--base-url", "http://127.0.0.1:1/api"],
        ["requirements", "--format", "xml"],
    ):
        run = run_cli(args, tmp_path)
        assert run.code == 2, args
        _one_line_error(run)


def test_a_selection_that_matches_no_check_is_one_line_and_exit_2(tmp_path):
    run = run_cli(["run", "--max-examples", "2", "-k", "no_check_is_named_so"], tmp_path)
    assert run.code == 2, run.stderr[-2000:]
    assert "'no_check_is_named_so' selects no check" in _one_line_error(run)
    assert not (tmp_path / "suite-errors.log").exists()


def test_unreachable_target_is_one_line_and_exit_2(tmp_path):
    run = run_cli(target_args(f"http://127.0.0.1:{free_port()}/api"), tmp_path)
    assert run.code == 2
    _one_line_error(run)
    assert "cannot reach" in run.stderr


def test_rejected_credentials_are_one_line_and_exit_2(tmp_path):
    with serve_in_thread(create_app(replace(ReferenceConfig(), api_key="another-key"))) as server:
        run = run_cli(target_args(server.base_url), tmp_path)
    assert run.code == 2
    _one_line_error(run)
    assert "rejected the given credentials" in run.stderr
    assert "reference-api-key" not in run.stderr


def test_requirements_command_prints_the_catalog(tmp_path):
    run = run_cli(["requirements", "--format", "json"], tmp_path)
    assert run.code == 0
    assert [r["id"] for r in json.loads(run.stdout)] == [r.id for r in load_catalog()]
    csv_run = run_cli(["requirements", "--format", "csv"], tmp_path)
    assert csv_run.stdout.splitlines()[0] == "id,level,area,title,source"
    assert len(csv_run.stdout.splitlines()) == len(load_catalog()) + 1


def test_reports_and_output_never_contain_credentials(tmp_path):
    config = replace(
        ReferenceConfig(), api_key="sk-secret-9f8e7d6c", account_tokens=("acct-secret-a1", "acct-secret-b2")
    )
    with serve_in_thread(create_app(config)) as server:
        args = [
            "run",
            "--base-url",
            server.base_url,
            "--token",
            config.api_key,
            "--account-token",
            config.account_tokens[0],
            "--second-account-token",
            config.account_tokens[1],
            "--max-examples",
            "3",
            "-k",
            "auth or tenant or create",
        ]
        run = run_cli(args, tmp_path)
    assert run.report is not None, run.stderr
    written = "".join(p.read_text() for p in tmp_path.iterdir()) + run.stdout + run.stderr
    for secret in (config.api_key, *config.account_tokens):
        assert secret not in written
    assert {p.name for p in tmp_path.iterdir()} >= {"report.json", "report.html", "junit.xml"}
    for key in (
        "suite",
        "spec",
        "target",
        "profile",
        "seed",
        "started_at",
        "finished_at",
        "verdict",
        "summary",
    ):
        assert key in run.report
    assert set(run.report["summary"]) == {"passed", "failed", "known", "warned", "skipped", "inconclusive"}
    cases = ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    assert len(list(cases)) == len(load_catalog())
    html = (tmp_path / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "LEADS-AUTH-001" in html
    assert not re.search(r"<(script|img|link|iframe)\b[^>]*\b(src|href)=", html)  # no external asset


def test_the_suite_holds_no_bare_assert():
    """A run turns pytest's assertion rewriting off (it costs seconds): every check raises its own failure."""
    found = []
    for path in sorted(Path(conformance.suite.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
    assert "--assert=plain" in _pytest_args(RunOptions())


# ------------------------------------------------------------------------------ user mistakes, up front
def test_the_same_account_token_twice_is_refused_before_anything_is_sent(tmp_path):
    args = ["run", "--base-url", f"http://127.0.0.1:{free_port()}/api", "--token", "key-9f8e7d6c5b",
            "--account-token", "acct-same-1234", "--second-account-token", "acct-same-1234"]
    run = run_cli(args, tmp_path)
    assert run.code == 2
    line = _one_line_error(run)
    assert "--second-account-token is the same as --account-token" in line
    assert "cannot reach" not in run.stderr and run.report is None
    assert "acct-same-1234" not in run.stderr + run.stdout


def test_a_second_account_token_the_target_does_not_know_is_named_by_the_preflight(tmp_path):
    config = ReferenceConfig()
    with serve_in_thread(create_app(config)) as server:
        args = ["run", "--base-url", server.base_url, "--token", config.api_key,
                "--account-token", config.account_tokens[0], "--second-account-token", "acct-nobody-knows-7"]
        run = run_cli(args, tmp_path)
    assert run.code == 2
    line = _one_line_error(run)
    assert "rejected the second account token (--second-account-token)" in line
    assert "acct-nobody-knows-7" not in run.stderr + run.stdout
    # the folder says what was tried; nothing was tested, nothing is charged to the target
    assert run.report is not None and run.report["verdict"] == "incomplete"
    assert "acct-nobody-knows-7" not in (tmp_path / "evidence.ndjson").read_text()


def test_a_k_expression_that_does_not_parse_is_one_line_before_anything_runs(tmp_path):
    run = run_cli(["run", "-k", "create and ("], tmp_path)
    assert run.code == 2
    line = _one_line_error(run)
    assert "-k 'create and (' does not parse: at column 13" in line
    assert "suite error" not in run.stderr and run.report is None


def test_a_binary_baseline_is_not_utf8_text_not_an_internal_error(tmp_path):
    baseline = tmp_path / "known.yaml"
    baseline.write_bytes(b"\xff\xfe\x00\x01binary\x89PNG")
    run = run_cli(["run", "--baseline", str(baseline)], tmp_path / "out")
    assert run.code == 2
    line = _one_line_error(run)
    assert f"--baseline: {baseline} is not UTF-8 text" in line
    assert "internal error" not in run.stderr and "traceback is in" not in run.stderr


# ------------------------------------------------------------------------------ selecting by the catalog
def test_requirement_selects_the_checks_that_name_it(tmp_path):
    run = run_cli(["run", "--max-examples", "2", "--requirement", "LEADS-AUTH-002"], tmp_path)
    assert run.code == 0, run.stderr[-2000:]
    assert run.report["selection"]["requirements"] == ["LEADS-AUTH-002"]
    assert run.report["selection"]["whole_catalog"] is False
    checks = run.report["checks"]
    assert checks and all("LEADS-AUTH-002" in check["requirements"] for check in checks)
    statuses = run.statuses()
    assert statuses["LEADS-AUTH-002"] == "pass" and statuses["LEADS-CREATE-001"] == "skip"
    create = next(r for r in run.report["requirements"] if r["id"] == "LEADS-CREATE-001")
    assert create["reasons"] == ["not selected (--requirement LEADS-AUTH-002)"]
    assert run.report["verdict"] == "incomplete"


def test_area_selects_an_area_and_k_narrows_it(tmp_path):
    run = run_cli(["run", "--max-examples", "2", "--area", "tenant", "-k", "not query"], tmp_path)
    assert run.code == 0, run.stderr[-2000:]
    assert run.report["selection"]["areas"] == ["TENANT"]
    checks = run.report["checks"]
    assert checks and all("query" not in check["test"] for check in checks)
    assert all(any(rid.startswith("LEADS-TENANT-") for rid in check["requirements"]) for check in checks)
    assert any(check["test"].startswith("tenant.py::") for check in checks)
    # -k create would also select TENANT checks (created_after); --area CREATE selects CREATE's alone
    create = run_cli(["run", "--list", "--area", "CREATE"], tmp_path / "list")
    assert create.code == 0, create.stderr
    listed = [line.split()[1] for line in create.stdout.splitlines() if line.startswith(("run ", "skip "))]
    assert listed and not any(name.startswith("tenant.py::") for name in listed)


def test_an_unknown_requirement_or_area_is_one_line_and_exit_2(tmp_path):
    for args, said in (
        (["run", "--requirement", "LEADS-NOPE-001"], "--requirement LEADS-NOPE-001 is not in the catalog"),
        (["run", "--area", "BILLING"], "--area BILLING is not a catalog area"),
        (["run", "--certify", "--area", "AUTH"], "--certify refuses -k, --requirement and --area"),
    ):
        run = run_cli(args, tmp_path)
        assert run.code == 2, args
        assert said in _one_line_error(run)


def test_list_prints_what_would_run_and_what_would_be_skipped_and_sends_nothing(tmp_path):
    recorder = _Counting(create_app(ReferenceConfig()))
    config = ReferenceConfig()
    with serve_in_thread(recorder) as server:
        args = ["run", "--list", "--base-url", server.base_url, "--token", config.api_key,
                "--account-token", config.account_tokens[0]]
        run = run_cli(args, tmp_path / "a")
        read_only = run_cli([*args, "--profile", "read-only", "--area", "CREATE"], tmp_path / "b")
    assert (run.code, read_only.code) == (0, 0), run.stderr + read_only.stderr
    assert recorder.requests == 0
    assert not (tmp_path / "a" / "report.json").exists()
    lines = run.stdout.splitlines()
    assert re.match(r"\d+ checks would run and \d+ would be skipped; nothing is sent now\.", lines[0])
    runs = [line for line in lines if line.startswith("run ")]
    skips = [line for line in lines if line.startswith("skip ")]
    assert any("auth.py::test_wrong_api_key_gets_401[list]" in line for line in runs)
    no_second = "no second account token was given (--second-account-token)"
    assert skips and all("tenant.py::" in line and line.endswith(no_second) for line in skips)
    assert not any("tenant.py::" in line for line in runs)
    writes = [line for line in read_only.stdout.splitlines() if line.startswith("skip ")]
    assert any("create.py::test_create_answers_201" in line for line in writes)
    assert all(line.endswith("the read-only profile sends no request that writes") for line in writes)


class _Counting:
    """ASGI middleware that counts the HTTP requests the app receives."""

    def __init__(self, app):
        self.app = app
        self.requests = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)
