"""Fixtures the checks share: meta/post, known relation ids, and leads the run creates."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS
from conformance.http.target import Target, json_or_none
from conformance.outcomes import READ_ONLY, skip
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.accounts import account_meta
from conformance.suite.support.answers import results_of
from conformance.suite.support.created import Created
from conformance.suite.support.leads import RELATION_FIELDS
from conformance.suite.support.meta import MetaPost, fetch_meta_post
from conformance.suite.support.paging import Pages
from conformance.suite.support.problems import ProblemAudit
from conformance.suite.support.search import SAMPLE_PAGE_SIZE, SAMPLE_PAGES


@pytest.fixture(scope="session", autouse=True)
def watched(run_model: RunModel) -> RunModel:
    """The oracle watches every answer from the run's first check on."""
    return run_model


@pytest.fixture(scope="session", autouse=True)
def problem_audit(target: Target) -> ProblemAudit:
    """Watches every write answer of the run for malformed warnings and errors (LEADS-ENVELOPE-001)."""
    return ProblemAudit(target).start()


@pytest.fixture(scope="session")
def meta_post(run_note: Callable[[str], None], client: httpx.Client) -> MetaPost:
    """The target's meta/post; when it is unusable, the fragment's LeadRequest, and the report says so."""
    meta = fetch_meta_post(client, fallback=True)
    if meta.fallback is not None:
        run_note(
            f"{meta.fallback}: the writes were built from the fragment's LeadRequest instead, "
            "and judged on what the target answered"
        )
    return meta


@pytest.fixture(scope="session")
def known_relations(client: httpx.Client) -> dict[str, str]:
    """Relation ids the target already holds (owner, converted_contact, converted_account), from its leads."""
    found: dict[str, str] = {}
    for lead in results_of(json_or_none(client.get(LEADS, params={"page_size": 100}))):
        for name in RELATION_FIELDS:
            value = lead.get(name)
            if isinstance(value, str) and value and name not in found:
                found[name] = value
        if len(found) == len(RELATION_FIELDS):
            break
    return found


@pytest.fixture(scope="session")
def second_meta_post(target: Target, second_client: httpx.Client) -> MetaPost:
    """The second account's meta/post (its own required fields); the fragment's stand-in when unusable."""
    return fetch_meta_post(second_client, fallback=True)


@pytest.fixture(scope="session")
def write_plan(
    request: pytest.FixtureRequest,
    target: Target,
    client: httpx.Client,
    meta_post: MetaPost,
    known_relations: dict[str, str],
    write_budget: WriteBudget,
    run_model: RunModel,
) -> WritePlan:
    """The run's planned, shared leads, each created once on first need (skipped in the read-only profile)."""
    if not target.writes_allowed:
        skip(READ_ONLY, "the read-only profile sends no request that writes")
    clients = {"primary": client}
    if target.second_account_token:
        clients["second"] = request.getfixturevalue("second_client")
    metas = functools.partial(account_meta, request)
    return WritePlan(target, write_budget, run_model.ledger, clients, metas, known_relations)


@pytest.fixture(scope="session")
def created_lead(write_plan: WritePlan) -> Created:
    """The first planned lead: edge values, an unknown key and server-owned fields, created once for the
    run."""
    return write_plan.lead("edges")


@pytest.fixture(scope="session")
def lead_sample(client: httpx.Client) -> list[dict[str, Any]]:
    """The target's leads as its list shows them (up to 2,000, each once), read when first needed.

    Read-path checks pick their inputs from it (filter bounds, owners, remote ids); it is a sample,
    never a verdict, so any trouble with the list just ends it early.
    """
    return list(Pages(client, LEADS, {"page_size": SAMPLE_PAGE_SIZE}, SAMPLE_PAGES).read().by_id().values())
