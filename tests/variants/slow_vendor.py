"""A conformant server as a real vendor behind Merge is: slow, throttling, compressing, closing.

Every request takes 50 ms, a create 1.5 s (a write goes through to the third-party CRM), every 40th
request is answered 429 without ``Retry-After``, bodies are gzipped, and every answer closes its
connection. Nothing it does is a violation; it is how long a run takes, and what it costs the vendor,
that it shows (``benchmarks/side_by_side.py`` runs it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.faults._base import reference
from tests.variants._base import LEADS, Throttle, Variant, variant

#: seconds every request takes, and a create
REQUEST_SECONDS = 0.05
CREATE_SECONDS = 1.5
#: every this many requests is answered 429 without Retry-After
THROTTLE_EVERY = 40


@dataclass
class SlowVendor:
    """Delays every answer (a create more), and closes the connection after each."""

    app: ASGIApp
    request_seconds: float = REQUEST_SECONDS
    create_seconds: float = CREATE_SECONDS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        creating = scope["method"] == "POST" and scope["path"].rstrip("/").endswith(LEADS)
        await asyncio.sleep(self.create_seconds if creating else self.request_seconds)

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing)


def slow_vendor() -> ASGIApp:
    return Throttle(
        SlowVendor(GZipMiddleware(reference(), minimum_size=100)), THROTTLE_EVERY, retry_after=None
    )


SLOW_VENDOR: Variant = variant(
    "slow-vendor",
    slow_vendor,
    f"{REQUEST_SECONDS * 1000:g} ms a request, {CREATE_SECONDS:g} s a create, a 429 without Retry-After "
    "every "
    f"{THROTTLE_EVERY}th request, gzip, Connection: close",
)
