"""Outcomes roll up into requirement verdicts: fail > inconclusive > warn > pass > skip."""

from __future__ import annotations

from conformance.contract.catalog import load_catalog
from conformance.reporting.baseline import Baseline, BaselineEntry
from conformance.reporting.verdicts import roll_up

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


def all_passed(*except_ids):
    """One passing check for every catalog requirement but ``except_ids``."""
    return [outcome(f"ok-{r.id}", [r.id], "passed") for r in load_catalog() if r.id not in except_ids]


def test_verdict_passes_with_warnings_unless_strict():
    outcomes = [*all_passed(), outcome("f", [SHOULD], "failed", [failure([SHOULD])])]
    assert (statuses(outcomes)[1].verdict, statuses(outcomes)[1].gate) == ("pass", "pass")
    strict = statuses(outcomes, strict=True)[1]
    assert (strict.verdict, strict.gate) == ("fail", "fail")


def test_a_run_that_verified_only_part_of_the_catalog_is_incomplete_not_pass():
    _, verdict = statuses([outcome("a", [MUST], "passed")])
    assert verdict.verdict == "incomplete"
    assert verdict.gate == "pass"
    musts = sum(1 for r in load_catalog() if r.is_must)
    assert sum(verdict.not_verified().values()) == musts - 1


def test_unselected_requirements_are_not_selected_skips():
    verdict = roll_up(load_catalog(), [outcome("a", [MUST], "passed")], selection="auth")
    entry = next(v for v in verdict.requirements if v.requirement.id == MUST2)
    assert entry.status == "skip" and entry.reasons == ["not selected (-k auth)"]
    assert verdict.not_verified() == {"not selected": sum(1 for r in load_catalog() if r.is_must) - 1}


def test_an_undecided_must_fails_the_gate_and_leaves_the_verdict_incomplete():
    outcomes = [*all_passed(MUST), outcome("b", [MUST], "inconclusive", reason="429")]
    _, verdict = statuses(outcomes)
    assert (verdict.verdict, verdict.gate) == ("incomplete", "fail")


def test_an_undecided_should_fails_the_gate_only_under_strict():
    outcomes = [*all_passed(SHOULD), outcome("b", [SHOULD], "inconclusive", reason="429")]
    assert (statuses(outcomes)[1].verdict, statuses(outcomes)[1].gate) == ("pass", "pass")
    strict = statuses(outcomes, strict=True)[1]
    assert (strict.verdict, strict.gate) == ("incomplete", "fail")


def test_inconclusive_is_scoped_to_the_requirements_it_names():
    scoped = {**outcome("p", [MUST, MUST2], "inconclusive", reason="429"), "inconclusive": [MUST2]}
    found, _ = statuses([scoped])
    assert (found[MUST], found[MUST2]) == ("pass", "inconclusive")
    unscoped = outcome("p", [MUST, MUST2], "inconclusive", reason="429")
    found, _ = statuses([unscoped])
    assert (found[MUST], found[MUST2]) == ("inconclusive", "inconclusive")


def test_a_suite_error_is_not_the_targets_fault():
    error = {**outcome("e", [MUST], "error", reason="suite error: KeyError"), "traceback": "Traceback ..."}
    found, verdict = statuses([*all_passed(MUST), error])
    assert found[MUST] == "skip"
    assert verdict.suite_errors and verdict.suite_errors[0]["test"] == "e"
    assert (verdict.verdict, verdict.gate) == ("incomplete", "fail")


def test_summary_counts_every_requirement_once():
    _, verdict = statuses([outcome("a", [MUST], "passed")])
    assert sum(verdict.summary.values()) == len(load_catalog())


# ------------------------------------------------------------------------------ baseline
def baseline(*entries):
    return Baseline("known.yaml", tuple(BaselineEntry(*e) for e in entries))


def test_a_listed_failure_is_known_passes_the_gate_and_keeps_the_verdict_truthful():
    outcomes = [*all_passed(MUST), outcome("t1", [MUST], "failed", [failure([MUST])])]
    verdict = roll_up(load_catalog(), outcomes, baseline=baseline((MUST, "vendor cannot")))
    entry = next(v for v in verdict.requirements if v.requirement.id == MUST)
    assert entry.status == "known" and entry.waived_by[0].reason == "vendor cannot"
    assert (verdict.verdict, verdict.gate) == ("fail", "pass")
    assert verdict.summary["known"] == 1


def test_a_new_failure_fails_the_gate_beside_a_known_one():
    outcomes = [
        *all_passed(MUST, MUST2),
        outcome("t1", [MUST], "failed", [failure([MUST])]),
        outcome("t2", [MUST2], "failed", [failure([MUST2])]),
    ]
    verdict = roll_up(load_catalog(), outcomes, baseline=baseline((MUST, "known")))
    assert verdict.gate == "fail"
    assert [v.requirement.id for v in verdict.blocking()] == [MUST2]


def test_a_listed_check_waives_only_that_checks_failures():
    outcomes = [
        *all_passed(MUST),
        outcome("mod::t1", [MUST], "failed", [failure([MUST])]),
        outcome("mod::t2", [MUST], "failed", [failure([MUST])]),
    ]
    verdict = roll_up(load_catalog(), outcomes, baseline=baseline((MUST, "known", "t1")))
    assert next(v for v in verdict.requirements if v.requirement.id == MUST).status == "fail"
    both = roll_up(load_catalog(), outcomes, baseline=baseline((MUST, "a", "t1"), (MUST, "b", "t2")))
    assert next(v for v in both.requirements if v.requirement.id == MUST).status == "known"
    assert both.gate == "pass"


def test_a_stale_entry_fails_the_gate_and_names_itself():
    verdict = roll_up(load_catalog(), all_passed(), baseline=baseline((MUST, "was broken")))
    assert verdict.verdict == "pass" and verdict.gate == "fail"
    assert [e.id for e in verdict.stale] == [MUST]
    assert any(MUST in reason and "stale" in reason for reason in verdict.gate_reasons())


def test_an_entry_whose_requirement_did_not_run_is_not_stale():
    verdict = roll_up(load_catalog(), [outcome("a", [MUST2], "passed")], baseline=baseline((MUST, "x")))
    assert verdict.stale == []


def _undecided(check="t::link"):
    return Baseline("known.yaml", (BaselineEntry(MUST, "creates answer 200", check, "inconclusive"),))


def test_an_inconclusive_entry_accepts_an_inconclusive_must_and_the_gate_passes():
    verdict = roll_up(
        load_catalog(), [outcome("t::link", [MUST], "inconclusive", reason="no link followed")],
        baseline=_undecided(None),
    )
    entry = next(v for v in verdict.requirements if v.requirement.id == MUST)
    assert entry.status == "inconclusive" and entry.accepted and entry.undecided == ["t::link"]
    assert entry not in verdict.blocking() and verdict.stale == []
    assert entry.to_dict()["known"][0]["status"] == "inconclusive"
    assert verdict.not_verified()["inconclusive (known)"] == 1
    # the truth stays: an undecided MUST keeps the verdict from pass
    assert verdict.verdict == "incomplete"


def test_an_inconclusive_entry_is_stale_once_its_requirement_is_decided_and_covers_no_failure():
    passed = roll_up(load_catalog(), [outcome("t::link", [MUST], "passed")], baseline=_undecided())
    assert [e.id for e in passed.stale] == [MUST] and passed.gate == "fail"
    said = "stale baseline entry: LEADS-AUTH-001 (t::link, inconclusive) now passes"
    assert said in passed.gate_reasons()[0]
    outcomes = [outcome("t::link", [MUST], "failed", [failure([MUST])])]
    failed = roll_up(load_catalog(), outcomes, baseline=_undecided())
    assert next(v for v in failed.requirements if v.requirement.id == MUST).status == "fail"
    assert failed.gate == "fail"


def test_an_inconclusive_entry_for_one_check_does_not_cover_another():
    verdict = roll_up(
        load_catalog(),
        [outcome("t::other", [MUST], "inconclusive", reason="429"), outcome("t::link", [MUST], "passed")],
        baseline=_undecided("t::link"),
    )
    entry = next(v for v in verdict.requirements if v.requirement.id == MUST)
    assert not entry.accepted and entry in verdict.blocking()
    assert [e.check for e in verdict.stale] == ["t::link"]


def test_checks_an_interrupted_run_did_not_reach_are_not_run_never_skipped():
    verdict = roll_up(
        load_catalog(),
        [outcome("a", [MUST], "passed"), outcome("b", [MUST2], "not run", reason="interrupted (SIGINT)")],
        interrupted="SIGINT",
    )
    found = {v.requirement.id: v for v in verdict.requirements}
    assert found[MUST].status == "pass"
    assert found[MUST2].status == "inconclusive" and found[MUST2].only_not_run
    assert found[MUST2].to_dict()["not_run"] is True
    assert found[MUST2] not in verdict.blocking()
    assert (verdict.verdict, verdict.gate) == ("incomplete", "fail")
    assert verdict.gate_reasons()[0] == "the run was interrupted (SIGINT): 1 requirements were not run"
