"""No credential in any output, whatever it looks like: redaction is structural.

Runs against a passing and a failing target with credentials that are short, that are parts of JSON
keys (``sha`` and ``a2`` in ``sha256``, ``id``), and that hold ``"`` and ``\\``; then reads every byte
of every output: each file of the report folder, stdout and stderr.
"""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import quote, quote_plus
from xml.etree import ElementTree

import pytest

from conformance.http.redaction import Redactor
from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from tests._runs import run_cli

SHORT = ("sha", "a2", "id")
ODD = ('k"e\\y-7', 'acct"\\a', 'acct"\\b')
SELECTION = "auth or tenant or create or retrieve"


def _fails_unknown_ids(app):
    """The reference, except that every 404 becomes a 500 (breaks RETRIEVE and HTTP requirements)."""

    async def broken(scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.start" and message["status"] == 404:
                message = {**message, "status": 500}
            await send(message)

        await app(scope, receive, sending)

    return broken


def _run(tmp_path, credentials, failing):
    config = replace(ReferenceConfig(), api_key=credentials[0], account_tokens=credentials[1:])
    app = create_app(config)
    with serve_in_thread(_fails_unknown_ids(app) if failing else app) as server:
        args = ["run", "--base-url", server.base_url, "--max-examples", "3", "-k", SELECTION]
        env = {
            "CONFORMANCE_TOKEN": credentials[0],
            "CONFORMANCE_ACCOUNT_TOKEN": credentials[1],
            "CONFORMANCE_SECOND_ACCOUNT_TOKEN": credentials[2],
        }
        return run_cli(args, tmp_path, env=env)


def _outputs(run) -> dict[str, str]:
    found = {p.name: p.read_text(encoding="utf-8") for p in run.folder.iterdir() if p.is_file()}
    found["stdout"], found["stderr"] = run.stdout, run.stderr
    return found


def _spellings(secret: str) -> set[str]:
    return {
        secret,
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(json.dumps(secret)[1:-1])[1:-1],
    }


def _assert_whole(run, failing: bool) -> None:
    assert run.report is not None, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert run.code == (1 if failing else 0), run.stderr[-2000:]
    assert {"report.json", "report.html", "junit.xml", "evidence.ndjson", "attestation.json"} <= set(
        _outputs(run)
    )
    assert set(run.report["spec"]) >= {"sha256", "catalog_sha256"}
    ElementTree.parse(run.folder / "junit.xml")
    statuses = run.statuses()
    assert statuses["LEADS-AUTH-001"] == "pass"
    assert (statuses["LEADS-RETRIEVE-001"] == "fail") is failing


@pytest.mark.slow
@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_credentials_with_quotes_and_backslashes_appear_nowhere(tmp_path, failing):
    run = _run(tmp_path, ODD, failing)
    _assert_whole(run, failing)
    for name, text in _outputs(run).items():
        for secret in ODD:
            for form in _spellings(secret):
                assert form not in text, (name, form)


@pytest.mark.slow
@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_short_credentials_inside_json_keys_break_nothing_and_leak_nowhere(tmp_path, failing):
    run = _run(tmp_path, SHORT, failing)
    _assert_whole(run, failing)
    outputs = _outputs(run)
    for line in outputs["evidence.ndjson"].splitlines():
        headers = {k.lower(): v for k, v in json.loads(line)["request"]["headers"].items()}
        assert headers.get("x-account-token", "***") == "***"
        assert headers.get("authorization", "***").split(" ")[-1] == "***"
    for name, text in outputs.items():
        for secret in SHORT:
            for context in (
                f"Bearer {secret}",
                f"Token {secret}",
                f"X-Account-Token: {secret}",
                f'"X-Account-Token":"{secret}"',
                f'"Authorization":"{secret}"',
            ):
                assert context not in text, (name, context)


def test_redactor_masks_values_and_never_rewrites_keys_in_part():
    redactor = Redactor(["a2", 'q"\\-long-key'])
    tree = {"sha256": "ffa2", "a2": "x", "note": 'say q"\\-long-key and "q\\"\\\\-long-key"', "list": ["a2"]}
    clean = redactor.tree(tree)
    # a short credential is masked where it stands whole, never inside another value or a key
    assert clean == {"sha256": "ffa2", "***": "x", "note": clean["note"], "list": ["***"]}
    assert 'q"\\-long-key' not in clean["note"] and clean["note"].startswith("say *** and")
    assert redactor.headers({"Authorization": "Bearer a2", "X-Account-Token": "a2", "Accept": "a2/b"}) == {
        "Authorization": "Bearer ***",
        "X-Account-Token": "***",
        "Accept": "a2/b",
    }
    assert redactor.text(json.dumps({"k": 'q"\\-long-key'})) == '{"k": "***"}'


def test_short_credentials_never_garble_words_or_urls_and_are_still_masked_where_credentials_go():
    redactor = Redactor(["k", "a", "api"])
    for text in (
        "cannot reach http://127.0.0.1:1/api: ConnectError",
        "Basic auth is not accepted; a key is",
        "http://127.0.0.1:1/api/crm/v1/leads?page_size=1",
    ):
        assert redactor.text(text) == text
    assert redactor.tree({"target": {"base_url": "http://127.0.0.1:1/api"}}) == {
        "target": {"base_url": "http://127.0.0.1:1/api"}
    }
    # where a credential goes: a value that is one, its header, the scheme or header name before it
    assert redactor.text("api") == "***"
    assert redactor.headers({"Authorization": "Bearer k", "X-Account-Token": "api"}) == {
        "Authorization": "Bearer ***",
        "X-Account-Token": "***",
    }
    assert redactor.text("sent Authorization: Bearer k (401)") == "sent Authorization: Bearer *** (401)"
    assert redactor.text('{"X-Account-Token": "api"}') == '{"X-Account-Token": "***"}'
    assert redactor.text("Token k") == "Token ***"
    # one of 8 characters or more is masked anywhere, inside other text too
    assert Redactor(["k3y-long-1"]).text("http://h/api?x=k3y-long-1&y") == "http://h/api?x=***&y"


def test_a_short_credential_is_said_in_one_line_and_leaves_messages_and_the_record_whole(tmp_path):
    base_url = "http://127.0.0.1:1/api"
    run = run_cli(["run", "--base-url", base_url, "--token", "k", "--account-token", "api"], tmp_path)
    assert run.code == 2
    warnings = [line for line in run.stderr.splitlines() if line.startswith("conformance: warning: ")]
    assert len(warnings) == 2, run.stderr
    said = "conformance: warning: --token is 1 character long: a credential shorter than 8"
    assert warnings[0].startswith(said)
    assert warnings[1].startswith("conformance: warning: --account-token is 3 characters long")
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith(f"conformance: error: cannot reach {base_url}: "), error
    assert "***" not in error
    assert run.report is not None and run.report["target"]["base_url"] == base_url
    for line in (tmp_path / "evidence.ndjson").read_text().splitlines():
        headers = json.loads(line)["request"]["headers"]
        assert headers["Authorization"] == "Bearer ***" and headers["X-Account-Token"] == "***"
