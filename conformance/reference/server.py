"""Serving the reference app over real sockets: in a background thread, or in the foreground."""

from __future__ import annotations

import socket
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

import uvicorn
from starlette.types import ASGIApp

from .app import create_app
from .config import ReferenceConfig

__all__ = ["RunningServer", "serve_forever", "serve_in_thread"]

_START_TIMEOUT = 10.0


def _bind(host: str, port: int) -> socket.socket:
    """Bind and listen; naming IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/api"


def _uvicorn(app: ASGIApp, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off")
    return uvicorn.Server(config)


class RunningServer:
    """A reference server running in a daemon thread; stop it with :meth:`stop` or ``with``."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, base_url: str):
        self._server = server
        self._thread = thread
        self._socket = sock
        self.base_url = base_url

    def stop(self) -> None:
        """Ask the server to exit, wait for it, and release the socket."""
        self._server.should_exit = True
        self._thread.join(timeout=_START_TIMEOUT)
        self._socket.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve ``app`` with uvicorn in a daemon thread on a pre-bound socket (port 0: a free port).

    Returns once the server accepts connections; raises ``RuntimeError`` if it cannot start.
    """
    sock = _bind(host, port)
    bound_port = sock.getsockname()[1]
    server = _uvicorn(app, "warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="reference-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the reference server did not start on {host}:{bound_port}")
        time.sleep(0.01)
    return RunningServer(server, thread, sock, _base_url(host, bound_port))


def serve_forever(config: ReferenceConfig, host: str, port: int, out: TextIO | None = None) -> None:
    """Serve a reference app built from ``config`` in the foreground until interrupted.

    Prints the base URL and the credentials the server accepts before serving.
    """
    stream = out if out is not None else sys.stdout
    sock = _bind(host, port)
    base_url = _base_url(host, sock.getsockname()[1])
    print(f"Reference Leads server at {base_url}", file=stream)
    print(f"  Authorization: Bearer {config.api_key}", file=stream)
    for token in config.account_tokens:
        print(f"  X-Account-Token: {token}", file=stream)
    storage = config.db_path if config.db_path is not None else "in memory (lost on exit)"
    print(f"  Data: {storage}", file=stream)
    stream.flush()
    server = _uvicorn(create_app(config), "info")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
