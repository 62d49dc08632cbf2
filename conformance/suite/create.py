"""CREATE: POST /crm/v1/leads answers 201 with the lead it stored, and the lead can be read back and listed.

The checks judge the run's planned leads (``WritePlan``): the first carries one set of edge values
(surrounding whitespace, a long text, mixed scripts, two addresses, emails and phones, a date-time
with an offset) with an unknown key and server-owned fields, the second another set and is created in
debug mode, and two more are created from one body. The oracle judges every other create of the run
(generated ones included) by the same rules; these checks say it about the planned ones.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import pytest

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.contract.operations import lead_path
from conformance.http.target import Target
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.oracle.compare import SERVER_OWNED, differences, same_instant
from conformance.suite.oracle.plan import PLANNED_LEADS, WritePlan
from conformance.suite.support.accounts import account_client
from conformance.suite.support.answers import describe, json_object, not_throttled
from conformance.suite.support.created import Created
from conformance.suite.support.findings import Findings
from conformance.suite.support.leads import declined_fields
from conformance.suite.support.search import SEARCH_PAGE_SIZE, SEARCH_PAGES
from conformance.suite.support.validators import shape_problems

#: the planned leads of the first account whose creates these checks judge
PLANNED = PLANNED_LEADS["primary"]


def _type_name(value: Any) -> str:
    return "null or absent" if value is None else type(value).__name__


def planned(plan: WritePlan, names: tuple[str, ...] = PLANNED) -> list[tuple[str, Created]]:
    """The planned leads that could be created (inconclusive when none could)."""
    found, failures = [], []
    for name in names:
        try:
            found.append((name, plan.lead(name)))
        except Inconclusive as exc:
            failures.append(exc)
    if not found:
        raise failures[0]
    return found


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-001")
def test_create_answers_201_with_model_warnings_and_errors(target: Target, write_plan: WritePlan) -> None:
    """A create answers 201 with model (object), warnings (array) and errors (array), errors empty.

    Every planned create is judged, and so is every valid planned body the target refused (its edge
    values are values meta/post allows).
    """
    findings = Findings(target)
    for name in PLANNED:
        with contextlib.suppress(Inconclusive):
            write_plan.lead(name)
    for refusal in write_plan.refusals:
        if refusal.requirement == "LEADS-CREATE-001" or (not refusal.requirement and refusal.lead in PLANNED):
            findings.fail(
                "LEADS-CREATE-001",
                f"the planned lead {refusal.lead!r} with {refusal.dropped} (values meta/post allows) was "
                f"refused ({describe(refusal.response)})",
                refusal.response,
            )
    findings.raise_if_any()
    leads = planned(write_plan)
    for name, created in leads:
        response = created.response
        where = f"the create of the planned lead {name!r}"
        findings.check(response.status_code == 201, "LEADS-CREATE-001",
                       f"{where} is not a 201 ({describe(response)})", response)
        body = created.body
        for key, kind in (("model", dict), ("warnings", list), ("errors", list)):
            findings.check(
                isinstance(body.get(key), kind),
                "LEADS-CREATE-001",
                f"{where}: {key} is {_type_name(body.get(key))}, "
                f"not {'an object' if kind is dict else 'an array'}",
                response,
            )
        errors = body.get("errors")
        findings.check(not errors, "LEADS-CREATE-001",
                       f"{where}: errors is not empty on a successful create: {errors!r}"[:400], response)
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-002")
def test_created_model_echoes_every_writable_field(target: Target, write_plan: WritePlan) -> None:
    """The created model echoes every writable field sent: strings exactly, date-times as instants, every
    nested item with its sub-fields."""
    findings = Findings(target)
    for name, created in planned(write_plan):
        found = differences(created.sent, created.model, declined_fields(created.body))
        findings.check(
            not found.must, "LEADS-CREATE-002",
            f"the planned lead {name!r} is not echoed as sent: " + "; ".join(found.must[:5]),
            created.response,
        )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-003")
def test_created_id_is_new_for_every_create(target: Target, write_plan: WritePlan) -> None:
    """model.id is a non-empty string, new for every create (two creates of the same body included)."""
    leads = dict(planned(write_plan))
    ids = {}
    for name, created in leads.items():
        value = created.model.get("id")
        if not isinstance(value, str) or not value:
            raise Violation(f"model.id of the planned lead {name!r} is {value!r}, not a non-empty string",
                            ["LEADS-CREATE-003"], exchange=target.line_of(created.response))
        ids[name] = value
    if "twin-1" not in ids or "twin-2" not in ids:
        raise Inconclusive("the two creates of one body could not both be made", ["LEADS-CREATE-003"])
    if ids["twin-1"] == ids["twin-2"]:
        raise Violation(
            f"two creates of the same body (no idempotency key) both answered id {ids['twin-1']!r}",
            ["LEADS-CREATE-003"], exchange=target.line_of(leads["twin-2"].response),
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-004")
def test_created_id_is_a_uuid(target: Target, created_lead: Created) -> None:
    """model.id is a UUID."""
    value = created_lead.model.get("id")
    if not is_uuid(value):
        raise Violation(f"model.id {value!r} is not a UUID", ["LEADS-CREATE-004"],
                        exchange=target.line_of(created_lead.response))


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-005", "LEADS-CREATE-006")
def test_created_and_modified_at_are_rfc3339_and_ordered(target: Target, write_plan: WritePlan) -> None:
    """created_at and modified_at are RFC 3339 date-times, and created_at is not later than modified_at."""
    findings = Findings(target)
    for name, created in planned(write_plan):
        model = created.model
        moments = {}
        for field in ("created_at", "modified_at"):
            moments[field] = parse_datetime(model.get(field))
            findings.check(
                moments[field] is not None,
                "LEADS-CREATE-005",
                f"the planned lead {name!r}: {field} is {model.get(field)!r}, not an RFC 3339 date-time "
                "with an offset",
                created.response,
            )
        created_at, modified_at = moments["created_at"], moments["modified_at"]
        if created_at is not None and modified_at is not None:
            findings.check(
                created_at <= modified_at,
                "LEADS-CREATE-006",
                f"the planned lead {name!r}: created_at {model.get('created_at')!r} is later than "
                f"modified_at {model.get('modified_at')!r}",
                created.response,
            )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-007")
def test_read_back_returns_the_written_values(
    target: Target, client: httpx.Client, write_plan: WritePlan, request: pytest.FixtureRequest
) -> None:
    """GET /leads/{id} of a created lead returns 200 and the written values, under the account that
    created it (each planned lead of either account)."""
    findings = Findings(target)
    names = ("edges", "debug", *(PLANNED_LEADS["second"] if target.second_account_token else ()))
    for name, created in planned(write_plan, names):
        http = account_client(request, created.account)
        response = not_throttled(http.get(lead_path(created.id)))
        if not findings.check(response.status_code == 200, "LEADS-CREATE-007",
                              f"the planned lead {name!r} cannot be read back ({describe(response)})",
                              response):
            continue
        lead = json_object(response, "LEADS-CREATE-007", "the read-back lead")
        problems = []
        if lead.get("id") != created.id:
            problems.append(f"id: asked for {created.id!r}, got {lead.get('id')!r}")
        problems.extend(differences(created.sent, lead, declined_fields(created.body)).must)
        findings.check(not problems, "LEADS-CREATE-007",
                       f"the planned lead {name!r} reads back other values than were written: "
                       + "; ".join(problems[:5]), response)
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-008")
def test_created_lead_is_listed_at_once(write_plan: WritePlan) -> None:
    """A created lead is listed by GET /leads (found by paging), at once.

    The plan looks for its first lead right after the create, before any other write: a lead that only
    shows up later, or after some other write, fails here and not only in whatever later read misses it.
    """
    created = write_plan.lead("edges")
    if write_plan.listed_at_once is None:
        raise Inconclusive("the first planned lead was not looked for in the list", ["LEADS-CREATE-008"])
    listed, notes = write_plan.listed_at_once
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
def test_logs_absent_without_debug_mode(target: Target, write_plan: WritePlan) -> None:
    """Without is_debug_mode, logs is absent, null or empty."""
    findings = Findings(target)
    for name, created in planned(write_plan, ("edges", "twin-1", "twin-2")):
        logs = created.body.get("logs")
        findings.check(logs in (None, []), "LEADS-CREATE-009",
                       f"the create of {name!r} without is_debug_mode answered logs {logs!r}"[:400],
                       created.response)
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-010")
def test_debug_mode_logs_are_debug_mode_logs(target: Target, write_plan: WritePlan) -> None:
    """With is_debug_mode=true, logs is an array of DebugModeLog."""
    created = write_plan.lead("debug")
    logs = created.body.get("logs")
    line = target.line_of(created.response)
    if not isinstance(logs, list):
        raise Violation(f"a create with is_debug_mode=true answered logs {logs!r}, not an array",
                        ["LEADS-CREATE-010"], exchange=line)
    issues = [issue for index, item in enumerate(logs)
              for issue in shape_problems(item, "DebugModeLog", f"logs[{index}]")]
    if issues:
        raise Violation("logs items are not DebugModeLog: " + "; ".join(issues)[:600], ["LEADS-CREATE-010"],
                        exchange=line)


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-011")
def test_phone_numbers_come_back_as_sent(target: Target, write_plan: WritePlan) -> None:
    """A phone number comes back as it was sent (one normalised to the same number is this warning only)."""
    findings = Findings(target)
    for name, created in planned(write_plan, ("edges", "debug")):
        if not created.sent.get("phone_numbers"):
            continue
        found = differences({"phone_numbers": created.sent["phone_numbers"]}, created.model,
                            declined_fields(created.body))
        findings.check(not found.should, "LEADS-CREATE-011",
                       f"the planned lead {name!r}: " + "; ".join(found.should[:3]), created.response)
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-CREATE-012")
def test_server_owned_fields_sent_in_model_are_not_applied(
    target: Target, client: httpx.Client, created_lead: Created
) -> None:
    """Server-owned fields sent inside model (id, remote_id, created_at, modified_at, remote_was_deleted) are
    never applied: neither the create's answer nor a read-back shows them."""
    sent = {name: created_lead.sent[name] for name in SERVER_OWNED if name in created_lead.sent}
    if not sent:
        raise Inconclusive("the planned lead carrying server-owned fields was refused, and was created "
                           "without them", ["LEADS-CREATE-012"])
    findings = Findings(target)
    read = not_throttled(client.get(lead_path(created_lead.id)))
    shown = [("the create's answer", created_lead.model, created_lead.response)]
    if read.status_code == 200 and isinstance(read.json(), dict):
        shown.append(("the read-back", read.json(), read))
    for where, lead, response in shown:
        for name, value in sent.items():
            got = lead.get(name)
            if name == "remote_was_deleted":
                applied = value is True and got is True
            elif name in ("created_at", "modified_at"):
                applied = same_instant(value, got)
            else:
                applied = got == value
            findings.check(not applied, "LEADS-CREATE-012",
                           f"{where} shows {name} {got!r}, the value sent inside model", response)
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-HTTP-006")
def test_valid_input_the_schema_leaves_open_is_not_refused(target: Target, write_plan: WritePlan) -> None:
    """Valid input the schema leaves open is not refused: a body sent as application/json; charset=utf-8,
    write-only objects holding any JSON (numbers of every form, nesting, 12,000 characters of text), relations
    sent as objects, explicit nulls where meta/post allows them. The planned leads carrying them were sent
    again without them when refused, and each such refusal is reported here."""
    for name in ("debug", "second"):
        with contextlib.suppress(Inconclusive):
            write_plan.lead(name)
    findings = Findings(target)
    for refusal in write_plan.refusals:
        if refusal.requirement == "LEADS-HTTP-006":
            findings.fail(
                "LEADS-HTTP-006",
                f"the planned lead {refusal.lead!r} with {refusal.dropped} (valid input) was refused "
                f"({describe(refusal.response)})",
                refusal.response,
            )
    findings.raise_if_any()
