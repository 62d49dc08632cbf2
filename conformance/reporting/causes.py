"""One cause, several requirements: the failing exchanges requirements share.

A single fault of a target often fails several requirements: a create that answers 200 instead of
201 fails CREATE, ENVELOPE, META and HTTP requirements, warns a SHOULD, and leaves the stateful link
inconclusive. The report groups them under what they share:

- the **same exchange**: one evidence line that failures of two or more requirements name;
- the **same answer**: failures whose exchanges got a status the fragment does not document for
  their operation (``POST /crm/v1/leads`` answered 200), or a 5xx; an inconclusive requirement joins
  the group when the check that left it undecided got that answer too.

``find_causes`` reads only what it needs of ``evidence.ndjson`` (the failures' lines, and the lines of
the checks that left a requirement undecided) and returns report.json's ``causes``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.http.evidence import read_evidence

__all__ = ["documented_statuses", "find_causes"]

#: failures' statuses that count: requirements that failed, warned, or are known failures
_FAILED = ("fail", "warn", "known")
#: exchange lines a cause lists, at most
LINES_SHOWN = 12


def documented_statuses(fragment: Mapping[str, Any]) -> dict[tuple[str, str], set[str]]:
    """Each operation of the fragment, ``(METHOD, path template)``, and the statuses it documents."""
    operations: dict[tuple[str, str], set[str]] = {}
    for path, item in (fragment.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method, operation in item.items():
            if isinstance(operation, Mapping) and isinstance(operation.get("responses"), Mapping):
                operations[(method.upper(), path)] = {str(code).upper() for code in operation["responses"]}
    return operations


def _matchers(operations: Iterable[tuple[str, str]]) -> list[tuple[str, str, re.Pattern[str]]]:
    """A pattern per operation, the ones without a path parameter first (``meta/post`` before ``{id}``)."""
    found = []
    for method, template in operations:
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        found.append((method, template, re.compile(f"(?:^|/){pattern.lstrip('/')}/?$")))
    found.sort(key=lambda item: item[1].count("{"))
    return found


def _operation(entry: Mapping[str, Any], matchers: list[tuple[str, str, re.Pattern[str]]]) -> tuple[str, str]:
    request = entry.get("request") or {}
    method = str(request.get("method", "")).upper()
    path = urlsplit(str(request.get("url", ""))).path
    for candidate, template, pattern in matchers:
        if candidate == method and pattern.search(path):
            return method, template
    return method, path


def _anomalous(status: int, documented: set[str]) -> bool:
    """A status the operation does not document (a 4xx counts under ``4XX``), or a 5xx."""
    if status >= 500:
        return True
    return str(status) not in documented and f"{str(status)[0]}XX" not in documented


def _answer(
    entry: Mapping[str, Any],
    matchers: list[tuple[str, str, re.Pattern[str]]],
    operations: Mapping[tuple[str, str], set[str]],
) -> tuple[str, str, int] | None:
    """The anomalous answer an exchange got, ``(METHOD, template, status)``, or None."""
    response = entry.get("response")
    if not isinstance(response, Mapping) or not isinstance(response.get("status"), int):
        return None
    method, template = _operation(entry, matchers)
    status = int(response["status"])
    documented = operations.get((method, template))
    if documented is None or status == 429 or not _anomalous(status, documented):
        return None
    return method, template, status


def _read(path: Path, lines: set[int], checks: set[str]) -> dict[int, dict[str, Any]]:
    """The evidence lines wanted, and those sent for ``checks`` (their check is the first key)."""
    if not path.exists() or not (lines or checks):
        return {}
    heads = tuple('{"check":' + json.dumps(check) + "," for check in checks)
    entries = read_evidence(path, numbered=True, wanted=lambda n, text: n in lines or text.startswith(heads))
    return dict(entries)


def find_causes(
    report: Mapping[str, Any], evidence: Path, operations: Mapping[tuple[str, str], set[str]]
) -> list[dict[str, Any]]:
    """The causes two or more requirements share, the widest first (report.json's ``causes``)."""
    requirements = report.get("requirements", [])
    order = {r["id"]: index for index, r in enumerate(requirements)}
    failed: list[tuple[str, int]] = []
    for requirement in requirements:
        if requirement.get("status") not in _FAILED:
            continue
        for failure in requirement.get("failures", []):
            line = failure.get("exchange")
            if isinstance(line, int) and line > 0:
                failed.append((requirement["id"], line))
    undecided = {
        r["id"]: set(r.get("undecided_by") or ())
        for r in requirements
        if r.get("status") == "inconclusive" and not r.get("not_run")
    }
    checks = set().union(*undecided.values()) if undecided else set()
    entries = _read(evidence, {line for _, line in failed}, checks)
    matchers = _matchers(operations)

    by_answer: dict[tuple[str, str, int], dict[str, Any]] = {}
    by_line: dict[int, set[str]] = {}
    for rid, line in failed:
        entry = entries.get(line)
        answer = _answer(entry, matchers, operations) if entry is not None else None
        if answer is not None:
            group = by_answer.setdefault(answer, {"requirements": set(), "lines": set()})
            group["requirements"].add(rid)
            group["lines"].add(line)
        else:
            by_line.setdefault(line, set()).add(rid)
    for entry in entries.values():
        answer = _answer(entry, matchers, operations)
        if answer is None or answer not in by_answer:
            continue
        for rid, its_checks in undecided.items():
            if entry.get("check") in its_checks and rid in (entry.get("requirements") or []):
                by_answer[answer]["requirements"].add(rid)

    causes: list[dict[str, Any]] = []
    for (method, template, status), group in by_answer.items():
        if len(group["requirements"]) < 2:
            continue
        lines = sorted(group["lines"])
        causes.append(
            {
                "kind": "answer",
                "method": method,
                "path": template,
                "status": status,
                "summary": f"{method} {template} answered {status}, "
                + ("a server error" if status >= 500 else "a status the fragment does not document for it"),
                "exchange": lines[0],
                "exchanges": lines[:LINES_SHOWN],
                "exchange_count": len(lines),
                "requirements": sorted(group["requirements"], key=lambda rid: order.get(rid, 0)),
            }
        )
    for line, ids in by_line.items():
        if len(ids) < 2:
            continue
        entry = entries.get(line) or {}
        method, template = _operation(entry, matchers) if entry else ("", "")
        causes.append(
            {
                "kind": "exchange",
                "summary": f"one {method} {template} exchange fails them all".replace("  ", " "),
                "exchange": line,
                "exchanges": [line],
                "exchange_count": 1,
                "requirements": sorted(ids, key=lambda rid: order.get(rid, 0)),
            }
        )
    causes.sort(key=lambda cause: (-len(cause["requirements"]), cause["exchange"]))
    return causes
