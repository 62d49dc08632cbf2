"""Whole runs, observed from the server's side: the read-only profile and repeatable seeds."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pytest

from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from tests._runs import hangs_on_post, run_cli, target_args

pytestmark = pytest.mark.slow


@dataclass
class Recorder:
    """ASGI middleware that records every request the app receives."""

    app: object
    requests: list[tuple[str, str, bytes, bytes]] = field(default_factory=list)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks: list[bytes] = []
        index = len(self.requests)
        self.requests.append((scope["method"], scope["path"], scope["query_string"], b""))

        async def recording_receive():
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                self.requests[index] = (
                    scope["method"],
                    scope["path"],
                    scope["query_string"],
                    b"".join(chunks),
                )
            return message

        return await self.app(scope, recording_receive, send)


def _record_run(tmp_path, *extra: str) -> tuple[Recorder, object]:
    recorder = Recorder(create_app(ReferenceConfig()))
    with serve_in_thread(recorder) as server:
        run = run_cli([*target_args(server.base_url), *extra], tmp_path)
    return recorder, run


def test_read_only_profile_sends_no_request_that_writes(tmp_path):
    recorder, run = _record_run(tmp_path, "--profile", "read-only", "--max-examples", "5")
    assert run.code == 0, run.stderr[-2000:]
    methods = {method for method, *_ in recorder.requests}
    assert methods == {"GET"}
    skipped = {r["id"]: r for r in run.report["requirements"] if r["status"] == "skip"}
    assert "LEADS-CREATE-001" in skipped
    assert any("read-only" in reason for reason in skipped["LEADS-CREATE-001"]["reasons"])
    assert run.report["profile"] == "read-only"


def test_same_seed_and_run_id_send_the_same_generated_requests(tmp_path):
    args = ("--seed", "7", "--run-id", "lc-repeat", "--max-examples", "6", "-k", "properties")
    first, run1 = _record_run(tmp_path / "a", *args)
    second, run2 = _record_run(tmp_path / "b", *args)
    assert run1.report is not None and run2.report is not None
    assert len(first.requests) > 20
    # generated cases are sent several at once: the same requests, in whatever order they arrived
    assert _canonical(first.requests) == _canonical(second.requests)
    other, _ = _record_run(
        tmp_path / "c", "--seed", "8", "--run-id", "lc-repeat", "--max-examples", "6", "-k", "properties"
    )
    assert _canonical(other.requests) != _canonical(first.requests)


def test_coverage_cases_bounds_the_coverage_phase_and_the_report_says_so(tmp_path):
    args = ("--max-examples", "2", "-k", "test_generated_requests")
    bounded, run = _record_run(tmp_path / "a", *args, "--coverage-cases", "3")
    whole, default = _record_run(tmp_path / "b", *args, "--coverage-cases", "all")
    assert (run.report["coverage_cases"], default.report["coverage_cases"]) == (3, None)
    # five operations, each sends at most 3 coverage cases (a refusal with open inputs is sent again)
    assert len(whole.requests) > len(bounded.requests) + 500
    none, _ = _record_run(tmp_path / "c", *args, "--coverage-cases", "0")
    assert 0 < len(bounded.requests) - len(none.requests) <= 5 * 3 * 2


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _canonical(requests):
    """The requests as a multiset, each UUID masked: ids the server assigns differ, and generated cases are
    sent several at once, so their order is the network's."""
    return Counter(
        tuple(_UUID.sub(b"<uuid>", part if isinstance(part, bytes) else part.encode()) for part in request)
        for request in requests
    )


def test_every_lead_a_run_creates_carries_its_run_id(tmp_path):
    recorder, run = _record_run(tmp_path, "--run-id", "lc-tagcheck", "--max-examples", "5")
    assert run.report["run_id"] == "lc-tagcheck"
    posts = [body for method, _, _, body in recorder.requests if method == "POST"]
    assert posts
    untagged = [body for body in posts if b"lc-tagcheck" not in body]
    # bodies that cannot carry a tag: malformed JSON, a model that is not an object
    assert all(not body.strip().startswith(b'{"model": {') for body in untagged), untagged[:3]


def test_a_target_that_hangs_still_gets_a_finished_report(tmp_path):
    with serve_in_thread(hangs_on_post()) as server:
        run = run_cli([*target_args(server.base_url), "--max-examples", "3", "--timeout", "1"], tmp_path)
    assert run.report is not None, run.stderr[-2000:]
    statuses = run.statuses()
    assert statuses["LEADS-CREATE-001"] == "inconclusive"
    assert statuses["LEADS-PAGE-004"] == "pass"
    assert (run.report["verdict"], run.report["gate"], run.code) == ("incomplete", "fail", 1)
    assert any("POST" in note and "stopped answering" in note for note in run.report["notes"])
