"""A run's report folder: the facts the report states (``run_info``), the folder made ready, and the
folder written for a run that tested nothing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.contract.catalog import catalog_path
from conformance.contract.domains import declared_domains
from conformance.contract.fragment import fragment_sha256
from conformance.http.target import Target
from conformance.outcomes import TargetError, TestOutcome, UsageError
from conformance.reporting import RunInfo, build_report, roll_up, write_reports
from conformance.reporting.attestation import file_sha256, write_attestation
from conformance.reporting.declared import compare_declared
from conformance.run.options import RunOptions
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.field_support import FieldSupport

__all__ = [
    "RUN_FILES",
    "default_report_dir",
    "prepare_report_dir",
    "run_info",
    "suite_error_log",
    "untested_error",
    "write_untested",
]

def run_info(
    options: RunOptions,
    target: Target,
    baseline: Any,
    started: datetime,
    clock: float,
    *,
    tests: int,
    notes: list[str],
    checks: list[dict[str, Any]] | None = None,
    tolerances: list[dict[str, Any]] | None = None,
    model: RunModel | None = None,
    interrupted: str | None = None,
    declared: dict[str, Any] | None = None,
) -> RunInfo:
    """The facts of a run for its report: the suite, the fragment, the target, the options, the times."""
    return RunInfo(
        suite_name="leads-conformance",
        suite_version=__version__,
        spec_path="specs/leads.openapi.yaml",
        spec_sha256=fragment_sha256(),
        catalog_sha256=file_sha256(catalog_path()),
        base_url=target.base_url,
        bundled=None if options.base_url else f"leads-conformance reference server {__version__}",
        profile=options.profile,
        seed=options.seed,
        max_examples=options.max_examples,
        coverage_cases=options.coverage_cases,
        strict=options.strict,
        run_id=target.run_id,
        started_at=started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        finished_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        duration_seconds=round(time.monotonic() - clock, 2),
        tests=tests,
        notes=notes,
        tools=tool_versions(),
        select=options.select,
        requirements_selected=list(options.requirement),
        areas_selected=list(options.area),
        tenant=bool(target.second_account_token),
        certify=options.certify,
        baseline=baseline,
        insecure=options.insecure,
        evidence_lines=target.evidence.lines if target.evidence is not None else 0,
        checks=checks or [],
        tolerances=tolerances or [],
        write_budget=options.write_budget,
        concurrency=options.concurrency,
        created=created_leads(model, target),
        dimensions={rid: model.coverage.report(rid) for rid in declared_domains()} if model else {},
        field_support=field_support_of(model, declared),
        options=options.reported(),
        time={**target.time_spent(), "concurrency": target.limit.report()},
        interrupted=interrupted,
        network=_network_facts(target),
    )


def field_support_of(model: RunModel | None, declared: dict[str, Any] | None) -> dict[str, Any]:
    """What the run measured of each field (empty when no oracle watched it), what the write budget left
    unmeasured, and the vendor's claims beside it."""
    measured = model.oracle.state.fields.report() if model is not None and model.oracle is not None else {}
    budget = model.budget if model is not None else None
    if measured and budget is not None and budget.denied:
        FieldSupport.unmeasured(
            measured,
            f"not measured: the --write-budget of {budget.total} creates was spent before a write carried it",
        )
    if measured and declared is not None:
        measured["declared"] = compare_declared(measured, declared)
    return measured


def created_leads(model: RunModel | None, target: Target) -> dict[str, Any]:
    """The leads the run created (each stays in the target): how many, the run tag they carry, their ids."""
    leads = model.ledger.leads() if model is not None else []
    return {
        "count": len(leads),
        "run_tag": target.run_id,
        "leads": [
            {"id": lead.id, "account": lead.account, "created_at": lead.answer.get("created_at"),
             "exchange": lead.line}
            for lead in leads
        ],
    }


def _network_facts(target: Target) -> dict[str, Any]:
    """How the run reached the target, for the record: header names (never their values), TLS, proxy."""
    network = target.network
    return {
        "headers": [name for name, _ in network.headers if name.lower() not in network.secret_names],
        "secret_headers": [name for name, _ in network.headers if name.lower() in network.secret_names],
        "ca_bundle": network.ca_bundle,
        "client_cert": network.client_cert,
        "client_key": network.client_key,
        "proxy": target.redact(target.proxy) if target.proxy else None,
    }


def write_untested(
    error: TargetError | None,
    options: RunOptions,
    catalog: Any,
    baseline: Any,
    target: Target,
    report_dir: Path,
    started: datetime,
    clock: float,
    interrupted: str | None = None,
) -> tuple[dict[str, Any], dict[str, Path]]:
    """Write the report folder of a run that tested nothing: the preflight refused the target, or
    the run was interrupted before its checks began."""
    if target.evidence is not None:
        target.evidence.close()
    if interrupted:
        outcome, reason = "not run", f"the run was interrupted ({interrupted}) before its checks began"
        notes = [f"{reason}: nothing was tested"]
    else:
        # every requirement is left undecided by the preflight, for the reason it gave
        outcome, reason = "inconclusive", str(error)
        notes = [f"nothing was tested: the first requests (in evidence.ndjson) showed that {error}"]
    nothing = TestOutcome("preflight", [r.id for r in catalog], outcome, reason=reason)
    verdict = roll_up(
        catalog, [nothing], strict=options.strict, baseline=baseline, selection=options.select,
        interrupted=interrupted, picked=options.picked(),
    )
    info = run_info(options, target, baseline, started, clock, tests=0, notes=notes, interrupted=interrupted)
    report, paths = write_reports(build_report(info, verdict), report_dir, target.redactor)
    paths["evidence"] = report_dir / "evidence.ndjson"
    paths["attestation"] = write_attestation(report_dir, report, options.sign_key)
    return report, paths


def untested_error(error: TargetError, *args: Any) -> TargetError:
    """Write the folder of a run the preflight refused; returns the error to raise."""
    report_dir: Path = args[5]
    try:
        _, paths = write_untested(error, *args)
    except OSError as exc:
        why = exc.strerror or exc
        return type(error)(f"{error} (the report could not be written to {report_dir}: {why})")
    return type(error)(f"{error} (what was tried: {paths['html']})")


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


def suite_error_log(folder: Path, errors: list[dict[str, Any]]) -> Path:
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
        errors="backslashreplace",
    )
    return path
