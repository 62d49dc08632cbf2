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
import contextlib
import difflib
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parents[1]
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


# --------------------------------------------------------------------------- the population


@dataclass
class Mutant:
    """One mutant Cosmic Ray makes: where, which operator, and the change it makes."""

    file: str  # posix path from the project root
    operator: str
    occurrence: int  # Cosmic Ray's index of this operator's positions in the file
    line: int
    col: int
    function: str  # enclosing definitions, dotted ("Store.get_lead"), "<module>" at top level
    before: str = ""
    after: str = ""
    nth: int = 0  # the same change in the same function, counted in file order
    skip: str | None = None  # "annotation", "does not compile", "not made": never run
    diff: str = ""
    mutated_code: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return f"{self.file}:{self.operator}#{self.occurrence}"

    @property
    def key(self) -> str:
        return triage_key(self.file, self.function, self.operator, self.before, self.after, self.nth)

    @property
    def family(self) -> str:
        """The operator without its operands: ``ReplaceComparisonOperator`` for ``..._Eq_NotEq``."""
        name = self.operator.split("/", 1)[-1]
        return re.sub(r"_[A-Za-z]+_[A-Za-z]+$", "", name)


def triage_key(file: str, function: str, operator: str, before: str, after: str, nth: int = 0) -> str:
    """The stable name of a mutant: what it changes and where, but no line number."""
    key = f"{file}::{function}::{operator}::{before} => {after}"
    return key if not nth else f"{key} #{nth}"


def reference_modules(root: Path = ROOT) -> list[Path]:
    """The reference server's behavioural modules, project-relative, sorted."""
    folder = root / REFERENCE
    return sorted(path.relative_to(root) for path in folder.glob("*.py") if path.name not in EXCLUDED)


def _cosmic_ray() -> Any:
    try:
        import cosmic_ray  # noqa: F401
        import cosmic_ray.plugins
    except ImportError:
        raise BadInput("Cosmic Ray is not installed: pip install -e '.[mutation]'") from None
    return cosmic_ray


def _qualname(leaf: Any) -> str:
    import parso.python.tree as tree

    names = []
    came_from, node = leaf, leaf.parent
    while node is not None:
        if isinstance(node, tree.Function | tree.Class):
            names.append(node.name.value)
        elif node.type == "decorated" and came_from is not node.children[-1]:
            names.append(node.children[-1].name.value)  # a decorator: named by what it decorates
        came_from, node = node, node.parent
    return ".".join(reversed(names)) or "<module>"


def _in_annotation(leaf: Any) -> bool:
    """Whether ``leaf`` is inside a parameter, return or variable annotation."""
    node = leaf
    while node.parent is not None:
        parent = node.parent
        if parent.type == "tfpdef" and len(parent.children) > 2 and parent.children[2] is node:
            return True
        if parent.type in ("funcdef", "async_funcdef") and getattr(parent, "annotation", None) is node:
            return True
        if parent.type == "annassign" and parent.children[1] is node:
            return True
        node = parent
    return False


def _change(original: str, mutated: str) -> tuple[str, str, str]:
    """The lines the mutant removes and adds (stripped), and its unified diff."""
    old, new = original.splitlines(), mutated.splitlines()
    before: list[str] = []
    after: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag != "equal":
            before += [line.strip() for line in old[i1:i2] if line.strip()]
            after += [line.strip() for line in new[j1:j2] if line.strip()]
    diff = "\n".join(difflib.unified_diff(old, new, lineterm="", n=1))
    return "\n".join(before), "\n".join(after), diff


def _compiles(code: str, filename: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code, filename, "exec")
        except (SyntaxError, ValueError):
            return False
    return True


def build_population(root: Path, modules: Sequence[Path], session: Path | None = None) -> list[Mutant]:
    """Every mutant Cosmic Ray's core operators make in ``modules``, in a fixed order.

    The work items come from Cosmic Ray's own ``init`` (into ``session`` when given, a Cosmic Ray
    session file); each is then made with Cosmic Ray's ``mutate_code`` to know its change, and whether
    it is worth running.
    """
    _cosmic_ray()
    import parso
    from cosmic_ray.commands import init
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator
    from cosmic_ray.work_db import WorkDB, use_db

    if session is not None:
        session.parent.mkdir(parents=True, exist_ok=True)
        session.unlink(missing_ok=True)
        session_path = session
        scratch = None
    else:
        scratch = tempfile.TemporaryDirectory(prefix="leads-mutation-session-")
        session_path = Path(scratch.name) / "session.sqlite"
    try:
        with use_db(str(session_path), WorkDB.Mode.create) as db:
            init([root / module for module in modules], db, {})
            specs = [item.mutations[0] for item in db.work_items]
    finally:
        if scratch is not None:
            scratch.cleanup()

    sources = {Path(module).as_posix(): (root / module).read_text(encoding="utf-8") for module in modules}
    trees = {name: parso.parse(text) for name, text in sources.items()}
    futures = {
        name: bool(re.search(r"^from __future__ import annotations", text, re.M))
        for name, text in sources.items()
    }
    mutants: list[Mutant] = []
    for spec in sorted(specs, key=lambda s: (_relative(s.module_path, root), s.operator_name, s.occurrence)):
        name = _relative(spec.module_path, root)
        leaf = trees[name].get_leaf_for_position(tuple(spec.start_pos), include_prefixes=True)
        mutant = Mutant(
            file=name,
            operator=spec.operator_name,
            occurrence=spec.occurrence,
            line=spec.start_pos[0],
            col=spec.start_pos[1],
            function=_qualname(leaf),
        )
        if futures[name] and _in_annotation(leaf):
            mutant.skip = "annotation"
        try:
            operator = get_operator(spec.operator_name)(**(spec.operator_args or {}))
            mutated = mutate_code(sources[name], operator, spec.occurrence)
        except Exception:  # noqa: BLE001 - a mutant the tool cannot make is counted, not fatal
            mutated = None
        if mutated is None:
            mutant.skip = mutant.skip or "not made"
        else:
            mutant.before, mutant.after, mutant.diff = _change(sources[name], mutated)
            mutant.mutated_code = mutated
            if mutant.skip is None and not _compiles(mutated, name):
                mutant.skip = "does not compile"
        mutants.append(mutant)
    seen: Counter[str] = Counter()
    for mutant in sorted(mutants, key=lambda m: (m.file, m.line, m.col, m.operator, m.occurrence)):
        base = mutant.key
        mutant.nth = seen[base]
        seen[base] += 1
    return mutants


def _relative(path: str | Path, root: Path) -> str:
    """A work item's module as a posix path from the project root."""
    return Path(path).relative_to(root).as_posix()


def sample(mutants: Sequence[Mutant], size: int, seed: int) -> list[Mutant]:
    """A seeded sample of the runnable mutants: the same population and seed, the same sample."""
    runnable = [m for m in mutants if m.skip is None]
    order = list(range(len(runnable)))
    random.Random(seed).shuffle(order)
    return [runnable[i] for i in sorted(order[:size])]


# --------------------------------------------------------------------------- running one mutant


@dataclass
class Outcome:
    status: str  # killed | survived | crashed | timeout
    exit_code: int | None
    seconds: float
    verdict: str | None = None  # the run's verdict (pass, fail, incomplete), when it wrote a report
    failed: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)  # a warned requirement: its first message
    suite_errors: list[str] = field(default_factory=list)  # checks that broke against the mutant
    message: str = ""


def classify(exit_code: int | None, timed_out: bool) -> str:
    """A run's exit status as a mutant's status."""
    if timed_out:
        return "timeout"
    if exit_code == 0:
        return "survived"
    if exit_code == 1:
        return "killed"
    return "crashed"


class Runner:
    """Runs ``conformance run`` against the reference server built from a private copy of the package."""

    def __init__(
        self, root: Path, scratch: Path, suite_args: Sequence[str], timeout: float, keep: Path | None = None
    ):
        #: where a crashed run's console log and report folder are kept (None: nowhere)
        self.keep = keep
        self.root = root
        self.scratch = scratch
        self.suite_args = list(suite_args)
        self.timeout = timeout
        self.template = scratch / "pristine"
        self.cache = scratch / "cache"
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._count = 0

    def prepare(self) -> None:
        """A snapshot of the package, compiled, that every mutant's copy starts from."""
        shutil.copytree(
            self.root / PACKAGE,
            self.template / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(self.template / PACKAGE)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.cache.mkdir()

    def _folder(self) -> Path:
        with self._lock:
            self._count += 1
            folder = self.scratch / f"run-{self._count:04d}"
        folder.mkdir()
        return folder

    def _environment(self, folder: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
        env.update(
            PYTHONPATH=str(folder / "src"),
            XDG_CACHE_HOME=str(folder / "cache"),
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONHASHSEED="0",
        )
        return env

    def origin(self) -> str:
        """Where a run imports the reference server from (must be the private copy)."""
        folder = self._folder()
        shutil.copytree(self.template, folder / "src")
        done = subprocess.run(
            [sys.executable, "-c", f"import {PACKAGE}.reference.app as m; print(m.__file__)"],
            env=self._environment(folder),
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
        path = done.stdout.strip()
        return path if path.startswith(str(folder / "src")) else path or done.stderr.strip()[-300:]

    def run(self, mutant: Mutant | None, fill_cache: bool = False) -> Outcome:
        """One whole ``conformance run``: against the mutant, or the unmutated server when None."""
        folder = self._folder()
        try:
            shutil.copytree(self.template, folder / "src")
            if mutant is not None:
                assert mutant.mutated_code is not None
                target = folder / "src" / mutant.file
                target.write_text(mutant.mutated_code, encoding="utf-8")
                for stale in (target.parent / "__pycache__").glob(target.stem + ".*.pyc"):
                    stale.unlink()
            if fill_cache:
                (folder / "cache").symlink_to(self.cache, target_is_directory=True)
            else:
                shutil.copytree(self.cache, folder / "cache")
            (folder / "work").mkdir()
            outcome = self._execute(folder)
            if outcome.status == "crashed" and self.keep is not None:
                kept = self.keep / folder.name
                skipped = shutil.ignore_patterns("src", "cache")
                shutil.copytree(folder, kept, ignore=skipped, dirs_exist_ok=True)
                outcome.message = f"{outcome.message} (kept in {kept})"
            return outcome
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _execute(self, folder: Path) -> Outcome:
        report = folder / "report"
        command = [sys.executable, "-m", PACKAGE, "run", *self.suite_args, "--report-dir", str(report)]
        log = folder / "console.log"
        started = time.monotonic()
        timed_out = False
        with log.open("wb") as out:
            child = subprocess.Popen(
                command,
                cwd=folder / "work",
                env=self._environment(folder),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            with self._lock:
                self._live.add(child)
            try:
                child.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(child)
                child.wait()
            finally:
                with self._lock:
                    self._live.discard(child)
        seconds = time.monotonic() - started
        code = None if timed_out else child.returncode
        outcome = Outcome(classify(code, timed_out), code, round(seconds, 2))
        record = _record(report / "report.json")
        statuses = {r["id"]: r["status"] for r in record.get("requirements", [])}
        outcome.verdict = record.get("verdict")
        for status, names in (
            ("fail", outcome.failed),
            ("warn", outcome.warned),
            ("inconclusive", outcome.inconclusive),
            ("skip", outcome.skipped),
        ):
            names += sorted(i for i, s in statuses.items() if s == status)
        for requirement in record.get("requirements", []):
            if requirement["status"] == "warn" and requirement.get("failures"):
                outcome.warnings[requirement["id"]] = str(requirement["failures"][0].get("message", ""))[:300]
        outcome.suite_errors = [
            f"{e.get('test')}: {e.get('error')}"[:300] for e in record.get("suite_errors", [])
        ]
        if outcome.status in ("crashed", "timeout") or not statuses:
            lines = [ln.strip()[-300:] for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
            outcome.message = " / ".join(lines[-2:])
        return outcome

    def stop_all(self) -> None:
        with self._lock:
            live = list(self._live)
        for child in live:
            _kill_group(child)


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _record(path: Path) -> dict[str, Any]:
    """The run's report.json, or an empty record when it wrote none (or one that cannot be read)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(record, dict) and all(
            isinstance(r, dict) and "id" in r and "status" in r for r in record.get("requirements", [])
        ):
            return record
    except (OSError, ValueError):
        pass
    return {}


# --------------------------------------------------------------------------- triage


@dataclass
class Triage:
    entries: dict[str, dict[str, Any]]  # key -> entry (verdict, reason, ...)

    def verdict(self, key: str) -> str | None:
        entry = self.entries.get(key)
        return entry.get("verdict") or None if entry else None

    def reason(self, key: str) -> str:
        entry = self.entries.get(key)
        return str(entry.get("reason") or "") if entry else ""


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_triage(path: Path) -> Triage:
    """The triage file: ``survivors``, a list of entries naming a mutant with a verdict and a reason."""
    if not path.exists():
        return Triage({})
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except Exception as error:  # noqa: BLE001 - any parse error is bad input
        raise BadInput(f"{path}: not readable YAML ({type(error).__name__})") from None
    if data is None:
        return Triage({})
    if not isinstance(data, dict) or not isinstance(data.get("survivors", []), list):
        raise BadInput(f"{path}: expected a mapping with a 'survivors' list")
    entries: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(data.get("survivors") or [], 1):
        where = f"{path}: survivor {index}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where}: not a mapping")
        missing = [
            k
            for k in ("file", "function", "operator", "before", "after")
            if not isinstance(entry.get(k), str)
        ]
        if missing:
            raise BadInput(f"{where}: missing or not text: {', '.join(missing)}")
        verdict = entry.get("verdict") or None
        if verdict is not None and verdict not in VERDICTS:
            raise BadInput(f"{where}: verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        if verdict is not None and not str(entry.get("reason") or "").strip():
            raise BadInput(f"{where}: a {verdict} verdict needs a reason")
        nth = entry.get("nth", 0)
        if not isinstance(nth, int) or nth < 0:
            raise BadInput(f"{where}: nth must be a whole number")
        key = triage_key(
            entry["file"], entry["function"], entry["operator"], entry["before"], entry["after"], nth
        )
        if key in entries:
            raise BadInput(f"{where}: names the same mutant as an earlier entry")
        entries[key] = {**entry, "verdict": verdict}
    return Triage(entries)


def stub_untriaged(path: Path, survivors: Iterable[Mutant]) -> int:
    """Append an entry without a verdict for each survivor the file does not name; the number added."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    yaml = _yaml()
    data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None:
        data = CommentedMap()
    if data.get("survivors") is None:
        data["survivors"] = CommentedSeq()
    known = read_triage(path).entries if path.exists() else {}
    added = 0
    for mutant in survivors:
        if mutant.key in known:
            continue
        entry = CommentedMap()
        entry["file"] = mutant.file
        entry["function"] = mutant.function
        entry["operator"] = mutant.operator
        for name in ("before", "after"):
            text = getattr(mutant, name)
            entry[name] = LiteralScalarString(text) if "\n" in text else text
        if mutant.nth:
            entry["nth"] = mutant.nth
        entry["verdict"] = None
        entry["reason"] = None
        data["survivors"].append(entry)
        added += 1
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)
    return added


# --------------------------------------------------------------------------- the report


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (a sample's kill rate)."""
    if total == 0:
        return (0.0, 0.0)
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def summarise(results: Sequence[tuple[Mutant, Outcome]], triage: Triage) -> dict[str, Any]:
    """The figures of a run: counts, both kill rates, and the survivors with their verdicts."""
    counts = Counter(outcome.status for _, outcome in results)
    run = len(results)
    killed = sum(counts[s] for s in KILLED_STATUSES)
    survivors = [m for m, o in results if o.status == "survived"]
    equivalent = [m for m in survivors if triage.verdict(m.key) == "equivalent"]
    gaps = [m for m in survivors if triage.verdict(m.key) == "gap"]
    untriaged = [m for m in survivors if triage.verdict(m.key) is None]
    low, high = wilson(killed, run)
    return {
        "run": run,
        "killed": counts["killed"],
        "survived": counts["survived"],
        "crashed": counts["crashed"],
        "timeout": counts["timeout"],
        "killed_in_all": killed,
        "kill_rate": killed / run if run else None,
        "kill_rate_95": [low, high],
        "survived_with_warning": sum(1 for _, o in results if o.status == "survived" and o.warned),
        "equivalent": len(equivalent),
        "gap": len(gaps),
        "untriaged": len(untriaged),
        "non_equivalent_kill_rate": killed / (run - len(equivalent)) if run - len(equivalent) else None,
    }


def _table(rows: Iterable[tuple[str, Counter[str]]], title: str) -> list[str]:
    lines = [f"  {title:<44} {'run':>5} {'killed':>7} {'survived':>9} {'rate':>7}"]
    for name, c in rows:
        total = sum(c.values())
        dead = sum(c[s] for s in KILLED_STATUSES)
        lines.append(f"  {name:<44} {total:>5} {dead:>7} {c['survived']:>9} {_pct(dead, total):>7}")
    return lines


def report_lines(
    results: Sequence[tuple[Mutant, Outcome]], triage: Triage, summary: dict[str, Any]
) -> list[str]:
    """The console report after the mutants ran."""
    s = summary
    out = [
        f"mutants run:      {s['run']}",
        f"killed:           {s['killed_in_all']} ({s['killed']} failed a requirement, "
        f"{s['crashed']} crashed, {s['timeout']} timed out)",
        f"survived:         {s['survived']} ({s['equivalent']} equivalent, {s['gap']} gap, "
        f"{s['untriaged']} untriaged; {s['survived_with_warning']} of them warned a SHOULD requirement)",
        f"kill rate:        {_pct(s['killed_in_all'], s['run'])} "
        f"(95% interval {100 * s['kill_rate_95'][0]:.1f}% to {100 * s['kill_rate_95'][1]:.1f}%)",
        f"kill rate over non-equivalent mutants: "
        f"{_pct(s['killed_in_all'], s['run'] - s['equivalent'])} "
        f"({s['killed_in_all']} of {s['run'] - s['equivalent']})",
        "",
    ]
    by_file: dict[str, Counter[str]] = defaultdict(Counter)
    by_family: dict[str, Counter[str]] = defaultdict(Counter)
    for mutant, outcome in results:
        by_file[mutant.file.rsplit("/", 1)[-1]][outcome.status] += 1
        by_family[mutant.family][outcome.status] += 1
    out += _table(sorted(by_file.items()), "by file")
    out.append("")
    out += _table(sorted(by_family.items()), "by operator")
    survivors = [(m, o) for m, o in results if o.status == "survived"]
    if survivors:
        out += ["", "survivors by file (verdict: equivalent / GAP / untriaged):"]
        for file in sorted({m.file for m, _ in survivors}):
            out.append(f"  {file}")
            for mutant, outcome in sorted(
                (x for x in survivors if x[0].file == file), key=lambda x: x[0].line
            ):
                verdict = triage.verdict(mutant.key)
                mark = {"equivalent": "equivalent", "gap": "GAP"}.get(verdict or "", "untriaged")
                change = f"{_one_line(mutant.before)} -> {_one_line(mutant.after)}"
                out.append(
                    f"    {mark:<10} :{mutant.line:<4} {mutant.function:<28} {mutant.operator.split('/')[-1]}"
                )
                out.append(f"               {change}")
                if outcome.warned:
                    out.append(f"               (warned {', '.join(outcome.warned)})")
                if outcome.verdict not in (None, "pass"):
                    out.append(
                        f"               (verdict {outcome.verdict}; "
                        f"skipped {', '.join(outcome.skipped) or 'none'})"
                    )
        out += ["", "survivors by operator:"]
        families = Counter(m.family for m, _ in survivors)
        for family, count in families.most_common():
            verdicts = Counter(
                triage.verdict(m.key) or "untriaged" for m, _ in survivors if m.family == family
            )
            detail = ", ".join(f"{n} {v}" for v, n in sorted(verdicts.items()))
            out.append(f"  {family:<44} {count:>4}  ({detail})")
    dead_odd = [(m, o) for m, o in results if o.status in ("crashed", "timeout")]
    if dead_odd:
        out += ["", "crashed or timed out (counted as killed):"]
        for mutant, outcome in dead_odd:
            out.append(
                f"  {outcome.status:<8} {mutant.file}:{mutant.line} {mutant.operator.split('/')[-1]}: "
                f"{_one_line(mutant.before)} -> {_one_line(mutant.after)}"
            )
            for line in ([f"suite error in {e}" for e in outcome.suite_errors] or [outcome.message])[:3]:
                if line:
                    out.append(f"           {line[:200]}")
    return out


def _one_line(text: str, limit: int = 90) -> str:
    flat = " \u23ce ".join(text.splitlines()) if text else "(removed)"
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def compare_lines(previous: dict[str, Any], results: Sequence[tuple[Mutant, Outcome]]) -> list[str]:
    """What changed since an earlier results file, for the mutants both runs ran."""
    before = {m["key"]: m["status"] for m in previous.get("mutants", [])}
    common = [(m, o) for m, o in results if m.key in before]
    newly_killed = [m for m, o in common if before[m.key] == "survived" and o.status != "survived"]
    newly_survived = [m for m, o in common if before[m.key] != "survived" and o.status == "survived"]
    moved = [
        m for m, o in common if before[m.key] != o.status and "survived" not in (before[m.key], o.status)
    ]
    lines = [
        f"compared with {previous.get('started_at', 'an earlier run')}: {len(common)} mutants in both runs, "
        f"{len(newly_killed)} newly killed, {len(newly_survived)} newly surviving, "
        f"{len(moved)} moved between killed, crashed and timeout"
    ]
    for label, group in (("newly killed", newly_killed), ("newly surviving", newly_survived)):
        for mutant in group:
            lines.append(
                f"  {label}: {mutant.file}:{mutant.line} {mutant.operator.split('/')[-1]} "
                f"{_one_line(mutant.before)} -> {_one_line(mutant.after)}"
            )
    return lines


def results_json(
    meta: dict[str, Any], results: Sequence[tuple[Mutant, Outcome]], triage: Triage, summary: dict[str, Any]
) -> dict[str, Any]:
    mutants = []
    for mutant, outcome in results:
        row = {
            "id": mutant.id,
            "key": mutant.key,
            "file": mutant.file,
            "line": mutant.line,
            "function": mutant.function,
            "operator": mutant.operator,
            "before": mutant.before,
            "after": mutant.after,
            "nth": mutant.nth,
            **asdict(outcome),
        }
        if outcome.status == "survived":
            row["verdict"] = triage.verdict(mutant.key)
        mutants.append(row)
    return {"format_version": 1, **meta, "summary": summary, "mutants": mutants}


def record_in_session(session: Path, results: Sequence[tuple[Mutant, Outcome]]) -> None:
    """Each mutant's result in Cosmic Ray's session, so its own tools (``cr-report``) read the run."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

    with use_db(str(session), WorkDB.Mode.open) as db:
        jobs = {}
        for item in db.work_items:
            spec = item.mutations[0]
            jobs[(_relative(spec.module_path, ROOT), spec.operator_name, spec.occurrence)] = item.job_id
        for mutant, outcome in results:
            job = jobs.get((mutant.file, mutant.operator, mutant.occurrence))
            if job is None:
                continue
            db.set_result(
                job,
                WorkResult(
                    worker_outcome=WorkerOutcome.NORMAL,
                    test_outcome=TestOutcome.SURVIVED if outcome.status == "survived" else TestOutcome.KILLED,
                    output=f"{outcome.status} (exit {outcome.exit_code}) "
                    f"{' '.join(outcome.failed)} {outcome.message}",
                    diff=mutant.diff,
                ),
            )


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
    parser.add_argument(
        "--sample",
        type=_positive(int),
        default=250,
        metavar="N",
        help="mutants to run, a seeded sample of the runnable ones (default 250)",
    )
    parser.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    parser.add_argument(
        "--jobs", type=_positive(int), default=2, metavar="J", help="mutants run at a time (default 2)"
    )
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=180.0,
        metavar="S",
        help="seconds one mutant's run may take (default 180)",
    )
    parser.add_argument(
        "--suite-args",
        default=DEFAULT_SUITE_ARGS,
        metavar="ARGS",
        help=f"options for each conformance run (default {DEFAULT_SUITE_ARGS!r}, "
        f"and --run-id {RUN_ID} unless named)",
    )
    parser.add_argument(
        "--triage",
        type=Path,
        default=DEFAULT_TRIAGE,
        metavar="FILE",
        help="the survivors' verdicts (default benchmarks/mutation_triage.yaml)",
    )
    parser.add_argument(
        "--stub-untriaged",
        action="store_true",
        help="append an entry without a verdict to the triage file for each untriaged survivor",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_OUT / "results.json",
        metavar="FILE",
        help="where the per-mutant results go (default mutants/results.json)",
    )
    parser.add_argument(
        "--session",
        type=Path,
        default=DEFAULT_OUT / "session.sqlite",
        metavar="FILE",
        help="Cosmic Ray's session file (default mutants/session.sqlite)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="FILE",
        help="an earlier results file: print the mutants whose status changed",
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
                f"{_one_line(mutant.before, 50)} -> {_one_line(mutant.after, 50)}"
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
