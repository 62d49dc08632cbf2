"""The benchmarks finish (a smoke run): their figures are read by a person, never asserted on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests._runs import ROOT


@pytest.mark.slow
def test_the_side_by_side_benchmark_finishes_and_prints_every_section():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "side_by_side.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in ("machine:", "1. against a served reference server", "3. throughput", "4. a 100-lead page",
                    "5. goals"):
        assert heading in done.stdout, done.stdout[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
