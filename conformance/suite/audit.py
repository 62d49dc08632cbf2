"""The oracle's verdicts: every answer of the run, judged against the contract and what the run wrote.

These checks run after every other one. The oracle (``conformance.suite.oracle``) watched every
exchange of the run, whichever check or generated case sent it, and judged each against each
requirement whose domain it falls in; here each requirement gets what it saw. A violation another
check already reported on the same exchange is not reported twice. A requirement no observation fell
under is skipped with that reason: the oracle adds evidence, it never stands in for a missing one.
"""

from __future__ import annotations

import pytest

from conformance.outcomes import OutcomeCollector, ViolationGroup
from conformance.suite.oracle import RunModel
from conformance.suite.support.findings import MAX_LISTED

#: every requirement the oracle judges
ORACLE_REQUIREMENTS = (
    "LEADS-AUTH-001",
    "LEADS-AUTH-002",
    "LEADS-AUTH-003",
    "LEADS-AUTH-004",
    "LEADS-AUTH-005",
    "LEADS-AUTH-006",
    "LEADS-AUTH-007",
    "LEADS-TENANT-001",
    "LEADS-TENANT-002",
    "LEADS-TENANT-003",
    "LEADS-TENANT-004",
    "LEADS-CREATE-001",
    "LEADS-CREATE-002",
    "LEADS-CREATE-003",
    "LEADS-CREATE-004",
    "LEADS-CREATE-005",
    "LEADS-CREATE-006",
    "LEADS-CREATE-007",
    "LEADS-CREATE-008",
    "LEADS-CREATE-009",
    "LEADS-CREATE-010",
    "LEADS-CREATE-011",
    "LEADS-CREATE-012",
    "LEADS-ENVELOPE-002",
    "LEADS-ENVELOPE-003",
    "LEADS-ENVELOPE-005",
    "LEADS-ENVELOPE-006",
    "LEADS-ENVELOPE-007",
    "LEADS-ENVELOPE-008",
    "LEADS-PAGE-002",
    "LEADS-PAGE-004",
    "LEADS-PAGE-005",
    "LEADS-FILTER-001",
    "LEADS-FILTER-002",
    "LEADS-FILTER-003",
    "LEADS-FILTER-004",
    "LEADS-FILTER-005",
    "LEADS-FILTER-006",
    "LEADS-RETRIEVE-001",
    "LEADS-RETRIEVE-003",
    "LEADS-EXPAND-001",
    "LEADS-EXPAND-002",
    "LEADS-EXPAND-003",
    "LEADS-EXPAND-004",
    "LEADS-RFC-002",
    "LEADS-RFC-003",
    "LEADS-HTTP-001",
    "LEADS-HTTP-002",
    "LEADS-HTTP-003",
)


def reported_lines(outcomes: OutcomeCollector, requirement: str) -> set[int]:
    """The evidence lines other checks' failures of ``requirement`` already name (``outcomes``: the
    run's collector of finished checks)."""
    failures = [failure for outcome in outcomes.all() for failure in outcome.failures]
    return {failure.exchange for failure in failures
            if requirement in failure.requirements and failure.exchange}


@pytest.mark.audit(order=2)
@pytest.mark.parametrize(
    "requirement",
    [pytest.param(rid, id=rid, marks=pytest.mark.requirement(rid)) for rid in ORACLE_REQUIREMENTS],
)
def test_every_answer_of_the_run_obeys_the_requirement(
    requirement: str, run_model: RunModel, outcomes: OutcomeCollector
) -> None:
    """Every answer of the run, whichever check or generated case it answered, obeys the requirement and
    agrees with what the run wrote."""
    oracle = run_model.oracle
    if oracle is None or oracle.errors:
        errors = oracle.errors[:2] if oracle is not None else []
        raise RuntimeError("the oracle failed while judging the run:\n" + "\n".join(errors))
    verdicts = oracle.verdicts
    known = reported_lines(outcomes, requirement)
    fresh = [f for f in verdicts.findings.get(requirement, []) if f.line not in known]
    if fresh:
        listed = fresh[:MAX_LISTED]
        violations = [finding.violation() for finding in listed]
        rest = verdicts.counts[requirement] - len(violations)
        if rest > 0:
            violations[-1] = listed[-1].violation(f"{listed[-1].message} (and {rest} more)")
        raise violations[0] if len(violations) == 1 else ViolationGroup(violations)
    if verdicts.findings.get(requirement):
        return  # seen broken, and already reported by the check that sent the exchange
    if not verdicts.judged[requirement]:
        pytest.skip("no answer of the run fell in this requirement's domain")
