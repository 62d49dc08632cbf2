"""The whole suite against Prism's mock of the fragment: a real target that nobody here wrote.

A stateless mock answers every request with an example of the fragment. It must fail, on what it
answers: a created lead is not read back or listed, meta/post's required fields are not enforced, an
unknown id is found. The writes are not left undecided. Prism (npm ``@stoplight/prism-cli``) is
installed into a cache folder when ``npm`` can fetch it; otherwise the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conformance.spec import fragment_path
from tests._runs import SELFTEST_ARGS, run_cli, target_args

PRISM = "@stoplight/prism-cli@5"
#: seconds Prism may take to install, and to start listening
INSTALL_LIMIT = 300
START_LIMIT = 60


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leads-conformance-tests" / "prism"


def _prism() -> str:
    """The prism command: on PATH, in the cache, or installed into the cache with npm."""
    found = shutil.which("prism")
    if found:
        return found
    cached = _cache() / "node_modules" / ".bin" / "prism"
    if cached.exists():
        return str(cached)
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("Prism is not installed and npm is not available to install it")
    _cache().mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(_cache()), PRISM],
            capture_output=True, text=True, timeout=INSTALL_LIMIT, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm could not install {PRISM} within {INSTALL_LIMIT} s")
    if done.returncode != 0 or not cached.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"npm could not install {PRISM}: {last}")
    return str(cached)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    command = _prism()
    port = _free_port()
    log = (tmp_path_factory.mktemp("prism") / "prism.log").open("w")
    process = subprocess.Popen(
        [command, "mock", str(fragment_path()), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_LIMIT
        while True:
            try:
                httpx.get(f"{url}/crm/v1/leads/meta/post", timeout=2,
                          headers={"Authorization": "Bearer probe", "X-Account-Token": "probe"})
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Prism did not start listening on {url} (see {log.name})")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.mark.slow
def test_a_stateless_mock_fails_on_what_it_answers(prism_url: str, tmp_path: Path) -> None:
    run = run_cli([*target_args(prism_url), *SELFTEST_ARGS], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    assert run.report["suite_errors"] == []
    statuses = run.statuses()
    assert (run.report["verdict"], run.report["gate"], run.code) == ("fail", "fail", 1)
    # a created lead is neither read back as written nor told apart from another create
    assert {statuses[r] for r in ("LEADS-CREATE-002", "LEADS-CREATE-003", "LEADS-CREATE-007")} == {"fail"}
    # the list is the same example whatever is asked: a page of 1 holds 2, a lead is listed twice
    assert statuses["LEADS-PAGE-002"] == statuses["LEADS-PAGE-004"] == "fail"
    # meta/post's required fields are not enforced; an unknown id is found; account B sees A's lead
    assert {statuses[r] for r in ("LEADS-META-003", "LEADS-RETRIEVE-001", "LEADS-TENANT-001")} == {"fail"}
    undecided = sorted(
        rid for rid, status in statuses.items()
        if status == "inconclusive" and rid.split("-")[1] in ("CREATE", "TENANT", "ENVELOPE", "META")
    )
    assert undecided == []
