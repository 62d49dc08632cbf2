"""META: GET /crm/v1/leads/meta/post describes the writes POST accepts, and POST agrees with it.

meta/post's ``request_schema`` is Merge's own dialect of JSON Schema (with keywords such as
``categories`` and ``enum_information``); it is read as an object, and one converter
(``support.generation.generation_schema``) keeps the standard keywords that constrain a value. Every body
sent here is built from it. What the tolerances leave open is not generated: relation ids (known
ids of the target are used instead), write-only objects meta/post does not require, and remote fields.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEADS, REMOTE_FIELD_CLASSES
from conformance.contract.tolerances import tolerance
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.compare import differences
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.accounts import ACCOUNTS, account_client, account_meta
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.bodies import nested_required, request_body, tagged_required_only
from conformance.suite.support.drawn_models import drawn_models, ready_to_send
from conformance.suite.support.findings import Findings
from conformance.suite.support.generation import Ungeneratable
from conformance.suite.support.leads import declined_fields, run_tag
from conformance.suite.support.meta import MetaPost, model_schema_of, named_classes
from conformance.suite.support.paging import MAX_PAGE_SIZE, Pages
from conformance.suite.support.problems import problems_named

#: meta/post may carry remote_field_classes or remote_fields, and Merge's own schema keywords
META_EXTRAS = tolerance("meta-post-extras").id


# ------------------------------------------------------------------------------ meta/post shape
@pytest.fixture(params=ACCOUNTS)
def meta_response(request: pytest.FixtureRequest) -> httpx.Response:
    """The raw meta/post answer of each account (the one its meta_post fixture read)."""
    meta = account_meta(request, request.param)
    if meta.response is None:
        raise Inconclusive("meta/post was not read", ["LEADS-META-001", "LEADS-META-002", "LEADS-META-005"])
    return meta.response


@pytest.mark.requirement("LEADS-META-001")
def test_meta_post_answers_200_with_its_required_keys(target: Target, meta_response: httpx.Response) -> None:
    """meta/post answers 200 with request_schema, the two has_* booleans and a well-formed status.

    The booleans are has_conditional_params and has_required_linked_account_params; a status,
    where present (not null), has a string linked_account_status and a boolean can_make_request.
    """
    if meta_response.status_code != 200:
        raise Violation(f"meta/post is not a 200 ({describe(meta_response)})", ["LEADS-META-001"])
    body = json_or_none(meta_response)
    if not isinstance(body, dict):
        raise Violation(f"meta/post is not a JSON object ({describe(meta_response)})", ["LEADS-META-001"])
    findings = Findings(target)
    findings.check(
        isinstance(body.get("request_schema"), dict),
        "LEADS-META-001",
        f"request_schema is {str(body.get('request_schema'))[:80]!r}, not an object",
        meta_response,
    )
    for key in ("has_conditional_params", "has_required_linked_account_params"):
        findings.check(
            isinstance(body.get(key), bool),
            "LEADS-META-001",
            f"{key} is {body.get(key)!r}" + ("" if key in body else " (absent)") + ", not a boolean",
            meta_response,
        )
    status = body.get("status")
    if status is not None and findings.check(
        isinstance(status, dict), "LEADS-META-001", f"status is {status!r}, not an object", meta_response
    ):
        for key, kind, noun in (("linked_account_status", str, "a string"),
                                ("can_make_request", bool, "a boolean")):
            findings.check(
                isinstance(status.get(key), kind),
                "LEADS-META-001",
                f"status.{key} is {status.get(key)!r}, not {noun}",
                meta_response,
            )
    findings.raise_if_any()


@pytest.mark.requirement("LEADS-META-002")
def test_model_schema_required_names_are_among_properties(
    target: Target, meta_response: httpx.Response
) -> None:
    """request_schema.properties.model is an object schema whose required names are among its properties."""
    body = json_or_none(meta_response)
    if (
        meta_response.status_code != 200
        or not isinstance(body, dict)
        or not isinstance(body.get("request_schema"), dict)
    ):
        raise Inconclusive(
            f"meta/post has no request_schema to read ({describe(meta_response)})", ["LEADS-META-002"]
        )
    model = model_schema_of(body)
    if model is None:
        raise Violation(
            "request_schema.properties.model is missing or not a schema object", ["LEADS-META-002"]
        )
    findings = Findings(target)
    kind = model.get("type")
    findings.check(
        kind is None or kind == "object" or (isinstance(kind, list) and "object" in kind),
        "LEADS-META-002",
        f"request_schema.properties.model has type {kind!r}, not object",
        meta_response,
    )
    properties = model.get("properties", {})
    findings.check(
        isinstance(properties, dict),
        "LEADS-META-002",
        f"request_schema.properties.model.properties is {str(properties)[:80]!r}, not an object",
        meta_response,
    )
    required = model.get("required", [])
    if findings.check(
        isinstance(required, list) and all(isinstance(n, str) for n in required),
        "LEADS-META-002",
        f"request_schema.properties.model.required is {required!r}, not a list of names",
        meta_response,
    ):
        names = properties if isinstance(properties, dict) else {}
        missing = [name for name in required if name not in names]
        findings.check(
            not missing,
            "LEADS-META-002",
            f"required names {missing} are not among the model's properties {sorted(names)}"[:400],
            meta_response,
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ POST agrees with meta/post
def post(client: httpx.Client, meta: MetaPost, model: dict[str, Any], tag: str) -> httpx.Response:
    return not_throttled(client.post(LEADS, json=request_body(meta, model, tag)))


@pytest.mark.writes
@pytest.mark.requirement("LEADS-META-003")
@pytest.mark.parametrize("account", ACCOUNTS)
def test_required_fields_alone_create_and_each_is_enforced(
    target: Target, write_plan: WritePlan, account: str, request: pytest.FixtureRequest
) -> None:
    """POST agrees with meta/post: the required fields alone get 201; dropping one is MISSING_REQUIRED_FIELD.

    Under each account, with that account's meta/post: its planned lead holding exactly the required
    fields must have been created with a 201; each required field is then dropped in turn, and the error
    must name the one dropped; so is each field meta/post requires inside a required object
    (``integration_params.organization_id``).
    """
    client = account_client(request, account)
    meta_post = account_meta(request, account)
    known_relations = write_plan.known if account == "primary" else {}
    meta_post.require_own(["LEADS-META-003"])
    findings = Findings(target)
    name = "twin-1" if account == "primary" else "second"
    refused = [r for r in write_plan.refusals if r.lead == name]
    for refusal in refused:
        findings.fail("LEADS-META-003",
                      f"a model holding exactly the fields meta/post requires is not a 201 "
                      f"({describe(refusal.response)})", refusal.response)
    if not refused:
        created = write_plan.lead(name)
        response = created.response
        findings.check(
            response.status_code == 201,
            "LEADS-META-003",
            f"a model holding exactly the fields meta/post requires ({sorted(created.sent)}) is not a 201 "
            f"({describe(response)})",
            response,
        )
    drops: list[tuple[tuple[str, ...], str]] = [
        *(((name,), f"the required {name}") for name in meta_post.required),
        *(((parent, child), f"{child}, which meta/post requires in {parent},")
          for parent, child in nested_required(meta_post)),
    ]
    for path, what in drops:
        tag = run_tag(target, "required")
        partial = tagged_required_only(meta_post, tag, known_relations)
        if len(path) == 1:
            partial.pop(path[0], None)
        elif isinstance(partial.get(path[0]), dict):
            partial[path[0]] = {key: value for key, value in partial[path[0]].items() if key != path[1]}
        else:
            continue
        response = post(client, meta_post, partial, tag)
        named = problems_named(json_or_none(response), "MISSING_REQUIRED_FIELD", path, ("errors",),
                               detail_counts=True)
        findings.check(
            400 <= response.status_code < 500 and bool(named),
            "LEADS-META-003",
            f"dropping {what} does not get MISSING_REQUIRED_FIELD for it ({describe(response)})",
            response,
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ generated bodies
@pytest.mark.writes
@pytest.mark.requirement("LEADS-META-004")
def test_generated_bodies_are_created_and_echoed(
    target: Target,
    client: httpx.Client,
    meta_post: MetaPost,
    known_relations: dict[str, str],
    seed: int,
    max_examples: int,
    write_budget: WriteBudget,
) -> None:
    """Bodies generated from request_schema all get 201 and are echoed.

    As many bodies are sent as the write budget's share for them allows (``--max-examples`` at most);
    the same seed draws the same bodies.
    """
    meta_post.require_own(["LEADS-META-004"])
    if write_budget.left("meta-generated") <= 0:
        raise write_budget.exhausted(
            "meta-generated", "a body generated from request_schema", ["LEADS-META-004"]
        )
    try:
        tagged = []
        for drawn in drawn_models(meta_post.model_schema, seed, max_examples):
            tag = run_tag(target, "generated")
            tagged.append((tag, ready_to_send(drawn, meta_post, known_relations, tag)))
    except Ungeneratable as exc:
        raise Inconclusive(str(exc), ["LEADS-META-004"]) from None
    except Exception as exc:  # hypothesis-jsonschema rejects what it cannot turn into a strategy
        raise Inconclusive(
            f"bodies cannot be generated from request_schema: {type(exc).__name__}: {exc}"[:400],
            ["LEADS-META-004"],
        ) from None
    if not tagged:
        raise Inconclusive("request_schema gave no body to send", ["LEADS-META-004"])
    findings = Findings(target)
    for tag, model in tagged:
        if not write_budget.allow("meta-generated"):
            break
        response = post(client, meta_post, model, tag)
        body = json_or_none(response)
        sent = json.dumps(model)[:300]
        if (
            response.status_code != 201
            or not isinstance(body, dict)
            or not isinstance(body.get("model"), dict)
        ):
            findings.fail(
                "LEADS-META-004",
                f"the generated body {sent} is not created with a 201 ({describe(response)})",
                response,
            )
            continue
        problems = differences(model, body["model"], declined_fields(body)).must
        findings.check(
            not problems,
            "LEADS-META-004",
            f"the generated body {sent} is not echoed: " + "; ".join(problems)[:400],
            response,
        )
    findings.raise_if_any()


# ------------------------------------------------------------------------------ remote field classes
def listed_class_ids(client: httpx.Client, max_pages: int = 100) -> tuple[set[str], bool]:
    """Every remote field class id the list shows (bounded), and whether the walk reached its end."""
    walk = Pages(client, REMOTE_FIELD_CLASSES, {"page_size": MAX_PAGE_SIZE}, max_pages,
                 requirements=["LEADS-META-005"], needs_results=True).read()
    return {item["id"] for _, item in walk.results if isinstance(item.get("id"), str)}, walk.ended


@pytest.mark.requirement("LEADS-META-005")
def test_remote_field_classes_named_by_meta_post_exist(
    meta_response: httpx.Response, request: pytest.FixtureRequest
) -> None:
    """Every remote field class named by meta/post exists in /leads/remote-field-classes (of the same
    account)."""
    client = account_client(request, request.node.callspec.params["meta_response"])
    body = json_or_none(meta_response)
    if meta_response.status_code != 200 or not isinstance(body, dict):
        raise Inconclusive(f"meta/post is unusable ({describe(meta_response)})", ["LEADS-META-005"])
    named = named_classes(body)
    if not named:
        pytest.skip("meta/post names no remote field class")
    listed, complete = listed_class_ids(client)
    missing = [ident for ident in named if ident not in listed]
    if missing and not complete:
        raise Inconclusive("the remote field class list could not be walked to its end", ["LEADS-META-005"])
    if missing:
        raise Violation(
            f"meta/post names remote field classes that /remote-field-classes does not list: {missing}"[:500],
            ["LEADS-META-005"],
        )
