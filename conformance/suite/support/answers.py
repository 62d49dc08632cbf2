"""Reading the target's answers: pacing outcomes, one-line descriptions, JSON bodies and page results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from conformance.contract.operations import lead_path
from conformance.http.target import json_or_none
from conformance.outcomes import Inconclusive, Violation

__all__ = ["current_lead", "describe", "json_object", "not_throttled", "result_ids", "results_of"]


def not_throttled(response: httpx.Response, requirements: Iterable[str] = ()) -> httpx.Response:
    """A 429 that outlasted the retries makes the check inconclusive, never failed."""
    if response.status_code == 429:
        raise Inconclusive(
            f"the target kept answering 429 to {response.request.method} {response.request.url.path}",
            requirements,
        )
    return response


def current_lead(client: httpx.Client, ident: str, requirements: Iterable[str] = ()) -> dict[str, Any] | None:
    """The lead as it is now by id, when it exists and is not deleted (so a list must show it)."""
    response = not_throttled(client.get(lead_path(ident)), requirements)
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict) or body.get("remote_was_deleted") is True:
        return None
    return body


def describe(response: httpx.Response) -> str:
    """``POST /api/crm/v1/leads -> 500`` with the start of the body."""
    body = response.content[:300].decode("utf-8", "replace").replace("\n", " ")
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {body}".strip()


def json_object(response: httpx.Response, requirement: str, what: str) -> dict[str, Any]:
    """The body as a JSON object, or a violation of ``requirement``."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        raise Violation(f"{what}: the body is not a JSON object ({describe(response)})", [requirement])
    return body


def results_of(body: Any) -> list[dict[str, Any]]:
    """The object items of a page's ``results`` (anything else is left to the envelope checks)."""
    results = body.get("results") if isinstance(body, dict) else None
    return [item for item in results if isinstance(item, dict)] if isinstance(results, list) else []


def result_ids(body: Any) -> list[str]:
    """The string ids of a page's results, in order."""
    return [item["id"] for item in results_of(body) if isinstance(item.get("id"), str) and item["id"]]
