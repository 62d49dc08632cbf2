"""The whole suite against Prism's mock of the fragment: a real target that nobody here wrote.

A stateless mock answers every request with an example of the fragment. It must fail, on what it
answers: a created lead is not read back or listed, meta/post's required fields are not enforced, an
unknown id is found. The writes are not left undecided. Prism (npm ``@stoplight/prism-cli``) is
installed into a cache folder when ``npm`` can fetch it; otherwise the test is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.contract.fragment import fragment_path
from tests._prism import PrismUnavailable, prism_mock
from tests._runs import SELFTEST_ARGS, run_cli, target_args


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("prism") / "prism.log"
    try:
        with prism_mock(fragment_path(), log) as url:
            yield url
    except PrismUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
def test_a_stateless_mock_fails_on_what_it_answers(prism_url: str, tmp_path: Path) -> None:
    run = run_cli([*target_args(prism_url), *SELFTEST_ARGS], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    assert run.report["suite_errors"] == []
    statuses = run.statuses()
    assert (run.report["verdict"], run.report["gate"], run.code) == ("fail", "fail", 1)
    # a created lead is neither read back as written nor told apart from another create
    assert {statuses[r] for r in ("LEADS-CREATE-002", "LEADS-CREATE-003", "LEADS-CREATE-007")} == {"fail"}
    # the list is the same example whatever is asked: a page of 1 holds 2, a lead is listed twice
    assert statuses["LEADS-PAGE-002"] == statuses["LEADS-PAGE-004"] == "fail"
    # meta/post's required fields are not enforced; an unknown id is found; account B sees A's lead
    assert {statuses[r] for r in ("LEADS-META-003", "LEADS-RETRIEVE-001", "LEADS-TENANT-001")} == {"fail"}
    undecided = sorted(
        rid for rid, status in statuses.items()
        if status == "inconclusive" and rid.split("-")[1] in ("CREATE", "TENANT", "ENVELOPE", "META")
    )
    # whether a refused write was stored is read from the lead list, and this list loops
    assert undecided == ["LEADS-ENVELOPE-007"]
    assert "the traversal loops" in " ".join(run.requirement("LEADS-ENVELOPE-007")["reasons"])
