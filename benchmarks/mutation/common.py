"""What the mutation score's parts share: where things are, the statuses, bad input."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "conformance"
REFERENCE = Path(PACKAGE) / "reference"
#: reference modules left unmutated, and why (see the docstring)
EXCLUDED = {
    "__init__.py": "imports only",
    "seed.py": "seed data: which leads an account holds is the server's choice",
    "seed_data.py": "seed data: constants the seed draws from",
    "server.py": "socket and thread plumbing that serves the app for a run",
}
DEFAULT_SUITE_ARGS = "--max-examples 8 --seed 20261126"
#: with the same --seed and --run-id a run sends the same requests, so a mutant's verdict repeats
RUN_ID = "lc-mutation"
#: suite options the script sets itself, or that would certify something other than the mutant
FORBIDDEN_SUITE_ARGS = ("--base-url", "--token", "--account-token", "--second-account-token", "--report-dir")
DEFAULT_TRIAGE = ROOT / "benchmarks" / "mutation_triage.yaml"
DEFAULT_OUT = ROOT / "mutants"
VERDICTS = ("equivalent", "gap")
KILLED_STATUSES = ("killed", "crashed", "timeout")


class BadInput(Exception):
    """Input the script cannot use: reported in one line, exit 2."""


