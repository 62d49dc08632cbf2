"""Prism (npm ``@stoplight/prism-cli``): found on PATH or in a cache folder, else installed there with npm."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests._runs import free_port

PRISM = "@stoplight/prism-cli@5"
#: seconds Prism may take to install, and to start listening
INSTALL_LIMIT = 300
START_LIMIT = 60


class PrismUnavailable(Exception):
    """Prism is not installed and cannot be: the message says why."""


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leads-conformance-tests" / "prism"


def prism_command() -> str:
    """The prism executable: on PATH, in the cache, or installed into the cache with npm."""
    found = shutil.which("prism")
    if found:
        return found
    cached = _cache() / "node_modules" / ".bin" / "prism"
    if cached.exists():
        return str(cached)
    npm = shutil.which("npm")
    if npm is None:
        raise PrismUnavailable("Prism is not installed and npm is not available to install it")
    _cache().mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(_cache()), PRISM],
            capture_output=True, text=True, timeout=INSTALL_LIMIT, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise PrismUnavailable(f"npm could not install {PRISM} within {INSTALL_LIMIT} s") from None
    if done.returncode != 0 or not cached.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PrismUnavailable(f"npm could not install {PRISM}: {last}")
    return str(cached)



@contextmanager
def prism_mock(spec: Path, log: Path) -> Iterator[str]:
    """Prism's mock of ``spec`` on a loopback port; yields its base URL (PrismUnavailable without it)."""
    command = prism_command()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        process = subprocess.Popen(
            [command, "mock", str(spec), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + START_LIMIT
            while True:
                try:
                    httpx.get(f"{url}/crm/v1/leads/meta/post", timeout=2,
                              headers={"Authorization": "Bearer probe", "X-Account-Token": "probe"})
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        message = f"Prism did not start listening on {url} (see {log})"
                        raise PrismUnavailable(message) from None
                    time.sleep(0.5)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
