"""The evidence log: every exchange a line, redacted field by field, bodies capped, lines numbered."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.http.evidence import BODY_CAP, EvidenceLog, read_evidence
from conformance.http.redaction import Redactor
from conformance.http.target import Target
from conformance.outcomes import Inconclusive


def _target(tmp_path, handler) -> Target:
    target = Target(
        base_url="http://127.0.0.1:9/api",
        token="key-1",
        account_token="a2",
        transport=httpx.MockTransport(handler),
    )
    target.evidence = EvidenceLog(tmp_path / "evidence.ndjson", target.redactor)
    return target


def test_every_exchange_is_a_line_with_its_check_and_nothing_secret(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"sha256": "a2", "echo": request.headers["X-Account-Token"]})

    target = _target(tmp_path, handler)
    target.context = ("suite/auth.py::test_x", ["LEADS-AUTH-001"])
    with target.client() as http:
        http.get("crm/v1/leads", params={"page_size": 1})
        http.post("crm/v1/leads", json={"model": {"note": "a2"}})
    target.evidence.close()
    lines = list(read_evidence(tmp_path / "evidence.ndjson"))
    assert len(lines) == 2 == target.evidence.lines
    first, second = lines
    assert first["check"] == "suite/auth.py::test_x" and first["requirements"] == ["LEADS-AUTH-001"]
    assert first["request"]["headers"]["Authorization"] == "Bearer ***"
    assert first["request"]["headers"]["X-Account-Token"] == "***"
    assert first["response"]["status"] == 200
    assert first["response"]["body"] == {"sha256": "***", "echo": "***"}
    assert second["request"]["body"] == {"model": {"note": "***"}}
    assert target.history()[-1].line == 2
    assert "key-1" not in (tmp_path / "evidence.ndjson").read_text()


def test_a_large_body_is_capped_and_says_so(tmp_path):
    big = b"x" * (BODY_CAP * 3)
    target = _target(tmp_path, lambda request: httpx.Response(200, content=big))
    with target.client() as http:
        http.get("crm/v1/leads")
    target.evidence.close()
    (line,) = read_evidence(tmp_path / "evidence.ndjson")
    assert len(line["response"]["body_text"]) == BODY_CAP
    assert line["response"]["body_truncated"] == len(big)


def test_a_transport_error_is_logged_with_no_response(tmp_path):
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused long-key-9f8e7d6c, then a2")

    target = _target(tmp_path, handler)
    target.redactor = Redactor(["long-key-9f8e7d6c", "a2"])
    target.evidence = EvidenceLog(tmp_path / "evidence.ndjson", target.redactor)
    with target.client() as http, pytest.raises(Inconclusive):
        http.get("crm/v1/leads")
    target.evidence.close()
    lines = list(read_evidence(tmp_path / "evidence.ndjson"))
    assert lines and all("response" not in line for line in lines)
    # a credential of 8 characters or more is masked anywhere; a shorter one only where credentials go
    assert all(line["error"] == "refused ***, then a2" for line in lines)


def test_redactor_handles_every_spelling_of_a_credential():
    secret = 'q"\\/ &-key'
    redactor = Redactor([secret])
    for text in (secret, json.dumps(secret), repr(secret), "q%22%5C%2F%20%26-key", "q%22%5C%2F+%26-key"):
        assert secret not in redactor.text(text) and "***" in redactor.text(text), text
