"""A server for the benchmarks that counts what it answers: the reference (or the slow vendor of
tests/variants) in a child process, behind a counter of the requests it answered and the leads it
created, read at ``COUNT_PATH``."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests._runs import free_port  # noqa: E402

__all__ = ["COUNT_PATH", "counted_reference", "counts"]

COUNT_PATH = "/_benchmark/requests"

#: an app (the reference, or the slow vendor) behind a counter of the requests it answered and the
#: leads it created, served on a socket given by port
_SERVER = """
import json, socket, sys
sys.path.insert(0, sys.argv[1])
PATH = sys.argv[3]
import uvicorn
if sys.argv[4] == "slow":
    from tests.variants.slow_vendor import slow_vendor
    app = slow_vendor()
else:
    from conformance.reference import ReferenceConfig, create_app
    app = create_app(ReferenceConfig())
counts = {"answered": 0, "created": 0}
async def counted(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == PATH:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(counts).encode()})
        return
    if scope["type"] != "http":
        await app(scope, receive, send)
        return
    counts["answered"] += 1
    creating = scope["method"] == "POST" and scope["path"].rstrip("/").endswith("/crm/v1/leads")
    async def watched(message):
        if creating and message["type"] == "http.response.start" and 200 <= message["status"] < 300:
            counts["created"] += 1
        await send(message)
    await app(scope, receive, watched)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio then sets TCP_NODELAY
sock.bind(("127.0.0.1", int(sys.argv[2])))
uvicorn.Server(uvicorn.Config(counted, log_level="warning", access_log=False)).run(sockets=[sock])
"""


@contextmanager
def counted_reference(kind: str = "reference") -> Iterator[str]:
    """A fresh reference server (or the slow vendor) in a child process that counts what it answers."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(ROOT), str(port), COUNT_PATH, kind],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                httpx.get(url + COUNT_PATH, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url + "/api"
    finally:
        child.terminate()
        child.wait(timeout=10)


def counts(base_url: str) -> dict[str, int]:
    """The requests the counted server answered, and the leads it created."""
    root = base_url.removesuffix("/api")
    return dict(httpx.get(root + COUNT_PATH, timeout=5).json())
