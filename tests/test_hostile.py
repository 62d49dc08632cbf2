"""Hostile servers: every misbehaviour ends in bounded time, with a finished report and no traceback.

The reference app is served behind a front that misbehaves on one operation (``tests.hostile``)
while every other operation stays conformant. Whatever it does, a request ends within its
deadline, no credential reaches another host, a run ends within its bound with a finished report,
and the verdict names the operation that misbehaved.
"""

from __future__ import annotations

import errno
import json
import time
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.http.evidence import EvidenceLog, read_evidence
from conformance.http.target import RESEND, Pacing, Target
from conformance.outcomes import Inconclusive, TargetUnreachable
from conformance.reference import ReferenceConfig
from conformance.run.options import RunOptions
from conformance.run.runner import RunResult, TargetNotTestable, preflight, run
from tests.hostile import MODES, ForeignHost, HostileServer

CONFIG = ReferenceConfig()
SECRETS = (CONFIG.api_key, *CONFIG.account_tokens)
LIST = "GET /crm/v1/leads"
RFC = "GET /crm/v1/leads/remote-field-classes"
RETRIEVE = "GET /crm/v1/leads/{id}"
CREATE = "POST /crm/v1/leads"
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def foreign():
    host = ForeignHost()
    yield host
    host.stop()


def _target(server: HostileServer, tmp_path: Path, **pacing: float) -> Target:
    target = Target(
        base_url=server.base_url,
        token=CONFIG.api_key,
        account_token=CONFIG.account_tokens[0],
        timeout=TIMEOUT,
        pacing=Pacing(max_body_bytes=1024 * 1024, **pacing),  # type: ignore[arg-type]
    )
    target.evidence = EvidenceLog(tmp_path / "evidence.ndjson", target.redactor)
    return target


def _no_credential_crossed(foreign: ForeignHost) -> None:
    assert not any(foreign.saw(secret) for secret in SECRETS)


def test_every_mode_is_tested():
    tested = {*NO_ANSWER, *ANSWERED, *PREFLIGHT, "not-found"}
    assert tested == set(MODES)


# -- one request ---------------------------------------------------------------------------------
#: modes that leave a request without a usable answer, and how the suite says so
NO_ANSWER = {
    "hang": "no complete answer within 1 s",
    "drip": "no complete answer within 1 s",
    "reset": "reset",
    "garbage": "illegal",
    "truncated": "without sending complete message body",
    "endless": "body larger than",
    "bomb": "decoded body larger than",
}


@pytest.mark.parametrize("mode", sorted(NO_ANSWER))
def test_a_get_without_a_usable_answer_is_resent_once_then_inconclusive_in_bounded_time(mode, tmp_path):
    with HostileServer({RFC: mode}) as server:
        target = _target(server, tmp_path)
        with target.client() as http:
            assert http.get("crm/v1/leads", params={"page_size": 1}).status_code == 200
            started = time.monotonic()
            with pytest.raises(Inconclusive, match=NO_ANSWER[mode]) as raised:
                http.get("crm/v1/leads/remote-field-classes")
            elapsed = time.monotonic() - started
        hits = dict(server.hits)
    assert elapsed < 2 * TIMEOUT + 1.5
    message = raised.value.message
    assert "/crm/v1/leads/remote-field-classes" in message and "re-sent once" in message
    assert hits == {RFC: 2}
    target.evidence.close()  # type: ignore[union-attr]
    *_, first, second = read_evidence(tmp_path / "evidence.ndjson")
    assert "error" in first and "response" not in first
    assert second["attempt"] == 2 and second["note"].endswith("the failure reproduced")


def test_a_write_that_hangs_is_not_resent(tmp_path):
    with HostileServer({CREATE: "hang"}) as server:
        target = _target(server, tmp_path)
        started = time.monotonic()
        with target.client() as http, pytest.raises(Inconclusive, match="within 1 s"):
            http.post("crm/v1/leads", json={"model": {"first_name": "Ada"}})
        assert time.monotonic() - started < TIMEOUT + 1.0
        assert server.hits == {CREATE: 1}


#: modes whose answer the suite returns to the check, which judges it
ANSWERED = ("redirect-foreign", "redirect-loop", "throttle", "html", "not-json")


def test_a_redirect_to_another_host_is_not_followed(foreign, tmp_path):
    with HostileServer({RFC: "redirect-foreign"}, foreign=foreign) as server:
        with _target(server, tmp_path).client() as http:
            response = http.get("crm/v1/leads/remote-field-classes")
        assert response.status_code == 302
        assert response.headers["location"].startswith(foreign.origin)
    assert foreign.requests == []


def test_a_redirect_loop_is_one_request(tmp_path):
    with HostileServer({RFC: "redirect-loop"}) as server:
        with _target(server, tmp_path).client() as http:
            assert http.get("crm/v1/leads/remote-field-classes").status_code == 307
        assert server.hits == {RFC: 1}


def test_a_429_forever_is_returned_once_the_budget_is_spent(tmp_path):
    with HostileServer({RFC: "throttle"}) as server:
        with _target(server, tmp_path, throttle_budget=1.5).client() as http:
            started = time.monotonic()
            assert http.get("crm/v1/leads/remote-field-classes").status_code == 429
            assert http.get("crm/v1/leads/remote-field-classes").status_code == 429
            elapsed = time.monotonic() - started
        assert server.hits == {RFC: 3}
    assert 1.0 <= elapsed < 2.5


def test_an_html_error_page_is_a_5xx_whose_resend_reproduced(tmp_path):
    with HostileServer({RFC: "html"}) as server:
        with _target(server, tmp_path).client() as http:
            response = http.get("crm/v1/leads/remote-field-classes")
        assert server.hits == {RFC: 2}
    assert response.status_code == 502 and response.extensions[RESEND] == "reproduced"
    assert response.text.startswith("<!DOCTYPE html>")


def test_a_body_that_is_not_json_is_returned_as_it_came(tmp_path):
    with HostileServer({RFC: "not-json"}) as server, _target(server, tmp_path).client() as http:
        response = http.get("crm/v1/leads/remote-field-classes")
    assert (response.status_code, response.text) == (200, "OK")


# -- the preflight ---------------------------------------------------------------------------------
#: a misbehaving first request, and the one line the preflight says about it
PREFLIGHT = {
    "redirect-foreign": (TargetNotTestable, r"redirects GET /crm/v1/leads \(302 to http://127\.0\.0\.\d:\d+"),
    "redirect-loop": (TargetNotTestable, r"redirects GET /crm/v1/leads \(307 to /api/crm/v1/leads"),
    "html": (TargetNotTestable, r'answered GET /crm/v1/leads 502 with an HTML page \("502 Bad Gateway"\)'),
    "not-json": (TargetNotTestable, r"200 with a body that is not JSON \(text/plain, 2 bytes\)"),
    "truncated": (TargetNotTestable, r"cut its answer to GET /crm/v1/leads short"),
    "garbage": (TargetUnreachable, r"cannot reach .*illegal"),
    "reset": (TargetUnreachable, r"cannot reach .*reset"),
    "hang": (TargetUnreachable, r"cannot reach .*within 1 s"),
    "drip": (TargetUnreachable, r"cannot reach .*within 1 s"),
    "endless": (TargetUnreachable, r"cannot reach .*body larger than"),
    "bomb": (TargetUnreachable, r"cannot reach .*decoded body larger than"),
}


@pytest.mark.parametrize("mode", sorted(PREFLIGHT))
def test_the_preflight_says_in_one_line_why_nothing_can_be_tested(mode, foreign, tmp_path):
    kind, said = PREFLIGHT[mode]
    with HostileServer({LIST: mode}, foreign=foreign) as server:
        started = time.monotonic()
        with pytest.raises(kind, match=said) as raised:
            preflight(_target(server, tmp_path))
    assert time.monotonic() - started < 2 * TIMEOUT + 1.5
    assert "\n" not in str(raised.value)
    _no_credential_crossed(foreign)


def test_an_error_on_the_preflights_second_request_is_one_line(tmp_path):
    modes = {LIST: "not-found", "GET /crm/v1/leads/meta/post": "reset"}
    with HostileServer(modes) as server, pytest.raises(TargetUnreachable, match="cannot reach"):
        preflight(_target(server, tmp_path))


def test_a_throttled_preflight_leaves_the_429s_to_the_checks(tmp_path):
    with HostileServer({LIST: "throttle"}) as server:
        preflight(_target(server, tmp_path, max_retries_429=0))


# -- whole runs ------------------------------------------------------------------------------------
def _run(
    server: HostileServer, folder: Path, select: str, max_duration: float = 30
) -> tuple[RunResult, float]:
    options = RunOptions(
        base_url=server.base_url,
        token=CONFIG.api_key,
        account_token=CONFIG.account_tokens[0],
        second_account_token=CONFIG.account_tokens[1],
        max_examples=2,
        timeout=TIMEOUT,
        max_duration=max_duration,
        select=select,
        report_dir=folder,
    )
    started = time.monotonic()
    result = run(options)
    return result, time.monotonic() - started


def _finished(result: RunResult, folder: Path, elapsed: float, bound: float) -> dict:
    report = json.loads((folder / "report.json").read_text())
    assert (folder / "report.html").exists() and (folder / "attestation.json").exists()
    assert report["suite_errors"] == [] and result.exit_code == 1
    assert elapsed < bound
    written = "".join(p.read_text() for p in folder.iterdir() if p.is_file())
    assert not any(secret in written for secret in SECRETS)
    return report


def _names(report: dict, path: str, statuses: tuple[str, ...]) -> list[str]:
    """The requirements with one of ``statuses`` whose reasons or failures name ``path``."""
    named = []
    for requirement in report["requirements"]:
        if requirement["status"] not in statuses:
            continue
        said = [*requirement.get("reasons", [])]
        said += [f"{f['message']} {f.get('reproduce') or ''}" for f in requirement["failures"]]
        if any(path in text for text in said):
            named.append(requirement["id"])
    return named


RFC_ALL = {"LEADS-RFC-001", "LEADS-RFC-002", "LEADS-RFC-003"}
WHOLE_RUNS = [
    # mode, operation, -k, the requirements it leaves undecided or failed, their status
    ("drip", RFC, "remote_field_classes", RFC_ALL, "inconclusive"),
    ("hang", CREATE, "create_answers_201", {"LEADS-CREATE-001"}, "inconclusive"),
    ("reset", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("garbage", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("truncated", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("endless", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("bomb", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("throttle", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "inconclusive"),
    ("redirect-foreign", RETRIEVE, "retrieve", {"LEADS-RETRIEVE-001"}, "fail"),
    ("redirect-loop", RETRIEVE, "retrieve", {"LEADS-RETRIEVE-001"}, "fail"),
    ("html", RETRIEVE, "retrieve", {"LEADS-RETRIEVE-001", "LEADS-RETRIEVE-003"}, "fail"),
    ("not-json", RFC, "remote_field_classes", {"LEADS-RFC-001"}, "fail"),
]


@pytest.mark.parametrize(
    ("mode", "operation", "select", "expected", "status"),
    [
        pytest.param(*case, id=case[0], marks=() if case[0] == "drip" else pytest.mark.slow)
        for case in WHOLE_RUNS
    ],
)
def test_a_run_against_one_misbehaving_operation_ends_in_its_bound_and_names_it(
    mode, operation, select, expected, status, foreign, tmp_path
):
    with HostileServer({operation: mode}, foreign=foreign) as server:
        result, elapsed = _run(server, tmp_path, select, max_duration=120)
        assert server.hits.get(operation), "the misbehaviour was never exercised"
    report = _finished(result, tmp_path, elapsed, bound=120 + 30)
    path = "/crm/v1/leads/{id}" if operation == RETRIEVE else operation.split(" ", 1)[1]
    named = set(_names(report, path.replace("/{id}", "/"), (status,)))
    assert expected <= named, (expected, report["requirements"])
    if mode == "drip":  # every request to it failed: the breaker opened, and the report says so
        assert any("stopped answering" in note and path in note for note in report["notes"])
    _no_credential_crossed(foreign)


@pytest.mark.slow
def test_a_run_that_reaches_its_max_duration_ends_with_a_finished_report(tmp_path):
    with HostileServer({RETRIEVE: "drip"}) as server:
        result, elapsed = _run(server, tmp_path, "retrieve", max_duration=2)
    report = _finished(result, tmp_path, elapsed, bound=2 + 45)
    assert any("--max-duration (2 s)" in note for note in report["notes"])
    assert "the run reached its --max-duration of 2 s" in json.dumps(report["requirements"])
    assert report["verdict"] == "incomplete"


def test_a_run_whose_preflight_fails_leaves_a_report_saying_what_was_tried(tmp_path):
    with HostileServer({LIST: "html"}) as server, pytest.raises(TargetNotTestable, match="HTML") as raised:
        _run(server, tmp_path, "auth")
    assert str(tmp_path / "report.html") in str(raised.value)
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["verdict"], report["gate"], report["tests"]) == ("incomplete", "fail", 0)
    assert {r["status"] for r in report["requirements"]} == {"inconclusive"}
    assert all("HTML page" in r["reasons"][0] for r in report["requirements"])
    assert any("nothing was tested" in note and "HTML page" in note for note in report["notes"])
    assert report["evidence"]["exchanges"] == 2  # the list request and its re-send
    assert (tmp_path / "attestation.json").exists() and (tmp_path / "report.html").exists()


# -- the command line: one line, exit 2, never a traceback -----------------------------------------
def _cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert lines and lines[-1].startswith("conformance: error: "), err
    return int(exited.value.code or 0), lines[-1]


def _credentials() -> list[str]:
    return ["--token", CONFIG.api_key, "--account-token", CONFIG.account_tokens[0]]


def test_a_failed_preflight_is_one_line_exit_2_and_a_report(capsys, tmp_path):
    with HostileServer({LIST: "redirect-loop"}) as server:
        code, line = _cli(
            capsys, "run", "--base-url", server.base_url, *_credentials(), "--report-dir", str(tmp_path)
        )
    assert code == 2 and "redirects GET /crm/v1/leads" in line
    assert (tmp_path / "report.json").exists()


@pytest.mark.parametrize(
    "url", ["http://[::1/api", "http://[::1]:99999/api", "http://exa mple.test/api", "http://:80/api"]
)
def test_a_malformed_base_url_is_one_line(url, capsys, tmp_path):
    code, line = _cli(capsys, "run", "--base-url", url, *_credentials(), "--report-dir", str(tmp_path))
    assert code == 2 and "--base-url" in line


def test_an_unwritable_report_dir_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, line = _cli(capsys, "run", "--report-dir", str(blocker / "reports"), "--max-duration", "5")
    assert code == 2 and "--report-dir" in line


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_report_folder(
    monkeypatch, capsys, tmp_path
):
    def broken(options, progress=None, on_context=None):
        raise RuntimeError(f"boom while holding {CONFIG.api_key}")

    monkeypatch.setattr("conformance.cli.run", broken)
    code, line = _cli(
        capsys, "run", "--base-url", "http://127.0.0.1:9/api", *_credentials(), "--report-dir", str(tmp_path)
    )
    log = tmp_path / "conformance-error.log"
    assert code == 2 and "internal error: RuntimeError: boom while holding ***" in line and str(log) in line
    assert "Traceback" in log.read_text() and CONFIG.api_key not in log.read_text()


def test_a_report_folder_io_error_is_one_line(monkeypatch, capsys, tmp_path):
    def full_disk(options, progress=None, on_context=None):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.json"))

    monkeypatch.setattr("conformance.cli.run", full_disk)
    code, line = _cli(capsys, "run", "--report-dir", str(tmp_path))
    assert code == 2 and f"file system error on {tmp_path / 'report.json'}: No space left on device" in line


def test_a_report_that_cannot_be_written_after_a_failed_preflight_still_says_why(monkeypatch, tmp_path):
    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("conformance.run.record.write_reports", full_disk)
    with HostileServer({LIST: "not-json"}) as server, pytest.raises(TargetNotTestable) as raised:
        _run(server, tmp_path, "auth")
    assert "not JSON" in str(raised.value) and "could not be written" in str(raised.value)
