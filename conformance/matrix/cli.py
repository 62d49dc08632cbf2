"""The ``conformance matrix`` command: run the targets of a TOML file, or merge report folders."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from conformance.matrix.build import build_matrix, errored_target, load_previous, load_target, trend_of
from conformance.matrix.html import render_matrix
from conformance.matrix.runs import RunRecord, job_for, run_jobs
from conformance.matrix.targets import load_targets
from conformance.outcomes import ConformanceError

__all__ = ["default_matrix_dir", "matrix_command"]

DEFAULT_JOBS = 2


def default_matrix_dir() -> Path:
    """``reports/matrix-<timestamp>/``, with a suffix when that folder exists."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path("reports") / f"matrix-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path("reports") / f"matrix-{stamp}-{suffix}"
    return folder


def _say(message: str) -> None:
    click.echo(f"matrix: {message}", err=True)


def _prepare(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise click.UsageError(f"--report-dir: cannot write to {folder}: {exc.strerror or exc}") from None
    return folder


def _link(report_dir: Path, folder: Path) -> str:
    """The href of a folder's report.html from matrix.html."""
    return Path(os.path.relpath(folder.resolve() / "report.html", report_dir.resolve())).as_posix()


@click.command("matrix")
@click.argument(
    "paths", nargs=-1, metavar="TARGETS_FILE | --merge REPORT_DIR...", type=click.Path(path_type=Path)
)
@click.option(
    "--merge",
    is_flag=True,
    help="Build the matrix from report folders made elsewhere (each verified first), named by their folders.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help=f"Targets certified at a time (default {DEFAULT_JOBS}).",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where matrix.json, matrix.html (and each target's report folder) go. "
    "Default: reports/matrix-<timestamp>/.",
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An earlier matrix.json: cells that changed since it are marked (newly failing, newly passing).",
)
def matrix_command(
    paths: tuple[Path, ...], merge: bool, jobs: int | None, report_dir: Path | None, previous: Path | None
) -> None:
    """Certify several targets side by side, or join their report folders: requirement x target.

    Exit 0 when every target's gate passed, 1 otherwise, 2 on bad usage.
    """
    try:
        earlier = load_previous(previous) if previous is not None else None
        if merge:
            if not paths:
                raise click.UsageError("--merge needs at least one REPORT_DIR")
            if jobs is not None:
                raise click.UsageError("--jobs applies to a TARGETS_FILE run, not to --merge")
            folder = report_dir or default_matrix_dir()
            matrix = _merge(paths, folder)
        else:
            if len(paths) != 1:
                raise click.UsageError(
                    "give one TARGETS_FILE (or --merge REPORT_DIR...)"
                    if not paths
                    else f"give one TARGETS_FILE, not {len(paths)} (to join report folders, use --merge)"
                )
            matrix, folder = _run(paths[0], jobs or DEFAULT_JOBS, report_dir)
    except ConformanceError as exc:
        raise click.UsageError(str(exc)) from None
    if earlier is not None and previous is not None:
        matrix["trend"] = trend_of(matrix, earlier, previous)
    _write(matrix, folder)
    sys.exit(0 if matrix["gate"] == "pass" else 1)


def _run(targets_file: Path, jobs: int, report_dir: Path | None) -> tuple[dict[str, Any], Path]:
    specs = load_targets(targets_file)
    folder = _prepare(report_dir or default_matrix_dir())
    work = [job_for(spec, folder) for spec in specs]
    for job in work:
        # a record left by an earlier matrix into the same folder must not stand for this run
        (job.folder / "attestation.json").unlink(missing_ok=True)
    _say(f"certifying {len(work)} target{'s' if len(work) != 1 else ''}, {jobs} at a time, into {folder}")

    def done(record: RunRecord) -> None:
        said = record.error or f"exit {record.exit_code}"
        _say(f"{record.name}: finished in {record.seconds:g} s ({said})")

    records = run_jobs(work, jobs, on_done=done)
    loaded: list[tuple[dict[str, Any], dict[str, str] | None]] = []
    for job in work:
        record = records[job.name]
        finished = (job.folder / "attestation.json").is_file()
        if record.timed_out or not finished or record.exit_code not in (0, 1, 2):
            loaded.append((errored_target(job.name, record.error or "the run wrote no report folder"), None))
            continue
        entry, cells = load_target(job.folder, job.name)
        if record.exit_code == 2 and entry["passed"]:
            entry.update(state="error", passed=False, reason=record.error)
        loaded.append((entry, cells))
    source = {
        "mode": "run",
        "targets_file": str(targets_file),
        "folders": {job.name: str(job.folder) for job in work},
        "reports": {job.name: _link(folder, job.folder) for job in work},
        "runs": {
            name: {
                "exit_code": record.exit_code,
                "seconds": record.seconds,
                "timed_out": record.timed_out,
                "error": record.error,
                "log": Path(os.path.relpath(record.log, folder.resolve())).as_posix(),
            }
            for name, record in records.items()
        },
    }
    return build_matrix(loaded, source), folder


def _merge(paths: tuple[Path, ...], report_dir: Path) -> dict[str, Any]:
    names: dict[str, Path] = {}
    for path in paths:
        name = path.resolve().name
        if name in names:
            raise click.UsageError(f"--merge: {names[name]} and {path} have the same name {name!r}")
        names[name] = path
    loaded = []
    for name, path in names.items():
        try:
            loaded.append(load_target(path, name))
        except ConformanceError as exc:
            raise click.UsageError(f"--merge: {exc}") from None
    folder = _prepare(report_dir)
    source = {
        "mode": "merge",
        "folders": {name: str(path) for name, path in names.items()},
        "reports": {name: _link(folder, path) for name, path in names.items()},
    }
    return build_matrix(loaded, source)


def _write(matrix: dict[str, Any], folder: Path) -> None:
    for target in matrix["targets"]:
        if target["state"] == "not verified":
            where = matrix["source"]["folders"].get(target["name"], "")
            _say(f"{target['name']}: NOT VERIFIED ({where}): {target['reason']}")
        elif target["state"] == "error" or target.get("verdict") is None:
            _say(f"{target['name']}: ERROR: {target['reason']}")
        else:
            _say(
                f"{target['name']}: verdict {target['verdict']}, gate {target['gate']}"
                + (f" ({target['reason']})" if target.get("reason") else "")
            )
    trend = matrix.get("trend")
    if trend:
        said = ", ".join(f"{n} {kind}" for kind, n in trend["counts"].items())
        for key, what in (("targets_added", "new"), ("targets_gone", "gone")):
            if trend[key]:
                said += f"; {what}: {', '.join(trend[key])}"
        _say(f"since the previous matrix: {said}")
    try:
        (folder / "matrix.json").write_text(
            json.dumps(matrix, indent=2, ensure_ascii=False) + "\n", "utf-8", "backslashreplace"
        )
        (folder / "matrix.html").write_text(render_matrix(matrix), "utf-8", "backslashreplace")
    except OSError as exc:
        raise click.ClickException(f"cannot write the matrix into {folder}: {exc.strerror or exc}") from None
    passed = sum(1 for t in matrix["targets"] if t["passed"])
    _say(
        f"GATE {matrix['gate'].upper()}: {passed} of {len(matrix['targets'])} targets passed their gate; "
        f"{folder / 'matrix.html'}  {folder / 'matrix.json'}"
    )
