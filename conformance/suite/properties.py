"""Generated requests: Schemathesis' property-based and stateful tests, driven by the fragment.

Every operation of the fragment gets the fragment's own examples, the whole coverage phase
(boundary and invalid values of each parameter and body field, as plain Schemathesis sends them;
``--coverage-cases`` bounds it to a seeded sample per operation) and ``--max-examples`` fuzzed
cases, positive and negative. Schemathesis' checks judge each answer, and each failure is
charged to the requirement it breaks (``conformance.suite.generated.requirements_for``):

- ``not_a_server_error``: LEADS-HTTP-001.
- ``status_code_conformance``, ``response_schema_conformance``: LEADS-HTTP-002 (2xx answers only).
- ``content_type_conformance``: LEADS-HTTP-003.
- ``negative_data_rejection``, ``missing_required_header``: LEADS-HTTP-005 (SHOULD).
- ``positive_data_acceptance``: LEADS-HTTP-006 (SHOULD).
- ``ignored_auth``: the AUTH requirement its probe shows broken: no credentials accepted,
  LEADS-AUTH-001; an invalid bearer key, LEADS-AUTH-002; an invalid ``X-Account-Token``,
  LEADS-AUTH-004.
- ``use_after_free``, ``ensure_resource_availability`` and the suite's own
  ``created_lead_is_retrievable`` (stateful): LEADS-HTTP-004.

The stateful phase runs Schemathesis' state machine once: it creates leads and follows the
fragment's ``GetLeadById`` link from each 201 of ``POST /leads`` to ``GET /leads/{id}``; the lead
must read back with 200 and the values it was created with. Two checks judge that run: one its
links (LEADS-HTTP-004), which is inconclusive when no link was followed (no POST got a 201 whose
model has an id, or no such GET got an answer), and one every other answer it got (LEADS-HTTP-001
to 003), so that a failure there never stands in for the missing evidence of a link.

Every request goes through the target's guarded client, to the target only (429 waits and
retries; a persisting 429 makes the requirement inconclusive, never failed). ``--seed`` fixes the
generation (Hypothesis seed, derandomized, no example database; Schemathesis' random case id is
not sent); with the same ``--run-id`` (the tag written into every lead) a run sends the same
requests again. ``--max-examples`` bounds the fuzzed cases and the stateful scenarios. The
read-only profile runs the GET operations only.

Tuning
------
Schemathesis judges against the fragment; the contract judges against Merge. Only these
differences, each demanded by the contract or one of its tolerances, are tuned:

1. Request bodies name relations (``owner``, ``converted_contact``, ``converted_account``, a remote
   field's ``remote_field_class``) by id only. Merge's definition also lets a request relation be
   the expanded object; a write names a related object by its id, and what a server makes of the
   rest of such an object is open (one sent anyway counts by its id, see 5).
2. Only ``format: date-time`` is enforced on responses; every other format is dropped from the
   component schemas. Merge's relation ids are not always UUIDs (its own example is
   ``025fjlc6-...``), and its ``format: uri`` fields (``website``, ``lead_url``, ``*_url``) may hold
   scheme-less text such as ``acme.com``. Request-only schemas keep ``uri``, so that generated valid
   bodies carry absolute URIs; a body whose only invalidity is that format is open (see 5). The
   path ``id`` keeps ``uuid``, so generated ids stay UUIDs. Merge's example cursor is not generated
   either: it names a position on Merge's servers, every other target answers it 404, and the
   coverage phase would put it in nearly every list request.
3. ``status_code_conformance`` and ``response_schema_conformance`` bind 2xx answers only: the
   contract promises that every 2xx body matches; error bodies are worded freely, and a 5xx is
   HTTP-001's.
4. ``content_type_conformance`` binds a 2xx answer, or an answer whose body is JSON: the
   requirement is that JSON bodies say ``application/json``; a proxy's HTML error page is not one.
5. ``negative_data_rejection`` stands only if the request, read back from the wire, holds an
   input the contract calls invalid. Inputs the contract leaves open do not count: an unknown
   query parameter; an empty value (Django filters, which Merge runs on, read ``name=`` as not
   given; the contract says so of ``expand=``); ``page_size`` outside 1..100; any ``cursor``; an
   unknown ``expand`` value; a malformed boolean; a relation filter id (``owner_id`` ...); a
   malformed path id; the content of an expanded relation object in a write (a write names a
   relation by its id); and a value that breaks only an advisory format (``lead_url: ""``, a
   scheme-less ``acme.com``), which a server may take or refuse.
6. ``positive_data_acceptance`` stands only if every input is valid. "Valid" is valid against the
   fragment *with the target's meta/post required fields applied*: a POST body valid against the
   fragment is first given meta/post's required fields (values fitting meta/post's schema),
   relations the target holds (or none), no remote field values (they name remote field classes,
   which a target may refuse) and the run's tag in ``lead_source``. When a refused request holds
   open query inputs, it is sent again without them: the refusal stands only if that request is
   refused too. Without a usable meta/post, a refused POST is not judged.
7. An invalid POST body gains the meta/post required fields its model lacks (nothing else
   changes), so that its refusal is about its invalid part.
8. ``ignored_auth`` probes each operation once per run (not once per 2xx answer); a throttled
   probe is not judged.
9. Schemathesis' requests with undeclared methods (DELETE, PUT, ...) are not sent: they would write
   in the read-only profile, and the contract says nothing of undeclared methods.
10. The stateful phase generates positive data only, infers no links beyond the fragment's, and
    always follows the link (Schemathesis otherwise swaps the linked id for a random one in a few
    percent of steps, drawn outside the seed, which makes a seeded run unrepeatable). The read-back
    is compared with the 201's model except where its shape follows the GET's own query:
    ``remote_data``, ``remote_fields``, ``field_mappings``, and relations the GET expanded, which
    are compared by the id of their object (how expand renders them is EXPAND's concern). A run
    that followed no link gives no evidence of one: LEADS-HTTP-004 is then inconclusive.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance.contract.fragment import load_fragment
from conformance.contract.operations import SCHEMA_OPERATIONS as OPERATIONS
from conformance.http.target import Target
from conformance.outcomes import Inconclusive
from conformance.suite.generated import (
    STATEFUL_CHECKS,
    CaseRunner,
    Judge,
    OpenApiSchema,
    coverage_cases,
    example_cases,
    fuzzed_cases,
    load_schema,
    run_stateful,
    spread,
)
from conformance.suite.oracle.budget import STATEFUL_STEPS, WriteBudget
from conformance.suite.support.meta import MetaPost

PROPERTY_REQUIREMENTS = (
    "LEADS-HTTP-001",
    "LEADS-HTTP-002",
    "LEADS-HTTP-003",
    "LEADS-HTTP-005",
    "LEADS-HTTP-006",
    "LEADS-AUTH-001",
    "LEADS-AUTH-002",
    "LEADS-AUTH-004",
)
#: what the stateful run's answers verify besides its links
STATEFUL_REQUIREMENTS = ("LEADS-HTTP-001", "LEADS-HTTP-002", "LEADS-HTTP-003")
#: the stateful link POST 201 -> GET /leads/{id}
LINK_REQUIREMENT = "LEADS-HTTP-004"


def _operation(method: str, path: str) -> Any:
    marks = [pytest.mark.writes] if method != "GET" else []
    return pytest.param(method, path, id=f"{method} {path}", marks=marks)


@pytest.fixture(scope="session")
def fragment() -> dict[str, Any]:
    """The OpenAPI fragment, as plain data."""
    return load_fragment()


@pytest.fixture(scope="session")
def generation_client(target: Target) -> Iterator[httpx.Client]:
    """A guarded client without default credentials: each generated request carries its own."""
    with target.client(authenticated=False) as http:
        yield http


@pytest.fixture(scope="session")
def generated_schema(
    target: Target, generation_client: httpx.Client, fragment: dict[str, Any], seed: int
) -> OpenApiSchema:
    """The fragment loaded into Schemathesis, sending to the target through the guarded client."""
    return load_schema(target, generation_client, fragment, seed)


@pytest.fixture(scope="session")
def write_judge(request: pytest.FixtureRequest, target: Target, fragment: dict[str, Any]) -> Judge:
    """A judge that knows what the target needs of a write: meta/post (when usable) and relations it holds."""
    known: dict[str, str] = request.getfixturevalue("known_relations")
    try:
        meta: MetaPost | None = request.getfixturevalue("meta_post")
    except Inconclusive:
        meta = None
    if meta is not None and meta.fallback is not None:
        meta = None  # what the target requires of a write is unknown: bodies that lack a field are open
    return Judge(fragment, meta, known, tag=target.run_id)


@pytest.mark.requirement(*PROPERTY_REQUIREMENTS)
@pytest.mark.parametrize(("method", "path"), [_operation(m, p) for m, p in OPERATIONS])
def test_generated_requests_get_conformant_answers(
    method: str,
    path: str,
    request: pytest.FixtureRequest,
    target: Target,
    generated_schema: OpenApiSchema,
    fragment: dict[str, Any],
    seed: int,
    max_examples: int,
    coverage_limit: int | None,
    run_note: Callable[[str], None],
    tolerate: Callable[[Iterable[str]], None],
) -> None:
    """Generated requests, valid or not, get no 5xx, documented JSON 2xx answers, and fitting 4xx.

    The fragment's examples, the coverage phase (whole, or bounded by ``--coverage-cases``) and fuzzed
    cases (positive and negative) of one operation; each failure is charged to its requirement (see
    the module docstring).
    """
    judge = request.getfixturevalue("write_judge") if method == "POST" else Judge(fragment)
    operation = generated_schema[path][method]
    budget: WriteBudget | None = request.getfixturevalue("write_budget") if method == "POST" else None
    runner = CaseRunner(
        target, generated_schema, judge, budget=budget, tolerate=tolerate
    )
    cases = example_cases(operation) + coverage_cases(operation, seed, limit=coverage_limit)
    if method == "POST":
        cases = cases[:1] + spread(cases[1:], seed)
    runner.exercise_all(cases + fuzzed_cases(operation, seed, max_examples))
    if runner.held:
        run_note(
            f"{runner.held} generated POST case(s) that would have created a lead were not sent: the "
            f"--write-budget's share for generated cases ({budget.shares['generated'] if budget else 0}) "
            "was spent"
        )
    runner.conclude(PROPERTY_REQUIREMENTS)


@dataclass
class StatefulRun:
    """The stateful phase, run once (by the first check that asks) for every check that judges it."""

    target: Target
    schema: OpenApiSchema
    judge: Judge
    seed: int
    max_examples: int
    budget: WriteBudget
    #: counts the input tolerances that kept a case from being charged (the run's)
    tolerate: Callable[[Iterable[str]], None] = lambda _idents: None
    _runner: CaseRunner | None = field(default=None, repr=False)

    @property
    def scenarios(self) -> int:
        """Scenarios to run: ``--max-examples`` halved, as many as the budget's share for them allows
        (each step may create a lead)."""
        return min(max(2, self.max_examples // 2), self.budget.shares.get("stateful", 0) // STATEFUL_STEPS)

    def runner(self) -> CaseRunner:
        """The stateful phase's case runner (the phase runs once); inconclusive for every check when the
        state machine sent nothing."""
        if self.scenarios < 1:
            raise self.budget.exhausted(
                "stateful", "a stateful scenario", (*STATEFUL_REQUIREMENTS, LINK_REQUIREMENT)
            )
        if self._runner is None:
            runner = CaseRunner(
                self.target, self.schema, self.judge, checks=STATEFUL_CHECKS, tolerate=self.tolerate
            )
            run_stateful(
                self.schema,
                runner,
                seed=self.seed,
                scenarios=self.scenarios,
                steps=STATEFUL_STEPS,
            )
            self.budget.used["stateful"] = self.scenarios * STATEFUL_STEPS
            self._runner = runner
        if self._runner.sent == 0 and not self._runner.inconclusive:
            raise Inconclusive(
                "the state machine sent no request", (*STATEFUL_REQUIREMENTS, LINK_REQUIREMENT)
            )
        return self._runner


@pytest.fixture(scope="session")
def stateful_run(
    target: Target, generated_schema: OpenApiSchema, write_judge: Judge, seed: int, max_examples: int,
    write_budget: WriteBudget, tolerate: Callable[[Iterable[str]], None],
) -> StatefulRun:
    """The stateful phase over the fragment's links, shared by the checks that judge it."""
    return StatefulRun(
        target, generated_schema, write_judge, seed, max_examples, write_budget, tolerate
    )


@pytest.mark.writes
@pytest.mark.requirement(LINK_REQUIREMENT)
def test_created_lead_is_retrievable_through_its_link(stateful_run: StatefulRun) -> None:
    """The stateful link POST 201 -> GET /leads/{id} holds: the created lead reads back, unchanged.

    Schemathesis' state machine creates leads and follows the fragment's GetLeadById link; a run
    that followed no link is inconclusive.
    """
    runner = stateful_run.runner()
    runner.conclude([LINK_REQUIREMENT])
    if runner.links == 0:
        raise Inconclusive(
            f"no POST /crm/v1/leads -> GET /crm/v1/leads/{{id}} link was followed in {runner.sent} "
            "stateful request(s): no create answered 201 with a model id, or its read-back got no answer",
            [LINK_REQUIREMENT],
        )


@pytest.mark.writes
@pytest.mark.requirement(*STATEFUL_REQUIREMENTS)
def test_stateful_requests_get_conformant_answers(stateful_run: StatefulRun) -> None:
    """Requests of the stateful run get no 5xx, and documented JSON 2xx answers.

    The creates and read-backs of the state machine, judged as every generated request is.
    """
    stateful_run.runner().conclude(STATEFUL_REQUIREMENTS)
