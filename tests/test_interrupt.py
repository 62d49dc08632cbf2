"""A run stopped by Ctrl-C (SIGINT) or a CI job's timeout (SIGTERM): a whole, verifiable folder.

The run is sent the signal once its checks have begun, against a target slow enough that most of
them have not run yet. The report says ``interrupted`` (verdict incomplete, gate fail), the checks it
never reached are ``not run`` (never ``skip``), the exit status is 128 + the signal's number, and
``conformance verify`` passes on the folder.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from tests._runs import ROOT, target_args

pytestmark = pytest.mark.slow


def _slow_reference():
    app = create_app(ReferenceConfig())

    async def slow(scope, receive, send):
        if scope["type"] == "http":
            await asyncio.sleep(0.05)
        await app(scope, receive, send)

    return slow


def _lines(path: Path) -> int:
    try:
        with path.open(encoding="utf-8") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def _interrupted_run(tmp_path: Path, number: signal.Signals) -> tuple[int, str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    with serve_in_thread(_slow_reference()) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance", *target_args(server.base_url),
             "--report-dir", str(tmp_path)],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # as a shell starts a foreground command: Ctrl-C's SIGINT is not ignored
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 120
        while _lines(tmp_path / "evidence.ndjson") < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(number)
        stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


@pytest.mark.parametrize(
    ("number", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_an_interrupted_run_writes_a_whole_verifiable_folder_that_says_so(tmp_path, number, code):
    exit_code, stdout, stderr = _interrupted_run(tmp_path, number)
    assert exit_code == code, stderr[-2000:]
    assert "Traceback" not in stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] == number.name
    assert (report["verdict"], report["gate"]) == ("incomplete", "fail")
    assert report["gate_reasons"][0].startswith(f"the run was interrupted ({number.name})")
    statuses = {r["id"]: r["status"] for r in report["requirements"]}
    not_run = [r for r in report["requirements"] if r.get("not_run")]
    assert not_run and all(r["status"] == "inconclusive" for r in not_run)
    assert "skip" not in statuses.values()
    outcomes = {check["outcome"] for check in report["checks"]}
    assert "passed" in outcomes  # what ran before the signal is kept
    assert "not run" in outcomes and "skipped" not in outcomes
    assert report["must_not_verified"]["why"].get("not run (interrupted)", 0) > 0
    assert stdout.splitlines()[0].startswith(f"INCOMPLETE (gate fail; interrupted by {number.name})")
    assert any(line.startswith("not run ") for line in stdout.splitlines())
    assert {"report.json", "report.html", "junit.xml", "evidence.ndjson", "attestation.json"} <= {
        path.name for path in tmp_path.iterdir()
    }
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"Interrupted</b> by {number.name}" in html and ">not run<" in html
    verified = subprocess.run(
        [sys.executable, "-m", "conformance", "verify", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip().splitlines()[-1].startswith("VERIFIED")
