"""Fixtures the checks share: meta/post, known relation ids, and leads the run creates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance._outcomes import Inconclusive
from conformance.suite._bodies import full_body, request_body
from conformance.suite._created import Created, LeadFactory
from conformance.suite._http import describe, not_throttled
from conformance.suite._leads import RELATION_FIELDS
from conformance.suite._meta import MetaPost, fetch_meta_post
from conformance.suite._paging import lenient_walk, traversal_items
from conformance.suite._paths import LEADS
from conformance.suite._problems import ProblemAudit
from conformance.suite._search import SAMPLE_PAGES
from conformance.suite.oracle import RunModel
from conformance.target import Target, json_or_none


@pytest.fixture(scope="session", autouse=True)
def watched(run_model: RunModel) -> RunModel:
    """The oracle watches every answer from the run's first check on."""
    return run_model


@pytest.fixture(scope="session", autouse=True)
def problem_audit(target: Target) -> ProblemAudit:
    """Watches every write answer of the run for malformed warnings and errors (LEADS-ENVELOPE-001)."""
    return ProblemAudit(target).start()


@pytest.fixture(scope="session")
def meta_post(target: Target, client: httpx.Client) -> MetaPost:
    """The target's meta/post; when it is unusable, the fragment's LeadRequest, and the report says so."""
    meta = fetch_meta_post(client, fallback=True)
    if meta.fallback is not None:
        target.notes.append(
            f"{meta.fallback}: the writes were built from the fragment's LeadRequest instead, "
            "and judged on what the target answered"
        )
    return meta


@pytest.fixture(scope="session")
def known_relations(client: httpx.Client) -> dict[str, str]:
    """Relation ids the target already holds (owner, converted_contact, converted_account), from its leads."""
    found: dict[str, str] = {}
    response = client.get(LEADS, params={"page_size": 100})
    body = json_or_none(response)
    results = body.get("results") if isinstance(body, dict) else None
    for lead in results if isinstance(results, list) else []:
        if not isinstance(lead, dict):
            continue
        for name in RELATION_FIELDS:
            value = lead.get(name)
            if isinstance(value, str) and value and name not in found:
                found[name] = value
        if len(found) == len(RELATION_FIELDS):
            break
    return found


@pytest.fixture(scope="session")
def lead_factory(target: Target, client: httpx.Client, meta_post: MetaPost,
                 known_relations: dict[str, str]) -> LeadFactory:
    """Create a lead tagged with the run id; inconclusive unless the target answers 2xx with a model.

    Without a model, the lead is ``full_body``: built from meta/post. Any other field request_schema
    requires goes at the top level of the body. CREATE-001 checks the status itself; the checks that
    build on a created lead only need the model.
    """
    counter = {"n": 0}

    def create(model: dict[str, Any] | None = None, *, http: httpx.Client | None = None,
               params: dict[str, Any] | None = None) -> Created:
        if not target.writes_allowed:
            pytest.skip("the read-only profile sends no request that writes")
        counter["n"] += 1
        tag = f"{target.run_id}-{counter['n']}"
        sent = model if model is not None else full_body(meta_post, tag, known_relations)
        body = request_body(meta_post, sent, tag)
        response = not_throttled((http or client).post(LEADS, json=body, params=params or {}))
        answer = json_or_none(response)
        if not 200 <= response.status_code < 300 or not isinstance(answer, dict) or not isinstance(
            answer.get("model"), dict
        ):
            raise Inconclusive(f"could not create a lead to check against ({describe(response)})")
        return Created(sent=sent, response=response, body=answer)

    return create


@pytest.fixture(scope="session")
def created_lead(lead_factory: LeadFactory) -> Created:
    """One lead with every echo-checkable field, created once for the run."""
    return lead_factory()


@pytest.fixture(scope="session")
def lead_sample(client: httpx.Client) -> list[dict[str, Any]]:
    """The target's leads as its list shows them (up to 2,000, each once), read when first needed.

    Read-path checks pick their inputs from it (filter bounds, owners, remote ids); it is a sample,
    never a verdict, so any trouble with the list just ends it early.
    """
    return traversal_items(lenient_walk(client, LEADS, {"page_size": 100}, SAMPLE_PAGES))
