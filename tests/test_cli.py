"""The command line as users and CI meet it: exit statuses, one-line errors, reports without secrets."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import conformance.suite
from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from conformance.runner import RunOptions, _pytest_args
from conformance.spec import load_catalog
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
