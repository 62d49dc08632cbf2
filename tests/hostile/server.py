"""A hostile loopback server: the reference app behind a raw-socket front that misbehaves on purpose.

``HostileServer({"GET /crm/v1/leads/{id}": "drip"})`` serves the reference app on loopback; every
request to the named operation gets the mode's misbehaviour, every other request is relayed to the
reference app untouched (one request per connection). Operations are named under the base path,
lead ids folded to ``{id}`` (``conformance.http.transport.operation_key``).

``ForeignHost`` is a second loopback host (127.0.0.2 where it can be bound) that records every
request it receives, for the redirect modes: a credential it ever sees has crossed hosts.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import TracebackType

from conformance.http.transport import operation_key
from conformance.reference import ReferenceConfig, create_app, serve_in_thread

__all__ = ["MODES", "ForeignHost", "HostileServer"]

BASE_PATH = "/api"
#: seconds between two bytes of a dripped answer (well under any per-read timeout of the tests)
DRIP_INTERVAL = 0.2
#: bytes a gzip bomb grows to (the compressed body is about a thousandth of that)
BOMB_SIZE = 64 * 1024 * 1024


@dataclass
class _Request:
    method: str
    target: str
    head: bytes
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


@dataclass
class _Answer:
    status_line: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def wire(self, content_length: int | None = None) -> bytes:
        lines = [self.status_line]
        for name, value in self.headers:
            if name.lower() not in (b"content-length", b"transfer-encoding", b"connection"):
                lines.append(name + b": " + value)
        lines.append(b"content-length: %d" % (len(self.body) if content_length is None else content_length))
        lines.append(b"connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


def _simple(status: str, headers: Mapping[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items())]
    lines += [f"content-length: {len(body)}", "connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@cache
def gzip_bomb() -> bytes:
    """A gzip body of BOMB_SIZE spaces (valid JSON whitespace), a few dozen KiB on the wire."""
    compressor = gzip.compress(b" " * (1024 * 1024), compresslevel=9)
    # gzip members concatenate: 64 copies of a 1 MiB member inflate to 64 MiB
    return compressor * (BOMB_SIZE // (1024 * 1024))


class ForeignHost:
    """A loopback server on another host that records every request and answers 200 ``{}``."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind(("127.0.0.2", 0))
        except OSError:
            self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        host, port = self._sock.getsockname()[:2]
        self.origin = f"http://{host}:{port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=_accepting,
            args=(self._sock, self._stopping, self._answer),
            name="foreign-host",
            daemon=True,
        )
        self._thread.start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            request = _read_request(conn)
            if request is not None:
                self.requests.append(request.head + request.body)
                conn.sendall(_simple("200 OK", {"content-type": "application/json"}, b"{}"))

    def saw(self, secret: str) -> bool:
        """Whether any request it received carried ``secret``."""
        return any(secret.encode() in raw for raw in self.requests)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._sock.close()


def _accepting(
    sock: socket.socket, stopping: threading.Event, handle: Callable[[socket.socket], None]
) -> None:
    """Hand each connection ``sock`` accepts to ``handle`` until ``stopping`` is set."""
    while not stopping.is_set():
        try:
            conn, _ = sock.accept()
        except (TimeoutError, OSError):
            continue
        handle(conn)


def _read_request(conn: socket.socket) -> _Request | None:
    """One HTTP/1.1 request (Content-Length bodies), or None when the peer closed or sent nothing."""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
            if len(data) > 1024 * 1024:
                return None
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, target, _ = lines[0].decode("latin-1").split(" ", 2)
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
    except (OSError, ValueError):
        return None
    return _Request(method, target, head + b"\r\n\r\n", body[:length])


def _read_answer(sock: socket.socket) -> _Answer:
    """The whole answer of the upstream (it closes the connection after it)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    headers = [(n.strip(), v.strip()) for n, _, v in (line.partition(b":") for line in lines[1:])]
    if any(n.lower() == b"transfer-encoding" and b"chunked" in v.lower() for n, v in headers):
        body = _dechunk(body)
    return _Answer(lines[0], headers, body)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


@dataclass
class HostileServer:
    """The reference app on loopback, misbehaving on the operations ``modes`` names."""

    modes: Mapping[str, str]
    config: ReferenceConfig = field(default_factory=ReferenceConfig)
    #: where the redirect modes send the client
    foreign: ForeignHost | None = None
    #: requests that got a misbehaviour, by operation
    hits: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.modes.values()) - set(MODES)
        if unknown:
            raise ValueError(f"unknown modes {sorted(unknown)}; known: {', '.join(MODES)}")
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> HostileServer:
        self._upstream = serve_in_thread(create_app(replace(self.config)))
        upstream = self._upstream.base_url.split("//", 1)[1].split("/", 1)[0]
        host, port = upstream.rsplit(":", 1)
        self._upstream_address = (host, int(port))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}{BASE_PATH}"
        self._thread = threading.Thread(target=self._accept, name="hostile-front", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        with self._lock:
            for conn in list(self._connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._upstream.stop()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------------------
    def _accept(self) -> None:
        _accepting(self._sock, self._stopping, self._serve_apart)

    def _serve_apart(self, conn: socket.socket) -> None:
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)
        try:
            conn.settimeout(30)
            request = _read_request(conn)
            if request is None:
                return
            mode = self._mode_for(request)
            if mode is None:
                conn.sendall(self._relay(request).wire())
            else:
                BEHAVIOURS[mode](self, conn, request)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def _mode_for(self, request: _Request) -> str | None:
        path = request.path.removeprefix(BASE_PATH)
        operation = operation_key(request.method, path)
        mode = self.modes.get(operation) or self.modes.get("*")
        if mode is not None:
            with self._lock:
                self.hits[operation] = self.hits.get(operation, 0) + 1
        return mode

    def _relay(self, request: _Request) -> _Answer:
        head = [
            line
            for line in request.head.rstrip(b"\r\n").split(b"\r\n")
            if not line.lower().startswith(b"connection:")
        ]
        raw = b"\r\n".join([*head, b"connection: close"]) + b"\r\n\r\n" + request.body
        with socket.create_connection(self._upstream_address, timeout=30) as upstream:
            upstream.sendall(raw)
            return _read_answer(upstream)

    def _wait_for_close(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        while not self._stopping.is_set():
            try:
                if not conn.recv(65536):
                    return
            except TimeoutError:
                continue

    # -- the misbehaviours ----------------------------------------------------------------------
    def _hang(self, conn: socket.socket, request: _Request) -> None:
        self._wait_for_close(conn)

    def _reset(self, conn: socket.socket, request: _Request) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _garbage(self, conn: socket.socket, request: _Request) -> None:
        conn.sendall(b"\x16\x03\x01\x00\xa5 this is not HTTP \xff\xfe\x00\r\n" * 64)

    def _truncated(self, conn: socket.socket, request: _Request) -> None:
        answer = self._relay(request)
        whole = answer.wire()
        cut = len(whole) - max(1, len(answer.body) // 2)
        conn.sendall(whole[:cut])

    def _endless(self, conn: socket.socket, request: _Request) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        while not self._stopping.is_set():
            conn.sendall(chunk)

    def _drip(self, conn: socket.socket, request: _Request) -> None:
        for byte in self._relay(request).wire():
            if self._stopping.is_set():
                return
            conn.sendall(bytes([byte]))
            time.sleep(DRIP_INTERVAL)

    def _redirect_foreign(self, conn: socket.socket, request: _Request) -> None:
        if self.foreign is None:
            raise RuntimeError("redirect-foreign needs a ForeignHost")
        location = self.foreign.origin + request.target
        conn.sendall(_simple("302 Found", {"location": location}, b""))

    def _redirect_loop(self, conn: socket.socket, request: _Request) -> None:
        conn.sendall(_simple("307 Temporary Redirect", {"location": request.target}, b""))

    def _throttle(self, conn: socket.socket, request: _Request) -> None:
        body = json.dumps({"detail": "Request was throttled. Expected available in 1 second."}).encode()
        conn.sendall(
            _simple("429 Too Many Requests", {"retry-after": "1", "content-type": "application/json"}, body)
        )

    def _html(self, conn: socket.socket, request: _Request) -> None:
        page = (
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
            b"<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
        )
        conn.sendall(_simple("502 Bad Gateway", {"content-type": "text/html"}, page))

    def _bomb(self, conn: socket.socket, request: _Request) -> None:
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        conn.sendall(_simple("200 OK", headers, gzip_bomb()))

    def _not_json(self, conn: socket.socket, request: _Request) -> None:
        conn.sendall(_simple("200 OK", {"content-type": "text/plain"}, b"OK"))

    def _not_found(self, conn: socket.socket, request: _Request) -> None:
        body = json.dumps({"detail": "Not found."}).encode()
        conn.sendall(_simple("404 Not Found", {"content-type": "application/json"}, body))


Behaviour = Callable[[HostileServer, socket.socket, _Request], None]
#: every mode, and what the server does to a request of the operation it is set on
BEHAVIOURS: dict[str, Behaviour] = {
    "hang": HostileServer._hang,
    "reset": HostileServer._reset,
    "garbage": HostileServer._garbage,
    "truncated": HostileServer._truncated,
    "endless": HostileServer._endless,
    "drip": HostileServer._drip,
    "redirect-foreign": HostileServer._redirect_foreign,
    "redirect-loop": HostileServer._redirect_loop,
    "throttle": HostileServer._throttle,
    "html": HostileServer._html,
    "bomb": HostileServer._bomb,
    "not-json": HostileServer._not_json,
    "not-found": HostileServer._not_found,
}
MODES = tuple(BEHAVIOURS)
