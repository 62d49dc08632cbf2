"""CREATE: POST /crm/v1/leads answers 201 with the lead it stored, and the lead can be read back and listed.

Every lead these checks create carries the run id in its string fields (``full_body``).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from conformance._outcomes import Inconclusive, Violation
from conformance.suite._support import (
    LEADS,
    Findings,
    MetaPost,
    declined_fields,
    describe,
    echo_mismatches,
    full_body,
    json_object,
    lead_path,
    listed,
    not_throttled,
    parse_datetime,
    require_relation_ids,
    run_tag,
)
from conformance.suite.conftest import Created, LeadFactory
from conformance.target import Target, json_or_none

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _type_name(value: Any) -> str:
    return "null or absent" if value is None else type(value).__name__


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-001")
def test_create_answers_201_with_model_warnings_and_errors(
    target: Target, client: httpx.Client, meta_post: MetaPost, known_relations: dict[str, str]
) -> None:
    """A create answers 201 with model (object), warnings (array) and errors (array), errors empty."""
    require_relation_ids(meta_post, known_relations, ["LEADS-CREATE-001"])
    model = full_body(meta_post, run_tag(target, "create"), known_relations)
    response = not_throttled(client.post(LEADS, json={"model": model}))
    findings = Findings(target)
    findings.check(
        response.status_code == 201, "LEADS-CREATE-001", f"a valid create is not a 201 ({describe(response)})"
    )
    body = json_or_none(response)
    if not isinstance(body, dict):
        findings.fail("LEADS-CREATE-001", f"the create answer is not a JSON object ({describe(response)})")
        findings.raise_if_any()
    for key, kind in (("model", dict), ("warnings", list), ("errors", list)):
        findings.check(
            isinstance(body.get(key), kind),
            "LEADS-CREATE-001",
            f"{key} is {_type_name(body.get(key))}, not {'an object' if kind is dict else 'an array'}",
        )
    errors = body.get("errors")
    findings.check(
        not errors, "LEADS-CREATE-001", f"errors is not empty on a successful create: {errors!r}"[:400]
    )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-002")
def test_created_model_echoes_every_writable_field(created_lead: Created) -> None:
    """The created model echoes every writable field sent."""
    problems = echo_mismatches(created_lead.sent, created_lead.model, declined_fields(created_lead.body))
    if problems:
        raise Violation(
            "the created model does not echo what was sent: " + "; ".join(problems), ["LEADS-CREATE-002"]
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-003")
def test_created_id_is_new_for_every_create(
    target: Target, lead_factory: LeadFactory, meta_post: MetaPost, known_relations: dict[str, str]
) -> None:
    """model.id is a non-empty string, new for every create (two creates of the same body included)."""
    body = full_body(meta_post, run_tag(target, "twice"), known_relations)
    ids = []
    for created in (lead_factory(dict(body)), lead_factory(dict(body))):
        value = created.model.get("id")
        if not isinstance(value, str) or not value:
            raise Violation(f"model.id is {value!r}, not a non-empty string", ["LEADS-CREATE-003"])
        ids.append(value)
    if ids[0] == ids[1]:
        raise Violation(
            f"two creates (same body, no idempotency key) both answered id {ids[0]!r}", ["LEADS-CREATE-003"]
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-004")
def test_created_id_is_a_uuid(created_lead: Created) -> None:
    """model.id is a UUID."""
    value = created_lead.model.get("id")
    if not isinstance(value, str) or not _UUID.match(value):
        raise Violation(f"model.id {value!r} is not a UUID", ["LEADS-CREATE-004"])


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-005", "LEADS-CREATE-006")
def test_created_and_modified_at_are_rfc3339_and_ordered(target: Target, created_lead: Created) -> None:
    """created_at and modified_at are RFC 3339 date-times, and created_at is not later than modified_at."""
    findings = Findings(target)
    model = created_lead.model
    moments = {}
    for name in ("created_at", "modified_at"):
        moments[name] = parse_datetime(model.get(name))
        findings.check(
            moments[name] is not None,
            "LEADS-CREATE-005",
            f"{name} is {model.get(name)!r}, not an RFC 3339 date-time with an offset",
        )
    created, modified = moments["created_at"], moments["modified_at"]
    if created is not None and modified is not None:
        findings.check(
            created <= modified,
            "LEADS-CREATE-006",
            f"created_at {model.get('created_at')!r} is later than modified_at {model.get('modified_at')!r}",
        )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-007")
def test_read_back_returns_the_written_values(client: httpx.Client, created_lead: Created) -> None:
    """GET /leads/{id} of a created lead returns 200 and the written values."""
    response = not_throttled(client.get(lead_path(created_lead.id)))
    if response.status_code != 200:
        raise Violation(f"the created lead cannot be read back ({describe(response)})", ["LEADS-CREATE-007"])
    lead = json_object(response, "LEADS-CREATE-007", "the read-back lead")
    problems = []
    if lead.get("id") != created_lead.id:
        problems.append(f"id: asked for {created_lead.id!r}, got {lead.get('id')!r}")
    problems.extend(echo_mismatches(created_lead.sent, lead, declined_fields(created_lead.body)))
    if problems:
        raise Violation(
            "the read-back lead differs from what was written: " + "; ".join(problems), ["LEADS-CREATE-007"]
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-008")
def test_created_lead_is_listed(client: httpx.Client, created_lead: Created) -> None:
    """A created lead is listed by GET /leads (found by paging)."""
    found = listed(client, {**created_lead.model, "id": created_lead.id})
    if found is None:
        raise Inconclusive(
            "the lead list could not be walked to its end to look for the created lead", ["LEADS-CREATE-008"]
        )
    if not found:
        raise Violation(
            f"the created lead {created_lead.id!r} is not in GET /leads (walked every page)",
            ["LEADS-CREATE-008"],
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-009")
def test_logs_absent_without_debug_mode(created_lead: Created) -> None:
    """Without is_debug_mode, logs is absent, null or empty."""
    logs = created_lead.body.get("logs")
    if logs not in (None, []):
        raise Violation(f"a create without is_debug_mode answered logs {logs!r}"[:400], ["LEADS-CREATE-009"])


def debug_log_issues(item: Any) -> list[str]:
    """How a logs item breaks DebugModeLog: log_id, dashboard_view, log_summary {url, method, status_code}."""
    if not isinstance(item, dict):
        return [f"{item!r} is not an object"]
    issues = [
        f"{key} is {item.get(key)!r}, not a string"
        for key in ("log_id", "dashboard_view")
        if not isinstance(item.get(key), str)
    ]
    summary = item.get("log_summary")
    if not isinstance(summary, dict):
        return [*issues, f"log_summary is {summary!r}, not an object"]
    issues += [
        f"log_summary.{key} is {summary.get(key)!r}, not a string"
        for key in ("url", "method")
        if not isinstance(summary.get(key), str)
    ]
    code = summary.get("status_code")
    if not isinstance(code, int) or isinstance(code, bool):
        issues.append(f"log_summary.status_code is {code!r}, not an integer")
    return issues


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-010")
def test_debug_mode_logs_are_debug_mode_logs(lead_factory: LeadFactory) -> None:
    """With is_debug_mode=true, logs is an array of DebugModeLog."""
    created = lead_factory(params={"is_debug_mode": "true"})
    logs = created.body.get("logs")
    if not isinstance(logs, list):
        raise Violation(
            f"a create with is_debug_mode=true answered logs {logs!r}, not an array", ["LEADS-CREATE-010"]
        )
    issues = [
        f"logs[{index}]: {issue}" for index, item in enumerate(logs) for issue in debug_log_issues(item)
    ]
    if issues:
        raise Violation("logs items are not DebugModeLog: " + "; ".join(issues)[:600], ["LEADS-CREATE-010"])
