"""Outcomes roll up into requirement verdicts: fail > inconclusive > warn > pass > skip."""

from __future__ import annotations

from conformance.reporting.verdicts import roll_up
from conformance.spec import load_catalog

MUST = "LEADS-AUTH-001"
MUST2 = "LEADS-AUTH-002"
SHOULD = "LEADS-AUTH-005"


def outcome(nodeid, ids, kind, failures=(), reason=""):
    return {
        "nodeid": nodeid,
        "requirements": list(ids),
        "outcome": kind,
        "failures": list(failures),
        "reason": reason,
    }


def failure(ids, message="broken"):
    return {"requirements": list(ids), "message": message, "reproduce": "curl -X GET x"}


def statuses(outcomes, strict=False):
    verdict = roll_up(load_catalog(), outcomes, strict=strict)
    return {v.requirement.id: v.status for v in verdict.requirements}, verdict


def test_failed_must_fails_and_failed_should_warns():
    found, verdict = statuses(
        [
            outcome("t1", [MUST, SHOULD], "failed", [failure([MUST]), failure([SHOULD])]),
        ]
    )
    assert found[MUST] == "fail" and found[SHOULD] == "warn"
    assert verdict.verdict == "fail"


def test_failure_is_charged_only_to_the_ids_it_names():
    found, _ = statuses([outcome("t1", [MUST, MUST2], "failed", [failure([MUST2])])])
    assert found == {**found, MUST: "pass", MUST2: "fail"}


def test_failure_naming_no_id_is_charged_to_all_the_test_names():
    found, _ = statuses([outcome("t1", [MUST, MUST2], "failed", [failure([])])])
    assert found[MUST] == found[MUST2] == "fail"


def test_rollup_order_fail_over_inconclusive_over_warn_over_pass_over_skip():
    found, _ = statuses(
        [
            outcome("a", [MUST], "passed"),
            outcome("b", [MUST], "inconclusive", reason="429"),
            outcome("c", [MUST2], "skipped", reason="no second token"),
            outcome("d", [MUST2], "passed"),
            outcome("e", [SHOULD], "passed"),
            outcome("f", [SHOULD], "failed", [failure([SHOULD])]),
        ]
    )
    assert found[MUST] == "inconclusive"
    assert found[MUST2] == "pass"
    assert found[SHOULD] == "warn"


def test_skip_only_when_every_check_skipped_and_keeps_the_reason():
    _, verdict = statuses([outcome("c", [MUST2], "skipped", reason="no second token")])
    entry = next(v for v in verdict.requirements if v.requirement.id == MUST2)
    assert entry.status == "skip"
    assert any("no second token" in r for r in entry.reasons)


def test_verdict_passes_with_warnings_unless_strict():
    outcomes = [outcome("f", [SHOULD], "failed", [failure([SHOULD])]), outcome("a", [MUST], "passed")]
    assert statuses(outcomes)[1].verdict == "pass"
    assert statuses(outcomes, strict=True)[1].verdict == "fail"


def test_an_undecided_must_fails_the_run():
    outcomes = [outcome("b", [MUST], "inconclusive", reason="429")]
    assert statuses(outcomes)[1].verdict == "fail"


def test_an_undecided_should_fails_only_under_strict():
    outcomes = [outcome("b", [SHOULD], "inconclusive", reason="429")]
    assert statuses(outcomes)[1].verdict == "pass"
    assert statuses(outcomes, strict=True)[1].verdict == "fail"


def test_summary_counts_every_requirement_once():
    _, verdict = statuses([outcome("a", [MUST], "passed")])
    assert sum(verdict.summary.values()) == len(load_catalog())
