"""Finding a failure's exchanges in ``evidence.ndjson``: by the line it names, else by its request.

Only the lines the report's failures need are read, so a large evidence log costs little.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from conformance.http.evidence import read_evidence
from conformance.reporting.exchanges import API_CREDENTIAL_HEADERS, EXCHANGES_PER_REQUIREMENT, header_value


def failure_lines(report: Mapping[str, Any]) -> set[int]:
    """The evidence lines the page shows: the exchanges of failures, a few per requirement."""
    lines: set[int] = set()
    for requirement in report.get("requirements", []):
        numbered = (failure.get("exchange") for failure in requirement.get("failures", []))
        lines.update(islice((n for n in numbered if isinstance(n, int) and n > 0), EXCHANGES_PER_REQUIREMENT))
    return lines


def request_of_command(command: str | None) -> dict[str, Any] | None:
    """The request a curl command sends (method, URL, headers, body), or None when it is not one."""
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    request: dict[str, Any] = {"method": "GET", "url": None, "headers": {}}
    rest = iter(words[1:])
    for word in rest:
        if word in ("-X", "--request"):
            request["method"] = next(rest, "")
        elif word in ("-H", "--header"):
            name, _, header = next(rest, "").partition(":")
            request["headers"][name.strip()] = header.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            value = next(rest, "")
            try:
                request["body"] = json.loads(value)
            except ValueError:
                request["body_text"] = value
        elif word.startswith(("http://", "https://")):
            request["url"] = word
    return request if request["url"] else None


def same_request(entry: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether an evidence line holds the request a reproduce command sends (method, URL and body)."""
    sent = entry.get("request", {})
    if str(sent.get("method", "")).upper() != str(request.get("method", "")).upper():
        return False
    if unquote(str(sent.get("url", ""))) != unquote(str(request.get("url", ""))):
        return False
    for name in API_CREDENTIAL_HEADERS:
        if (header_value(sent.get("headers", {}), name) is None) != (
            header_value(request.get("headers", {}), name) is None
        ):
            return False
    return all(sent.get(key) == request[key] for key in ("body", "body_text") if key in request)


def _misplaced(report: Mapping[str, Any], found: Mapping[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests of failures whose evidence line holds another request than their reproduce command."""
    pending = []
    for requirement in report.get("requirements", []):
        for failure in requirement.get("failures", [])[:EXCHANGES_PER_REQUIREMENT]:
            request = request_of_command(failure.get("reproduce"))
            entry = found.get(failure.get("exchange") or 0)
            if request is not None and (entry is None or not same_request(entry, request)):
                pending.append(request)
    return pending


def exchanges_of(report: Mapping[str, Any], path: Path) -> dict[int, dict[str, Any]]:
    """The evidence lines of the report's failures, read from ``path``.

    Only the failures' lines are parsed; when a failure's line holds another request than the one its
    reproduce command sends, the lines with that method are searched for the ones that hold it.
    """
    wanted = failure_lines(report)
    found: dict[int, dict[str, Any]] = {}
    if not wanted or not path.exists():
        return found
    last = max(wanted)
    with closing(read_evidence(path, numbered=True, wanted=lambda number, _: number in wanted)) as lines:
        for number, entry in lines:
            found[number] = entry
            if number >= last:
                break
    pending = _misplaced(report, found)
    if pending:
        found.update(search_evidence(path, pending))
    return found


def search_evidence(path: Path, requests: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The lines of ``path`` that hold one of ``requests`` (only lines with their methods are parsed)."""
    methods = {'"method":' + json.dumps(str(r.get("method", "")).upper()) for r in requests}
    lines = read_evidence(path, numbered=True, wanted=lambda _, text: any(m in text for m in methods))
    return {
        number: entry for number, entry in lines if any(same_request(entry, request) for request in requests)
    }


def _said_status(message: str) -> int | None:
    found = re.search(r"-> (\d{3})\b", message)
    return int(found.group(1)) if found else None


def evidence_for(
    failure: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]
) -> tuple[int | None, dict[str, Any] | None]:
    """The evidence line of a failure and its exchange: the one its reproduce command sends, if known.

    A failure's own line holds it as a rule; else the lines holding the same request are ranked: of the
    same check first, then with the status the failure's message names, then the latest.
    """
    line = failure.get("exchange")
    entry = evidence.get(line) if isinstance(line, int) else None
    request = request_of_command(failure.get("reproduce"))
    if request is None or (entry is not None and same_request(entry, request)):
        return (line if isinstance(line, int) else None), entry
    status = _said_status(str(failure.get("message", "")))
    matches = [
        (number, candidate) for number, candidate in evidence.items() if same_request(candidate, request)
    ]
    if not matches:
        return None, None
    return max(
        matches,
        key=lambda item: (
            item[1].get("check") == failure.get("test"),
            status is not None and (item[1].get("response") or {}).get("status") == status,
            item[0],
        ),
    )

