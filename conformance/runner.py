"""One certification run: target -> preflight -> pytest with the plugin -> verdicts -> reports.

The CLI is a thin layer over ``run``; tests and other programs may call it directly.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import pytest

from conformance import __version__
from conformance._cache import cache_folder
from conformance._outcomes import (
    CredentialsRejected,
    Inconclusive,
    TargetError,
    TargetUnreachable,
    UsageError,
)
from conformance._results import OutcomeCollector, TestOutcome
from conformance.evidence import EvidenceLog
from conformance.options import DEFAULT_MAX_EXAMPLES, DEFAULT_SEED, PROFILES
from conformance.plugin import install_collector, install_target
from conformance.reporting import RunInfo, build_report, roll_up, write_reports
from conformance.reporting.attestation import write_attestation
from conformance.reporting.baseline import load_baseline
from conformance.reporting.checks_html import check_records
from conformance.spec import catalog_path, fragment_sha256, load_catalog
from conformance.target import Target, json_or_none, new_run_id

__all__ = ["RunOptions", "RunResult", "TargetNotTestable", "run"]

SUITE_DIR = Path(__file__).resolve().parent / "suite"
EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


@dataclass
class RunOptions:
    """Everything ``conformance run`` takes."""

    base_url: str | None = None
    token: str | None = None
    account_token: str | None = None
    second_account_token: str | None = None
    profile: str = "full"
    max_examples: int = DEFAULT_MAX_EXAMPLES
    seed: int = DEFAULT_SEED
    strict: bool = False
    report_dir: Path | None = None
    insecure: bool = False
    timeout: float = 20.0
    max_duration: float = 3600.0
    select: str | None = None
    run_id: str | None = None
    certify: bool = False
    baseline: Path | None = None
    sign_key: Path | None = None
    pytest_args: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """The outcome of a run: its exit status, the report document and where it was written."""

    exit_code: int
    report: dict[str, Any]
    paths: dict[str, Path]


class Progress(Protocol):
    """What the run shows while it goes."""

    def start(self, total: int) -> None: ...

    def advance(self, nodeid: str, outcome: str) -> None: ...

    def stop(self) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, nodeid: str, outcome: str) -> None:
        pass

    def stop(self) -> None:
        pass


def validate(options: RunOptions) -> None:
    """Reject bad input before anything starts."""
    if options.profile not in PROFILES:
        raise UsageError(f"--profile must be one of {', '.join(PROFILES)}, not {options.profile!r}")
    if options.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    if options.seed < 0:
        raise UsageError("--seed must not be negative")
    if options.run_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", options.run_id):
        raise UsageError("--run-id takes 1 to 64 letters, digits, '.', '_' or '-'")
    for name, value in (("--timeout", options.timeout), ("--max-duration", options.max_duration)):
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{name} must be a positive number of seconds")
    if options.base_url is not None:
        if not options.base_url.startswith(("http://", "https://")):
            raise UsageError(f"--base-url must start with http:// or https:// (got {options.base_url!r})")
        if any(character.isspace() for character in options.base_url):
            raise UsageError(f"--base-url must not contain white space (got {options.base_url!r})")
        if not options.token:
            raise UsageError("--token (or CONFORMANCE_TOKEN) is required with --base-url")
        if not options.account_token:
            raise UsageError("--account-token (or CONFORMANCE_ACCOUNT_TOKEN) is required with --base-url")
        try:
            parts = urlsplit(options.base_url)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise UsageError(f"--base-url is not a valid URL ({exc})") from None
        if not parts.hostname:
            raise UsageError(f"--base-url names no host (got {options.base_url!r})")
        try:
            httpx.URL(options.base_url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise UsageError(f"--base-url is not a valid URL ({exc})") from None
    if options.certify:
        refused = []
        if options.select:
            refused.append("-k (a certificate covers the whole catalog)")
        if options.profile != "full":
            refused.append(f"--profile {options.profile} (a certificate needs the writes)")
        if options.base_url is not None and not options.second_account_token:
            refused.append("a run without --second-account-token (the TENANT requirements need it)")
        if refused:
            raise UsageError("--certify refuses " + "; ".join(refused))
    if options.sign_key is not None:
        from conformance.reporting.attestation import check_sign_key

        check_sign_key(options.sign_key)


@contextmanager
def resolve_target(options: RunOptions) -> Iterator[Target]:
    """The Target for the options; without a base URL, the reference server served for the run."""
    common: dict[str, Any] = {
        "profile": options.profile,
        "verify_tls": not options.insecure,
        "timeout": options.timeout,
        "max_duration": options.max_duration,
        "run_id": options.run_id or new_run_id(),
    }
    if options.base_url:
        yield Target(
            base_url=options.base_url,
            token=options.token or "",
            account_token=options.account_token or "",
            second_account_token=options.second_account_token or None,
            **common,
        )
        return
    from conformance.reference import ReferenceConfig, create_app, serve_in_thread

    config = ReferenceConfig(
        api_key="ref-key-" + secrets.token_hex(12),
        account_tokens=("ref-account-a-" + secrets.token_hex(8), "ref-account-b-" + secrets.token_hex(8)),
    )
    server = serve_in_thread(create_app(config))
    try:
        yield Target(
            base_url=server.base_url,
            token=config.api_key,
            account_token=config.account_tokens[0],
            second_account_token=config.account_tokens[1],
            **common,
        )
    finally:
        server.stop()


class TargetNotTestable(TargetError):
    """The target answers, but not as an API: a redirect, an HTML page, a body that is not JSON."""


#: how a transport error says the answer was cut short
_CUT_SHORT = re.compile(r"complete message body|incomplete chunked read", re.IGNORECASE)


def preflight(target: Target) -> None:
    """Fail fast, with one line, when nothing can be tested.

    That is: the target cannot be reached, rejects the credentials, redirects the first request
    (redirects are never followed), or answers it with an HTML page, a body that is not JSON, or one
    cut short.
    """
    target.context = ("preflight", [])
    response = _preflight_get(target, "crm/v1/leads", {"page_size": 1})
    status = response.status_code
    if status in (401, 403):
        detail = json_or_none(response)
        said = f": {detail.get('detail')}" if isinstance(detail, dict) and detail.get("detail") else ""
        raise CredentialsRejected(
            target.redact(f"{target.base_url} rejected the given credentials ({status}{said})")
        )
    if 300 <= status < 400:
        location = response.headers.get("location")
        where = f" to {location}" if location else ""
        raise TargetNotTestable(
            target.redact(
                f"{target.base_url} redirects GET /crm/v1/leads ({status}{where}); redirects are not "
                "followed: give the base URL that answers"
            )
        )
    if status == 404:
        meta = _preflight_get(target, "crm/v1/leads/meta/post")
        if meta.status_code == 404:
            raise TargetUnreachable(
                f"{target.base_url} has no /crm/v1/leads (404): is the base URL right? "
                "(Merge's is https://api.merge.dev/api)"
            )
    problem = None if status == 429 else not_an_api_answer(response)
    if problem:
        raise TargetNotTestable(
            target.redact(f"{target.base_url} answered GET /crm/v1/leads {status} with {problem}")
        )


def _preflight_get(target: Target, path: str, params: dict[str, Any] | None = None) -> Any:
    try:
        with target.client() as http:
            return http.get(path, params=params)
    except (Inconclusive, httpx.HTTPError) as exc:
        said = exc.message if isinstance(exc, Inconclusive) else f"{type(exc).__name__}: {exc}"
        if _CUT_SHORT.search(said):
            raise TargetNotTestable(
                target.redact(f"{target.base_url} cut its answer to GET /{path} short ({said})")
            ) from None
        raise TargetUnreachable(target.redact(f"cannot reach {target.base_url}: {said}")) from None


def not_an_api_answer(response: Any) -> str | None:
    """What an answer is when it is not JSON (an HTML page, other text, JSON cut short); None for JSON."""
    body: bytes = response.content
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    head = body.lstrip()[:64].lower()
    if kind == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        title = re.search(rb"<title[^>]*>(.*?)</title>", body[:8192], re.IGNORECASE | re.DOTALL)
        named = " ".join(title.group(1).decode("utf-8", "replace").split())[:80] if title else ""
        return f'an HTML page ("{named}")' if named else "an HTML page"
    if not body.strip():
        return "an empty body" if 200 <= response.status_code < 300 else None
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError):
        if head[:1] in (b"{", b"["):
            return f"JSON that is cut short or malformed ({len(body)} bytes)"
        return f"a body that is not JSON ({kind or 'no Content-Type'}, {len(body)} bytes)"
    return None


def _run_info(
    options: RunOptions,
    target: Target,
    baseline: Any,
    started: datetime,
    clock: float,
    *,
    tests: int,
    notes: list[str],
    checks: list[dict[str, Any]] | None = None,
) -> RunInfo:
    """The facts of a run for its report: the suite, the fragment, the target, the options, the times."""
    return RunInfo(
        suite_name="leads-conformance",
        suite_version=__version__,
        spec_path="specs/leads.openapi.yaml",
        spec_sha256=fragment_sha256(),
        catalog_sha256=_sha256(catalog_path()),
        base_url=target.base_url,
        bundled=None if options.base_url else f"leads-conformance reference server {__version__}",
        profile=options.profile,
        seed=options.seed,
        max_examples=options.max_examples,
        strict=options.strict,
        run_id=target.run_id,
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_seconds=round(time.monotonic() - clock, 2),
        tests=tests,
        notes=notes,
        tools=tool_versions(),
        select=options.select,
        tenant=bool(target.second_account_token),
        certify=options.certify,
        baseline=baseline,
        insecure=options.insecure,
        evidence_lines=target.evidence.lines if target.evidence is not None else 0,
        checks=checks or [],
    )


def _untested(
    error: TargetError,
    options: RunOptions,
    catalog: Any,
    baseline: Any,
    target: Target,
    report_dir: Path,
    started: datetime,
    clock: float,
) -> TargetError:
    """Write the report folder of a run that could test nothing; returns the error to raise."""
    if target.evidence is not None:
        target.evidence.close()
    # every requirement is left undecided by the preflight, for the reason it gave
    undecided = TestOutcome("preflight", [r.id for r in catalog], "inconclusive", reason=str(error))
    verdict = roll_up(
        catalog, [undecided], strict=options.strict, baseline=baseline, selection=options.select
    )
    notes = [f"nothing was tested: the first requests (in evidence.ndjson) showed that {error}"]
    info = _run_info(options, target, baseline, started, clock, tests=0, notes=notes)
    try:
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        write_attestation(report_dir, report, options.sign_key)
    except OSError as exc:
        why = exc.strerror or exc
        return type(error)(f"{error} (the report could not be written to {report_dir}: {why})")
    return type(error)(f"{error} (what was tried: {paths['html']})")


class _Bridge:
    """Hands the run's target and collector to the plugin, and reports progress."""

    def __init__(self, target: Target, outcomes: OutcomeCollector, progress: Progress):
        self.target = target
        self.outcomes = outcomes
        self.progress = progress
        self.collected = 0
        self.errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        install_target(config, self.target)
        install_collector(config, self.outcomes)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.progress.start(self.collected)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(
                f"could not collect {report.nodeid}: {self.target.redact(str(report.longrepr))[-500:]}"
            )

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        outcome = self.outcomes.outcomes.get(nodeid)
        self.progress.advance(nodeid, outcome.outcome if outcome else "done")


def tool_versions() -> dict[str, str]:
    """The versions of what the run is made of, for the record."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    tools = {"python": platform.python_version()}
    for name in ("pytest", "schemathesis", "hypothesis", "httpx", "jsonschema"):
        try:
            tools[name] = version(name)
        except PackageNotFoundError:
            tools[name] = "absent"
    return tools


def _pytest_args(options: RunOptions, report_dir: Path | None = None) -> list[str]:
    args = [
        str(SUITE_DIR),
        "-p",
        "conformance.plugin",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-c",
        os.devnull,
        "--rootdir",
        str(SUITE_DIR),
        "-o",
        "python_files=*.py",
        "-o",
        "python_functions=test_*",
        "-o",
        "console_output_style=classic",
        "--seed",
        str(options.seed),
        "--max-examples",
        str(options.max_examples),
        "--profile",
        options.profile,
    ]
    if options.select:
        args += ["-k", options.select]
    if report_dir is not None:
        args += ["-p", "conformance.reporting.checks_html", "--html", str(report_dir / "checks.html")]
        args += ["--self-contained-html"]
    return args + list(options.pytest_args)


@contextmanager
def _hypothesis_home() -> Iterator[None]:
    """Where Hypothesis keeps its working files: never the folder the run was started from.

    The run uses no example database, so the files are only Hypothesis' Unicode tables, which take
    seconds to build: they are kept in the user's cache folder, or a temporary one when it cannot be
    written.
    """
    from hypothesis import configuration

    cache = cache_folder("hypothesis")
    with tempfile.TemporaryDirectory(prefix="leads-conformance-") as scratch:
        configuration.set_hypothesis_home_dir(str(cache) if cache is not None else scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(None)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_report_dir() -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path("reports") / stamp
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path("reports") / f"{stamp}-{suffix}"
    return folder


#: what a run writes into its report folder; a rerun into the same folder replaces them
RUN_FILES = (
    "report.json", "junit.xml", "report.html", "checks.html", "evidence.ndjson", "attestation.json",
    "suite-errors.log", "conformance-error.log",
)


def prepare_report_dir(folder: Path) -> None:
    """Create the report folder (or empty it of an earlier run's files); unwritable is a usage error."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
        probe = folder / ".write-probe"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--report-dir: cannot write to {folder}: {exc.strerror or exc}") from None


def _suite_error_log(folder: Path, errors: list[dict[str, Any]]) -> Path:
    path = folder / "suite-errors.log"
    blocks = [
        f"== {error['test']} ({', '.join(error['requirements']) or 'no requirement'})\n"
        f"{error['error']}\n\n{error['traceback']}\n"
        for error in errors
    ]
    path.write_text(
        "The suite failed inside these checks. This is a fault of the suite, not of the target;\n"
        "the requirements they name were not verified by them.\n\n" + "\n".join(blocks),
        encoding="utf-8",
    )
    return path


def run(options: RunOptions, progress: Progress | None = None) -> RunResult:
    """Certify the target the options name; writes the report folder and returns the result."""
    validate(options)
    catalog = load_catalog()
    baseline = load_baseline(options.baseline, (r.id for r in catalog)) if options.baseline else None
    progress = progress or _Silent()
    started = datetime.now(UTC)
    clock = time.monotonic()
    report_dir = options.report_dir or default_report_dir()
    prepare_report_dir(report_dir)
    with resolve_target(options) as target:
        evidence = EvidenceLog(report_dir / "evidence.ndjson", target.redactor)
        target.evidence = evidence
        try:
            try:
                preflight(target)
            except TargetError as exc:
                raise _untested(exc, options, catalog, baseline, target, report_dir, started, clock) from None
            outcomes = OutcomeCollector()
            bridge = _Bridge(target, outcomes, progress)
            try:
                with _hypothesis_home():
                    code = pytest.main(_pytest_args(options, report_dir), plugins=[bridge])
            finally:
                progress.stop()
        finally:
            evidence.close()
        notes = [*bridge.errors, *target.notes]
        for operation, why in target.unresponsive_operations().items():
            notes.append(f"{operation} stopped answering ({why}); later calls to it were not sent")
        if target.out_of_time():
            notes.append(f"the run reached --max-duration ({options.max_duration:g} s): no request after it")
        complete = int(code) in (0, 1)
        if not complete:
            notes.append(
                f"the run did not complete (pytest exit status {int(code)}); the verdict cannot be pass"
            )
        verdict = roll_up(
            catalog, outcomes.all(), strict=options.strict, baseline=baseline, selection=options.select
        )
        if not complete and not verdict.suite_errors:
            verdict.suite_errors.append(
                {"test": "collection", "requirements": [], "error": notes[-1],
                 "traceback": "\n".join(bridge.errors)}
            )
        info = _run_info(
            options, target, baseline, started, clock, tests=bridge.collected, notes=notes,
            checks=check_records(outcomes.all()),
        )
        report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
        if verdict.suite_errors:
            errors = target.redactor.tree(verdict.suite_errors, ours=True)
            paths["log"] = _suite_error_log(report_dir, errors)
        paths["evidence"] = report_dir / "evidence.ndjson"
        if (report_dir / "checks.html").exists():
            paths["checks"] = report_dir / "checks.html"
    paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    if verdict.suite_errors:
        exit_code = EXIT_USAGE
    elif options.certify:
        exit_code = EXIT_PASS if report["verdict"] == "pass" and report["gate"] == "pass" else EXIT_FAIL
    else:
        exit_code = EXIT_PASS if report["gate"] == "pass" else EXIT_FAIL
    return RunResult(exit_code=exit_code, report=report, paths=paths)
