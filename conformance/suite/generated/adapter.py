"""The one module that touches Schemathesis: its public API, and the few internals it has no public form of.

Every other module of the package reaches Schemathesis through the names defined here. Each internal
used is listed in ``INTERNALS`` (name -> why no public replacement), and
``tests/test_schemathesis_internals.py`` fails when a Schemathesis release moves or changes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import hypothesis
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation, Case, CheckContext, Config, GenerationMode, Response
from schemathesis.core import SCHEMATHESIS_TEST_CASE_HEADER
from schemathesis.core.failures import CustomFailure, Failure
from schemathesis.core.jsonschema import make_validator
from schemathesis.engine.link_calibration import MIN_SAMPLES, LinkCalibrationState, TransitionScore
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.errors import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.hypothesis import examples
from schemathesis.generation.overrides import Override
from schemathesis.openapi.checks import (
    AuthScenario,
    IgnoredAuth,
    MalformedMediaType,
    MissingContentType,
    UndefinedContentType,
)
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.specs.openapi.schemas import OpenApiSchema
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

__all__ = [
    "CONTENT_TYPE_FAILURES",
    "INTERNALS",
    "SERVER_ERROR_CHECK",
    "TEST_CASE_HEADER",
    "APIOperation",
    "AuthScenario",
    "Case",
    "CaseHistory",
    "CheckContext",
    "CheckFunction",
    "CustomFailure",
    "Failure",
    "FailureGroup",
    "GenerationMode",
    "IgnoredAuth",
    "OpenApiSchema",
    "Recorder",
    "Response",
    "WireTransport",
    "case_history",
    "check_context",
    "coverage_generator",
    "example_cases",
    "load_openapi",
    "openapi_checks",
    "recorded_exchange",
    "request_body_validator",
    "state_machine",
]

#: every Schemathesis internal the suite relies on -> why no public API replaces it
INTERNALS: dict[str, str] = {
    "schemathesis.transport.requests.RequestsTransport": (
        "the base of the transport bridge: the case is serialised exactly as for requests, then sent "
        "through the guarded client; Schemathesis has no public custom-transport API"
    ),
    "schemathesis.transport.requests.REQUESTS_TRANSPORT": (
        "the bridge copies its body serialisers (RequestsTransport._copy_serializers_from, serialize_case)"
    ),
    "schemathesis.schemas.BaseSchema.transport": (
        "the property Schemathesis sends every request through; set by a subclass made at load. "
        "case.call(session=...) does not replace it: ignored_auth's probes drop the session "
        "(specs.openapi._auth_retry.build_retry_transport_kwargs) and would leave the guarded client"
    ),
    "schemathesis.core.SCHEMATHESIS_TEST_CASE_HEADER": (
        "the random case id header, dropped from the wire so that a seed sends the same requests"
    ),
    "schemathesis.core.failures.Failure": "the base of every check failure (only FailureGroup is public)",
    "schemathesis.core.failures.CustomFailure": "the failure the suite's own check raises",
    "schemathesis.specs.openapi.checks": (
        "the built-in OpenAPI checks as functions (ignored_auth, status_code_conformance, ...); "
        "run one by one on each answer so that each failure is charged to its requirement"
    ),
    "schemathesis.specs.openapi.schemas.OpenApiSchema": "the type schemathesis.openapi.from_dict returns",
    "schemathesis.checks.CheckContext.__init__": (
        "checks run outside Schemathesis' runner need a context: the case's overrides "
        "(Case._override), the run's headers, its recorder and the auth-enforced operations"
    ),
    "schemathesis.checks.CheckContext.internals": (
        "a check's scenario history (find_parent, find_response), read by created_lead_is_retrievable"
    ),
    "schemathesis.engine.recorder.ScenarioRecorder": (
        "where checks record their probes (ignored_auth): the probe a failure names is read back from it"
    ),
    "schemathesis.generation.drivers.CoverageGenerator": (
        "the coverage phase's cases, every one or a sample per scenario (with Override and NO_FEEDBACK)"
    ),
    "schemathesis.generation.hypothesis.examples.generate_one": (
        "the examples phase: one case per strategy of APIOperation.get_strategies_from_examples"
    ),
    "schemathesis.core.jsonschema.make_validator": (
        "bodies are judged with the validator (and formats) Schemathesis generates with "
        "(APIOperation.get_body_for_media_type, validation_schema, adapter.jsonschema_validator_cls)"
    ),
    "schemathesis.engine.link_calibration.LinkCalibrationState": (
        "as_state_machine() swaps a linked id for a random one in a few percent of steps, drawn "
        "outside the seed; a calibration where every link is trusted (OpenApiSchema.build_state_machine, "
        "TransitionScore, MIN_SAMPLES) makes a seeded stateful run repeatable"
    ),
    "schemathesis.stateful.APIStateMachine.rule_order_seed": (
        "seeds the order of the state machine's first rules (Schemathesis' own runner sets it)"
    ),
    "schemathesis.stateful.APIStateMachine.recorder": (
        "the scenario's history: which POST a GET follows, and the probes checks sent"
    ),
}

#: the header that carries Schemathesis' random case id
TEST_CASE_HEADER = SCHEMATHESIS_TEST_CASE_HEADER
CheckFunction = Callable[[CheckContext, Response, Case], "bool | None"]
Recorder = ScenarioRecorder
#: the failures of ``content_type_conformance``
CONTENT_TYPE_FAILURES = (MissingContentType, UndefinedContentType, MalformedMediaType)
#: Schemathesis' ``not_a_server_error`` check
SERVER_ERROR_CHECK: CheckFunction = schemathesis.checks.not_a_server_error


# ------------------------------------------------------------------------------ loading and sending
class WireTransport(RequestsTransport):
    """Schemathesis' requests transport whose wire work is done by ``wire`` (the serialised request data)."""

    def __init__(self, base_url: str, wire: Callable[[dict[str, Any]], Response]) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self._base_url = base_url
        self._wire = wire

    def send(self, case: Case, *, session: Any = None, **kwargs: Any) -> Response:
        kwargs["base_url"] = self._base_url
        return self._wire(self.serialize_case(case, **kwargs))


def load_openapi(data: dict[str, Any], settings: dict[str, Any], transport: WireTransport) -> OpenApiSchema:
    """``data`` loaded with ``settings``; everything the schema sends goes through ``transport``."""
    schema = schemathesis.openapi.from_dict(data, config=Config.from_dict(settings))
    # Schemathesis picks a schema's transport by a property; clones keep the class, so they keep it too.
    schema.__class__ = type(
        "GuardedOpenApiSchema", (type(schema),), {"transport": property(lambda _: transport)}
    )
    return schema


# ------------------------------------------------------------------------------ checking
def check_context(
    case: Case,
    schema: OpenApiSchema,
    *,
    headers: dict[str, str],
    transport_kwargs: dict[str, Any],
    recorder: Recorder,
    enforced: set[str],
) -> CheckContext:
    """The context Schemathesis' checks need, for one answer to ``case``."""
    meta = case.meta
    return CheckContext(
        override=case._override,
        auth=None,
        headers=CaseInsensitiveDict(headers),
        config=schema.config.checks_config_for(
            operation=case.operation, phase=meta.phase.name.value if meta is not None else None
        ),
        transport_kwargs=transport_kwargs,
        recorder=recorder,
        response_checks=None,
        auth_enforced_operations=enforced,
    )


class CaseHistory(Protocol):
    """What a scenario remembers of its cases: a case's parent, and the answer a case got."""

    def find_parent(self, *, case_id: str) -> Case | None: ...

    def find_response(self, *, case_id: str) -> Response | None: ...


def case_history(ctx: CheckContext) -> CaseHistory:
    """The scenario history a check's context holds."""
    return ctx.internals


def recorded_exchange(recorder: Recorder, case_id: str) -> tuple[Case, Response] | None:
    """A recorded case (such as a check's probe) and the answer it got, or None."""
    node = recorder.cases.get(case_id)
    answer = recorder.find_response(case_id=case_id)
    if node is None or answer is None:
        return None
    return node.value, answer


def request_body_validator(
    operation: APIOperation, media_type: str, transform: Callable[[Any], Any] | None = None
) -> Callable[[Any], bool] | None:
    """A validator of ``operation``'s request body (its schema passed through ``transform``), or None."""
    alternative = operation.get_body_for_media_type(media_type)
    if alternative is None:
        return None
    schema = alternative.validation_schema
    validator = make_validator(
        transform(schema) if transform is not None else schema,
        operation.schema.adapter.jsonschema_validator_cls,
    )
    return lambda body: bool(validator.is_valid(body))


# ------------------------------------------------------------------------------ phases
def example_cases(operation: APIOperation) -> list[Case]:
    """The cases the operation's own examples give."""
    strategies = list(operation.get_strategies_from_examples(feedback=NO_FEEDBACK.for_examples()))
    return [examples.generate_one(strategy) for strategy in strategies]


def coverage_generator(operation: APIOperation) -> Iterator[Case]:
    """The coverage phase's cases of ``operation``, every generation mode."""
    return iter(
        CoverageGenerator(
            operation=operation,
            generation_modes=list(GenerationMode),
            generation_config=operation.schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=Override(),
            feedback=NO_FEEDBACK,
        )
    )


class _EveryLinkTrusted(dict[str, TransitionScore]):
    """Link scores where every link is calibrated and never failed."""

    def get(self, key: str, default: Any = None) -> TransitionScore:
        return self.setdefault(key)

    def setdefault(self, key: str, default: Any = None) -> TransitionScore:
        return super().setdefault(key, TransitionScore(successes=MIN_SAMPLES))


def state_machine(
    schema: OpenApiSchema,
    *,
    seed: int,
    before_call: Callable[[Case], None],
    call_kwargs: Callable[[Case], dict[str, Any]],
    on_response: Callable[[Case, Response, Recorder], None],
    errors: list[BaseException],
) -> type[Any]:
    """Schemathesis' state machine over the schema's links, each link always followed, rules seeded.

    ``before_call`` prepares each case, ``call_kwargs`` gives what it is sent with, and
    ``on_response`` judges each answer (with the scenario's recorder) instead of Schemathesis' checks.
    Run it with its public ``run(settings=...)``.

    No step raises: an error while sending or judging is kept in ``errors`` and every step from then on
    is rejected, so Hypothesis never replays a scenario (a replay would send, and write, again, against a
    target whose state has moved on); the caller raises the kept error once the machine has stopped.
    """
    links = LinkCalibrationState(read=_EveryLinkTrusted())
    base = schema.build_state_machine(feedback=NO_FEEDBACK, link_calibration=links)

    class Workflow(base):  # type: ignore[valid-type, misc]
        rule_order_seed = seed

        def before_call(self, case: Case) -> None:
            _kept(errors, before_call, case)

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return call_kwargs(case)

        def call(self, case: Case, **kwargs: Any) -> Response:
            return _kept(errors, super().call, case, **kwargs)

        def validate_response(self, response: Response, case: Case, *args: Any, **kwargs: Any) -> None:
            _kept(errors, on_response, case, response, self.recorder)

    return Workflow


def _kept(errors: list[BaseException], step: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``step(*args, **kwargs)``, unless an earlier step failed; a failure is kept in ``errors``, and the
    scenario is rejected (not failed: Hypothesis replays a failed one)."""
    if errors:
        hypothesis.reject()
    try:
        return step(*args, **kwargs)
    except Exception as exc:  # kept, and raised by the caller once the machine has stopped
        errors.append(exc)
        hypothesis.reject()
