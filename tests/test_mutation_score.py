"""The mutation benchmark's parts: its sample, its verdicts, its triage file, its figures, its errors,
and one mutant run for real (killed) beside the unmutated server (survives)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests._runs import ROOT

_SPEC = importlib.util.spec_from_file_location("mutation_score", ROOT / "benchmarks" / "mutation_score.py")
assert _SPEC is not None and _SPEC.loader is not None
mutation_score = importlib.util.module_from_spec(_SPEC)
sys.modules["mutation_score"] = mutation_score
_SPEC.loader.exec_module(mutation_score)

Mutant = mutation_score.Mutant
Outcome = mutation_score.Outcome
CONFIG = Path("conformance/reference/config.py")
TIMESTAMPS = Path("conformance/reference/timestamps.py")


def _mutant(index: int, skip: str | None = None, **changes: object) -> object:
    fields = {
        "file": "conformance/reference/x.py",
        "operator": "core/NumberReplacer",
        "occurrence": index,
        "line": index + 1,
        "col": 0,
        "function": "f",
        "before": f"a = {index}",
        "after": f"a = {index + 1}",
        "skip": skip,
    }
    fields.update(changes)
    return Mutant(**fields)


def test_the_same_seed_draws_the_same_sample_and_never_a_skipped_mutant():
    population = [_mutant(i, skip="annotation" if i % 5 == 0 else None) for i in range(100)]
    first = mutation_score.sample(population, 20, seed=3)
    assert [m.occurrence for m in first] == [
        m.occurrence for m in mutation_score.sample(population, 20, seed=3)
    ]
    assert [m.occurrence for m in first] != [
        m.occurrence for m in mutation_score.sample(population, 20, seed=4)
    ]
    assert len(first) == 20 and all(m.skip is None for m in first)
    assert len(mutation_score.sample(population, 500, seed=3)) == 80  # every runnable one, no more


@pytest.mark.parametrize(
    ("code", "timed_out", "status"),
    [
        (0, False, "survived"),
        (1, False, "killed"),
        (2, False, "crashed"),
        (-9, False, "crashed"),
        (None, True, "timeout"),
    ],
)
def test_an_exit_status_is_a_mutant_status(code, timed_out, status):
    assert mutation_score.classify(code, timed_out) == status


def _triage_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "triage.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ENTRY = """survivors:
  - file: conformance/reference/x.py
    function: f
    operator: core/NumberReplacer
    before: a = 1
    after: a = 2
    verdict: {verdict}
    reason: {reason}
"""


def test_a_triage_entry_names_its_mutant_by_what_it_changes_not_by_its_line(tmp_path):
    triage = mutation_score.read_triage(_triage_file(tmp_path, ENTRY.format(verdict="gap", reason="x")))
    assert triage.verdict(_mutant(1).key) == "gap"
    assert triage.verdict(_mutant(1, line=400).key) == "gap"  # moved: still the same mutant
    assert triage.verdict(_mutant(1, nth=1).key) is None  # the same change a second time in f
    assert triage.verdict(_mutant(2).key) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ENTRY.format(verdict="maybe", reason="x"), "verdict must be one of equivalent, gap"),
        (ENTRY.format(verdict="equivalent", reason="''"), "needs a reason"),
        (
            ENTRY.format(verdict="gap", reason="x")
            + ENTRY.format(verdict="gap", reason="y").split("\n", 1)[1],
            "names the same mutant",
        ),
        ("survivors: [{file: x}]\n", "missing or not text"),
        ("- a\n- b\n", "a 'survivors' list"),
        ("survivors: [\n", "not readable YAML"),
    ],
)
def test_a_malformed_triage_file_is_refused_with_the_entry_named(tmp_path, body, message):
    with pytest.raises(mutation_score.BadInput, match=message):
        mutation_score.read_triage(_triage_file(tmp_path, body))


def test_an_entry_without_a_verdict_leaves_its_survivor_untriaged(tmp_path):
    path = tmp_path / "triage.yaml"
    assert mutation_score.stub_untriaged(path, [_mutant(1), _mutant(2, before="x\ny")]) == 2
    triage = mutation_score.read_triage(path)
    assert triage.verdict(_mutant(1).key) is None and _mutant(1).key in triage.entries
    assert mutation_score.stub_untriaged(path, [_mutant(1)]) == 0  # named already


def test_equivalent_survivors_leave_the_denominator_of_the_second_kill_rate(tmp_path):
    triage = mutation_score.read_triage(
        _triage_file(tmp_path, ENTRY.format(verdict="equivalent", reason="x"))
    )
    results = [
        (_mutant(0), Outcome("killed", 1, 1.0)),
        (_mutant(1), Outcome("survived", 0, 1.0)),  # equivalent
        (_mutant(2), Outcome("survived", 0, 1.0)),  # untriaged
        (_mutant(3), Outcome("timeout", None, 9.0)),
        (_mutant(4), Outcome("crashed", 2, 1.0)),
    ]
    summary = mutation_score.summarise(results, triage)
    assert (summary["killed_in_all"], summary["survived"], summary["equivalent"], summary["untriaged"]) == (
        3,
        2,
        1,
        1,
    )
    assert summary["kill_rate"] == pytest.approx(3 / 5)
    assert summary["non_equivalent_kill_rate"] == pytest.approx(3 / 4)
    text = "\n".join(mutation_score.report_lines(results, triage, summary))
    assert "kill rate over non-equivalent mutants: 75.0% (3 of 4)" in text
    assert "1 crashed, 1 timed out" in text and "untriaged" in text


def test_a_comparison_names_the_mutants_whose_fate_changed():
    previous = {
        "started_at": "then",
        "mutants": [
            {"key": _mutant(0).key, "status": "survived"},
            {"key": _mutant(1).key, "status": "killed"},
            {"key": _mutant(2).key, "status": "killed"},
        ],
    }
    results = [
        (_mutant(0), Outcome("killed", 1, 1.0)),
        (_mutant(1), Outcome("crashed", 2, 1.0)),
        (_mutant(2), Outcome("survived", 0, 1.0)),
        (_mutant(3), Outcome("survived", 0, 1.0)),  # not in the earlier run
    ]
    lines = mutation_score.compare_lines(previous, results)
    assert lines[0] == (
        "compared with then: 3 mutants in both runs, 1 newly killed, 1 newly surviving, "
        "1 moved between killed, crashed and timeout"
    )
    assert [line.split(":")[0].strip() for line in lines[1:]] == ["newly killed", "newly surviving"]
    assert "a = 0" in lines[1] and "a = 2" in lines[2]


def test_the_committed_triage_file_gives_every_entry_a_verdict_and_a_reason():
    triage = mutation_score.read_triage(mutation_score.DEFAULT_TRIAGE)
    assert triage.entries, "the triage file names no survivor"
    assert all(entry["verdict"] in ("equivalent", "gap") for entry in triage.entries.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", "0"], "must be above 0"),
        (["--jobs", "two"], "not a number"),
        (["--suite-args", "--base-url http://x"], "--base-url is set by the script"),
        (["--suite-args", "'unbalanced"], "--suite-args"),
        (["--compare", "/nonexistent/results.json"], "not a results file"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(args, message):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "mutation_score.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stdout == ""


def test_a_mutant_is_run_isolated_and_killed_while_the_unmutated_server_passes(tmp_path):
    pytest.importorskip("cosmic_ray")
    population = mutation_score.build_population(ROOT, [CONFIG, TIMESTAMPS])
    by_change = {(m.before, m.after): m for m in population}
    annotations = [m for m in population if m.skip == "annotation"]
    assert annotations and all(m.before.startswith("def ") and "| None" in m.before for m in annotations)
    undecorated = by_change[("@dataclass(frozen=True)", "")]
    assert undecorated.function == "ReferenceConfig" and undecorated.operator == "core/RemoveDecorator"
    mutant = by_change[("max_page_size: int | None = 100", "max_page_size: int | None = 101")]
    assert mutant.skip is None and mutant.function == "ReferenceConfig"
    assert mutant.key == (
        "conformance/reference/config.py::ReferenceConfig::core/NumberReplacer::"
        "max_page_size: int | None = 100 => max_page_size: int | None = 101"
    )

    args = mutation_score.suite_arguments("--max-examples 1 -k test_page_size_bounds_every_page")
    runner = mutation_score.Runner(ROOT, tmp_path, args, timeout=120)
    runner.prepare()
    assert runner.origin().startswith(str(tmp_path))
    unmutated = runner.run(None, fill_cache=True)
    assert unmutated.status == "survived", unmutated
    killed = runner.run(mutant)
    assert killed.status == "killed" and killed.failed == ["LEADS-PAGE-002"], killed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "pristine"]  # each run's folder is gone
    assert "101" not in (ROOT / CONFIG).read_text()  # the project's own file is never touched
