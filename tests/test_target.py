"""The guarded HTTP client: 429 pacing, re-sends, deadlines, the breaker, the body cap, proxies, masking."""

from __future__ import annotations

import gzip
import json
import time
import tracemalloc
import zlib

import httpx
import pytest

from conformance.http import wire
from conformance.http.evidence import EvidenceLog, read_evidence
from conformance.http.target import RESEND, Pacing, Target
from conformance.http.transport import operation_key
from conformance.outcomes import Inconclusive

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
    monkeypatch.setattr("conformance.http.transport.time.sleep", sleeps.append)
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={"ok": 1})])
    with make_target(lambda request: next(answers)).client() as http:
        response = http.get("crm/v1/leads")
    assert response.status_code == 200
    assert sleeps == [2.0]


def test_a_persisting_429_is_returned_after_bounded_retries(monkeypatch):
    monkeypatch.setattr("conformance.http.transport.time.sleep", lambda seconds: None)
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    with make_target(handler, max_retries_429=2).client() as http:
        assert http.get("crm/v1/leads").status_code == 429
    assert len(calls) == 3


def test_retry_after_is_capped(monkeypatch):
    sleeps = []
    monkeypatch.setattr("conformance.http.transport.time.sleep", sleeps.append)
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
    monkeypatch.setattr("conformance.http.transport.time.monotonic", lambda: now[0])

    def fake_sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    monkeypatch.setattr("conformance.http.transport.time.sleep", fake_sleep)
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


# -- re-sends, deadlines, budgets, the half-open breaker, decompression, proxies ----------------
class _Clock:
    """A fake monotonic clock that sleeping advances."""

    def __init__(self, monkeypatch, start: float = 1000.0):
        self.now = start
        self.sleeps: list[float] = []
        monkeypatch.setattr("conformance.http.transport.time.monotonic", lambda: self.now)
        monkeypatch.setattr("conformance.http.transport.time.sleep", self.sleep)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _evidence_target(tmp_path, handler, **pacing) -> Target:
    target = make_target(handler, **pacing)
    target.evidence = EvidenceLog(tmp_path / "evidence.ndjson", target.redactor)
    return target


def _lines(target: Target, tmp_path) -> list[dict]:
    assert target.evidence is not None
    target.evidence.close()
    return list(read_evidence(tmp_path / "evidence.ndjson"))


def test_a_get_answered_5xx_is_resent_once_and_the_first_answer_is_kept(tmp_path):
    answers = iter([httpx.Response(503, json={"n": 1}), httpx.Response(200, json={"n": 2})])
    target = _evidence_target(tmp_path, lambda request: next(answers))
    with target.client() as http:
        response = http.get("crm/v1/leads")
    assert response.status_code == 503 and response.json() == {"n": 1}
    assert response.extensions[RESEND] == "not reproduced"
    first, second = _lines(target, tmp_path)
    assert "attempt" not in first and second["attempt"] == 2
    assert second["note"] == "re-send of line 1: the failure did not reproduce"
    assert target.exchange_line(target.last_reproduce()) == 1


def test_a_5xx_that_reproduces_is_marked_so(tmp_path):
    target = _evidence_target(tmp_path, lambda request: httpx.Response(500))
    with target.client() as http:
        assert http.get("crm/v1/leads").extensions[RESEND] == "reproduced"
    assert _lines(target, tmp_path)[1]["note"] == "re-send of line 1: the failure reproduced"


def test_a_transport_error_that_does_not_reproduce_counts_for_nothing(tmp_path):
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) % 2:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"results": []})

    target = _evidence_target(tmp_path, handler, max_consecutive_transport_failures=2)
    with target.client() as http:
        for _ in range(3):
            response = http.get("crm/v1/leads")
            assert response.status_code == 200 and response.extensions[RESEND] == "not reproduced"
    first, second, *_ = _lines(target, tmp_path)
    assert "response" not in first and first["error"].startswith("Server disconnected")
    assert second["attempt"] == 2 and second["response"]["status"] == 200
    assert second["note"] == "re-send of line 1: the failure did not reproduce"
    assert target.unresponsive_operations() == {} and target.exchange_line() == 6


def test_writes_are_never_resent():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(500)

    with make_target(handler).client() as http:
        assert RESEND not in http.post("crm/v1/leads", json={}).extensions
    assert len(calls) == 1


def test_past_the_runs_max_duration_no_request_is_sent(monkeypatch):
    clock = _Clock(monkeypatch)
    calls = []

    def handler(request):
        calls.append(1)
        clock.now += 6
        return httpx.Response(200, json={})

    target = make_target(handler)
    target.max_duration = 10
    with target.client() as http:
        http.get("crm/v1/leads")
        http.get("crm/v1/leads")
        with pytest.raises(Inconclusive, match="--max-duration of 10 s"):
            http.get("crm/v1/leads")
    assert len(calls) == 2 and target.out_of_time()


def test_the_429_budget_is_shared_by_the_whole_run(monkeypatch):
    clock = _Clock(monkeypatch)
    target = make_target(lambda r: httpx.Response(429, headers={"Retry-After": "2"}), throttle_budget=5)
    with target.client() as http:
        assert http.get("crm/v1/leads").status_code == 429
        assert http.get("crm/v1/leads").status_code == 429
    assert clock.sleeps == [2.0, 2.0]


def test_retry_after_as_an_http_date_is_honoured(monkeypatch):
    clock = _Clock(monkeypatch)
    answers = iter(
        [
            httpx.Response(
                429,
                headers={
                    "Retry-After": "Wed, 21 Oct 2026 07:28:07 GMT",
                    "Date": "Wed, 21 Oct 2026 07:28:00 GMT",
                },
            ),
            httpx.Response(200),
        ]
    )
    with make_target(lambda r: next(answers)).client() as http:
        assert http.get("crm/v1/leads").status_code == 200
    assert clock.sleeps == [7.0]


def test_the_breaker_half_opens_after_a_pause(monkeypatch):
    clock = _Clock(monkeypatch)
    healthy = []

    def handler(request):
        if not healthy:
            raise httpx.ConnectError("refused")
        return httpx.Response(201, json={})

    target = make_target(handler, max_consecutive_transport_failures=1, breaker_pause=30)
    with target.client() as http:
        with pytest.raises(Inconclusive, match="no usable answer"):
            http.post("crm/v1/leads", json={})
        with pytest.raises(Inconclusive, match="stopped answering"):
            http.post("crm/v1/leads", json={})
        clock.now += 31
        with pytest.raises(Inconclusive, match="no usable answer"):  # the trial fails: open again
            http.post("crm/v1/leads", json={})
        clock.now += 31
        with pytest.raises(Inconclusive, match="stopped answering"):  # the pause doubled
            http.post("crm/v1/leads", json={})
        clock.now += 31
        healthy.append(1)
        assert http.post("crm/v1/leads", json={}).status_code == 201
        assert http.post("crm/v1/leads", json={}).status_code == 201
    (why,) = target.unresponsive_operations().values()
    assert why.endswith("answered again after a pause")


class _Slow(httpx.SyncByteStream):
    """A body that comes a chunk at a time, each after ``pause`` seconds."""

    def __init__(self, pause: float):
        self.pause = pause

    def __iter__(self):
        for _ in range(100):
            time.sleep(self.pause)
            yield b" "


def test_a_request_has_one_deadline_for_its_whole_body():
    target = make_target(lambda r: httpx.Response(200, stream=_Slow(0.05)))
    target.timeout = 0.3
    started = time.monotonic()
    with target.client() as http, pytest.raises(Inconclusive, match="within 0.3 s"):
        http.post("crm/v1/leads", json={})
    assert time.monotonic() - started < 1.0


def test_a_gzip_bomb_never_grows_past_the_cap():
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    bomb = b"".join(packer.compress(block) for _ in range(32)) + packer.flush()  # 32 MiB inflated
    tracemalloc.start()
    try:
        with pytest.raises(wire.TooLarge):
            wire.decoded(bomb, "gzip", 1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(bomb) + 4 * 1024 * 1024


def test_gzip_and_deflate_bodies_are_decoded_under_the_cap():
    body = json.dumps({"results": ["x" * 100] * 50}).encode()
    for encoding, data in (("gzip", gzip.compress(body)), ("deflate", zlib.compress(body))):

        def handler(request, data=data, encoding=encoding):
            return httpx.Response(200, headers={"Content-Encoding": encoding}, stream=httpx.ByteStream(data))

        with make_target(handler, max_body_bytes=len(body)).client() as http:
            assert http.get("crm/v1/leads").content == body
        small = make_target(handler, max_body_bytes=len(body) - 1)
        with small.client() as http, pytest.raises(Inconclusive, match="decoded body larger"):
            http.get("crm/v1/leads")


def test_the_suite_asks_only_for_codings_it_can_cap():
    seen = {}

    def handler(request):
        seen["accept"] = request.headers["accept-encoding"]
        return httpx.Response(200)

    with make_target(handler).client() as http:
        http.get("crm/v1/leads")
    assert seen == {"accept": "gzip, deflate"}


def _clear_proxies(monkeypatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_proxies_come_from_the_environment_but_never_for_loopback(monkeypatch):
    _clear_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy-user:proxy-pass-77@proxy.example.test:3128")
    remote = Target(base_url="https://leads.example.test/api", token=KEY, account_token=ACCOUNT)
    assert remote.proxy == "http://proxy-user:proxy-pass-77@proxy.example.test:3128"
    assert "proxy-pass-77" not in remote.redact("via http://proxy-user:proxy-pass-77@proxy.example.test")
    assert Target(base_url="http://127.0.0.1:8000/api", token=KEY, account_token=ACCOUNT).proxy is None
    monkeypatch.setenv("NO_PROXY", ".example.test")
    assert Target(base_url="https://leads.example.test/api", token=KEY, account_token=ACCOUNT).proxy is None


def test_credentials_reach_a_proxy_only_inside_the_request_it_forwards(monkeypatch, tmp_path):
    """Plain http is forwarded (as the protocol requires); https is tunnelled: CONNECT carries none."""
    from tests.hostile import ForeignHost

    proxy = ForeignHost()
    try:
        _clear_proxies(monkeypatch)
        address = proxy.origin.split("//")[1]
        monkeypatch.setenv("HTTP_PROXY", f"http://puser:ppass-31@{address}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://puser:ppass-31@{address}")
        plain = Target(base_url="http://leads.example.test/api", token=KEY, account_token=ACCOUNT)
        with plain.client() as http:
            assert http.get("crm/v1/leads").status_code == 200
        (forwarded,) = proxy.requests
        assert forwarded.startswith(b"GET http://leads.example.test/api/crm/v1/leads HTTP/1.1")
        assert b"Proxy-Authorization: Basic " in forwarded
        secure = Target(base_url="https://leads.example.test/api", token=KEY, account_token=ACCOUNT)
        secure.evidence = EvidenceLog(tmp_path / "evidence.ndjson", secure.redactor)
        with secure.client() as http, pytest.raises(Inconclusive):
            http.post("crm/v1/leads", json={})
        tunnel = proxy.requests[1]
        assert tunnel.startswith(b"CONNECT leads.example.test:443 HTTP/1.1")
        assert KEY.encode() not in tunnel and ACCOUNT.encode() not in tunnel
        secure.evidence.close()
        assert "ppass-31" not in (tmp_path / "evidence.ndjson").read_text()
    finally:
        proxy.stop()
