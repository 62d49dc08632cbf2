"""What a run costs the target: the write budget and its shares, the adaptive concurrency window, the
backoff on a bare 429, and a target that throttles every request named as such."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from conformance.http.evidence import EvidenceLog, read_evidence
from conformance.http.limits import AdaptiveLimit, backoff
from conformance.http.target import Pacing, Target
from conformance.outcomes import Inconclusive
from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from conformance.suite.oracle.budget import WriteBudget
from tests._runs import SELFTEST_ARGS, run_cli, target_args
from tests.hostile import HostileServer

CONFIG = ReferenceConfig()
RFC = "GET /crm/v1/leads/remote-field-classes"


# ------------------------------------------------------------------------------ the write budget
def test_the_budget_serves_the_plan_first_then_fixed_shares_capped_by_what_each_can_use():
    budget = WriteBudget.split(40, {"meta-generated": 25, "stateful": 24, "exploration": 4})
    assert budget.shares["plan"] == 11
    assert budget.shares["meta-generated"] == 4 and budget.shares["stateful"] == 5
    assert budget.shares["exploration"] == 1
    assert sum(budget.shares.values()) == 40
    small = WriteBudget.split(6, {"meta-generated": 25})
    assert small.shares == {"plan": 6, "meta-generated": 0, "stateful": 0, "exploration": 0, "generated": 0}
    generous = WriteBudget.split(10_000, {"meta-generated": 25, "stateful": 24, "exploration": 4})
    assert generous.shares["meta-generated"] == 25 and generous.shares["stateful"] == 24


def test_a_write_beyond_a_share_is_refused_and_its_check_is_inconclusive_naming_the_budget():
    budget = WriteBudget.split(12, {"meta-generated": 25})
    assert budget.shares["generated"] == 1
    assert budget.allow("generated") and not budget.allow("generated")
    assert budget.left("generated") == 0
    outcome = budget.exhausted("generated", "a generated body", ["LEADS-META-004"])
    assert isinstance(outcome, Inconclusive) and "--write-budget of 12" in outcome.message
    assert outcome.requirements == ("LEADS-META-004",)


# ------------------------------------------------------------------------------ the window
def _answer(status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


def test_the_window_halves_on_a_429_and_grows_back_by_one_a_window_of_good_answers():
    limit = AdaptiveLimit(4)
    limit.acquire()
    limit.release(_answer(429), "GET x", 0.01)
    assert limit.report()["window"] == 2
    for _ in range(2):
        limit.acquire()
        limit.release(_answer(), "GET x", 0.01)
    assert limit.report()["window"] == 3
    for _ in range(20):
        limit.acquire()
        limit.release(_answer(), "GET x", 0.01)
    assert limit.report() == {"ceiling": 4, "window": 4, "lowest": 2, "shrunk": 1}


def test_the_window_never_closes_and_a_spent_quota_holds_every_request_until_it_resets():
    limit = AdaptiveLimit(2)
    for _ in range(5):
        limit.acquire()
        limit.release(None, "GET x", 0.01)
    assert limit.report()["window"] == 1
    limit.acquire()
    limit.release(_answer(200, **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0.3"}), "GET x", 0.01)
    started = time.monotonic()
    limit.acquire()
    assert 0.2 <= time.monotonic() - started < 1.0
    limit.release(_answer(), "GET x", 0.01)


def test_rising_latency_of_an_operation_shrinks_the_window_and_a_slower_operation_does_not():
    limit = AdaptiveLimit(4)
    for _ in range(12):
        limit.acquire()
        limit.release(_answer(), "GET /leads", 0.06)
    for _ in range(12):
        limit.acquire()
        limit.release(_answer(), "POST /leads", 1.5)
    assert limit.report()["shrunk"] == 0
    limit.acquire()
    limit.release(_answer(), "GET /leads", 1.0)
    assert limit.report()["shrunk"] == 1


def test_no_more_requests_are_in_flight_than_the_window_holds():
    limit = AdaptiveLimit(2)
    peak, inside, lock = [0], [0], threading.Lock()

    def work() -> None:
        limit.acquire()
        with lock:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
        time.sleep(0.02)
        with lock:
            inside[0] -= 1
        limit.release(_answer(), "GET x", 0.02)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2


def test_a_bare_429_is_waited_out_with_growing_jittered_backoff():
    first = [backoff(1) for _ in range(50)]
    third = [backoff(3) for _ in range(50)]
    assert all(0.25 <= wait <= 0.75 for wait in first) and len(set(first)) > 1
    assert all(1.0 <= wait <= 1.5 for wait in third)
    assert backoff(30) <= 30.5


# ------------------------------------------------------------------------------ a throttling target
def test_a_target_that_throttles_every_request_is_named_and_nothing_more_is_sent(tmp_path: Path):
    with HostileServer({RFC: "throttle"}) as server:
        target = Target(
            base_url=server.base_url,
            token=CONFIG.api_key,
            account_token=CONFIG.account_tokens[0],
            timeout=2.0,
            pacing=Pacing(storm_after=0.5, max_retry_after=0.2),
        )
        target.evidence = EvidenceLog(tmp_path / "evidence.ndjson", target.redactor)
        with target.client() as http:
            while target.storm_note() is None:
                assert http.get("crm/v1/leads/remote-field-classes").status_code == 429
            hits = dict(server.hits)
            with pytest.raises(Inconclusive, match="throttles every request"):
                http.get("crm/v1/leads")
        assert server.hits == hits
    assert "answered 429 to every request" in (target.storm_note() or "")


def test_parallel_work_keeps_the_items_order():
    target = Target(base_url="http://127.0.0.1:9/api", token="k" * 8, account_token="a" * 8, concurrency=3)
    assert target.parallel(lambda n: (time.sleep(0.01 * (5 - n)), n)[1], list(range(5))) == [0, 1, 2, 3, 4]


# ------------------------------------------------------------------------------ whatever the interleaving
_VARYING = (
    (re.compile(r"https?://127\.0\.0\.1:\d+"), "<base>"),
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}(:|%3A)\d{2}(:|%3A)\d{2}(\.\d+)?(Z|[+-]\d{2}(:|%3A)\d{2}|%2B\d{2}%3A\d{2})?"),
     "<time>"),
    (re.compile(r"cursor=[^&\s\"]+"), "cursor=<cursor>"),
    (re.compile(r"00Q5e00000\w{8}"), "<remote id>"),
    (re.compile(r"remote_id=[^&\s\"]+"), "remote_id=<remote id>"),
)


def _sent(folder: Path) -> Counter[str]:
    """The requests of a run, with what the server chose (ids, timestamps, cursors) masked."""
    sent: Counter[str] = Counter()
    for exchange in read_evidence(folder / "evidence.ndjson"):
        request = exchange["request"]
        text = f"{request['method']} {request['url']} {json.dumps(request.get('body'), sort_keys=True)}"
        for pattern, mask in _VARYING:
            text = pattern.sub(mask, text)
        sent[text] += 1
    return sent


@pytest.mark.slow
def test_the_same_seed_sends_the_same_requests_and_reaches_the_same_verdicts_whatever_the_interleaving(
    tmp_path: Path,
):
    runs = {}
    for concurrency in ("1", "4"):
        with serve_in_thread(create_app(ReferenceConfig())) as server:
            runs[concurrency] = run_cli(
                [*target_args(server.base_url), *SELFTEST_ARGS, "--run-id", "lc-same-run", "--concurrency",
                 concurrency], tmp_path / concurrency,
            )
    one, four = runs["1"], runs["4"]
    assert one.code == four.code == 0, (one.stderr[-2000:], four.stderr[-2000:])
    assert one.statuses() == four.statuses()
    assert _sent(one.folder) == _sent(four.folder)
