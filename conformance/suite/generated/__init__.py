"""Generated requests: the suite's use of Schemathesis 4.x, one module per concern.

- ``fragment``: schema adaptation, the fragment and the settings as Schemathesis gets them.
- ``transport``: the transport bridge; every request Schemathesis sends (generated cases, and the
  probes its checks send) goes through the target's guarded httpx client, to the target's base URL.
- ``charging``: the requirement each Schemathesis failure breaks (``requirements_for``).
- ``inputs``: input classification, the contract's tolerances as code.
- ``judge``: the ``Judge``, which classifies the inputs of each sent request and prepares POST bodies.
- ``checks``: the checks run on each answer, Schemathesis' and the suite's own.
- ``case_runner``: the ``CaseRunner``, which sends cases, runs the checks and keeps what they found per
  requirement.
- ``phases``: the examples, coverage, fuzzing and stateful phases, bounded and seeded.
- ``adapter``: the only module that touches Schemathesis; the internals it relies on are listed in
  ``adapter.INTERNALS``.

What is tuned, and why, is written down in ``conformance.suite.properties``.
"""

from __future__ import annotations

from conformance.suite.generated.adapter import OpenApiSchema
from conformance.suite.generated.case_runner import CaseRunner
from conformance.suite.generated.charging import requirements_for
from conformance.suite.generated.checks import STATEFUL_CHECKS
from conformance.suite.generated.fragment import schemathesis_fragment, without_formats
from conformance.suite.generated.inputs import (
    INVALID,
    OPEN,
    VALID,
    body_inputs,
    classify_query,
    operation_parameters,
)
from conformance.suite.generated.judge import Judge, prepare_valid_body, with_absent_required_fields
from conformance.suite.generated.phases import (
    coverage_cases,
    example_cases,
    fuzz,
    fuzzed_cases,
    run_stateful,
    spread,
)
from conformance.suite.generated.transport import load_schema, wire_headers

__all__ = [
    "INVALID",
    "OPEN",
    "STATEFUL_CHECKS",
    "VALID",
    "CaseRunner",
    "Judge",
    "OpenApiSchema",
    "body_inputs",
    "classify_query",
    "coverage_cases",
    "example_cases",
    "fuzz",
    "fuzzed_cases",
    "load_schema",
    "operation_parameters",
    "prepare_valid_body",
    "requirements_for",
    "run_stateful",
    "schemathesis_fragment",
    "spread",
    "wire_headers",
    "with_absent_required_fields",
    "without_formats",
]
