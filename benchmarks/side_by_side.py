"""The suite beside plain Schemathesis, and the reference server beside Prism, in one run.

What a user pays for a verdict is time, writes left behind in a CRM (Merge has no DELETE) and quota
spent; each is measured beside a peer.

1. A default ``conformance run`` and a plain ``schemathesis run --checks all`` over the same fragment,
   with the same example budget and seed, each against a freshly served reference server (whole
   processes, alternating, medians of ``--repeat``): wall time, requests the server answered, leads it
   created, peak memory (the child's maximum resident set, from ``wait4``), and the catalog
   requirements each verifies. Schemathesis verifies none of the catalog; each failure it reports
   against the conformant reference is a false alarm.
2. The same two against a slow, realistic conformant vendor (50 ms a request, 1.5 s a create, a 429
   without Retry-After every 40th request, gzip, Connection: close): time to a verdict, requests, leads
   created, beside the physical floor (writes x 1.5 s / concurrency + requests x 50 ms / concurrency).
   Plain Schemathesis is stopped after ``--slow-limit`` seconds.
3. The reference server's throughput for create, retrieve and list, beside Prism's mock of the same
   fragment (npm ``@stoplight/prism-cli``, installed when missing; "not measured" when it cannot be).
4. How a 100-item page's latency grows from 1,000 to 10,000 and 100,000 stored leads.
5. The machine and the date, and each goal with whether this run met it.

Run: ``python benchmarks/side_by_side.py [--repeat 3] [--max-examples 25] [--quick]`` (about half an
hour, most of it plain Schemathesis creating leads at 1.5 s each; ``--quick`` is one repeat, a small
budget, no slow vendor and no 100,000-lead store: a smoke run).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import reference_server  # noqa: E402
from counted_server import counted_reference, counts  # noqa: E402

from conformance.contract.fragment import fragment_path  # noqa: E402
from conformance.reference import ReferenceConfig  # noqa: E402
from tests._prism import PrismUnavailable, prism_mock  # noqa: E402

SEED = 20261126
CREDENTIALS = ReferenceConfig()
HEADERS = {"Authorization": f"Bearer {CREDENTIALS.api_key}", "X-Account-Token": CREDENTIALS.account_tokens[0]}
LEADS = "/crm/v1/leads"

#: the slow vendor's costs (tests/variants/slow_vendor.py)
SLOW_REQUEST, SLOW_CREATE = 0.05, 1.5


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    requests: int
    code: int
    verified: int
    false_alarms: int | None = None
    created: int = 0
    stopped: bool = False

    def floor(self, concurrency: int) -> float:
        """The least time the slow vendor needs for what was sent, ``concurrency`` at a time."""
        reads = self.requests - self.created
        return (self.created * SLOW_CREATE + reads * SLOW_REQUEST) / concurrency


def _child(
    command: list[str], env: dict[str, str], out: Path, limit: float | None = None
) -> tuple[float, float, int, str, bool]:
    """Wall seconds, peak resident MiB, exit status, output of one child process, and whether it was
    stopped at ``limit`` seconds."""
    started = time.monotonic()
    with out.open("w") as sink:
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        stopped = False
        if limit is not None:
            try:
                child.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                child.terminate()
                stopped = True
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, code, out.read_text(errors="replace"), stopped


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}


def suite_run(max_examples: int, work: Path, kind: str = "reference") -> Measured:
    with counted_reference(kind) as url:
        before = counts(url)
        report_dir = work / f"suite-{time.monotonic_ns()}"
        command = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--base-url",
            url,
            "--token",
            CREDENTIALS.api_key,
            "--account-token",
            CREDENTIALS.account_tokens[0],
            "--second-account-token",
            CREDENTIALS.account_tokens[1],
            "--max-examples",
            str(max_examples),
            "--seed",
            str(SEED),
            "--report-dir",
            str(report_dir),
        ]
        seconds, peak, code, _, _ = _child(command, _environment(), work / "suite.out")
        after = counts(url)
    report = json.loads((report_dir / "report.json").read_text())
    decided = sum(1 for r in report["requirements"] if r["status"] in ("pass", "fail", "known", "warn"))
    return Measured(
        seconds,
        peak,
        after["answered"] - before["answered"],
        code,
        decided,
        created=after["created"] - before["created"],
    )


def schemathesis_run(
    max_examples: int, work: Path, kind: str = "reference", limit: float | None = None
) -> Measured:
    with counted_reference(kind) as url:
        before = counts(url)
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            str(fragment_path()),
            "--url",
            url,
            "--checks",
            "all",
            "--max-examples",
            str(max_examples),
            "--seed",
            str(SEED),
            "-H",
            f"Authorization: {HEADERS['Authorization']}",
            "-H",
            f"X-Account-Token: {HEADERS['X-Account-Token']}",
        ]
        env = _environment() | {"NO_COLOR": "1"}
        seconds, peak, code, output, stopped = _child(command, env, work / "schemathesis.out", limit)
        after = counts(url)
    failures = re.search(r"(\d+)\s+(?:failures?|unique failures?)", output)
    return Measured(
        seconds,
        peak,
        after["answered"] - before["answered"],
        code,
        0,
        int(failures.group(1)) if failures else None,
        after["created"] - before["created"],
        stopped,
    )


def _median(runs: list[Measured]) -> Measured:
    return Measured(
        statistics.median(r.seconds for r in runs),
        statistics.median(r.peak_mib for r in runs),
        int(statistics.median(r.requests for r in runs)),
        runs[-1].code,
        runs[-1].verified,
        runs[-1].false_alarms,
        int(statistics.median(r.created for r in runs)),
        any(r.stopped for r in runs),
    )


def _rate(count: int, action: Callable[[int], None]) -> float:
    started = time.perf_counter()
    for index in range(count):
        action(index)
    return count / (time.perf_counter() - started)


def throughput(url: str, count: int) -> dict[str, float]:
    """Creates, retrieves and 100-lead pages per second against ``url`` (answers must be 2xx)."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=30) as client:
        first = client.get(LEADS, params={"page_size": 100})
        first.raise_for_status()
        ids = [lead["id"] for lead in first.json()["results"]] or ["00000000-0000-4000-8000-000000000000"]

        def create(index: int) -> None:
            model = {"last_name": f"Bench {index}", "company": "Benchmark Inc", "email_addresses": []}
            client.post(LEADS, json={"model": model}).raise_for_status()

        def retrieve(index: int) -> None:
            client.get(f"{LEADS}/{ids[index % len(ids)]}").raise_for_status()

        def page(_index: int) -> None:
            client.get(LEADS, params={"page_size": 1}).raise_for_status()

        def page_of_100(_index: int) -> None:
            client.get(LEADS, params={"page_size": 100}).raise_for_status()

        return {
            "create": _rate(count, create),
            "retrieve": _rate(count, retrieve),
            "list (1 lead)": _rate(count, page),
            "list (100)*": _rate(max(1, count // 3), page_of_100),
        }


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument(
        "--slow-limit",
        type=float,
        default=1200.0,
        help="seconds plain Schemathesis may take against the slow vendor before it is stopped",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 1 repeat, budget 3, no slow vendor, no 100,000 leads",
    )
    options = parser.parse_args()
    repeat, budget = (1, 3) if options.quick else (options.repeat, options.max_examples)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    print()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        suites, plains = [], []
        for _ in range(repeat):
            suites.append(suite_run(budget, work))
            plains.append(schemathesis_run(budget, work))
        suite, plain = _median(suites), _median(plains)
        print(f"1. against a served reference server, --max-examples {budget}, medians of {repeat}")
        print(f"  {'':30} {'wall s':>8} {'requests':>9} {'leads':>6} {'peak MiB':>9} {'verifies':>9}")
        for name, m in (("conformance run", suite), ("schemathesis run --checks all", plain)):
            print(
                f"  {name:30} {m.seconds:>8.1f} {m.requests:>9} {m.created:>6} {m.peak_mib:>9.0f} "
                f"{m.verified:>9}"
            )
        wall, memory = suite.seconds / plain.seconds, suite.peak_mib / plain.peak_mib
        print(f"  ratio (suite / plain): wall {wall:.2f}x, memory {memory:.2f}x")
        alarms = "unknown" if plain.false_alarms is None else str(plain.false_alarms)
        print(
            f"  plain Schemathesis failures against the conformant reference (false alarms): {alarms}; "
            f"the suite's verdict: exit {suite.code}"
        )
        print()

        slow: Measured | None = None
        if not options.quick:
            slow = suite_run(budget, work, "slow")
            plain_slow = schemathesis_run(budget, work, "slow", options.slow_limit)
            print(
                f"2. against the slow vendor ({SLOW_REQUEST * 1000:g} ms a request, "
                f"{SLOW_CREATE:g} s a create, "
                "a 429 without Retry-After every 40th, gzip, Connection: close), one run each"
            )
            print(f"  {'':30} {'verdict s':>9} {'requests':>9} {'leads':>6} {'floor s (4 at once)':>20}")
            for name, m in (("conformance run", slow), ("schemathesis run --checks all", plain_slow)):
                shown = f">{m.seconds:.0f}" if m.stopped else f"{m.seconds:.0f}"
                print(f"  {name:30} {shown:>9} {m.requests:>9} {m.created:>6} {m.floor(4):>20.0f}")
            if plain_slow.stopped:
                print(f"  plain Schemathesis was stopped after {options.slow_limit:g} s without a verdict")
            print()

        print("3. throughput, one keep-alive client, requests per second")
        count = 100 if options.quick else 500
        with counted_reference() as url:
            ours = throughput(url, count)
        try:
            with prism_mock(fragment_path(), work / "prism.log") as url:
                theirs: dict[str, float] | None = throughput(url, count)
            why = ""
        except (PrismUnavailable, httpx.HTTPError) as exc:
            theirs, why = None, str(exc)
        print(f"  {'operation':12} {'reference':>10} {'Prism mock':>11} {'ratio':>7}")
        for name, value in ours.items():
            other = theirs[name] if theirs else None
            shown = f"{other:>11.0f} {value / other:>6.1f}x" if other else f"{'not measured':>11}"
            print(f"  {name:12} {value:>10.0f} {shown}")
        print("  * Prism answers every page with its one-lead example, so a page of 100 is not compared.")
        if theirs is None:
            print(f"  Prism: not measured ({why})")
        # Prism answers every page with its one-lead example: a 100-lead page is not the same work
        least = min(ours[k] / theirs[k] for k in ours if not k.endswith("*")) if theirs else None
        print()

        sizes = (1_000, 10_000) if options.quick else reference_server.SIZES
        print("4. a 100-lead page over HTTP, median ms (first page, and 90 % of the way in)")
        pages = {size: reference_server.page_latency(size, work) for size in sizes}
        for size, figures in pages.items():
            print(f"  {size:>8,} leads: first {figures['http first']:6.2f}  deep {figures['http deep']:6.2f}")
        growth = pages[sizes[-1]]["http deep"] / pages[sizes[0]]["http first"]
        print(f"  growth {sizes[-1]:,} (deep) / {sizes[0]:,} (first): {growth:.2f}x")
        print()

    print("5. goals (measured in this run)")
    print(f"  leads created by a default run at most 40 ({suite.created}): {_verdict(suite.created <= 40)}")
    print(
        f"  requests sent by a default run at most 600 ({suite.requests}): {_verdict(suite.requests <= 600)}"
    )
    if slow is not None:
        print(
            f"  a verdict against the slow vendor within 120 s ({slow.seconds:.0f} s; floor "
            f"{slow.floor(4):.0f} s): {_verdict(slow.seconds <= 120)}"
        )
    print(f"  wall time no more than plain Schemathesis ({wall:.2f}x): {_verdict(wall <= 1.0)}")
    print(f"  peak memory at most 1.2x ({memory:.2f}x): {_verdict(memory <= 1.2)}")
    if least is None:
        print("  reference at least 3x Prism's throughput: not measured")
    else:
        print(f"  reference at least 3x Prism's throughput (least {least:.1f}x): {_verdict(least >= 3)}")
    print(
        f"  page at {sizes[-1]:,} at most 2x a page at {sizes[0]:,} ({growth:.2f}x): {_verdict(growth <= 2)}"
    )


if __name__ == "__main__":
    main()
