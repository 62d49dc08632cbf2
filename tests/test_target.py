"""The guarded HTTP client: 429 pacing, the breaker, the body cap and credential masking."""

from __future__ import annotations

import httpx
import pytest

from conformance._outcomes import Inconclusive
from conformance.target import Pacing, Target, operation_key

KEY = "sk-live-4f9c2d"
ACCOUNT = "acct-7e1b"


def make_target(handler, **pacing) -> Target:
    return Target(
        base_url="http://127.0.0.1:1/api",
        token=KEY,
        account_token=ACCOUNT,
        transport=httpx.MockTransport(handler),
        pacing=Pacing(**pacing),
    )


def test_client_sends_both_credentials_under_the_base_path():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(
            url=str(request.url),
            auth=request.headers["authorization"],
            acct=request.headers["x-account-token"],
        )
        return httpx.Response(200, json={})

    with make_target(handler).client() as http:
        http.get("crm/v1/leads", params={"page_size": 1})
    assert seen == {
        "url": "http://127.0.0.1:1/api/crm/v1/leads?page_size=1",
        "auth": f"Bearer {KEY}",
        "acct": ACCOUNT,
    }


def test_429_waits_for_retry_after_then_retries(monkeypatch):
    sleeps = []
    monkeypatch.setattr("conformance.target.time.sleep", sleeps.append)
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"ok": 1})])
    with make_target(lambda request: next(answers)).client() as http:
        response = http.get("crm/v1/leads")
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_a_persisting_429_is_returned_after_bounded_retries(monkeypatch):
    monkeypatch.setattr("conformance.target.time.sleep", lambda seconds: None)
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with make_target(handler, max_retries_429=2).client() as http:
        assert http.get("crm/v1/leads").status_code == 429
    assert len(calls) == 3


def test_retry_after_is_capped(monkeypatch):
    sleeps = []
    monkeypatch.setattr("conformance.target.time.sleep", sleeps.append)
    answers = iter([httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200)])
    with make_target(lambda r: next(answers), max_retry_after=5).client() as http:
        http.get("x")
    assert sleeps == [5]


def test_transport_failure_is_inconclusive_and_the_breaker_opens():
    calls = []

    def handler(request):
        calls.append(1)
        raise httpx.ReadTimeout("timed out", request=request)

    target = make_target(handler, max_consecutive_transport_failures=2)
    with target.client() as http:
        for _ in range(2):
            with pytest.raises(Inconclusive):
                http.get("crm/v1/leads")
        with pytest.raises(Inconclusive, match="stopped answering GET /api/crm/v1/leads"):
            http.get("crm/v1/leads")
    assert len(calls) == 2


def test_the_breaker_trips_per_operation():
    def handler(request):
        if request.method == "POST":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={})

    target = make_target(handler, max_consecutive_transport_failures=1)
    with target.client() as http:
        with pytest.raises(Inconclusive):
            http.post("crm/v1/leads", json={})
        with pytest.raises(Inconclusive, match="stopped answering POST"):
            http.post("crm/v1/leads", json={})
        assert http.get("crm/v1/leads/abc").status_code == 200
    assert target.unresponsive_operations() == {"POST /api/crm/v1/leads": "1 times ReadTimeout"}


def test_operation_key_folds_lead_ids_but_not_sub_resources():
    assert operation_key("get", "/api/crm/v1/leads/0f9e") == "GET /api/crm/v1/leads/{id}"
    assert operation_key("GET", "/api/crm/v1/leads/meta/post") == "GET /api/crm/v1/leads/meta/post"
    assert operation_key("GET", "/crm/v1/leads") == "GET /crm/v1/leads"


def test_an_oversized_body_is_inconclusive():
    target = make_target(lambda r: httpx.Response(200, content=b"x" * 2048), max_body_bytes=1024)
    with target.client() as http, pytest.raises(Inconclusive, match="larger than"):
        http.get("crm/v1/leads")


def test_error_responses_are_paced_on_remote_targets(monkeypatch):
    sleeps = []
    now = [100.0]
    monkeypatch.setattr("conformance.target.time.monotonic", lambda: now[0])

    def fake_sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("conformance.target.time.sleep", fake_sleep)
    target = Target(
        base_url="https://leads.example.test/api",
        token=KEY,
        account_token=ACCOUNT,
        transport=httpx.MockTransport(lambda r: httpx.Response(400)),
        pacing=Pacing(max_errors_in_window=3),
    )
    with target.client() as http:
        for _ in range(4):
            http.get("crm/v1/leads")
    assert sleeps and sleeps[0] > 9


def test_loopback_targets_are_not_paced():
    target = Target(base_url="http://localhost:8000/api", token=KEY, account_token=ACCOUNT)
    assert target.pacing.pace_errors is False


def test_reproduce_command_masks_credentials_everywhere():
    target = make_target(lambda r: httpx.Response(500, json={"echo": KEY}))
    with target.client() as http:
        http.post("crm/v1/leads", json={"model": {"title": f"{KEY} and {ACCOUNT}"}})
    command = target.last_reproduce()
    assert command is not None
    assert KEY not in command and ACCOUNT not in command
    assert "Authorization: Bearer ***" in command and "X-Account-Token: ***" in command
    assert command.startswith("curl -X POST http://127.0.0.1:1/api/crm/v1/leads")


def test_redirects_are_not_followed():
    target = make_target(lambda r: httpx.Response(302, headers={"Location": "https://elsewhere.test/steal"}))
    with target.client() as http:
        assert http.get("crm/v1/leads").status_code == 302
    assert [e.url for e in target.history()] == ["http://127.0.0.1:1/api/crm/v1/leads"]
