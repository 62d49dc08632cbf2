"""Phases: Schemathesis' examples, coverage, fuzzing and stateful phases, bounded and seeded.

Each is seeded by ``--seed``. Fuzzing and the stateful phase are bounded by ``--max-examples``; the
coverage phase is sent whole, as plain Schemathesis sends it, unless ``--coverage-cases`` bounds it.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st

from conformance.outcomes import Inconclusive
from conformance.suite.generated import adapter
from conformance.suite.generated.adapter import (
    APIOperation,
    Case,
    GenerationMode,
    OpenApiSchema,
    Recorder,
    Response,
)
from conformance.suite.generated.case_runner import CaseRunner

__all__ = ["coverage_cases", "example_cases", "fuzz", "fuzzed_cases", "generation_settings", "run_stateful",
           "spread"]


def example_cases(operation: APIOperation) -> list[Case]:
    """The examples phase: the cases the fragment's own examples give."""
    try:
        return adapter.example_cases(operation)
    except Exception:  # an example Schemathesis cannot turn into a case is left out
        return []


def coverage_cases(operation: APIOperation, seed: int, limit: int | None = None) -> list[Case]:
    """The coverage phase: every case it makes, or at most ``limit``, spread across scenarios and parameters
    by the seed."""
    generator = adapter.coverage_generator(operation)
    if limit is None:
        return list(generator)
    return spread(list(generator), seed)[:limit]


def _bucket(case: Case) -> str:
    """The coverage scenario of a case, with the parameter and the place in it that the case varies."""
    data = case.meta.phase.data if case.meta is not None else None
    parts = (getattr(data, name, "") for name in ("scenario", "parameter_location", "parameter", "location"))
    return "|".join(str(part or "") for part in parts)


def spread(cases: list[Case], seed: int) -> list[Case]:
    """``cases`` reordered so that any first few of them span the coverage scenarios and the parameters
    each varies (a seeded round robin over them)."""
    by_scenario: dict[str, list[Case]] = {}
    for case in cases:
        by_scenario.setdefault(_bucket(case), []).append(case)
    rng = random.Random(seed)
    pools = [by_scenario[name] for name in sorted(by_scenario)]
    rng.shuffle(pools)
    for pool in pools:
        rng.shuffle(pool)
    ordered: list[Case] = []
    while any(pools):
        for pool in pools:
            if pool:
                ordered.append(pool.pop())
    return ordered


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
    """The fuzzing phase: ``max_examples`` cases, positive and negative, drawn from the run's seed and
    handed to ``exercise`` one by one (see ``fuzzed_cases`` to have them all first)."""
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


def fuzzed_cases(operation: APIOperation, seed: int, max_examples: int) -> list[Case]:
    """The fuzzing phase's cases, drawn first (so that they can be sent several at once)."""
    drawn: list[Case] = []
    fuzz(operation, seed, max_examples, drawn.append)
    return drawn


def run_stateful(
    schema: OpenApiSchema, runner: CaseRunner, *, seed: int, scenarios: int, steps: int
) -> None:
    """The stateful phase: Schemathesis' state machine over the fragment's links, every link followed.

    ``runner.links`` counts the links followed.
    """
    # Every link is followed: otherwise Schemathesis swaps the linked id for a random one in a few
    # percent of steps, drawn outside the seed.
    errors: list[BaseException] = []
    workflow = adapter.state_machine(
        schema,
        seed=seed,
        before_call=runner.judge.prepare,
        call_kwargs=lambda case: {"headers": runner.credentials},
        on_response=lambda case, response, recorder: _judge_step(runner, case, response, recorder),
        errors=errors,
    )
    try:
        settings = generation_settings(scenarios, stateful_step_count=steps)
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            hypothesis.seed(seed)(workflow).run(settings=settings)
        if errors:
            raise errors[0]
    except Inconclusive as exc:
        runner.inconclusive = exc.message


def _judge_step(runner: CaseRunner, case: Case, response: Response, recorder: Recorder) -> None:
    runner.sent += 1
    runner.note_link(case, response, recorder)
    runner.evaluate(case, response, recorder)
