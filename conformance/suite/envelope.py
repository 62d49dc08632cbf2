"""ENVELOPE: the warnings and errors of a write, and how a write with a bad body is refused.

Merge reports a write's problems as ``warnings`` (the write went through) and ``errors`` (it
did not), each with ``title``, ``detail``, ``problem_type`` and an optional ``source.pointer``.
A pointer may be written with or without a leading slash, and rooted at the body or at the model.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation, ViolationGroup
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.edges import UNKNOWN_KEY, UNKNOWN_NESTED_KEY, nested
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.bodies import full_body
from conformance.suite.support.created import Created
from conformance.suite.support.findings import Findings, violation_at
from conformance.suite.support.leads import RELATION_FIELDS, run_tag
from conformance.suite.support.meta import MetaPost, require_relation_ids
from conformance.suite.support.problems import ProblemAudit, problems_named
from conformance.suite.support.search import find_tagged

ENVELOPE_007 = "LEADS-ENVELOPE-007"


def post_model(client: httpx.Client, model: Any) -> httpx.Response:
    return not_throttled(client.post(LEADS, json={"model": model}))


def without(meta: MetaPost, target: Target, known: dict[str, str], name: str) -> tuple[str, dict[str, Any]]:
    """A full, tagged body that lacks ``name``, and its tag."""
    require_relation_ids(meta, known)
    tag = run_tag(target, "missing")
    model = full_body(meta, tag, known)
    model.pop(name, None)
    return tag, model


def mistyped_bodies(
    meta: MetaPost, target: Target, known: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """Full bodies each broken in one way a target refuses with errors: a wrong type, a bad date-time,
    a relation id that is not a UUID, a null array (only for fields meta/post offers)."""
    offered = meta.properties
    strings = [n for n, s in offered.items() if isinstance(s, dict) and "string" in str(s.get("type", ""))
               and not s.get("format") and n not in RELATION_FIELDS]
    dates = [n for n, s in offered.items() if isinstance(s, dict) and s.get("format") == "date-time"]
    arrays = [n for n, s in offered.items() if isinstance(s, dict) and "array" in str(s.get("type", ""))]
    relations = [n for n in RELATION_FIELDS if n in offered]
    breaks: list[tuple[str, str, Any]] = []
    if strings:
        breaks.append((f"{strings[-1]} given a number", strings[-1], 12345))
    if dates:
        breaks.append((f"{dates[0]} given a date-time that is not one", dates[0], "not-a-date-time"))
    if relations:
        breaks.append((f"{relations[0]} given an id that is not a UUID", relations[0], "not-a-uuid"))
    if arrays:
        breaks.append((f"{arrays[0]} given null", arrays[0], None))
    bodies = []
    for label, name, value in breaks:
        model = full_body(meta, run_tag(target, "malformed"), known)
        model[name] = value
        bodies.append((f"a create with {label}", model))
    return bodies


@pytest.mark.writes
@pytest.mark.audit
@pytest.mark.requirement("LEADS-ENVELOPE-001")
def test_warnings_and_errors_are_well_formed(
    target: Target,
    client: httpx.Client,
    meta_post: MetaPost,
    known_relations: dict[str, str],
    created_lead: Created,
    problem_audit: ProblemAudit,
) -> None:
    """Every warning and error has string title, detail and problem_type; a source has a string pointer.

    It runs after every other check and judges the problem objects of every write answer of the run
    (generated cases included; the first planned lead carries unrecognized fields), after sending writes
    that provoke errors: a missing required field, a wrong type, a bad date-time, a non-UUID relation id,
    a null array.
    """
    require_relation_ids(meta_post, known_relations, ["LEADS-ENVELOPE-001"])
    if meta_post.required:
        post_model(client, without(meta_post, target, known_relations, meta_post.required[0])[1])
    for _, model in mistyped_bodies(meta_post, target, known_relations):
        post_model(client, model)
    if not problem_audit.seen:
        pytest.skip(f"none of the run's {problem_audit.writes} write answers held a warning or an error")
    if problem_audit.malformed:
        raise ViolationGroup(
            Violation(
                f"{bad.what} (evidence line {bad.line}): {bad.issue}",
                ["LEADS-ENVELOPE-001"],
                bad.reproduce,
                bad.line,
            )
            for bad in problem_audit.malformed
        )


def require_warning(target: Target, created: Created, path: tuple[str | int, ...], shown: str,
                    requirement: str) -> None:
    """A violation of ``requirement`` unless the create's warnings hold an UNRECOGNIZED_FIELD whose pointer
    names the field at ``path`` (``shown`` in the message)."""
    if not problems_named(created.body, "UNRECOGNIZED_FIELD", path, ("warnings",), detail_counts=False):
        warnings = str(created.body.get("warnings"))[:500]
        raise Violation(
            f"no UNRECOGNIZED_FIELD warning whose pointer names {shown} (warnings: {warnings})",
            [requirement], exchange=target.line_of(created.response),
        )


@pytest.mark.writes
@pytest.mark.requirement("LEADS-ENVELOPE-002")
def test_unrecognized_field_gets_201_and_a_warning_naming_it(target: Target, write_plan: WritePlan) -> None:
    """An unrecognized field in model still gives 201 and an UNRECOGNIZED_FIELD warning naming it.

    The first planned lead carries an unknown key and the server-owned fields (unknown to a write too);
    a target that refused that body (the plan sent it again without them) breaks the requirement.
    """
    created = write_plan.lead("edges")
    for refusal in write_plan.refusals:
        if refusal.requirement == "LEADS-ENVELOPE-002":
            raise violation_at(
                target,
                "LEADS-ENVELOPE-002",
                f"a create with unrecognized fields ({UNKNOWN_KEY!r} and the server-owned ones) is not "
                f"a 201 ({describe(refusal.response)})",
                refusal.response,
            )
    if UNKNOWN_KEY not in created.sent:
        raise Inconclusive("the planned lead with an unrecognized field was not sent", ["LEADS-ENVELOPE-002"])
    if created.response.status_code != 201:
        raise Violation(
            f"a create with the unrecognized field {UNKNOWN_KEY!r} is not a 201 "
            f"({describe(created.response)})",
            ["LEADS-ENVELOPE-002"], exchange=target.line_of(created.response),
        )
    require_warning(target, created, (UNKNOWN_KEY,), repr(UNKNOWN_KEY), "LEADS-ENVELOPE-002")


@pytest.mark.writes
@pytest.mark.requirement("LEADS-ENVELOPE-006")
def test_unknown_key_in_a_nested_item_gets_a_warning_naming_it(target: Target, write_plan: WritePlan) -> None:
    """An unknown key inside a nested item (/model/addresses/0/floor) gives an UNRECOGNIZED_FIELD warning
    naming it."""
    created = write_plan.lead("edges")
    addresses = created.sent.get("addresses")
    first = addresses[0] if isinstance(addresses, list) and addresses else None
    if not isinstance(first, dict) or UNKNOWN_NESTED_KEY not in first:
        raise Inconclusive(
            "the planned lead with an unknown key in an address was not sent", ["LEADS-ENVELOPE-006"]
        )
    if created.response.status_code != 201:
        pytest.skip("the create with an unknown key in an address was not a 201 (LEADS-CREATE-001 says so)")
    path = ("addresses", 0, UNKNOWN_NESTED_KEY)
    require_warning(target, created, path, f"/model/addresses/0/{UNKNOWN_NESTED_KEY}", "LEADS-ENVELOPE-006")


@dataclass
class MissingRequiredProbes:
    """Creates that each lack one required field, sent after a control lead was created."""

    control: Created
    sent: list[tuple[str, str, httpx.Response]]  # (field left out, tag, answer)

    def refused(self) -> dict[str, str]:
        """tag -> field, for the probes the target refused with a 4xx."""
        return {tag: name for name, tag, response in self.sent if 400 <= response.status_code < 500}


@pytest.fixture(scope="module")
def missing_required(
    target: Target,
    client: httpx.Client,
    meta_post: MetaPost,
    known_relations: dict[str, str],
    write_plan: WritePlan,
) -> MissingRequiredProbes:
    """One create per field meta/post requires, each a full tagged body without that field; and the same
    defects in combination: the first required field missing beside an unknown key, and two required
    fields missing at once (each must be named)."""
    meta_post.require_own(["LEADS-ENVELOPE-003", "LEADS-ENVELOPE-004"])
    if not meta_post.required:
        pytest.skip("meta/post marks no field of model as required")
    control = write_plan.any_lead("primary")
    sent = []
    for name in meta_post.required:
        tag, model = without(meta_post, target, known_relations, name)
        sent.append((name, tag, post_model(client, model)))
    first = meta_post.required[0]
    tag, model = without(meta_post, target, known_relations, first)
    model[UNKNOWN_KEY] = 42
    sent.append((first, tag, post_model(client, model)))
    if len(meta_post.required) > 1:
        second = meta_post.required[1]
        tag, model = without(meta_post, target, known_relations, first)
        model.pop(second, None)
        response = post_model(client, model)
        sent += [(first, tag, response), (second, tag, response)]
    return MissingRequiredProbes(control, sent)


@pytest.mark.writes
@pytest.mark.requirement("LEADS-ENVELOPE-003", "LEADS-ENVELOPE-004")
def test_missing_required_field_is_refused_with_an_error_naming_it(
    target: Target, missing_required: MissingRequiredProbes
) -> None:
    """A model missing a required field gets a 4xx with MISSING_REQUIRED_FIELD naming it (SHOULD a 400)."""
    findings = Findings(target)
    for name, _tag, response in missing_required.sent:
        status = response.status_code
        if not 400 <= status < 500:
            findings.fail(
                "LEADS-ENVELOPE-003",
                f"a model without the required {name} is not refused with a 4xx ({describe(response)})",
                response,
            )
            continue
        findings.check(
            status == 400,
            "LEADS-ENVELOPE-004",
            f"a model without the required {name} is refused with {status}, not 400",
            response,
        )
        named = problems_named(
            json_or_none(response), "MISSING_REQUIRED_FIELD", name, ("errors",), detail_counts=True
        )
        findings.check(
            bool(named),
            "LEADS-ENVELOPE-003",
            f"the refusal of a model without {name} has no MISSING_REQUIRED_FIELD error naming it "
            f"({describe(response)})",
            response,
        )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-ENVELOPE-003")
def test_refused_missing_required_field_creates_nothing(
    client: httpx.Client, missing_required: MissingRequiredProbes
) -> None:
    """A model missing a field meta/post requires creates nothing (looked for by its tag in the list)."""
    refused = missing_required.refused()
    if not refused:
        pytest.skip("no create without a required field was refused (reported by the refusal check)")
    found, names = find_tagged(client, refused, missing_required.control.model)
    if found:
        raise Violation(
            f"refused creates without {', '.join(sorted(names))} were stored anyway "
            f"(leads {[lead.get('id') for lead in found]})",
            ["LEADS-ENVELOPE-003"],
        )


def malformed_bodies(tag: str) -> list[tuple[str, bytes]]:
    """Bodies that are not ``{"model": {...}}``: no model, a model that is not an object, broken JSON."""
    model = {"last_name": f"Lovelace {tag}", "company": f"Analytical Engines {tag}"}
    return [
        ("a body without model", json.dumps({"lead": model}).encode()),
        ("a model that is a string", json.dumps({"model": f"Lovelace {tag}"}).encode()),
        ("a model that is a list", json.dumps({"model": [model]}).encode()),
        ("a model that is null", json.dumps({"model": None}).encode()),
        ("malformed JSON", ('{"model": {"last_name": "Lovelace ' + tag + '",').encode()),
    ]


#: how deep the open value of a hostile model nests: deeper than a recursive reader's default stack allows
HOSTILE_DEPTH = 500


def hostile_models(tag: str) -> list[tuple[str, str]]:
    """Models the target must refuse or take, never fail on: none holds a field meta/post could require;
    three nest their write-only object 500 levels deep (objects and arrays in turn, arrays alone, objects
    alone), two hold a lone surrogate (valid JSON text, not valid Unicode) as a key, a text and an open
    key. Only a 5xx is wrong (the oracle's LEADS-HTTP-001)."""
    def only(kind: str) -> Any:
        value: Any = tag
        for _ in range(HOSTILE_DEPTH):
            value = [value] if kind == "arrays" else {"level": value}
        return value

    return [
        (
            f"a model nesting {kind} {HOSTILE_DEPTH} levels",
            json.dumps({"model": {"integration_params": {"lc": deep}}}),
        )
        for kind, deep in (
            ("objects and arrays", nested(HOSTILE_DEPTH, tag)),
            ("arrays", only("arrays")),
            ("objects", only("objects")),
        )
    ] + [
        ("a model with a lone surrogate key", json.dumps({"model": {"\ud800": tag}})),
        (
            "a model with a lone surrogate in a text and in an open key",
            json.dumps({"model": {"first_name": "\ud800", "integration_params": {"\udc00": tag}}}),
        ),
    ]


@pytest.mark.writes
@pytest.mark.requirement("LEADS-ENVELOPE-005")
def test_body_without_an_object_model_gets_4xx(target: Target, client: httpx.Client) -> None:
    """A body without model, a model that is not an object, and malformed JSON get a 4xx, never a 5xx;
    models without the fields a write needs, nesting deep or naming a lone surrogate, get no 5xx (the
    oracle reports one under LEADS-HTTP-001)."""
    hostile = [text.encode("ascii") for _what, text in hostile_models(run_tag(target, "hostile"))]
    malformed = malformed_bodies(run_tag(target, "malformed"))

    def post(content: bytes) -> httpx.Response:
        sent = client.post(LEADS, content=content, headers={"Content-Type": "application/json"})
        return not_throttled(sent)

    # the bodies are made first (the same seed makes the same ones), then sent up to --concurrency at once
    answers = target.parallel(post, [*hostile, *(content for _what, content in malformed)])
    findings = Findings(target)
    for (what, _content), response in zip(malformed, answers[len(hostile):], strict=True):
        findings.check(
            400 <= response.status_code < 500,
            "LEADS-ENVELOPE-005",
            f"{what} is answered {response.status_code}, not a 4xx ({describe(response)})",
            response,
        )
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.audit(order=1)
@pytest.mark.requirement("LEADS-ENVELOPE-007")
def test_refused_writes_store_nothing(
    target: Target,
    client: httpx.Client,
    write_plan: WritePlan,
    run_model: RunModel,
    request: pytest.FixtureRequest,
) -> None:
    """A write refused with a 4xx stores nothing.

    After every other check, each account's list is searched (narrowed to the run's own time) for the tag
    of every write the target refused during the run, hand-written and generated alike; the oracle has
    watched every read of the run for them too.
    """
    refused = {tag: r for tag, r in run_model.ledger.refused_tags().items() if r.requirement == ENVELOPE_007}
    if not refused:
        pytest.skip("the target refused no write of the run but those checked under their own requirement")
    searches = [(client, write_plan.any_lead("primary"), {"primary", None})]
    if target.second_account_token:
        with contextlib.suppress(Inconclusive):
            second = request.getfixturevalue("second_client")
            searches.append((second, write_plan.any_lead("second"), {"second"}))
    for http, control, accounts in searches:
        tags = {tag: refusal.line for tag, refusal in refused.items() if refusal.account in accounts}
        if not tags:
            continue
        found, lines = find_tagged(http, tags, control.model)
        if found:
            raise Violation(
                f"writes the target refused (evidence lines {sorted(lines)[:5]}) were stored anyway: leads "
                f"{[lead.get('id') for lead in found][:5]} carry their tags",
                [ENVELOPE_007],
            )
