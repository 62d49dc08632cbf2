"""CI that shows: under GitHub Actions a run writes a job summary and one ``::error`` annotation per
failed MUST requirement; ``action.yml`` is a composite action that installs the suite, runs it and
uploads the report folder (its run and verdict steps are run here as the runner would)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from conformance.reference import serve_in_thread
from conformance.run.github import github_annotations
from tests._runs import ROOT, run_cli, target_args
from tests.faults import all_faults

FAULT = next(f for f in all_faults() if f.name == "auth-403-instead-of-401")
ARGS = ["--area", "AUTH", "--max-examples", "2"]


def test_under_github_actions_a_run_writes_the_job_summary_and_an_error_per_failed_must(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    with serve_in_thread(FAULT.build()) as server:
        run = run_cli([*target_args(server.base_url), *ARGS], tmp_path / "report", env=env)
    assert run.code == 1, run.stderr[-2000:]
    failed_musts = [r for r in run.report["requirements"] if r["status"] == "fail" and r["level"] == "MUST"]
    assert len(failed_musts) >= 2
    errors = [line for line in run.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == len(failed_musts)
    for requirement in failed_musts:
        (line,) = [e for e in errors if e.startswith(f"::error title={requirement['id']} (MUST) fail::")]
        assert f"report.html#{requirement['id']}" in line and "\n" not in line
    text = summary.read_text()
    assert text.startswith("earlier step\n## Leads API conformance: FAIL\n")
    assert "Gate: **fail**" in text
    for requirement in failed_musts:
        row = next(line for line in text.splitlines() if f"| fail | {requirement['id']} (MUST)" in line)
        message = " ".join(requirement["failures"][0]["message"].split())[:40]
        assert message in row


def test_outside_github_actions_there_is_no_annotation_and_no_summary(tmp_path):
    summary = tmp_path / "summary.md"
    with serve_in_thread(FAULT.build()) as server:
        run = run_cli([*target_args(server.base_url), *ARGS], tmp_path / "report",
                      env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert run.code == 1
    assert "::error" not in run.stdout and not summary.exists()


def test_annotations_escape_what_would_end_them():
    report = {
        "requirements": [
            {"id": "LEADS-X-001", "level": "MUST", "status": "fail", "title": "50% of it",
             "failures": [{"message": "first line\nsecond line: 100%", "test": "x.py::test_y[a,b]"}]},
            {"id": "LEADS-X-002", "level": "MUST", "status": "pass", "title": "fine", "failures": []},
            {"id": "LEADS-X-003", "level": "SHOULD", "status": "warn", "title": "a warning",
             "failures": [{"message": "warned", "test": "x.py::test_z"}]},
        ]
    }
    (error, warning) = github_annotations(report, "report.html")
    assert error.startswith("::error title=LEADS-X-001 (MUST) fail::50%25 of it: first line")
    # one line: the reason is the message's first line; a % is escaped so it cannot end the command
    assert "\n" not in error and "second line" not in error
    assert re.fullmatch(r"::error title=[^:]+::[^\n]+", error)
    assert warning.startswith("::warning title=LEADS-X-003 (SHOULD) warn::")


# ------------------------------------------------------------------------------ action.yml
def _action() -> dict:
    return YAML(typ="safe").load((ROOT / "action.yml").read_text())


def _fill(text: str, inputs: dict[str, str]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: inputs[m.group(1)], text)


def test_action_yml_is_a_composite_action_that_installs_runs_and_uploads():
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [step.get("uses", "") for step in steps]
    assert uses[0].startswith("actions/setup-python@")
    assert any(u.startswith("actions/upload-artifact@") for u in uses)
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "${{ inputs.report-dir }}"
    install = next(step for step in steps if step.get("name") == "Install leads-conformance")
    assert install["run"] == 'python -m pip install "$GITHUB_ACTION_PATH"'
    assert any("conformance run" in step.get("run", "") for step in steps)
    # every input the steps read is declared, and every declared input is read
    text = (ROOT / "action.yml").read_text()
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    assert used == set(action["inputs"])
    assert all(step.get("shell") == "bash" for step in steps if "run" in step)


def test_the_action_run_and_verdict_steps_work_as_the_runner_runs_them(tmp_path):
    action = _action()
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update({"args": "--area RETRIEVE --max-examples 2", "report-dir": str(tmp_path / "reports")})
    outputs, summary = tmp_path / "outputs", tmp_path / "summary.md"
    base = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    base.update(GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary),
                GITHUB_ACTION_PATH=str(ROOT))
    # the installed suite first on PATH, as after the action's install step
    base["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    codes = []
    for name in ("conformance run", "Read the verdict"):
        step = next(step for step in action["runs"]["steps"] if step.get("name") == name)
        env = {**base, **{key: _fill(str(value), inputs) for key, value in step.get("env", {}).items()}}
        done = subprocess.run(
            ["bash", "-c", step["run"]], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
        )
        codes.append((done.returncode, done.stderr[-1500:]))
    assert codes[0][0] == 0 and codes[1][0] == 0, codes
    assert (tmp_path / "reports" / "report.json").exists()
    assert outputs.read_text().splitlines() == ["verdict=incomplete", "gate=pass"]
    assert summary.read_text().startswith("## Leads API conformance: INCOMPLETE")
