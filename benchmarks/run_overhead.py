"""What a default ``conformance run`` costs, this tree beside an earlier revision, in one run.

Both sides certify the bundled reference server with the same seed and example budget, as whole
processes, alternating, ``--repeat`` times each (default 3); the script prints the median wall time,
the median peak memory (the child's maximum resident set) and the ratio of this tree to the base.
The base is checked out into a temporary git worktree and run from there with the same interpreter,
so both sides use the same installed dependencies.

Run: ``python benchmarks/run_overhead.py --base REV`` (about two minutes), for example the revision
before a change, to show what the change costs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(source: Path, report_dir: Path, max_examples: int, seed: int) -> tuple[float, float, int]:
    """Wall seconds, peak resident MiB and exit status of one ``conformance run`` from ``source``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    env["PYTHONPATH"] = str(source)
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--run-id",
        "lc-bench",
        "--report-dir",
        str(report_dir),
    ]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, child.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the git revision to compare with")
    parser.add_argument("--head", help="a git revision to measure instead of this tree")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="overhead-") as scratch:
        trees = {"base": (Path(scratch) / "base", args.base)}
        if args.head:
            trees["measured"] = (Path(scratch) / "head", args.head)
        for tree, revision in trees.values():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
                check=True,
                capture_output=True,
            )
        try:
            sides = {"base": trees["base"][0], "measured": trees["measured"][0] if args.head else ROOT}
            results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in sides}
            for round_number in range(args.repeat):
                for name, source in sides.items():
                    folder = Path(scratch) / f"{name}-{round_number}"
                    results[name].append(measure(source, folder, args.max_examples, args.seed))
        finally:
            for tree, _ in trees.values():
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
                )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(
        f"default run, --max-examples {args.max_examples}, medians of {args.repeat}; "
        f"base = {args.base}, measured = {args.head or 'this tree'}"
    )
    medians = {}
    for name, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        memory = statistics.median(r[1] for r in runs)
        medians[name] = (wall, memory)
        codes = sorted({r[2] for r in runs})
        print(f"  {name:10s} wall {wall:6.1f} s   peak memory {memory:6.0f} MiB   exit {codes}")
    (base_wall, base_memory), (wall, memory) = medians["base"], medians["measured"]
    print(f"  ratio      wall {wall / base_wall:6.2f}x   peak memory {memory / base_memory:6.2f}x")


if __name__ == "__main__":
    main()
