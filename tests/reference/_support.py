"""Helpers for the reference server's own tests: credentials, an in-process client, paging."""

from __future__ import annotations

import warnings
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from conformance.reference import ReferenceConfig, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

API_KEY = "reference-api-key"
ACCOUNT_A = "reference-account-a"
ACCOUNT_B = "reference-account-b"
BASE_URL = "http://testserver/api"
LEADS = "/crm/v1/leads"


def auth(account: str = ACCOUNT_A, api_key: str = API_KEY) -> dict[str, str]:
    """Return the headers that authenticate as ``account``."""
    return {"Authorization": f"Bearer {api_key}", "X-Account-Token": account}


def make_client(config: ReferenceConfig | None = None) -> TestClient:
    """Return an in-process client of a fresh reference app."""
    return TestClient(create_app(config or ReferenceConfig()), base_url=BASE_URL)


def create(client: TestClient, model: dict[str, Any], account: str = ACCOUNT_A, **params: Any) -> Any:
    """POST ``{"model": model}`` and return the response."""
    return client.post(LEADS, json={"model": model}, headers=auth(account), params=params)


def valid_model(**fields: Any) -> dict[str, Any]:
    """Return a model holding the required fields plus ``fields``."""
    return {"last_name": "Lovelace", "company": "Analytical Engines", **fields}


def all_pages(
    client: TestClient, path: str = LEADS, account: str = ACCOUNT_A, **params: Any
) -> list[dict[str, Any]]:
    """Follow ``next`` from the first page to the end and return every result."""
    results: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        response = client.get(path, headers=auth(account), params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        results.extend(body["results"])
        cursor = body["next"]
        if cursor is None:
            return results
    raise AssertionError("pagination did not end")
