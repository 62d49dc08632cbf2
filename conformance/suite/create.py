"""CREATE: POST /crm/v1/leads answers 201 with the lead it stored, and the lead can be read back and listed.

Every lead these checks create is built from meta/post and carries the run id in a text field
(``full_body``); an echo is checked on what was sent, for the fields a Lead holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance._formats import is_uuid, parse_datetime
from conformance._outcomes import Inconclusive, Violation
from conformance.suite._bodies import echoed_part, full_body, request_body
from conformance.suite._created import Created, LeadFactory
from conformance.suite._findings import Findings
from conformance.suite._http import describe, json_object, not_throttled
from conformance.suite._leads import declined_fields, echo_mismatches, run_tag
from conformance.suite._meta import MetaPost, require_relation_ids
from conformance.suite._paths import LEADS, lead_path
from conformance.suite._search import (
    SEARCH_PAGE_SIZE,
    SEARCH_PAGES,
    Search,
    created_after_bound,
    search_leads,
)
from conformance.suite._validators import shape_problems
from conformance.target import Target, json_or_none


def _type_name(value: Any) -> str:
    return "null or absent" if value is None else type(value).__name__


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-001")
def test_create_answers_201_with_model_warnings_and_errors(
    target: Target, client: httpx.Client, meta_post: MetaPost, known_relations: dict[str, str]
) -> None:
    """A create answers 201 with model (object), warnings (array) and errors (array), errors empty."""
    require_relation_ids(meta_post, known_relations, ["LEADS-CREATE-001"])
    tag = run_tag(target, "create")
    model = full_body(meta_post, tag, known_relations)
    response = not_throttled(client.post(LEADS, json=request_body(meta_post, model, tag)))
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
    sent = echoed_part(created_lead.sent)
    problems = echo_mismatches(sent, created_lead.model, declined_fields(created_lead.body))
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
    if not is_uuid(value):
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
    problems.extend(echo_mismatches(echoed_part(created_lead.sent), lead, declined_fields(created_lead.body)))
    if problems:
        raise Violation(
            "the read-back lead differs from what was written: " + "; ".join(problems), ["LEADS-CREATE-007"]
        )


def found_by_id(lead_id: str) -> tuple[Callable[[dict[str, Any]], bool], Callable[[Search], bool]]:
    """What a search for one lead keeps, and when it may stop (as soon as it has it)."""
    return (lambda item: item.get("id") == lead_id), (lambda search: bool(search.found))


def listing_of(client: httpx.Client, lead: dict[str, Any]) -> tuple[bool | None, list[str]]:
    """Whether the list holds ``lead`` now: True, False (a walk of the whole list missed it) or None.

    The list is first narrowed to leads created from just before the lead's own created_at, as the
    target returned it; a target whose filter drops the lead is walked in full. Each walk is bounded
    (``SEARCH_PAGES`` pages); what each one saw is said in the notes.
    """
    wanted, stop = found_by_id(lead["id"])
    notes: list[str] = []
    bound = created_after_bound(lead)
    if bound is not None:
        narrowed = search_leads(client, wanted, {"created_after": bound}, stop_at=stop)
        if narrowed.found:
            return True, notes
        notes.append(f"created_after={bound}: {narrowed.problem or 'walked to its end without it'}")
    else:
        notes.append(f"its created_at {lead.get('created_at')!r} cannot narrow the list")
    whole = search_leads(client, wanted, stop_at=stop)
    if whole.found:
        return True, notes
    notes.append(f"the whole list: {whole.problem or 'walked to its end without it'}")
    return (False if whole.complete else None), notes


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-008")
def test_created_lead_is_listed_at_once(client: httpx.Client, lead_factory: LeadFactory) -> None:
    """A created lead is listed by GET /leads (found by paging), at once.

    The check creates its own lead and looks for it right after the create, before any other
    request that is not a read of the list: a lead that only shows up later, or after some other
    write, fails here and not only in whatever later check misses it.
    """
    created = lead_factory()
    listed, notes = listing_of(client, {**created.model, "id": created.id})
    if listed is None:
        raise Inconclusive(
            f"the lead list could not be walked to its end ({SEARCH_PAGES} pages of {SEARCH_PAGE_SIZE}) "
            f"to look for the lead {created.id!r} just created: " + "; ".join(notes),
            ["LEADS-CREATE-008"],
        )
    if not listed:
        raise Violation(
            f"the lead {created.id!r} (created_at {created.model.get('created_at')!r}) is not in GET /leads "
            "right after its create: " + "; ".join(notes),
            ["LEADS-CREATE-008"],
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-009")
def test_logs_absent_without_debug_mode(created_lead: Created) -> None:
    """Without is_debug_mode, logs is absent, null or empty."""
    logs = created_lead.body.get("logs")
    if logs not in (None, []):
        raise Violation(f"a create without is_debug_mode answered logs {logs!r}"[:400], ["LEADS-CREATE-009"])


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
    issues = [issue for index, item in enumerate(logs)
              for issue in shape_problems(item, "DebugModeLog", f"logs[{index}]")]
    if issues:
        raise Violation("logs items are not DebugModeLog: " + "; ".join(issues)[:600], ["LEADS-CREATE-010"])
