"""The Schemathesis glue: failures charged to requirements, open inputs, prepared bodies, masked credentials.

The end-to-end cases run Schemathesis against small in-process servers (``httpx.MockTransport``)
through the target's guarded client, so they need no socket.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from schemathesis.core.failures import AcceptedNegativeData, CustomFailure, ServerError
from schemathesis.generation import GenerationMode
from schemathesis.generation.hypothesis import examples
from schemathesis.openapi.checks import (
    AuthScenario,
    IgnoredAuth,
    MissingContentType,
    MissingHeaderNotRejected,
    RejectedPositiveData,
    UndefinedContentType,
    UndefinedStatusCode,
)

from conformance.contract.fragment import load_fragment
from conformance.http.target import Target
from conformance.outcomes import Inconclusive, Violation
from conformance.suite import properties
from conformance.suite.generated import (
    INVALID,
    OPEN,
    VALID,
    CaseRunner,
    Judge,
    adapter,
    body_inputs,
    classify_query,
    coverage_cases,
    fuzz,
    load_schema,
    operation_parameters,
    prepare_valid_body,
    requirements_for,
    schemathesis_fragment,
    wire_headers,
    with_absent_required_fields,
    without_formats,
)
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.properties import StatefulRun
from conformance.suite.support.meta import MetaPost

TOKEN = "secret-api-key-123"
ACCOUNT = "secret-account-456"
FRAGMENT = load_fragment()
LEADS = "/crm/v1/leads"
RFC = "/crm/v1/leads/remote-field-classes"
META = MetaPost(
    raw={},
    model_schema={
        "type": "object",
        "properties": {"last_name": {"type": "string", "minLength": 1}, "company": {"type": "string"}},
        "required": ["last_name", "company"],
    },
)
KNOWN = {"owner": "0358cbc6-2040-430a-848e-aafacbadf3aa"}
Handler = Callable[[httpx.Request], httpx.Response]


def _failure(kind: type, **extra: Any) -> Any:
    if kind is CustomFailure:
        extra.setdefault("exception", AssertionError("m"))
    return kind(operation="GET /crm/v1/leads", message="m", **extra)


# ------------------------------------------------------------------------------ check -> requirement
@pytest.mark.parametrize(
    ("check", "failure", "status", "expected"),
    [
        ("not_a_server_error", _failure(ServerError, status_code=500), 500, ("LEADS-HTTP-001",)),
        ("not_a_server_error", _failure(ServerError, status_code=503), 503, ("LEADS-HTTP-001",)),
        (
            "status_code_conformance",
            _failure(
                UndefinedStatusCode, status_code=202, defined_status_codes=["201"], allowed_status_codes=[201]
            ),
            202,
            ("LEADS-HTTP-002",),
        ),
        (
            "status_code_conformance",
            _failure(
                UndefinedStatusCode, status_code=302, defined_status_codes=["201"], allowed_status_codes=[201]
            ),
            302,
            (),
        ),
        (
            "response_schema_conformance",
            _failure(CustomFailure, title="Response violates schema"),
            200,
            ("LEADS-HTTP-002",),
        ),
        ("response_schema_conformance", _failure(CustomFailure, title="Response violates schema"), 400, ()),
        (
            "content_type_conformance",
            _failure(
                UndefinedContentType, content_type="text/plain", defined_content_types=["application/json"]
            ),
            200,
            ("LEADS-HTTP-003",),
        ),
        (
            "response_schema_conformance",
            _failure(MissingContentType, media_types=["application/json"]),
            201,
            ("LEADS-HTTP-003",),
        ),
        (
            "negative_data_rejection",
            _failure(AcceptedNegativeData, status_code=200, expected_statuses=["400"]),
            200,
            ("LEADS-HTTP-005",),
        ),
        (
            "missing_required_header",
            _failure(
                MissingHeaderNotRejected,
                header_name="X-Account-Token",
                status_code=200,
                expected_statuses=[400],
            ),
            200,
            ("LEADS-HTTP-005",),
        ),
        (
            "negative_data_rejection",
            _failure(AcceptedNegativeData, status_code=500, expected_statuses=["4xx"]),
            500,
            (),
        ),
        (
            "positive_data_acceptance",
            _failure(RejectedPositiveData, status_code=400, allowed_statuses=["2xx"]),
            400,
            ("LEADS-HTTP-006",),
        ),
        ("use_after_free", _failure(CustomFailure, title="Use after free"), 200, ("LEADS-HTTP-004",)),
        (
            "ensure_resource_availability",
            _failure(CustomFailure, title="Unavailable"),
            404,
            ("LEADS-HTTP-004",),
        ),
        ("created_lead_is_retrievable", _failure(CustomFailure, title="404"), 404, ("LEADS-HTTP-004",)),
        ("unsupported_method", _failure(CustomFailure, title="405 expected"), 200, ()),
    ],
)
def test_each_check_failure_is_charged_to_its_requirement(check, failure, status, expected):
    assert requirements_for(check, failure, status=status, json_body=True) == expected


def test_a_wrong_content_type_on_an_error_binds_only_when_the_body_is_json():
    failure = _failure(
        UndefinedContentType, content_type="text/html", defined_content_types=["application/json"]
    )
    assert requirements_for("content_type_conformance", failure, status=404, json_body=False) == ()
    assert requirements_for("content_type_conformance", failure, status=404, json_body=True) == (
        "LEADS-HTTP-003",
    )


@pytest.mark.parametrize(
    ("scenario", "probe_headers", "expected"),
    [
        (AuthScenario.NO_AUTH, {}, "LEADS-AUTH-001"),
        (AuthScenario.INVALID_AUTH, {"Authorization": "Bearer SCHEMATHESIS-INVALID-VALUE"}, "LEADS-AUTH-002"),
        (AuthScenario.INVALID_AUTH, {"X-Account-Token": "SCHEMATHESIS-INVALID-VALUE"}, "LEADS-AUTH-004"),
    ],
)
def test_ignored_auth_is_charged_to_the_credential_its_probe_invalidated(scenario, probe_headers, expected):
    failure = IgnoredAuth(operation="GET /crm/v1/leads", message="accepted", scenario=scenario)
    assert requirements_for(
        "ignored_auth", failure, status=200, json_body=True, probe_headers=probe_headers
    ) == (expected,)


# ------------------------------------------------------------------------------ open inputs
LIST_PARAMETERS = operation_parameters(FRAGMENT, "GET", LEADS)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("page_size", "20")], VALID),
        ([("page_size", "0")], OPEN),
        ([("page_size", "-3")], OPEN),
        ([("page_size", "150")], OPEN),
        ([("page_size", "abc")], INVALID),
        ([("page_size", "")], OPEN),
        ([("cursor", "cD0yMDIx")], OPEN),
        ([("expand", "owner,converted_contact")], VALID),
        ([("expand", "owner,nickname")], OPEN),
        ([("expand", "")], OPEN),
        ([("include_remote_data", "true")], VALID),
        ([("include_remote_data", "yes")], OPEN),
        ([("created_after", "2021-09-15T00:00:00.123456+02:00")], VALID),
        ([("created_after", "2021-13-45")], INVALID),
        ([("owner_id", "not-a-uuid")], OPEN),
        ([("remote_id", "00Q5e00000A1b2CEAR")], VALID),
        ([("x-unknown", "1")], OPEN),
    ],
)
def test_query_inputs_are_judged_valid_open_or_invalid(pairs, expected):
    (judged,) = classify_query(LIST_PARAMETERS, pairs)
    assert judged.status == expected, judged


def _valid(body: Any) -> bool:
    model = body.get("model") if isinstance(body, dict) else None
    return (
        isinstance(model, dict)
        and all(
            value is None or isinstance(value, (str, list)) for key, value in model.items() if key != "owner"
        )
        and (model.get("owner") is None or isinstance(model["owner"], str))
    )


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"last_name": "Okafor", "company": "Acme"}, {VALID}),
        ({"last_name": "Okafor"}, {INVALID}),
        ({"last_name": "", "company": "Acme"}, {INVALID}),
        ({"last_name": "Okafor", "company": "Acme", "owner": "someone-else"}, {OPEN}),
        ({"last_name": "Okafor", "company": "Acme", "owner": KNOWN["owner"]}, {VALID}),
        ({"last_name": "Okafor", "company": "Acme", "first_name": 5}, {INVALID}),
        ({"last_name": "Okafor", "company": "Acme", "owner": {"id": KNOWN["owner"], "name": 5}}, {OPEN}),
        ({"last_name": "Okafor", "company": "Acme", "remote_fields": [{"remote_field_class": "x"}]}, {OPEN}),
    ],
)
def test_body_inputs_are_judged_against_the_fragment_and_the_target(model, expected):
    judged = body_inputs({"model": model}, is_valid=_valid, meta=META, known=KNOWN)
    assert {item.status for item in judged} == expected, judged


def _lead_request_validators(schema: Any) -> tuple[Callable[[Any], bool], Callable[[Any], bool]]:
    """Validators of POST /leads bodies: with every format the fragment keeps, and with date-time only."""
    judge = Judge(FRAGMENT)
    case = examples.generate_one(
        schema[LEADS]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE)
    )
    return judge.body_validator(case), judge.body_validator(case, formats=frozenset({"date-time"}))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"last_name": "Okafor", "company": "Acme", "lead_url": "https://acme.com/leads/1"}, {VALID}),
        ({"last_name": "Okafor", "company": "Acme", "lead_url": ""}, {OPEN}),
        ({"last_name": "Okafor", "company": "Acme", "lead_url": "acme.com"}, {OPEN}),
        ({"last_name": "Okafor", "company": "Acme", "lead_url": "acme.com", "first_name": 5}, {INVALID}),
        ({"last_name": "Okafor", "company": "Acme", "converted_date": "yesterday"}, {INVALID}),
        (
            {"last_name": "Okafor", "company": "Acme", "lead_url": "", "owner": {"id": "x", "name": 5}},
            {OPEN},
        ),
        # Merge's definition lets a remote field name its class by the expanded object, with or without an id
        ({"last_name": "Okafor", "company": "Acme", "remote_fields": [{"remote_field_class": {}}]}, {OPEN}),
        (
            {
                "last_name": "Okafor",
                "company": "Acme",
                "remote_fields": [{"remote_field_class": {"id": "c1"}}],
            },
            {OPEN},
        ),
        ({"last_name": "Okafor", "company": "Acme", "remote_fields": [{"remote_field_class": 5}]}, {INVALID}),
        ({"last_name": "Okafor", "company": "Acme", "remote_fields": "c1"}, {INVALID}),
    ],
)
def test_a_body_invalid_only_by_an_advisory_format_is_open(model, expected):
    runner, _target = _runner(_server(_page))
    strict, lenient = _lead_request_validators(runner.schema)
    judged = body_inputs(
        {"model": model}, is_valid=strict, meta=META, known=KNOWN, is_valid_but_formats=lenient
    )
    assert {item.status for item in judged} == expected, judged


@pytest.mark.parametrize(
    ("extra", "declined", "meta", "expected"),
    [
        # meta/post does not offer converted_date, and the answer's warnings name it as not written
        ({"converted_date": "yesterday"}, {"converted_date"}, META, {OPEN}),
        ({"converted_date": "yesterday"}, set(), META, {INVALID}),
        ({"converted_date": "yesterday", "first_name": 5}, {"converted_date"}, META, {INVALID}),
        ({"last_name": 5}, {"last_name"}, META, {INVALID}),
        ({"converted_date": "yesterday"}, {"converted_date"}, replace(META, fallback="unusable"), {INVALID}),
    ],
)
def test_a_body_invalid_only_in_a_declined_unoffered_field_is_open(extra, declined, meta, expected):
    runner, _target = _runner(_server(_page))
    strict, lenient = _lead_request_validators(runner.schema)
    model = {"last_name": "Okafor", "company": "Acme", **extra}
    judged = body_inputs(
        {"model": model},
        is_valid=strict,
        meta=meta,
        known=KNOWN,
        is_valid_but_formats=lenient,
        declined=declined,
    )
    assert {item.status for item in judged} == expected, judged


def test_without_meta_post_what_a_body_needs_is_open():
    judged = body_inputs({"model": {"title": "x"}}, is_valid=_valid, meta=None, known={})
    assert {item.status for item in judged} == {OPEN}


def test_a_valid_body_is_made_valid_for_the_target():
    body = {
        "model": {
            "title": "CTO",
            "owner": "unknown",
            "converted_account": {"id": "a"},
            "last_name": None,
            "remote_fields": [{"remote_field_class": "c"}],
        }
    }
    prepared = prepare_valid_body(body, META, KNOWN, "lc-run-1")["model"]
    assert prepared["title"] == "CTO"
    assert prepared["owner"] == KNOWN["owner"]
    assert "converted_account" not in prepared and "remote_fields" not in prepared
    assert prepared["last_name"] and prepared["company"]
    assert "lc-run-1" in prepared["lead_source"]


def test_an_invalid_body_only_gains_the_required_fields_it_lacks_and_the_tag():
    body = {"model": {"first_name": 5, "last_name": None}}
    assert with_absent_required_fields(body, META, KNOWN, "lc-x1")["model"] == {
        "first_name": 5,
        "last_name": None,
        "company": "Company lc-x1",
    }
    # the tag goes into a text field the model lacks and meta/post offers; no field it holds changes
    offers_title = replace(
        META,
        model_schema={**META.model_schema, "properties": {**META.properties, "title": {"type": "string"}}},
    )
    body = {"model": {"lead_source": 0, "last_name": "Okafor", "company": "Acme"}}
    assert with_absent_required_fields(body, offers_title, KNOWN, "lc-x1")["model"] == {
        **body["model"],
        "title": "leads-conformance lc-x1",
    }
    assert with_absent_required_fields(body, META, KNOWN, "lc-x1") is body  # no field with room
    assert with_absent_required_fields({"model": {"title": 5}}, None, KNOWN, "lc-x1")["model"] == {
        "title": 5,
        "lead_source": "leads-conformance lc-x1",
    }


def test_the_fragment_schemathesis_gets_writes_relations_as_ids_only():
    data = schemathesis_fragment(FRAGMENT)["components"]["schemas"]
    assert data["LeadRequest"]["properties"]["owner"]["type"] == "string"
    assert "oneOf" not in data["LeadRequest"]["properties"]["owner"]
    assert "oneOf" not in data["RemoteFieldRequest"]["properties"]["remote_field_class"]
    assert "oneOf" in data["Lead"]["properties"]["owner"]


def _formats(node: Any) -> set[str]:
    if isinstance(node, dict):
        own = {node["format"]} if isinstance(node.get("format"), str) else set()
        return own.union(*(_formats(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_formats(value) for value in node))
    return set()


def test_the_fragment_schemathesis_gets_enforces_only_date_times_on_responses():
    schemas = schemathesis_fragment(FRAGMENT)["components"]["schemas"]
    for name in ("Lead", "User", "Contact", "Account", "LeadResponse", "PaginatedLeadList"):
        assert _formats(schemas[name]) <= {"date-time"}, name
    assert _formats(FRAGMENT["components"]["schemas"]["Account"]) >= {"uri", "uuid"}
    assert schemas["LeadRequest"]["properties"]["lead_url"]["format"] == "uri"
    assert schemas["LeadRequest"]["properties"]["converted_date"]["format"] == "date-time"


def test_without_formats_leaves_the_original_schema_alone():
    schema = {"type": "object", "properties": {"u": {"type": "string", "format": "uri"}}}
    assert without_formats(schema) == {"type": "object", "properties": {"u": {"type": "string"}}}
    assert schema["properties"]["u"]["format"] == "uri"


def test_scheme_less_urls_in_responses_match_the_schema():
    lead = {"id": KNOWN["owner"], "lead_url": "acme.com", "converted_account": {"website": "acme.com"}}
    body = {"model": lead, "warnings": [], "errors": []}
    runner, _target = _runner(_server(lambda request: httpx.Response(201, json=body)))
    case = examples.generate_one(
        runner.schema[LEADS]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE)
    )
    runner.exercise(case)
    assert "LEADS-HTTP-002" not in _charged(runner)


def test_the_fragment_schemathesis_gets_drops_uuid_formats_and_the_example_cursor():
    data = schemathesis_fragment(FRAGMENT)
    assert '"format": "uuid"' not in json.dumps(data["components"])
    cursor = next(p for p in data["paths"][LEADS]["get"]["parameters"] if p["name"] == "cursor")
    assert "examples" not in cursor and "example" not in cursor
    path_id = next(p for p in data["paths"][LEADS + "/{id}"]["get"]["parameters"] if p["name"] == "id")
    assert path_id["schema"]["format"] == "uuid"


# ------------------------------------------------------------------------------ end to end, in process
def _page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"next": None, "previous": None, "results": []})


def _authenticated(request: httpx.Request) -> bool:
    return (
        request.headers.get("authorization") == f"Bearer {TOKEN}"
        and request.headers.get("x-account-token") == ACCOUNT
    )


def _server(answer: Handler, admit: Callable[[httpx.Request], bool] = _authenticated) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        if not admit(request):
            return httpx.Response(401, json={"detail": "Authentication credentials were not provided."})
        return answer(request)

    return handle


def _runner(handler: Handler, seed: int = 1) -> tuple[CaseRunner, Target]:
    target = Target(
        base_url="http://leads.test/api",
        token=TOKEN,
        account_token=ACCOUNT,
        transport=httpx.MockTransport(handler),
    )
    schema = load_schema(target, target.client(authenticated=False), FRAGMENT, seed)
    return CaseRunner(target, schema, Judge(FRAGMENT)), target


def _positive_case(runner: CaseRunner, path: str, query: dict[str, Any]) -> Any:
    operation = runner.schema[path]["GET"]
    return examples.generate_one(operation.as_strategy(generation_mode=GenerationMode.POSITIVE, query=query))


def _charged(runner: CaseRunner) -> set[str]:
    return {finding.requirement for finding in runner.findings.values()}


def test_a_server_error_is_charged_to_http_001_with_a_masked_reproduce_command():
    runner, _target = _runner(_server(lambda request: httpx.Response(500, json={"detail": TOKEN})))
    runner.exercise(_positive_case(runner, LEADS, {}))
    (violation,) = [v for v in runner.violations() if "LEADS-HTTP-001" in v.requirements]
    assert violation.reproduce is not None
    assert "authorization: bearer ***" in violation.reproduce.lower()
    assert "x-account-token: ***" in violation.reproduce.lower()
    assert TOKEN not in violation.reproduce + violation.message
    assert ACCOUNT not in violation.reproduce + violation.message


@pytest.mark.parametrize(
    ("refused", "charged"),
    [("is_common_model_field", {"LEADS-HTTP-006"}), ("cursor", set())],
    ids=["valid-filter-confirmed-without-the-open-input", "open-input-not-charged"],
)
def test_a_refusal_is_charged_only_when_the_valid_input_alone_is_refused(refused, charged):
    """A case holds a valid filter beside an open input (a made-up cursor). Refused, it is sent again
    without the open input: refused still, the valid filter is charged; taken, nothing is."""

    def refuse(request: httpx.Request) -> httpx.Response:
        if request.url.params.get(refused):
            return httpx.Response(400, json={"detail": "Refused."})
        return _page(request)

    runner, _target = _runner(_server(refuse))
    runner.exercise(_positive_case(runner, RFC, {"cursor": "abc", "is_common_model_field": "true"}))
    assert _charged(runner) == charged
    if charged:
        (finding,) = runner.findings.values()
        assert "without the open input(s)" in finding.message and "cursor" in finding.message


def test_a_request_without_credentials_accepted_is_charged_to_auth_001():
    runner, _target = _runner(_server(_page, admit=lambda request: True))
    runner.exercise(_positive_case(runner, RFC, {}))
    assert _charged(runner) == {"LEADS-AUTH-001"}


def test_an_unknown_account_token_accepted_is_charged_to_auth_004():
    def admit(request: httpx.Request) -> bool:
        authorization = request.headers.get("authorization")
        if authorization is not None:
            return _authenticated(request)
        return "x-account-token" in request.headers

    runner, _target = _runner(_server(_page, admit=admit))
    runner.exercise(_positive_case(runner, RFC, {}))
    assert _charged(runner) == {"LEADS-AUTH-004"}


def test_a_persisting_429_is_never_a_failure():
    runner, target = _runner(
        _server(lambda request: httpx.Response(429, headers={"Retry-After": "0"}))
    )
    target.pacing.max_retries_429 = 1
    runner.exercise(_positive_case(runner, RFC, {}))
    assert runner.findings == {}
    assert runner.throttled == 1
    with pytest.raises(Exception, match="429"):
        runner.conclude(["LEADS-HTTP-001"])


def test_the_same_seed_sends_the_same_requests():
    def requests_sent(seed: int) -> list[tuple[str, bytes]]:
        sent: list[tuple[str, bytes]] = []

        def record(request: httpx.Request) -> httpx.Response:
            sent.append((str(request.url), request.content))
            return _page(request)

        runner, _target = _runner(_server(record), seed)
        fuzz(runner.schema[LEADS]["GET"], seed, 10, runner.exercise)
        return sent

    first = requests_sent(7)
    assert first == requests_sent(7)
    assert first != requests_sent(8)


def test_the_random_case_id_and_requests_defaults_are_not_sent():
    sent = wire_headers(
        {"X-Schemathesis-TestCaseId": "abc", "User-Agent": "python-requests/2", "X-Custom": "1"}
    )
    assert sent == {"X-Custom": "1"}


# ------------------------------------------------------------------------------ stateful links
def _lead_store(*, create: int = 201, with_id: bool = True, readable: bool = True) -> Handler:
    """A small Leads server: creates answer ``create``; a created lead reads back when ``readable``."""
    leads: dict[str, dict[str, Any]] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith(LEADS):
            if create != 201:
                return httpx.Response(create, json={"detail": "refused"})
            ident = f"7c9e6679-7425-40de-944b-{len(leads):012d}"
            model = {"created_at": "2026-01-15T10:30:00Z", "modified_at": "2026-01-15T10:30:00Z"}
            if with_id:
                model["id"] = ident
            leads[ident] = model
            return httpx.Response(201, json={"model": model, "warnings": [], "errors": []})
        head, _, last = path.rpartition("/")
        if head.endswith(LEADS) and last not in ("meta", "remote-field-classes"):
            if readable and last in leads:
                return httpx.Response(200, json=leads[last])
            return httpx.Response(404, json={"detail": "Not found."})
        return _page(request)

    return answer


def _stateful(handler: Handler) -> StatefulRun:
    target = Target(
        base_url="http://leads.test/api",
        token=TOKEN,
        account_token=ACCOUNT,
        transport=httpx.MockTransport(handler),
    )
    schema = load_schema(target, target.client(authenticated=False), FRAGMENT, 3)
    budget = WriteBudget.split(40, {"stateful": 8})
    return StatefulRun(target, schema, Judge(FRAGMENT, META, KNOWN, tag="lc-run-1"), seed=3, max_examples=4,
                       budget=budget)


def test_a_stateful_run_counts_the_links_it_followed():
    run = _stateful(_server(_lead_store()))
    properties.test_created_lead_is_retrievable_through_its_link(run)
    properties.test_stateful_requests_get_conformant_answers(run)
    assert run.runner().links >= 1


@pytest.mark.parametrize(
    "handler",
    [_lead_store(create=400), _lead_store(with_id=False)],
    ids=["every create refused", "created without an id"],
)
def test_a_stateful_run_that_followed_no_link_leaves_only_the_link_undecided(handler):
    run = _stateful(_server(handler))
    with pytest.raises(Inconclusive, match="no POST") as raised:
        properties.test_created_lead_is_retrievable_through_its_link(run)
    assert raised.value.requirements == ("LEADS-HTTP-004",)
    assert run.runner().links == 0 and run.runner().sent > 0
    properties.test_stateful_requests_get_conformant_answers(run)


def test_a_created_lead_that_does_not_read_back_breaks_the_link():
    run = _stateful(_server(_lead_store(readable=False)))
    with pytest.raises(Violation) as raised:
        properties.test_created_lead_is_retrievable_through_its_link(run)
    assert set(raised.value.requirements) == {"LEADS-HTTP-004"}
    assert run.runner().links >= 1


def test_the_coverage_phase_is_sent_whole_unless_bounded():
    runner, _target = _runner(_server(_page))
    operation = runner.schema[RFC]["GET"]
    whole = coverage_cases(operation, 1)
    assert len(whole) == len(list(adapter.coverage_generator(operation))) > 20
    sample = coverage_cases(operation, 1, limit=7)
    assert len(sample) == 7
    assert [c.query for c in sample] == [c.query for c in coverage_cases(operation, 1, limit=7)]
    assert coverage_cases(operation, 1, limit=0) == []
