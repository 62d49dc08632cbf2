"""Glue between Schemathesis 4.x and the suite: loading, sending, judging inputs, checking, charging.

- ``load_schema`` loads the OpenAPI fragment into Schemathesis with fixed settings, and routes every
  request Schemathesis sends (generated cases, and the probes its checks send) through the target's
  guarded httpx client, always to the target's base URL.
- ``Judge`` reads a sent request back from the wire and says, input by input, whether the contract
  calls it valid, *open* (a 4xx and a tolerant 200 are both fine) or invalid; it also gives POST
  bodies what the target needs (meta/post's required fields, known relations, the run's tag).
- ``Exploration`` runs the mapped Schemathesis checks on each answer and keeps what they found,
  charged to requirement IDs (``requirements_for``) and deduplicated, until the test raises them.
- ``example_cases``, ``coverage_cases``, ``fuzz`` and ``run_stateful`` are Schemathesis' phases,
  bounded by ``--max-examples`` and seeded by ``--seed``.

What is tuned, and why, is written down in ``conformance.suite.properties``.
"""

from __future__ import annotations

import copy
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import httpx
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.transport import Response
from schemathesis.engine.link_calibration import MIN_SAMPLES, LinkCalibrationState, TransitionScore
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.hypothesis import examples
from schemathesis.generation.overrides import Override
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.openapi.checks import (
    AuthScenario,
    IgnoredAuth,
    MalformedMediaType,
    MissingContentType,
    UndefinedContentType,
)
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from conformance._outcomes import Inconclusive, Violation, ViolationGroup
from conformance.suite._bodies import fitted
from conformance.suite._support import RELATION_FIELDS, MetaPost, parse_datetime, value_for
from conformance.target import Exchange, Target

__all__ = [
    "CHECK_REQUIREMENTS",
    "PROPERTY_CHECKS",
    "STATEFUL_CHECKS",
    "Exploration",
    "Input",
    "Judge",
    "auth_requirement",
    "body_inputs",
    "classify_query",
    "coverage_cases",
    "example_cases",
    "fuzz",
    "load_schema",
    "prepare_valid_body",
    "requirements_for",
    "reproduce",
    "run_stateful",
]

HTTP_001, HTTP_002, HTTP_003, HTTP_004, HTTP_005, HTTP_006 = (f"LEADS-HTTP-00{n}" for n in range(1, 7))
AUTH_001, AUTH_002, AUTH_004 = "LEADS-AUTH-001", "LEADS-AUTH-002", "LEADS-AUTH-004"

#: Schemathesis check name -> the requirement its failures break (``ignored_auth`` is decided per probe)
CHECK_REQUIREMENTS: dict[str, str] = {
    "not_a_server_error": HTTP_001,
    "status_code_conformance": HTTP_002,
    "response_schema_conformance": HTTP_002,
    "content_type_conformance": HTTP_003,
    "negative_data_rejection": HTTP_005,
    "missing_required_header": HTTP_005,
    "positive_data_acceptance": HTTP_006,
    "use_after_free": HTTP_004,
    "ensure_resource_availability": HTTP_004,
    "created_lead_is_retrievable": HTTP_004,
}
_CONTENT_TYPE_FAILURES = (MissingContentType, UndefinedContentType, MalformedMediaType)
#: what Schemathesis' ignored_auth probes put in place of a credential
INVALID_CREDENTIAL = "SCHEMATHESIS-INVALID-VALUE"
#: distinct failures reported per requirement (the rest are counted, not listed)
MAX_MESSAGES_PER_REQUIREMENT = 3
_REQUESTS_DEFAULT_HEADERS = ("user-agent", "accept", "accept-encoding", "connection")
_DROPPED_HEADERS = ("content-length", "host", SCHEMATHESIS_TEST_CASE_HEADER.lower())
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
CheckFunction = Callable[[CheckContext, Response, Case], "bool | None"]


# ============================================================================== loading
#: request schemas whose relations are written as ids: schema name -> relation properties
WRITTEN_RELATIONS = {
    "LeadRequest": RELATION_FIELDS,
    "RemoteFieldRequest": ("remote_field_class",),
}


#: the only format the contract enforces on responses; every other one is advisory there
ENFORCED_FORMATS = frozenset({"date-time"})
#: formats kept in request-only schemas: generated valid bodies carry absolute URIs, which every target takes
REQUEST_FORMATS = frozenset({"date-time", "uri"})


def schemathesis_fragment(fragment: dict[str, Any]) -> dict[str, Any]:
    """The fragment as Schemathesis gets it: relations as ids, advisory formats dropped, no example cursor.

    - A write names a related object by its id. Merge's definition also lets a request relation be
      the expanded object (``owner: User``); what a server makes of such an object beyond its id is
      open, so requests carry ids only (and generation is not spent inside User, Contact, Account).
    - Only ``date-time`` is enforced on responses: Merge's relation ids are not always UUIDs
      (``025fjlc6-...``) and its ``uri`` fields (``website``, ``lead_url``, ``*_url``) may hold
      scheme-less text (``acme.com``). Every other format is dropped from the component schemas,
      except ``uri`` in request-only schemas, so that generated valid bodies carry absolute URIs; a
      body invalid only by that format is open (``body_inputs``). The path ``id`` keeps ``uuid``, so
      generated ids stay UUIDs.
    - Merge's example cursor names a position on Merge's servers: every other target answers it
      404, and the coverage phase would put it in nearly every list request.
    """
    data = copy.deepcopy(fragment)
    schemas = data.get("components", {}).get("schemas", {})
    for name, relations in WRITTEN_RELATIONS.items():
        properties = schemas.get(name, {}).get("properties", {})
        for relation in relations:
            if isinstance(properties.get(relation), dict) and "oneOf" in properties[relation]:
                properties[relation].pop("oneOf")
                properties[relation]["type"] = "string"
    request_only = _request_only_schemas(data)
    for name in list(schemas):
        schemas[name] = without_formats(
            schemas[name], REQUEST_FORMATS if name in request_only else ENFORCED_FORMATS
        )
    for item in data.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("name") == "cursor":
                    parameter.pop("examples", None)
                    parameter.pop("example", None)
    return data


def without_formats(node: Any, keep: frozenset[str] = ENFORCED_FORMATS) -> Any:
    """A copy of a schema without the string ``format`` keywords outside ``keep`` (the original stays)."""
    if isinstance(node, dict):
        return {
            key: without_formats(value, keep)
            for key, value in node.items()
            if not (key == "format" and isinstance(value, str) and value not in keep)
        }
    if isinstance(node, list):
        return [without_formats(value, keep) for value in node]
    return node


def _request_only_schemas(data: Mapping[str, Any]) -> set[str]:
    """The component schemas request bodies reach and no response reaches."""
    requests_reach: set[str] = set()
    responses_reach: set[str] = set()
    for item in data.get("paths", {}).values():
        for operation in item.values() if isinstance(item, dict) else []:
            if isinstance(operation, dict):
                _reached(operation.get("requestBody"), data, requests_reach)
                _reached(operation.get("responses"), data, responses_reach)
    prefix = "#/components/schemas/"
    return {ref.removeprefix(prefix) for ref in requests_reach - responses_reach if ref.startswith(prefix)}


def _reached(node: Any, data: Mapping[str, Any], seen: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/") and ref not in seen:
            seen.add(ref)
            target: Any = data
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            _reached(target, data, seen)
        for value in node.values():
            _reached(value, data, seen)
    elif isinstance(node, list):
        for value in node:
            _reached(value, data, seen)


def schemathesis_config(target: Target, seed: int) -> SchemathesisConfig:
    """Schemathesis' settings for the suite (none is read from a ``schemathesis.toml`` nearby)."""
    return SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "base-url": target.base_url,
            "generation": {"mode": "all", "with-security-parameters": False, "database": "none"},
            "phases": {
                "coverage": {"unexpected-methods": []},
                "stateful": {"generation": {"mode": "positive"}, "inference": {"algorithms": []}},
            },
            "tls-verify": target.verify_tls,
            "request-timeout": target.timeout,
        }
    )


def load_schema(target: Target, client: httpx.Client, fragment: dict[str, Any], seed: int) -> OpenApiSchema:
    """The fragment loaded into Schemathesis; everything it sends goes through ``client`` to the target."""
    schema = schemathesis.openapi.from_dict(
        schemathesis_fragment(fragment), config=schemathesis_config(target, seed)
    )
    transport = GuardedRequests(target, client)
    # Schemathesis picks a schema's transport by a property; clones keep the class, so they keep it too.
    schema.__class__ = type(
        "GuardedOpenApiSchema", (type(schema),), {"transport": property(lambda _: transport)}
    )
    return schema


# ============================================================================== sending
class GuardedRequests(RequestsTransport):
    """Schemathesis' requests transport, with the wire work done by the target's guarded httpx client.

    Schemathesis serialises the case exactly as it would for ``requests``; the prepared request is
    sent through the guarded client (429 waits and retries, pacing, body cap, history), always to
    the target's base URL, and the answer comes back as a Schemathesis ``Response`` whose
    ``request`` is what went on the wire.
    """

    def __init__(self, target: Target, client: httpx.Client) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self._target = target
        self._client = client

    def send(self, case: Case, *, session: requests.Session | None = None, **kwargs: Any) -> Response:
        kwargs["base_url"] = self._target.base_url
        data = self.serialize_case(case, **kwargs)
        prepared = requests.Request(
            method=data["method"],
            url=data["url"],
            headers=data.get("headers"),
            params=data.get("params"),
            cookies=data.get("cookies"),
            json=data.get("json"),
            data=data.get("data"),
            files=data.get("files"),
            auth=data.get("auth"),
        ).prepare()
        request = self._client.build_request(
            str(prepared.method),
            str(prepared.url),
            headers=wire_headers(prepared.headers),
            content=_bytes(prepared.body),
        )
        started = time.monotonic()
        answer = self._client.send(request)
        prepared.headers = CaseInsensitiveDict(request.headers)
        headers: dict[str, list[str]] = {}
        for name, value in answer.headers.multi_items():
            headers.setdefault(name.lower(), []).append(value)
        return Response(
            status_code=answer.status_code,
            headers=headers,
            content=answer.content,
            request=prepared,
            elapsed=time.monotonic() - started,
            verify=self._target.verify_tls,
            message=answer.reason_phrase,
            http_version=answer.http_version.removeprefix("HTTP/"),
            encoding=answer.encoding,
        )


def wire_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """Request headers to send: without Schemathesis' random case id and ``requests``' defaults.

    The case id changes on every run (the same seed must send the same requests); the client adds
    its own ``Accept`` and ``User-Agent``.
    """
    defaults = requests.utils.default_headers()
    kept = {}
    for name, value in headers.items():
        lname = name.lower()
        if lname in _DROPPED_HEADERS:
            continue
        if lname in _REQUESTS_DEFAULT_HEADERS and (lname == "user-agent" or defaults.get(name) == value):
            continue
        kept[name] = value if isinstance(value, str) else bytes(value).decode("latin-1")
    return kept


def _bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def reproduce(target: Target, response: Response) -> str:
    """A curl command that sends ``response``'s request again, credentials masked."""
    prepared = response.request
    exchange = Exchange(
        method=str(prepared.method),
        url=str(prepared.url),
        headers={name: str(value) for name, value in prepared.headers.items()},
        body=_bytes(prepared.body) or b"",
        status=response.status_code,
    )
    return target.curl(exchange)


# ============================================================================== charging
def requirements_for(
    check: str,
    failure: Failure,
    *,
    status: int,
    json_body: bool,
    probe_headers: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The requirement a Schemathesis failure breaks, or ``()`` when the contract does not bind it.

    - Only 2xx answers bind the status and body requirement (HTTP-002): error bodies are worded
      freely, and a 5xx is HTTP-001's.
    - A content-type failure (HTTP-003) binds a 2xx, or any answer whose body is JSON.
    - ``ignored_auth`` is charged to the AUTH requirement its probe shows broken.
    """
    if isinstance(failure, IgnoredAuth) or check == "ignored_auth":
        scenario = getattr(failure, "scenario", AuthScenario.NO_AUTH)
        return (auth_requirement(scenario, probe_headers or {}),)
    if isinstance(failure, _CONTENT_TYPE_FAILURES):
        return (HTTP_003,) if 200 <= status < 300 or json_body else ()
    requirement = CHECK_REQUIREMENTS.get(check)
    if requirement is None or (requirement == HTTP_002 and not 200 <= status < 300):
        return ()
    return (requirement,)


def auth_requirement(scenario: AuthScenario | str, probe_headers: Mapping[str, str]) -> str:
    """The AUTH requirement an accepted ignored_auth probe breaks, from the credential it invalidated.

    No credentials at all: AUTH-001. An invalid ``X-Account-Token``: AUTH-004. An invalid bearer
    key: AUTH-002.
    """
    if str(scenario) == AuthScenario.NO_AUTH:
        return AUTH_001
    headers = {name.lower(): value for name, value in probe_headers.items()}
    if INVALID_CREDENTIAL in headers.get("x-account-token", ""):
        return AUTH_004
    if "authorization" in headers:
        return AUTH_002
    return AUTH_001


# ============================================================================== judging inputs
VALID, OPEN, INVALID = "valid", "open", "invalid"
_SEVERITY = {VALID: 0, OPEN: 1, INVALID: 2}
_INTEGER = re.compile(r"^[+-]?\d+$")
_RELATION_FILTERS = ("owner_id", "converted_account_id", "converted_contact_id")
#: page_size outside this range is open: below 1 Merge leaves it open, above 100 a 400 is allowed
PAGE_SIZE_RANGE = (1, 100)


@dataclass(frozen=True)
class Input:
    """One input of a sent request, and how the contract judges it (valid, open or invalid)."""

    where: str
    status: str
    reason: str = ""


def classify_query(
    parameters: Mapping[str, Mapping[str, Any]], pairs: Iterable[tuple[str, str]]
) -> list[Input]:
    """Judge every query parameter sent, from its wire text, against the fragment's declaration.

    Open: an unknown parameter; an empty value (Django filters, which Merge runs on, read ``name=``
    as not given; the contract says so of ``expand=``); ``page_size`` outside 1..100; any ``cursor``
    (a generated one is malformed); an unknown ``expand`` value; a malformed boolean; a relation
    filter (``owner_id`` ...), whose id the target may refuse.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return [_classify_parameter(name, values, parameters.get(name)) for name, values in grouped.items()]


def _classify_parameter(name: str, values: list[str], declared: Mapping[str, Any] | None) -> Input:
    where = f"query {name}"
    if declared is None:
        return Input(where, OPEN, "unknown query parameter")
    if all(value == "" for value in values):
        return Input(where, OPEN, "empty value")
    schema = declared.get("schema") or {}
    verdicts = [_classify_value(name, value, schema) for value in values if value != ""]
    status, reason = max(verdicts, key=lambda verdict: _SEVERITY[verdict[0]])
    return Input(where, status, reason)


def _classify_value(name: str, value: str, schema: Mapping[str, Any]) -> tuple[str, str]:
    kind = schema.get("type")
    if name == "cursor":
        return OPEN, "a cursor the target did not make"
    if kind == "boolean":
        return (
            (VALID, "") if value.lower() in ("true", "false") else (OPEN, f"malformed boolean {value[:40]!r}")
        )
    if kind == "integer":
        if not _INTEGER.match(value.strip()):
            return INVALID, f"not an integer: {value[:40]!r}"
        if name == "page_size" and not PAGE_SIZE_RANGE[0] <= int(value) <= PAGE_SIZE_RANGE[1]:
            return OPEN, f"page_size {value[:40]} outside 1..100"
        return VALID, ""
    if kind == "array":
        allowed = (schema.get("items") or {}).get("enum")
        unknown = [item for item in value.split(",") if allowed is not None and item not in allowed]
        return (OPEN, f"unknown value(s) {unknown[:3]!r}") if unknown else (VALID, "")
    if schema.get("format") == "date-time" and parse_datetime(value) is None:
        return INVALID, f"not an RFC 3339 date-time: {value[:60]!r}"
    if name in _RELATION_FILTERS:
        return OPEN, "a relation id the target may refuse"
    return VALID, ""


def path_inputs(path_parameters: Mapping[str, Any]) -> list[Input]:
    """A lead id that is not a UUID is open: a malformed id may get 404 or 400 (RETRIEVE-003)."""
    ident = path_parameters.get("id")
    if ident is None:
        return []
    if isinstance(ident, str) and _UUID.match(ident):
        return [Input("path id", VALID)]
    return [Input("path id", OPEN, "a malformed id may get 404 or 400")]


def body_inputs(
    body: Any,
    *,
    is_valid: Callable[[Any], bool],
    meta: MetaPost | None,
    known: Mapping[str, str],
    is_valid_but_formats: Callable[[Any], bool] | None = None,
) -> list[Input]:
    """Judge a POST body: against the fragment, then against what the target needs.

    A body invalid against the fragment is invalid, unless its only invalidity lies inside an
    expanded relation object (``owner: {...}``) or in an advisory format: a write names a relation
    by its id, so what a server makes of the rest of the object (or of an object without an id) is
    open; and a ``uri`` field may hold scheme-less text (``acme.com``), which a server may take or
    refuse. ``is_valid_but_formats`` judges against the fragment without its advisory formats
    (``is_valid`` when not given). A valid body lacking a field meta/post requires is invalid for the
    target. Relations naming objects the target does not hold, and remote field values (they name
    remote field classes), are open: the contract lets a server refuse them. Without meta/post, what
    the target requires is open.
    """
    found: list[Input] = []
    if not is_valid(body):
        loosely_valid = is_valid_but_formats or is_valid
        collapsed = collapse_relations(body)
        if not loosely_valid(collapsed):
            return [Input("body", INVALID, "invalid against the fragment")]
        if collapsed is not body and not loosely_valid(body):
            found.append(
                Input("body relation object", OPEN, "invalid only inside an expanded relation object")
            )
        if not is_valid(collapsed):
            found.append(Input("body format", OPEN, "invalid only by an advisory format (such as uri)"))
        body = collapsed
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return [Input("body", INVALID, "no model object")]
    if meta is None:
        found.append(Input("body", OPEN, "meta/post is unusable: what the target requires is unknown"))
    for name in meta.required if meta is not None else []:
        if model.get(name) in (None, "", []):
            found.append(Input(f"body model.{name}", INVALID, "lacks a field meta/post requires"))
    for name in RELATION_FIELDS:
        value = model.get(name)
        if value is not None and value != known.get(name):
            found.append(Input(f"body model.{name}", OPEN, "a relation the target does not hold"))
    if model.get("remote_fields"):
        found.append(Input("body model.remote_fields", OPEN, "names remote field classes"))
    return found or [Input("body", VALID)]


def collapse_relations(body: Any) -> Any:
    """The body with each expanded relation object of its model replaced by the object's id (or None).

    The same object comes back when there is nothing to replace.
    """
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return body
    replaced = {name: model[name].get("id") for name in RELATION_FIELDS if isinstance(model.get(name), dict)}
    if not replaced:
        return body
    return {**body, "model": {**model, **replaced}}


def prepare_valid_body(body: Any, meta: MetaPost | None, known: Mapping[str, str], tag: str) -> Any:
    """A body valid against the fragment, made valid for the target.

    meta/post's required fields are filled in and every field it describes is made to fit its
    schema (``_bodies.fitted``: nested required sub-fields, maxLength, enum, ...), relations name
    objects the target holds or are left out, remote field values are left out, and ``lead_source``
    carries the run's tag (where meta/post gives it room) so a person can find what the run wrote.
    """
    if not isinstance(body, dict) or not isinstance(body.get("model"), dict):
        return body
    model = dict(body["model"])
    for name in RELATION_FIELDS:
        if model.get(name) is not None:
            if name in known:
                model[name] = known[name]
            else:
                del model[name]
    model.pop("remote_fields", None)
    model["lead_source"] = f"leads-conformance {tag}"
    if meta is not None:
        model = fitted(model, meta, tag, dict(known))
    return {**body, "model": model}


def with_absent_required_fields(body: Any, meta: MetaPost | None, known: Mapping[str, str], tag: str) -> Any:
    """The body with meta/post's required fields added where its model lacks the key; nothing else changes."""
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict) or meta is None:
        return body
    absent = [name for name in meta.required if name not in model]
    if not absent:
        return body
    added = {name: value_for(name, meta.properties.get(name), tag, dict(known)) for name in absent}
    return {**body, "model": {**model, **added}}


def operation_parameters(fragment: Mapping[str, Any], method: str, path: str) -> dict[str, dict[str, Any]]:
    """The query parameters the fragment declares for an operation, by name."""
    item = fragment["paths"][path]
    declared = list(item.get("parameters", [])) + list(item[method.lower()].get("parameters", []))
    return {p["name"]: p for p in declared if isinstance(p, dict) and p.get("in") == "query"}


def sent_query(response: Response) -> list[tuple[str, str]]:
    """The query pairs of the request that was sent."""
    return parse_qsl(urlsplit(str(response.request.url)).query, keep_blank_values=True)


@dataclass
class Judge:
    """Judges the inputs of sent requests, and prepares POST bodies for the target.

    ``meta`` None means meta/post could not be read, so what the target requires of a body is
    unknown; ``known`` holds relation ids the target holds; ``tag`` marks what the run writes.
    """

    fragment: Mapping[str, Any]
    meta: MetaPost | None = None
    known: Mapping[str, str] = field(default_factory=dict)
    tag: str = ""
    _validators: dict[str, Callable[[Any], bool]] = field(default_factory=dict, repr=False)

    def __call__(self, case: Case, response: Response) -> list[Input]:
        parameters = operation_parameters(self.fragment, case.method, case.path)
        inputs = classify_query(parameters, sent_query(response)) + path_inputs(case.path_parameters or {})
        if case.method == "POST":
            inputs += body_inputs(
                case.body,
                is_valid=self.body_validator(case),
                meta=self.meta,
                known=self.known,
                is_valid_but_formats=self.body_validator(case, formats=ENFORCED_FORMATS),
            )
        return inputs

    def prepare(self, case: Case) -> None:
        """Give a POST case what the target needs (in place), keeping an invalid body exactly as invalid.

        A body valid against the fragment is made valid for the target (``prepare_valid_body``).
        An invalid one only gains the required fields its model lacks, so that a refusal is about
        its invalid part, not about a field meta/post requires.
        """
        if case.method != "POST" or not isinstance(case.body, dict):
            return
        if self.body_validator(case)(case.body):
            case.body = prepare_valid_body(case.body, self.meta, self.known, self.tag)
        else:
            case.body = with_absent_required_fields(case.body, self.meta, self.known, self.tag)

    def body_validator(self, case: Case, formats: frozenset[str] | None = None) -> Callable[[Any], bool]:
        """Whether a body is valid against the request body of the case's operation.

        ``formats`` None asserts every format Schemathesis generates with; otherwise only those named.
        """
        key = f"{case.operation.label}|{','.join(sorted(formats)) if formats is not None else '*'}"
        if key not in self._validators:
            self._validators[key] = _body_validator(
                case.operation, case.media_type or "application/json", formats
            )
        return self._validators[key]


def _body_validator(
    operation: APIOperation, media_type: str, formats: frozenset[str] | None = None
) -> Callable[[Any], bool]:
    alternative = operation.get_body_for_media_type(media_type)
    if alternative is None:
        return lambda _body: False
    schema = alternative.validation_schema
    validator = make_validator(
        schema if formats is None else without_formats(schema, formats),
        operation.schema.adapter.jsonschema_validator_cls,
    )

    def is_valid(body: Any) -> bool:
        try:
            return bool(validator.is_valid(body))
        except Exception:  # a body the validator cannot read is not shown valid
            return False

    return is_valid


def is_refusal(status: int) -> bool:
    """A 4xx refusing the data itself (not an auth failure, a missing resource, a conflict, throttling)."""
    return 400 <= status < 500 and status not in (401, 403, 404, 409, 429)


# ============================================================================== checks
class CaseHistory(Protocol):
    """What a scenario remembers of its cases: a case's parent, and the answer a case got."""

    def find_parent(self, *, case_id: str) -> Case | None: ...

    def find_response(self, *, case_id: str) -> Response | None: ...


def linked_lead(history: CaseHistory, case: Case) -> dict[str, Any] | None:
    """The lead a ``GET /leads/{id}`` case reads through the link from its parent ``POST``'s 201, or None.

    The case follows the link when its parent is a POST answered 201 and its path id is the id of
    the 201's model.
    """
    if case.method != "GET":
        return None
    parent = history.find_parent(case_id=case.id)
    if parent is None or parent.method != "POST":
        return None
    created = history.find_response(case_id=parent.id)
    model = _json(created).get("model") if created is not None and created.status_code == 201 else None
    if not isinstance(model, dict) or model.get("id") in (None, ""):
        return None
    return model if (case.path_parameters or {}).get("id") == model["id"] else None


def created_lead_is_retrievable(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A lead the link says was created reads back with 200 and the values it was created with."""
    model = linked_lead(ctx.internals, case)
    if model is None:
        return None
    if response.status_code == 404:
        raise _unavailable(
            "A created lead answers 404", f"GET /leads/{model.get('id')} answers 404 after its 201"
        )
    if response.status_code != 200:
        return None
    expanded = {name for key, value in sent_query(response) if key == "expand" for name in value.split(",")}
    differences = lead_differences(model, _json(response), expanded)
    if differences:
        raise _unavailable("A created lead reads back changed", "; ".join(differences[:5]))
    return None


def _unavailable(title: str, message: str) -> CustomFailure:
    return CustomFailure(
        operation="GET /crm/v1/leads/{id}", title=title, message=message, exception=AssertionError(message)
    )


#: fields whose shape follows the GET's own query (expand, include_*), not what was written
_VIEW_FIELDS = ("remote_data", "remote_fields", "field_mappings")


def lead_differences(created: Mapping[str, Any], retrieved: Any, expanded: Iterable[str] = ()) -> list[str]:
    """How a retrieved lead differs from the created model (relations by id, date-times as instants).

    A relation the GET expanded is compared by the id of its object; how expand renders it is
    EXPAND's concern, so an expanded relation that is not an object is left alone.
    """
    if not isinstance(retrieved, dict):
        return [f"the body is not a lead object: {str(retrieved)[:80]}"]
    differences = []
    for name, value in created.items():
        if name in _VIEW_FIELDS:
            continue
        got = retrieved.get(name)
        if name in RELATION_FIELDS:
            if name in expanded and got is not None and not isinstance(got, dict):
                continue
            value = value.get("id") if isinstance(value, dict) else value
            got = got.get("id") if isinstance(got, dict) else got
        if not _same(value, got):
            differences.append(f"{name}: created {str(value)[:60]!r}, retrieved {str(got)[:60]!r}")
    return differences


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    first, second = parse_datetime(a), parse_datetime(b)
    return first is not None and first == second


def _json(response: Response | None) -> Any:
    try:
        return response.json() if response is not None else {}
    except ValueError:
        return {}


def _is_json(response: Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


PROPERTY_CHECKS: tuple[CheckFunction, ...] = (
    openapi_checks.ignored_auth,
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.missing_required_header,
    openapi_checks.positive_data_acceptance,
)
STATEFUL_CHECKS: tuple[CheckFunction, ...] = (
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    created_lead_is_retrievable,
)


@dataclass
class Finding:
    """A distinct failure: its requirement, what was seen, how to see it again, how often."""

    requirement: str
    message: str
    reproduce: str
    count: int = 1


@dataclass
class Exploration:
    """Sends cases, runs the mapped checks on each answer, and keeps what they found per requirement."""

    target: Target
    schema: OpenApiSchema
    judge: Judge
    checks: tuple[CheckFunction, ...] = PROPERTY_CHECKS
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    #: operations whose ignored_auth probes already ran (once per operation is enough)
    enforced: set[str] = field(default_factory=set)
    throttled: int = 0
    #: the requirements a throttled answer left unjudged (a throttled auth probe: its AUTH requirement)
    undecided: set[str] = field(default_factory=set)
    inconclusive: str = ""
    sent: int = 0
    #: stateful links followed: a GET /leads/{id} of the lead a POST's 201 created, answered (not 429)
    links: int = 0

    @property
    def credentials(self) -> dict[str, str]:
        return self.target.credentials()

    def send(self, case: Case) -> Response | None:
        """Send a case with the run's credentials; None once the target has stopped answering."""
        if self.inconclusive:
            return None
        try:
            response = case.call(headers=self.credentials)
        except Inconclusive as exc:
            self.inconclusive = exc.message
            return None
        self.sent += 1
        return response

    def exercise(self, case: Case) -> None:
        """Prepare one case for the target, send it, and check the answer."""
        self.judge.prepare(case)
        recorder = ScenarioRecorder(label=case.operation.label)
        recorder.record_case(case=case)
        response = self.send(case)
        if response is not None:
            recorder.record_response(case_id=case.id, response=response)
            self.evaluate(case, response, recorder)

    def evaluate(self, case: Case, response: Response, recorder: ScenarioRecorder) -> None:
        """Run every mapped check on one answer; a persisting 429 is never judged."""
        if response.status_code == 429:
            self.throttled += 1
            self.undecided.update(CHECK_REQUIREMENTS.values())
            return
        ctx = self._context(case, recorder)
        for check in self.checks:
            try:
                check(ctx, response, case)
            except (Failure, FailureGroup, AssertionError) as exc:
                for failure in _failures(exc):
                    self._record(check.__name__, failure, case, response, recorder)
            except Inconclusive as exc:
                self.inconclusive = exc.message
                return

    def _context(self, case: Case, recorder: ScenarioRecorder) -> CheckContext:
        meta = case.meta
        return CheckContext(
            override=case._override,
            auth=None,
            headers=CaseInsensitiveDict(self.credentials),
            config=self.schema.config.checks_config_for(
                operation=case.operation, phase=meta.phase.name.value if meta is not None else None
            ),
            transport_kwargs={"base_url": self.target.base_url, "headers": self.credentials},
            recorder=recorder,
            response_checks=None,
            auth_enforced_operations=self.enforced,
        )

    def _record(
        self, check: str, failure: Failure, case: Case, response: Response, recorder: ScenarioRecorder
    ) -> None:
        probe = _probe(failure, recorder)
        answer = probe[1] if probe is not None else response
        if answer.status_code == 429:
            self.throttled += 1
            self.undecided.update(
                requirements_for(check, failure, status=200, json_body=True,
                                 probe_headers=dict(probe[0].headers) if probe is not None else None)
            )
            return
        standing = self._standing(check, case, answer)
        if standing is None:
            return
        requirements = requirements_for(
            check,
            failure,
            status=response.status_code,
            json_body=_is_json(response),
            probe_headers=dict(probe[0].headers) if probe is not None else None,
        )
        for requirement in requirements:
            self._keep(requirement, check, failure, case, *standing)

    def _standing(self, check: str, case: Case, response: Response) -> tuple[Response, str] | None:
        """The answer a failure stands on once the open inputs are weighed (with a note), or None.

        An invalid-input failure (a negative case accepted) stands only if the request holds an input
        the contract calls invalid. A valid-input failure (a positive case refused) stands if every
        input is valid; if some query inputs are open, the case is sent again without them, and the
        failure stands if that request is refused too.
        """
        if check not in ("negative_data_rejection", "positive_data_acceptance"):
            return response, ""
        inputs = self.judge(case, response)
        if check == "negative_data_rejection":
            invalid = [f"{i.where}: {i.reason}" for i in inputs if i.status == INVALID]
            return (response, "invalid " + "; ".join(invalid)) if invalid else None
        statuses = {item.status for item in inputs}
        if statuses <= {VALID}:
            return response, ""
        if INVALID in statuses or any(i.status == OPEN and not i.where.startswith("query ") for i in inputs):
            return None
        dropped = {i.where.removeprefix("query ") for i in inputs if i.status == OPEN}
        control = case.derive(query={k: v for k, v in case.query.items() if k not in dropped})
        answer = self.send(control)
        if answer is None or not is_refusal(answer.status_code):
            return None
        return answer, f"refused again without the open input(s) {', '.join(sorted(dropped))}"

    def _keep(
        self, requirement: str, check: str, failure: Failure, case: Case, response: Response, note: str
    ) -> None:
        title = failure.title or type(failure).__name__
        key = (requirement, f"{case.operation.label}|{check}|{title}")
        if key in self.findings:
            self.findings[key].count += 1
            return
        lines = [line.strip() for line in (failure.message or "").strip().splitlines()]
        detail = " ".join(line for line in lines[:6] if line and not line.startswith("Expected:"))
        message = f"{case.operation.label} -> {response.status_code}: {title} [{check}]"
        if detail and not detail.startswith(title):
            message += ": " + detail[:400]
        if note:
            message += f" ({note[:300]})"
        self.findings[key] = Finding(
            requirement, self.target.redact(message), reproduce(self.target, response)
        )

    def note_link(self, case: Case, response: Response, history: CaseHistory) -> None:
        """Count ``case`` when it follows a POST 201 -> GET /leads/{id} link and got an answer."""
        if response.status_code != 429 and linked_lead(history, case) is not None:
            self.links += 1

    def violations(self, requirements: Iterable[str] | None = None) -> list[Violation]:
        """One violation per distinct failure, at most a few per requirement (only ``requirements``'s)."""
        wanted = set(requirements) if requirements is not None else None
        listed: dict[str, int] = {}
        found = []
        for finding in self.findings.values():
            if wanted is not None and finding.requirement not in wanted:
                continue
            listed[finding.requirement] = listed.get(finding.requirement, 0) + 1
            if listed[finding.requirement] > MAX_MESSAGES_PER_REQUIREMENT:
                continue
            suffix = f" (seen {finding.count} times)" if finding.count > 1 else ""
            found.append(Violation(finding.message + suffix, [finding.requirement], finding.reproduce))
        return found

    def conclude(self, requirements: Iterable[str]) -> None:
        """Raise what was found for ``requirements``; inconclusive if the target throttled or went quiet."""
        requirements = list(requirements)
        violations = self.violations(requirements)
        if len(violations) == 1:
            raise violations[0]
        if violations:
            raise ViolationGroup(violations)
        if self.inconclusive:
            raise Inconclusive(self.inconclusive, list(requirements))
        undecided = [rid for rid in requirements if rid in self.undecided]
        if self.throttled and undecided:
            raise Inconclusive(
                f"the target kept answering 429 to {self.throttled} generated request(s)", undecided
            )


def _failures(exc: BaseException) -> Iterator[Failure]:
    if isinstance(exc, FailureGroup):
        yield from exc.exceptions
    elif isinstance(exc, Failure):
        yield exc
    elif isinstance(exc, Exception):
        text = str(exc) or "check failed"
        yield CustomFailure(operation="", title=text.splitlines()[0][:120], message=text, exception=exc)


def _probe(failure: Failure, recorder: ScenarioRecorder) -> tuple[Case, Response] | None:
    """The probe an ignored_auth failure is about, and what it got."""
    if not isinstance(failure, IgnoredAuth) or failure.case_id is None:
        return None
    node = recorder.cases.get(failure.case_id)
    answer = recorder.find_response(case_id=failure.case_id)
    if node is None or answer is None:
        return None
    return node.value, answer


# ============================================================================== phases
def example_cases(operation: APIOperation) -> list[Case]:
    """The examples phase: the cases the fragment's own examples give."""
    try:
        strategies = list(operation.get_strategies_from_examples(feedback=NO_FEEDBACK.for_examples()))
        return [examples.generate_one(strategy) for strategy in strategies]
    except Exception:  # an example Schemathesis cannot turn into a case is left out
        return []


def coverage_cases(operation: APIOperation, seed: int, limit: int) -> list[Case]:
    """The coverage phase, sampled: at most ``limit`` cases, spread across its scenarios by the seed."""
    generator = CoverageGenerator(
        operation=operation,
        generation_modes=list(GenerationMode),
        generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=NO_FEEDBACK,
    )
    by_scenario: dict[str, list[Case]] = {}
    for case in generator:
        scenario = str(getattr(case.meta.phase.data, "scenario", "")) if case.meta is not None else ""
        by_scenario.setdefault(scenario, []).append(case)
    rng = random.Random(seed)
    pools = [by_scenario[name] for name in sorted(by_scenario)]
    rng.shuffle(pools)
    for pool in pools:
        rng.shuffle(pool)
    chosen: list[Case] = []
    while len(chosen) < limit and any(pools):
        for pool in pools:
            if pool and len(chosen) < limit:
                chosen.append(pool.pop())
    return chosen


def generation_settings(max_examples: int, **extra: Any) -> hypothesis.settings:
    """Hypothesis settings: derandomized, no database, no shrinking, quiet on slow or filtered generation."""
    return hypothesis.settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
        **extra,
    )


def fuzz(operation: APIOperation, seed: int, max_examples: int, exercise: Callable[[Case], None]) -> None:
    """The fuzzing phase: ``max_examples`` cases, positive and negative, drawn from the run's seed."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @hypothesis.seed(seed)
    @generation_settings(max_examples)
    @hypothesis.given(case=strategy)
    def run(case: Case) -> None:
        exercise(case)

    run()


def run_stateful(
    schema: OpenApiSchema, exploration: Exploration, *, seed: int, scenarios: int, steps: int
) -> None:
    """The stateful phase: Schemathesis' state machine over the fragment's links, every link followed.

    ``exploration.links`` counts the links followed.
    """
    links = LinkCalibrationState()
    base = schema.build_state_machine(feedback=NO_FEEDBACK, link_calibration=links)
    # A calibrated link with no failure is always followed: otherwise Schemathesis swaps the linked
    # id for a random one in a few percent of steps, drawn outside the seed.
    for transitions in base._transitions.operations.values():  # type: ignore[attr-defined]
        for link in transitions.outgoing:
            links.read[link.full_name] = TransitionScore(successes=MIN_SAMPLES)

    class Workflow(base):  # type: ignore[valid-type, misc]
        rule_order_seed = seed

        def before_call(self, case: Case) -> None:
            exploration.judge.prepare(case)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": exploration.credentials}

        def validate_response(self, response: Response, case: Case, *args: Any, **kwargs: Any) -> None:
            exploration.sent += 1
            exploration.note_link(case, response, self.recorder)
            exploration.evaluate(case, response, self.recorder)

    try:
        run_state_machine_as_test(
            hypothesis.seed(seed)(Workflow),
            settings=generation_settings(scenarios, stateful_step_count=steps),
        )
    except Inconclusive as exc:
        exploration.inconclusive = exc.message
