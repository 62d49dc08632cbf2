"""The suite's mutation score: how many faults nobody chose does ``conformance run`` catch?

Cosmic Ray (``pip install -e '.[mutation]'``) generates every mutant its core operators make in the
reference server's behavioural modules; a seeded sample of them is each served as the bundled
reference server and certified by a whole ``conformance run``. Cosmic Ray was chosen over mutmut
because it names the operator of every mutant (``core/ReplaceComparisonOperator_Eq_NotEq``,
``core/NumberReplacer``, ...), mutates the source itself rather than routing calls through
trampolines (so Starlette's endpoints, dataclasses and decorators behave as written), and leaves
the test command to us: each mutant is plain Python in a private copy of the package.

What is mutated: ``conformance/reference/*.py`` except
- ``seed.py`` and ``seed_data.py``: the seed data. The contract says nothing about which leads an
  account holds, so a mutant there mostly yields other, equally valid data; the seed leads are served
  through the same modules (``records``, ``shapes``, ``store``) that are mutated here;
- ``server.py``: the socket and thread plumbing that serves the app for a run (a mutant there stops
  the run from starting, or changes a backlog or a start timeout), not the API's behaviour;
- ``__init__.py``: imports only.

What is not sampled (counted and printed, never run):
- mutants inside type annotations: every module has ``from __future__ import annotations``, so an
  annotation is never evaluated and such a mutant cannot change anything;
- mutants that do not compile (Cosmic Ray reads ``**mapping`` unpacking as the power operator), and
  the rare one Cosmic Ray cannot make (it raises while mutating).

Each mutant runs isolated: a temporary folder holds its own copy of the ``conformance`` package with
the one mutated file, its own cache folder (a copy of the one the unmutated run filled), its own working
folder and report folder; ``CONFORMANCE_*`` variables are dropped from its environment, and its
process group is killed at ``--timeout``. An unmutated run goes first and must pass.

A mutant is *killed* when the run exits 1 (the suite found a violation), *crashed* when it exits
otherwise (2: the target was untestable or a check broke), *timeout* when it outlives ``--timeout``,
and *survived* when it exits 0. Crashed and timed-out mutants count as killed, and are shown apart.

Every survivor is triaged in ``benchmarks/mutation_triage.yaml``: ``equivalent`` (nothing observable
changed, or CONTRACT.md allows the change) or ``gap`` (what the suite would need to check to kill it).
An entry names its mutant by file, enclosing function, operator and the mutated line before and after
(and ``nth`` when the same change occurs more than once in that function), so unrelated edits that only
move lines do not lose it. The kill rate over non-equivalent mutants leaves the equivalent survivors
out of the denominator.

Run (nice, at most two jobs on a shared machine; about 20 minutes for the default sample on 2 cores)::

    nice -n 19 python benchmarks/mutation_score.py [--sample 250] [--seed 1] [--jobs 2]
        [--timeout 180] [--suite-args "--max-examples 8 --seed 20261126"]
        [--json mutants/results.json] [--compare OLD.json] [--triage FILE] [--stub-untriaged]
        [--dry-run]

Writes ``mutants/results.json`` (per mutant: id, key, file, line, function, operator, the change,
status, exit status, seconds, the run's verdict and the requirements that failed, warned or were
skipped) and ``mutants/session.sqlite`` (Cosmic Ray's own session, with a result for every mutant run:
``cr-report mutants/session.sqlite``).
Exit 0 when every survivor is triaged, 1 when one is not, 2 on bad input or when the unmutated
reference does not pass.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutation.common import (  # noqa: E402
    DEFAULT_OUT,
    DEFAULT_SUITE_ARGS,
    DEFAULT_TRIAGE,
    EXCLUDED,
    FORBIDDEN_SUITE_ARGS,
    ROOT,
    RUN_ID,
    BadInput,
)
from mutation.population import Mutant, build_population, reference_modules, sample  # noqa: E402
from mutation.report import compare_lines, one_line, record_in_session, report_lines, results_json, summarise  # noqa: E402
from mutation.running import Outcome, Runner, classify  # noqa: E402
from mutation.triage import read_triage, stub_untriaged  # noqa: E402

__all__ = [
    "DEFAULT_TRIAGE", "BadInput", "Mutant", "Outcome", "Runner", "build_population", "classify",
    "compare_lines", "main", "read_triage", "report_lines", "sample", "stub_untriaged", "suite_arguments",
    "summarise",
]



# --------------------------------------------------------------------------- the command


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise BadInput(message)


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0: {text!r}")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(prog="mutation_score.py", description=(__doc__ or "").splitlines()[0])
    numbers = (
        ("--sample", _positive(int), 250, "N", "mutants to run, a seeded sample of the runnable ones"),
        ("--seed", int, 1, "SEED", "the sample's seed"),
        ("--jobs", _positive(int), 2, "J", "mutants run at a time"),
        ("--timeout", _positive(float), 180.0, "S", "seconds one mutant's run may take"),
    )
    for flag, kind, default, metavar, what in numbers:
        shown = f"{what} (default {default:g})"
        parser.add_argument(flag, type=kind, default=default, metavar=metavar, help=shown)
    parser.add_argument(
        "--suite-args",
        default=DEFAULT_SUITE_ARGS,
        metavar="ARGS",
        help=f"options for each conformance run (default {DEFAULT_SUITE_ARGS!r}, "
        f"and --run-id {RUN_ID} unless named)",
    )
    files = (
        ("--triage", DEFAULT_TRIAGE, "the survivors' verdicts"),
        ("--json", DEFAULT_OUT / "results.json", "where the per-mutant results go"),
        ("--session", DEFAULT_OUT / "session.sqlite", "Cosmic Ray's session file"),
        ("--compare", None, "an earlier results file: print the mutants whose status changed"),
    )
    for flag, default, what in files:
        shown = f" (default {default.relative_to(ROOT)})" if default is not None else ""
        parser.add_argument(flag, type=Path, default=default, metavar="FILE", help=what + shown)
    parser.add_argument(
        "--stub-untriaged",
        action="store_true",
        help="append an entry without a verdict to the triage file for each untriaged survivor",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the population and the sample; run nothing"
    )
    parser.add_argument("--quiet", action="store_true", help="no line per mutant while running")
    args = parser.parse_args(argv)
    args.suite_args = suite_arguments(args.suite_args)
    return args


def suite_arguments(text: str) -> list[str]:
    """``--suite-args`` as a list; refuses the options that would certify something else."""
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise BadInput(f"--suite-args: {error}") from None
    for word in words:
        name = word.split("=", 1)[0]
        if name in FORBIDDEN_SUITE_ARGS:
            raise BadInput(f"--suite-args: {name} is set by the script (each mutant is the bundled server)")
    if not any(w == "--run-id" or w.startswith("--run-id=") for w in words):
        words += ["--run-id", RUN_ID]
    return words


def _population_lines(
    population: Sequence[Mutant], chosen: Sequence[Mutant], args: argparse.Namespace
) -> list[str]:
    skipped = Counter(m.skip for m in population if m.skip)
    runnable = len(population) - sum(skipped.values())
    files = Counter(m.file.rsplit("/", 1)[-1] for m in population)
    return [
        f"tool:       Cosmic Ray {_version('cosmic-ray')}, every core operator "
        f"({len({m.operator for m in population})} seen here)",
        f"mutated:    {', '.join(f'{f} ({n})' for f, n in sorted(files.items()))}",
        f"left out:   {', '.join(f'{name} ({why})' for name, why in EXCLUDED.items())}",
        f"population: {len(population)} mutants; not run: {skipped['annotation']} inside annotations (never "
        f"evaluated), {skipped['does not compile']} do not compile, {skipped['not made']} the tool could not "
        f"make; {runnable} runnable",
        f"sample:     {len(chosen)} (seed {args.seed}); suite: conformance run {shlex.join(args.suite_args)}",
    ]


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BadInput as error:
        print(f"mutation_score.py: error: {error}", file=sys.stderr)
        return 2


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    triage = read_triage(args.triage)
    previous = None
    if args.compare is not None:
        try:
            previous = json.loads(args.compare.read_text(encoding="utf-8"))
            if not isinstance(previous, dict) or not isinstance(previous.get("mutants"), list):
                raise ValueError
        except (OSError, ValueError):
            raise BadInput(f"--compare: {args.compare} is not a results file of this script") from None

    started_at = datetime.now(UTC)
    population = build_population(ROOT, reference_modules(ROOT), None if args.dry_run else args.session)
    chosen = sample(population, args.sample, args.seed)
    if len(chosen) < args.sample:
        raise BadInput(f"--sample {args.sample}: only {len(chosen)} runnable mutants")
    for line in _population_lines(population, chosen, args):
        print(line)
    if args.dry_run:
        for mutant in chosen:
            print(
                f"  {mutant.id:<58} :{mutant.line:<4} "
                f"{one_line(mutant.before, 50)} -> {one_line(mutant.after, 50)}"
            )
        return 0

    with tempfile.TemporaryDirectory(prefix="leads-mutation-") as scratch_name:
        kept = args.json.parent / "crashed"
        runner = Runner(ROOT, Path(scratch_name), args.suite_args, args.timeout, kept)
        runner.prepare()
        origin = runner.origin()
        if not origin.startswith(scratch_name):
            raise BadInput(f"a run would not import the mutated copy (it imports {origin})")
        baseline = runner.run(None, fill_cache=True)
        if baseline.status != "survived":
            raise BadInput(
                f"the unmutated reference does not pass ({baseline.status}, exit {baseline.exit_code}): "
                f"{baseline.message or ', '.join(baseline.failed)}"
            )
        print(f"unmutated:  passes in {baseline.seconds:.1f} s")
        results = _run_all(runner, chosen, args)

    wall = (datetime.now(UTC) - started_at).total_seconds()
    summary = summarise(results, triage)
    print()
    for line in report_lines(results, triage, summary):
        print(line)
    print()
    print(
        f"time: {wall / 60:.1f} min with {args.jobs} job(s); a mutant's run took "
        f"{_median([o.seconds for _, o in results]):.1f} s (median)"
    )
    if previous is not None:
        print()
        for line in compare_lines(previous, results):
            print(line)

    meta = {
        "tool": {"name": "cosmic-ray", "version": _version("cosmic-ray")},
        "python": platform.python_version(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 1),
        "jobs": args.jobs,
        "seed": args.seed,
        "sample": args.sample,
        "suite_args": args.suite_args,
        "timeout": args.timeout,
        "population": {
            "mutants": len(population),
            **{k.replace(" ", "_"): v for k, v in Counter(m.skip for m in population if m.skip).items()},
            "runnable": sum(1 for m in population if m.skip is None),
        },
        "baseline_seconds": baseline.seconds,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(results_json(meta, results, triage, summary), indent=1) + "\n", encoding="utf-8"
    )
    record_in_session(args.session, results)
    print(f"results: {args.json}  session: {args.session}")

    untriaged = [m for m, o in results if o.status == "survived" and triage.verdict(m.key) is None]
    if untriaged and args.stub_untriaged:
        added = stub_untriaged(args.triage, untriaged)
        print(f"{added} untriaged survivor(s) added to {args.triage} without a verdict")
    if untriaged:
        print(f"{len(untriaged)} survivor(s) not triaged in {args.triage}")
        return 1
    return 0


def _run_all(
    runner: Runner, chosen: Sequence[Mutant], args: argparse.Namespace
) -> list[tuple[Mutant, Outcome]]:
    results: dict[int, Outcome] = {}
    width = len(str(len(chosen)))
    try:
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = {pool.submit(runner.run, mutant): index for index, mutant in enumerate(chosen)}
            for future in as_completed(futures):
                index = futures[future]
                outcome = future.result()
                results[index] = outcome
                if not args.quiet:
                    mutant = chosen[index]
                    print(
                        f"[{len(results):>{width}}/{len(chosen)}] "
                        f"{outcome.status:<8} {outcome.seconds:6.1f}s "
                        f"{mutant.file.rsplit('/', 1)[-1]}:{mutant.line} {mutant.operator.split('/')[-1]} "
                        f"{' '.join(outcome.failed[:4])}",
                        file=sys.stderr,
                        flush=True,
                    )
    except KeyboardInterrupt:
        runner.stop_all()
        raise
    return [(chosen[i], results[i]) for i in range(len(chosen))]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


if __name__ == "__main__":
    sys.exit(main())
