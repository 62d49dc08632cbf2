"""The whole suite against an account too large and slow to walk whole (tests/variants/large_account.py).

It must pass outright, as against any conformant variant: no requirement fails, warns, stays
inconclusive or is skipped, within the ten minutes the run is given.
"""

from __future__ import annotations

import pytest

from conformance.reference import serve_in_thread
from tests._runs import SELFTEST_ARGS, run_cli, target_args
from tests.variants import LARGE_ACCOUNT

#: seconds the run may take
RUN_LIMIT = 600


@pytest.mark.slow
@pytest.mark.large
def test_suite_passes_an_account_too_large_to_walk_whole(tmp_path):
    with serve_in_thread(LARGE_ACCOUNT.build()) as server:
        run = run_cli([*target_args(server.base_url), *SELFTEST_ARGS], tmp_path, timeout=RUN_LIMIT)
    assert run.report is not None, run.stderr[-3000:]
    undecided = {
        r["id"]: [f["message"][:500] for f in r["failures"]] or r.get("reasons", [])[:2]
        for r in run.report["requirements"]
        if r["status"] != "pass"
    }
    assert undecided == {}
    assert (run.report["verdict"], run.code) == ("pass", 0), run.stdout[-3000:]
