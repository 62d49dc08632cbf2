"""The evidence log: every HTTP exchange of a run, one JSON object a line (``evidence.ndjson``).

Each line holds the check and requirement IDs it was sent for, the request (method, URL, headers,
body) and what came back (status, headers, body), when it was sent (``sent_at``, seconds from the
start of the run) and how long its answer took (``elapsed``), or the transport error. Every
field is redacted structurally before it is serialised; bodies are capped. A failure names the
line of its exchange (1-based), so a person can read exactly what was sent and answered.

Lines are written as exchanges finish, so a run that is cut short still leaves its evidence.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from typing import IO, Any, Literal, overload

from conformance.http.redaction import Redactor

__all__ = ["BODY_CAP", "EvidenceLog", "read_evidence"]

#: bytes of a body kept in the log; the rest is cut and the cut is said
BODY_CAP = 16 * 1024


def _body(raw: bytes, redactor: Redactor) -> dict[str, Any]:
    """A body as evidence: parsed JSON when it is JSON and small enough, else capped text."""
    if not raw:
        return {}
    size = len(raw)
    if size <= BODY_CAP:
        try:
            return {"body": redactor.tree(json.loads(raw))}
        except (ValueError, UnicodeDecodeError):
            pass
    text = raw[:BODY_CAP].decode("utf-8", "replace")
    entry: dict[str, Any] = {"body_text": redactor.text(text)}
    if size > BODY_CAP:
        entry["body_truncated"] = size
    return entry


class EvidenceLog:
    """Appends exchanges to an NDJSON file; thread-safe; numbers lines from 1."""

    def __init__(self, path: Path | None, redactor: Redactor):
        self.path = path
        self._redactor = redactor
        self._lock = threading.Lock()
        self._lines = 0
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8")

    @property
    def lines(self) -> int:
        return self._lines

    def record(
        self,
        *,
        check: str,
        requirements: list[str],
        method: str,
        url: str,
        request_headers: dict[str, str],
        request_body: bytes,
        status: int | None,
        response_headers: dict[str, str] | None,
        response_body: bytes | None,
        elapsed: float,
        sent_at: float | None = None,
        error: str | None = None,
        attempt: int = 1,
        note: str | None = None,
    ) -> int:
        """Write one exchange; returns its line number."""
        redact = self._redactor
        entry: dict[str, Any] = {
            "check": check,
            "requirements": requirements,
            "request": {
                "method": method,
                "url": redact.text(url),
                "headers": redact.headers(request_headers),
                **_body(request_body, redact),
            },
        }
        if attempt > 1:
            entry["attempt"] = attempt
        if status is not None:
            entry["response"] = {
                "status": status,
                "headers": redact.headers(response_headers or {}),
                **_body(response_body or b"", redact),
            }
        if error is not None:
            entry["error"] = redact.text(error)
        if note is not None:
            entry["note"] = redact.text(note)
        if sent_at is not None:
            entry["sent_at"] = round(sent_at, 4)
        entry["elapsed"] = round(elapsed, 4)
        line = json.dumps(entry, separators=(",", ":"))
        with self._lock:
            self._lines += 1
            number = self._lines
            if self._file is not None:
                self._file.write(line + "\n")
        return number

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


@overload
def read_evidence(path: Path) -> Generator[dict[str, Any], None, None]: ...


@overload
def read_evidence(
    path: Path, *, numbered: Literal[True], wanted: Callable[[int, str], bool] | None = None
) -> Generator[tuple[int, dict[str, Any]], None, None]: ...


def read_evidence(
    path: Path, *, numbered: bool = False, wanted: Callable[[int, str], bool] | None = None
) -> Generator[Any, None, None]:
    """The exchanges of an evidence file, in order; a line that is not JSON raises ``ValueError``.

    ``numbered`` yields each exchange with its line number (from 1), the way a failure names it, and
    reads the lines as a report does: only those ``wanted`` picks by number and raw text are parsed
    (the others cost a scan), and a line that is not a JSON object is passed over (a run cut short
    may leave its last line half written).
    """
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or (wanted is not None and not wanted(number, line)):
                continue
            if not numbered:
                yield json.loads(line)
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                yield number, entry
