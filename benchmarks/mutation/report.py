"""The figures: kill rates with their intervals, the tables, the comparison, results.json."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mutation.common import KILLED_STATUSES, ROOT
from mutation.population import Mutant, relative
from mutation.running import Outcome
from mutation.triage import Triage

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
                change = f"{one_line(mutant.before)} -> {one_line(mutant.after)}"
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
                f"{one_line(mutant.before)} -> {one_line(mutant.after)}"
            )
            for line in ([f"suite error in {e}" for e in outcome.suite_errors] or [outcome.message])[:3]:
                if line:
                    out.append(f"           {line[:200]}")
    return out


def one_line(text: str, limit: int = 90) -> str:
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
                f"{one_line(mutant.before)} -> {one_line(mutant.after)}"
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
            jobs[(relative(spec.module_path, ROOT), spec.operator_name, spec.occurrence)] = item.job_id
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


