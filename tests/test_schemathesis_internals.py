"""The Schemathesis internals the suite relies on are still where, and what, the adapter expects.

Each entry of ``adapter.INTERNALS`` has a probe here; a Schemathesis release that moves or changes
one fails its probe with a message naming it. Only the adapter may import Schemathesis.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.contract.fragment import load_fragment
from conformance.http.target import Target
from conformance.suite import generated
from conformance.suite.generated import adapter, load_schema

PACKAGE = Path(generated.__file__).parent


def _attribute(dotted: str) -> Any:
    """The object a dotted name designates: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            if not hasattr(found, part):
                pytest.fail(
                    f"Schemathesis internal {dotted!r} moved: {'.'.join(parts[:cut])} has no {part!r}"
                )
            found = getattr(found, part)
        return found
    pytest.fail(f"Schemathesis internal {dotted!r} moved: no module of it imports")


def _has_parameters(function: Callable[..., Any], names: Iterable[str], where: str) -> None:
    parameters = inspect.signature(function).parameters
    missing = [name for name in names if name not in parameters]
    assert not missing, f"Schemathesis changed {where}: no parameter(s) {missing} (has {list(parameters)})"


@pytest.fixture(scope="module")
def schema() -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"next": None, "previous": None, "results": []})

    target = Target(
        base_url="http://leads.test/api", token="t", account_token="a", transport=httpx.MockTransport(answer)
    )
    return load_schema(target, target.client(authenticated=False), load_fragment(), 1)


def _requests_transport(schema: Any) -> None:
    cls = _attribute("schemathesis.transport.requests.RequestsTransport")
    _has_parameters(cls.serialize_case, ["case"], "RequestsTransport.serialize_case")
    _has_parameters(cls.send, ["case", "session"], "RequestsTransport.send")


def _requests_transport_instance(schema: Any) -> None:
    instance = _attribute("schemathesis.transport.requests.REQUESTS_TRANSPORT")
    assert callable(getattr(instance, "_copy_serializers_from", None)), (
        "Schemathesis removed BaseTransport._copy_serializers_from: the bridge cannot copy its serialisers"
    )


def _schema_transport(schema: Any) -> None:
    prop = inspect.getattr_static(_attribute("schemathesis.schemas.BaseSchema"), "transport")
    assert isinstance(prop, property), "Schemathesis no longer picks a schema's transport by a property"
    operation = schema["/crm/v1/leads"]["GET"]
    assert isinstance(operation.schema.transport, adapter.WireTransport), (
        "an operation's schema (a clone) no longer sends through the bridge"
    )


def _test_case_header(schema: Any) -> None:
    header = _attribute("schemathesis.core.SCHEMATHESIS_TEST_CASE_HEADER")
    assert header.lower() == "x-schemathesis-testcaseid", f"the case id header is now {header!r}"


def _failure(schema: Any) -> None:
    failure = _attribute("schemathesis.core.failures.Failure")
    assert {"title", "message", "case_id"} <= set(dir(failure)), "Failure lost title, message or case_id"


def _custom_failure(schema: Any) -> None:
    cls = _attribute("schemathesis.core.failures.CustomFailure")
    _has_parameters(cls.__init__, ["operation", "title", "message", "exception"], "CustomFailure()")


def _openapi_checks(schema: Any) -> None:
    module = _attribute("schemathesis.specs.openapi.checks")
    for name in (
        "ignored_auth",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "positive_data_acceptance",
        "use_after_free",
        "ensure_resource_availability",
    ):
        check = getattr(module, name, None)
        assert check is not None, f"Schemathesis moved the check {name}"
        assert list(inspect.signature(check).parameters)[:3] == ["ctx", "response", "case"], name


def _openapi_schema(schema: Any) -> None:
    assert isinstance(schema, _attribute("schemathesis.specs.openapi.schemas.OpenApiSchema"))


def _check_context(schema: Any) -> None:
    cls = _attribute("schemathesis.checks.CheckContext")
    _has_parameters(
        cls.__init__,
        [
            "override",
            "auth",
            "headers",
            "config",
            "transport_kwargs",
            "recorder",
            "response_checks",
            "auth_enforced_operations",
        ],
        "CheckContext()",
    )
    case = adapter.example_cases(schema["/crm/v1/leads"]["GET"])[0]
    assert hasattr(case, "_override"), "Case._override is gone"
    ctx = adapter.check_context(
        case,
        schema,
        headers={},
        transport_kwargs={},
        recorder=adapter.Recorder(label="probe"),
        enforced=set(),
    )
    assert ctx.auth_enforced_operations == set()


def _check_internals(schema: Any) -> None:
    case = adapter.example_cases(schema["/crm/v1/leads"]["GET"])[0]
    recorder = adapter.Recorder(label="probe")
    recorder.record_case(case=case)
    ctx = adapter.check_context(
        case, schema, headers={}, transport_kwargs={}, recorder=recorder, enforced=set()
    )
    history = adapter.case_history(ctx)
    assert history.find_parent(case_id=case.id) is None
    assert history.find_response(case_id=case.id) is None


def _scenario_recorder(schema: Any) -> None:
    cls = _attribute("schemathesis.engine.recorder.ScenarioRecorder")
    _has_parameters(cls.__init__, ["label"], "ScenarioRecorder()")
    _has_parameters(cls.record_case, ["case"], "ScenarioRecorder.record_case")
    _has_parameters(cls.record_response, ["case_id", "response"], "ScenarioRecorder.record_response")
    operation = schema["/crm/v1/leads"]["GET"]
    case = adapter.example_cases(operation)[0]
    recorder = adapter.Recorder(label="probe")
    recorder.record_case(case=case)
    response = case.call()
    recorder.record_response(case_id=case.id, response=response)
    exchange = adapter.recorded_exchange(recorder, case.id)
    assert exchange is not None and exchange[0] is case and exchange[1] is response


def _coverage_generator(schema: Any) -> None:
    cls = _attribute("schemathesis.generation.drivers.CoverageGenerator")
    _has_parameters(
        cls.__init__,
        ["operation", "generation_modes", "generation_config", "auth_storage", "override", "feedback"],
        "CoverageGenerator()",
    )
    cases = list(adapter.coverage_generator(schema["/crm/v1/leads"]["GET"]))
    assert cases and all(case.meta is not None for case in cases)


def _generate_one(schema: Any) -> None:
    _attribute("schemathesis.generation.hypothesis.examples.generate_one")
    assert adapter.example_cases(schema["/crm/v1/leads"]["GET"]), (
        "the examples phase gives no case for an operation with examples"
    )


def _make_validator(schema: Any) -> None:
    _has_parameters(
        _attribute("schemathesis.core.jsonschema.make_validator"),
        ["schema", "validator_cls"],
        "make_validator",
    )
    validator = adapter.request_body_validator(schema["/crm/v1/leads"]["POST"], "application/json")
    assert validator is not None, "APIOperation.get_body_for_media_type found no JSON body for POST /leads"
    assert validator({"model": {}}) and not validator({"model": 5})


def _link_calibration(schema: Any) -> None:
    state = _attribute("schemathesis.engine.link_calibration.LinkCalibrationState")
    _has_parameters(
        _attribute("schemathesis.specs.openapi.schemas.OpenApiSchema.build_state_machine"),
        ["feedback", "link_calibration"],
        "OpenApiSchema.build_state_machine",
    )
    trusted = state(read=adapter._EveryLinkTrusted())
    assert trusted.is_calibrated("any link"), "a trusted link no longer counts as calibrated"
    assert trusted.use_probability("any link") == 1.0, "a trusted link is no longer always followed"


def _state_machine(schema: Any) -> Any:
    return adapter.state_machine(
        schema,
        seed=1,
        before_call=lambda case: None,
        call_kwargs=lambda case: {},
        on_response=lambda case, response, recorder: None,
        errors=[],
    )


def _rule_order_seed(schema: Any) -> None:
    machine = _state_machine(schema)
    base = _attribute("schemathesis.stateful.APIStateMachine")
    assert "rule_order_seed" in vars(base), "APIStateMachine.rule_order_seed is gone"
    assert machine.rule_order_seed == 1


def _state_machine_recorder(schema: Any) -> None:
    machine = _state_machine(schema)()
    assert isinstance(getattr(machine, "recorder", None), adapter.Recorder), (
        "APIStateMachine.recorder is gone"
    )


PROBES: dict[str, Callable[[Any], None]] = {
    "schemathesis.transport.requests.RequestsTransport": _requests_transport,
    "schemathesis.transport.requests.REQUESTS_TRANSPORT": _requests_transport_instance,
    "schemathesis.schemas.BaseSchema.transport": _schema_transport,
    "schemathesis.core.SCHEMATHESIS_TEST_CASE_HEADER": _test_case_header,
    "schemathesis.core.failures.Failure": _failure,
    "schemathesis.core.failures.CustomFailure": _custom_failure,
    "schemathesis.specs.openapi.checks": _openapi_checks,
    "schemathesis.specs.openapi.schemas.OpenApiSchema": _openapi_schema,
    "schemathesis.checks.CheckContext.__init__": _check_context,
    "schemathesis.checks.CheckContext.internals": _check_internals,
    "schemathesis.engine.recorder.ScenarioRecorder": _scenario_recorder,
    "schemathesis.generation.drivers.CoverageGenerator": _coverage_generator,
    "schemathesis.generation.hypothesis.examples.generate_one": _generate_one,
    "schemathesis.core.jsonschema.make_validator": _make_validator,
    "schemathesis.engine.link_calibration.LinkCalibrationState": _link_calibration,
    "schemathesis.stateful.APIStateMachine.rule_order_seed": _rule_order_seed,
    "schemathesis.stateful.APIStateMachine.recorder": _state_machine_recorder,
}


def test_every_listed_internal_has_a_probe_and_a_reason():
    assert set(PROBES) == set(adapter.INTERNALS)
    assert all(reason.strip() for reason in adapter.INTERNALS.values())


@pytest.mark.parametrize("name", sorted(adapter.INTERNALS))
def test_the_internal_is_where_and_what_the_adapter_expects(name: str, schema: Any) -> None:
    PROBES[name](schema)


def _schemathesis_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "schemathesis"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "schemathesis":
            found.append(str(node.module))
    return found


def test_only_the_adapter_imports_schemathesis():
    modules = sorted(PACKAGE.glob("*.py")) + sorted(PACKAGE.parent.glob("*.py"))
    offenders = {path.name: _schemathesis_imports(path) for path in modules if path.name != "adapter.py"}
    assert {name: found for name, found in offenders.items() if found} == {}
    assert _schemathesis_imports(PACKAGE / "adapter.py"), "the adapter no longer imports Schemathesis"
