"""The ``conformance`` command: parse options, run, report, exit.

Exit status: 0 every MUST requirement passed (and under --strict every SHOULD), 1 a requirement
failed, 2 bad usage or a target that could not be reached or authenticated at all.
Errors are one line on stderr; never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from conformance import __version__
from conformance.contract.catalog import load_catalog
from conformance.drift.cli import drift_command
from conformance.http.network import parse_header
from conformance.http.redaction import Redactor, short_secret_warning
from conformance.matrix import matrix_command
from conformance.outcomes import ConformanceError
from conformance.run import console
from conformance.run.context import RunContext
from conformance.run.github import github_actions
from conformance.run.options import RunOptions, click_options
from conformance.run.progress import own_stderr, progress_for
from conformance.run.record import default_report_dir
from conformance.run.runner import EXIT_USAGE, plan, run, validate

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)

def _fail(message: str) -> None:
    err.print(f"conformance: error: {message}", markup=False, soft_wrap=True)
    sys.exit(EXIT_USAGE)


@dataclass
class _Invocation:
    """What the last-resort handler knows of the command being run: its report folder, the options'
    secrets, and the run (whose target may hold more)."""

    report_dir: Path | None = None
    secrets: list[str] = field(default_factory=list)
    context: RunContext | None = None

    def follow(self, context: RunContext) -> None:
        self.context = context

    def all_secrets(self) -> list[str]:
        return [*self.secrets, *(self.context.secrets if self.context is not None else [])]


def _crash(exc: BaseException, invocation: _Invocation) -> None:
    """A fault of the suite: one line on stderr, the traceback (credentials masked) in a log file."""
    redactor = Redactor(invocation.all_secrets())
    text = redactor.text("".join(traceback.format_exception(exc)))
    where = _write_crash_log(text, invocation.report_dir)
    first = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, OSError):
        named = f" on {exc.filename}" if exc.filename else ""
        said = f"file system error{named}: {exc.strerror or first}"
    else:
        said = f"internal error: {type(exc).__name__}: {first}"
    suffix = f" (the traceback is in {where})" if where else ""
    _fail(redactor.text(said[:300]) + suffix)


def _write_crash_log(text: str, folder: Path | None) -> Path | None:
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / "conformance-error.log"
            path.write_text(text, encoding="utf-8", errors="backslashreplace")
            return path
        except OSError:
            pass
    try:
        handle, name = tempfile.mkstemp(prefix="conformance-error-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace") as log:
            log.write(text)
        return Path(name)
    except OSError:
        return None


class _Commands(click.Group):
    """The commands; a ConformanceError any of them raises is one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConformanceError as exc:
            _fail(str(exc))


@click.group(
    cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="conformance")
def cli() -> None:
    """Certify a server as a faithful implementation of Merge's CRM Leads API."""


@cli.command("run")
@click_options
def run_command(**kwargs: Any) -> None:
    """Certify a target and write the report folder.

    Results (the verdict, each problem with its reason and anchor in report.html) go to stdout;
    progress and diagnostics to stderr. Exit status: 0 the gate passed, 1 it failed, 2 bad usage or
    a target that cannot be tested, 130 (Ctrl-C) or 143 (SIGTERM) when interrupted.
    """
    options = RunOptions(**kwargs)
    validate(options)
    if options.list_checks:
        _list(options)
        return
    for option, secret in (
        ("--token", options.token),
        ("--account-token", options.account_token),
        ("--second-account-token", options.second_account_token),
        *((f"--secret-header {name}", value) for name, value in map(parse_header, options.secret_header)),
    ):
        warning = short_secret_warning(option, secret or "")
        if warning:
            err.print(f"conformance: warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    options.report_dir = options.report_dir or default_report_dir()
    invocation: _Invocation = click.get_current_context().find_root().obj
    invocation.report_dir, invocation.secrets = options.report_dir, options.secrets()
    where = options.base_url or "the bundled reference server"
    handle = own_stderr()
    stream = Console(file=handle, highlight=False)
    stream.print(f"leads-conformance {__version__} certifying {where}", markup=False, highlight=False)
    try:
        result = run(options, progress=progress_for(stream), on_context=invocation.follow)
    finally:
        if handle is not sys.stderr:
            handle.close()
    for note in result.report.get("notes", []):
        err.print(f"note: {note}", highlight=False, markup=False)
    if "log" in result.paths:
        err.print(f"suite error: the traceback is in {result.paths['log']}", highlight=False, markup=False)
    console.print_results(result.report, result.paths, out)
    github_actions(result.report, result.paths, out)
    if not options.base_url:
        sys.stdout.flush()
        for line in console.OWN_SERVER_HINT:
            err.print(line, highlight=False, markup=False)
    sys.exit(result.exit_code)


def _list(options: RunOptions) -> None:
    """``conformance run --list``: what would run and what would be skipped, and why; nothing sent."""
    planned, deselected = plan(options)
    console.print_plan(planned, deselected, load_catalog(), out, options.selection())


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one)."
)
@click.option("--api-key", default=None, help="The API key it accepts (default: reference-api-key).")
@click.option(
    "--account-token",
    "account_tokens",
    multiple=True,
    help="An account token it accepts; repeat for more accounts (default: two).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the data in this SQLite file (default: in memory).",
)
def serve_command(
    host: str, port: int, api_key: str | None, account_tokens: tuple[str, ...], db: Path | None
) -> None:
    """Serve the reference Leads server."""
    from conformance.reference import ReferenceConfig, serve_forever

    overrides: dict[str, Any] = {}
    if api_key:
        overrides["api_key"] = api_key
    if account_tokens:
        overrides["account_tokens"] = tuple(account_tokens)
    if db is not None:
        if db.parent and not db.parent.exists():
            _fail(f"--db: the folder {db.parent} does not exist")
        overrides["db_path"] = str(db)
    try:
        serve_forever(ReferenceConfig(**overrides), host=host, port=port)
    except OSError as exc:
        _fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


@cli.command("requirements")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
def requirements_command(fmt: str) -> None:
    """Print the requirement catalog."""
    catalog = load_catalog()
    rows = [
        {"id": r.id, "level": r.level, "area": r.area, "title": r.title, "source": r.source} for r in catalog
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        table = Table(title=f"Leads requirements ({len(rows)})", show_lines=False)
        for column in ("id", "level", "title"):
            table.add_column(column, no_wrap=column == "id")
        for row in rows:
            table.add_row(row["id"], row["level"], row["title"])
        out.print(table)


@cli.command("verify")
@click.argument("report_dir", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="CONFORMANCE_PUBLIC_KEY",
    help="Ed25519 public key (PEM) the record must be signed with.",
)
def verify_command(report_dir: Path, public_key: Path | None) -> None:
    """Check a report folder against its attestation.json: exit 0 intact, 1 not."""
    from conformance.reporting.verify import describe, verify_folder

    result = verify_folder(report_dir, public_key)
    for problem in result.problems:
        click.echo(problem)
    click.echo(describe(report_dir, result))
    sys.exit(0 if result.ok else 1)


cli.add_command(matrix_command)
cli.add_command(drift_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point: click without its multi-line usage errors or tracebacks."""
    invocation = _Invocation()
    try:
        cli.main(args=argv, prog_name="conformance", standalone_mode=False, obj=invocation)
    except click.exceptions.Abort:
        _fail("aborted")
    except click.UsageError as exc:
        ctx = exc.ctx
        command = f"conformance {ctx.info_name}" if ctx and ctx.info_name != "conformance" else "conformance"
        _fail(f"{exc.format_message()} (see '{command} --help')")
    except click.ClickException as exc:
        _fail(exc.format_message())
    except KeyboardInterrupt:
        err.print("conformance: interrupted")
        sys.exit(130)
    except Exception as exc:  # the last resort: never a traceback on the console
        _crash(exc, invocation)


if __name__ == "__main__":
    main()
