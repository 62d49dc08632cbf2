"""``conformance matrix``: targets side by side, report folders merged, changes since a previous matrix."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from conformance.cli import cli, main
from conformance.matrix import matrix_command
from conformance.matrix.build import content_of
from conformance.matrix.runs import Job, job_for, run_jobs
from conformance.matrix.targets import load_targets
from conformance.reference import serve_in_thread
from conformance.reporting.attestation import write_attestation
from tests._runs import CREDENTIALS, free_port, run_cli, target_args
from tests.faults import all_faults

FAULT = next(f for f in all_faults() if f.name == "auth-wrong-api-key-accepted")
SETTINGS = ["--max-examples", "3", "--seed", "1"]
ENV = {
    "MATRIX_TEST_KEY": CREDENTIALS.api_key,
    "MATRIX_TEST_ACCOUNT": CREDENTIALS.account_tokens[0],
    "MATRIX_TEST_SECOND": CREDENTIALS.account_tokens[1],
}
SECRETS = tuple(ENV.values())


def _remote(name: str, base_url: str) -> str:
    return (
        f'[[target]]\nname = "{name}"\nbase_url = "{base_url}"\ntoken_env = "MATRIX_TEST_KEY"\n'
        'account_token_env = "MATRIX_TEST_ACCOUNT"\nsecond_account_token_env = "MATRIX_TEST_SECOND"\n'
    )



def invoke(args: list[str]) -> Any:
    """``conformance matrix ARGS`` in this process."""
    return CliRunner().invoke(matrix_command, args, env=ENV, catch_exceptions=False)


def main_of(args: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """``conformance matrix ARGS`` through the real entry point: its exit status and stderr."""
    if "matrix" not in cli.commands:
        cli.add_command(matrix_command)
    with pytest.raises(SystemExit) as ended:
        main(["matrix", *args])
    return int(ended.value.code or 0), capfd.readouterr().err


def read(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "matrix.json").read_text())


@pytest.fixture(scope="module")
def served():
    with serve_in_thread(FAULT.build()) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def matrix_run(served, tmp_path_factory):
    """One matrix run: the bundled reference, a broken server, and a target that cannot be reached."""
    root = tmp_path_factory.mktemp("matrix")
    targets = root / "targets.toml"
    targets.write_text(
        '[defaults]\nmax_examples = 3\nseed = 1\n\n[[target]]\nname = "reference"\n\n'
        + _remote("broken", served)
        + _remote("unreachable", f"http://127.0.0.1:{free_port()}/api")
    )
    result = invoke([str(targets), "--jobs", "2", "--report-dir", str(root / "out")])
    return result, root / "out"


@pytest.mark.slow
def test_each_target_gets_the_verdict_of_its_own_run(matrix_run, served, tmp_path):
    result, out = matrix_run
    assert result.exit_code == 1, result.output
    matrix = read(out)
    targets = {t["name"]: t for t in matrix["targets"]}
    assert [t["name"] for t in matrix["targets"]] == ["broken", "reference", "unreachable"]
    alone = {
        "reference": run_cli(["run", *SETTINGS], tmp_path / "reference"),
        "broken": run_cli([*target_args(served), *SETTINGS], tmp_path / "broken"),
    }
    for name, run in alone.items():
        assert run.report is not None, run.stderr[-2000:]
        assert (targets[name]["verdict"], targets[name]["gate"]) == (
            run.report["verdict"],
            run.report["gate"],
        )
        assert {rid: row[name] for rid, row in matrix["cells"].items()} == run.statuses()
    assert targets["reference"]["passed"] and targets["reference"]["bundled"]
    assert not targets["broken"]["passed"] and matrix["cells"]["LEADS-AUTH-002"]["broken"] == "fail"
    assert {rid for rid, row in matrix["cells"].items() if row["broken"] == "fail"} == set(FAULT.breaks)
    # the target that could not be reached is a target that failed its gate, not the end of the others
    assert targets["unreachable"]["state"] == "untested" and not targets["unreachable"]["passed"]
    assert matrix["source"]["runs"]["unreachable"]["exit_code"] == 2
    assert matrix["gate"] == "fail"
    assert set(matrix["areas"]["broken"]) == {r["area"] for r in matrix["requirements"]}
    assert matrix["areas"]["broken"]["AUTH"]["fail"] == 1


@pytest.mark.slow
def test_every_cell_links_to_its_row_in_the_target_report(matrix_run):
    _, out = matrix_run
    page = (out / "matrix.html").read_text()
    matrix = read(out)
    for name in ("reference", "broken"):
        report = (out / name / "report.html").read_text()
        for requirement in matrix["requirements"]:
            rid = requirement["id"]
            assert f'href="{name}/report.html#{quote(rid, safe="")}"' in page, (name, rid)
            assert f'id="{rid}"' in report, rid
    assert page.count("<svg") == 3 and "verdict" in page
    # self-contained: nothing fetched from elsewhere
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"(src|href)=\"?(https?:)?//", page)


@pytest.mark.slow
def test_no_credential_reaches_the_matrix_or_the_logs(matrix_run):
    _, out = matrix_run
    written = [out / "matrix.json", out / "matrix.html", *out.glob("*.log")]
    assert len(written) == 5
    for path in written:
        text = path.read_text()
        for secret in SECRETS:
            assert secret not in text, path.name


@pytest.mark.slow
def test_merge_of_the_folders_gives_the_same_matrix(matrix_run, tmp_path):
    _, out = matrix_run
    folders = [str(out / name) for name in ("unreachable", "reference", "broken")]
    merged = invoke(["--merge", *folders, "--report-dir", str(tmp_path / "merged")])
    assert merged.exit_code == 1, merged.output
    ran, joined = read(out), read(tmp_path / "merged")
    assert json.dumps(content_of(joined)) == json.dumps(content_of(ran))
    assert (ran["source"]["mode"], joined["source"]["mode"]) == ("run", "merge")
    link = tmp_path / "merged" / joined["source"]["reports"]["broken"]
    assert link.resolve() == (out / "broken" / "report.html").resolve()


@pytest.mark.slow
def test_a_tampered_folder_is_refused_by_name(matrix_run, tmp_path):
    _, out = matrix_run
    tampered = tmp_path / "vendor-x"
    shutil.copytree(out / "broken", tampered)
    data = bytearray((tampered / "report.json").read_bytes())
    at = data.index(b'"fail"') + 1
    data[at] = ord("F")  # one byte changed
    (tampered / "report.json").write_bytes(bytes(data))
    result = invoke(["--merge", str(out / "reference"), str(tampered), "--report-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "vendor-x: NOT VERIFIED" in result.stderr and "report.json" in result.stderr
    matrix = read(tmp_path / "m")
    entry = next(t for t in matrix["targets"] if t["name"] == "vendor-x")
    assert entry["state"] == "not verified" and "report.json" in entry["reason"] and not entry["passed"]
    assert all("vendor-x" not in row for row in matrix["cells"].values())
    assert "not verified" in (tmp_path / "m" / "matrix.html").read_text()


@pytest.mark.slow
def test_a_folder_of_another_catalog_is_refused_by_name(matrix_run, tmp_path):
    _, out = matrix_run
    other = tmp_path / "older"
    shutil.copytree(out / "reference", other)
    report = json.loads((other / "report.json").read_text())
    report["spec"]["catalog_sha256"] = "0" * 64
    (other / "report.json").write_text(json.dumps(report, indent=2))
    write_attestation(other, report)  # a record intact in itself, made with another catalog
    result = invoke(["--merge", str(other), "--report-dir", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "older: NOT VERIFIED" in result.stderr and "another requirement catalog" in result.stderr
    assert read(tmp_path / "m")["targets"][0]["state"] == "not verified"


@pytest.mark.slow
def test_previous_marks_the_cells_that_changed(matrix_run, tmp_path):
    _, out = matrix_run
    earlier = read(out)
    earlier["cells"]["LEADS-AUTH-002"]["broken"] = "pass"
    earlier["cells"]["LEADS-AUTH-001"]["reference"] = "fail"
    earlier["cells"]["LEADS-PAGE-001"]["reference"] = "skip"
    earlier["targets"] = [t for t in earlier["targets"] if t["name"] != "unreachable"]
    (tmp_path / "previous.json").write_text(json.dumps(earlier))
    folders = [str(out / name) for name in ("reference", "broken", "unreachable")]
    result = invoke(
        ["--merge", *folders, "--previous", str(tmp_path / "previous.json"), "--report-dir", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    trend = read(tmp_path)["trend"]
    changes = {(c["requirement"], c["target"]): (c["was"], c["now"], c["change"]) for c in trend["changes"]}
    assert changes == {
        ("LEADS-AUTH-002", "broken"): ("pass", "fail", "newly failing"),
        ("LEADS-AUTH-001", "reference"): ("fail", "pass", "newly passing"),
        ("LEADS-PAGE-001", "reference"): ("skip", "pass", "newly passing"),
    }
    assert trend["counts"] == {"newly failing": 1, "newly passing": 2, "changed": 0}
    assert trend["targets_added"] == ["unreachable"]
    page = (tmp_path / "matrix.html").read_text()
    assert page.count('class="cell chg"') == 3 and "newly failing: was pass" in page


def test_not_a_report_folder_is_a_usage_error_naming_it(tmp_path, capfd):
    (tmp_path / "empty").mkdir()
    code, said = main_of(["--merge", str(tmp_path / "empty"), "--report-dir", str(tmp_path / "m")], capfd)
    assert code == 2 and str(tmp_path / "empty") in said and len(said.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[[target]\nname = 'reference'\n", "is not valid TOML"),
        (
            _remote("vendor", "http://127.0.0.1:9/api").replace("MATRIX_TEST_KEY", "MATRIX_TEST_UNSET"),
            "MATRIX_TEST_UNSET (token_env) is not set",
        ),
        ("[[target]]\nname = 'reference'\ncolour = 'red'\n", "unknown key 'colour'"),
        (
            _remote("vendor", "http://a.example/api") + _remote("Vendor", "http://b.example/api"),
            "two targets are named 'Vendor'",
        ),
        ("[[target]]\nname = 'vendor'\n", "has no base_url"),
        ("[[target]]\nname = 'reference'\nmax_examples = 0\n", "max_examples must be a whole number"),
        ("[[target]]\nname = 'reference'\nbaseline = 'missing.yaml'\n", "missing.yaml does not exist"),
        ("[[target]]\nname = '../up'\n", "needs a name"),
    ],
)
def test_a_bad_targets_file_is_one_line_and_exit_2_before_anything_runs(
    text, said, tmp_path, capfd, monkeypatch
):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "targets.toml").write_text(text)
    code, stderr = main_of([str(tmp_path / "targets.toml"), "--report-dir", str(tmp_path / "out")], capfd)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1 and said in stderr, stderr
    assert not (tmp_path / "out").exists()
    for secret in SECRETS:
        assert secret not in stderr


def test_credentials_go_by_environment_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CONFORMANCE_BASE_URL", "http://elsewhere.example/api")
    (tmp_path / "targets.toml").write_text(
        _remote("vendor", "http://127.0.0.1:9/api") + "profile = 'read-only'\n"
    )
    (spec,) = load_targets(tmp_path / "targets.toml", ENV)
    job = job_for(spec, tmp_path)
    assert job.command[:4] == [sys.executable, "-m", "conformance", "run"]
    assert not any(secret in part for part in job.command for secret in SECRETS)
    assert job.env["CONFORMANCE_TOKEN"] == CREDENTIALS.api_key
    assert job.env["CONFORMANCE_SECOND_ACCOUNT_TOKEN"] == CREDENTIALS.account_tokens[1]
    assert "CONFORMANCE_BASE_URL" not in job.env
    assert job.command[job.command.index("--profile") + 1] == "read-only"
    assert job.folder == (tmp_path / "vendor").resolve()


def test_a_hung_or_crashed_run_is_recorded_and_the_others_still_run(tmp_path):
    def job(name: str, code: str, timeout: float = 60) -> Job:
        command = [sys.executable, "-c", code]
        return Job(name, command, {}, tmp_path / name, tmp_path / f"{name}.log", timeout, ["s3cret-key"])

    work = [
        job("hangs", "import time; time.sleep(60)", timeout=1),
        job("crashes", "import sys; print('conformance: error: s3cret-key went wrong'); sys.exit(2)"),
        job("passes", "print('fine')"),
    ]
    records = run_jobs(work, parallel=1)
    assert records["hangs"].timed_out and records["hangs"].exit_code is None
    assert "did not end within 1 s" in (records["hangs"].error or "")
    assert records["hangs"].seconds < 30
    assert records["crashes"].exit_code == 2
    said = records["crashes"].error or ""
    assert said.startswith("conformance: error: ") and said.endswith(" went wrong") and "s3cret" not in said
    assert "s3cret-key" not in (tmp_path / "crashes.log").read_text()
    assert (records["passes"].exit_code, records["passes"].error) == (0, None)


def test_a_run_without_a_report_folder_is_an_errored_target_that_fails_the_matrix():
    from conformance.matrix.build import build_matrix, errored_target
    from conformance.matrix.html import render_matrix

    matrix = build_matrix(
        [(errored_target("vendor", "the run did not end within 9 s and was stopped"), None)], {}
    )
    assert matrix["gate"] == "fail" and matrix["areas"] == {}
    assert all(row == {} for row in matrix["cells"].values())
    page = render_matrix(matrix)
    assert "errored" in page and "did not end within 9 s" in page and "<td class='cell nv'>—</td>" in page
