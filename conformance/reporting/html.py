"""report.html: the one self-contained page a person reads (inline CSS, SVG and script only).

The page leads with the verdict, the gate and the certification state, then what failed, one line
each, then a picture per area, the requirement table (filtered and searched with the script; read
whole without it), known failures apart, and the run's facts. Every failure shows what was expected,
what came back (the request and the answer from ``evidence.ndjson``, credentials masked, bodies
pretty-printed and capped) and a curl command that sends the request again.

The document rendered is report.json, already redacted; the evidence lines are redacted at the
source. This module says what the page holds; ``templates/report.html`` lays it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from conformance.reporting import html_parts
from conformance.reporting.evidence_lookup import evidence_for, request_of_command
from conformance.reporting.exchanges import (
    EXCHANGES_PER_REQUIREMENT,
    clip,
    curl_command,
    exchange_html,
    reproduce_note,
)
from conformance.reporting.field_table import field_section
from conformance.reporting.html_parts import (
    CHECK_LABEL,
    PROBLEMS,
    STATUS_COLOURS,
    STATUS_LABEL,
    label,
    stale_entries,
)
from conformance.reporting.templating import render

__all__ = ["render_html"]

#: characters of exchange text the whole page may hold, so a badly broken target still gives a small page
EXCHANGE_BUDGET = 350_000

_Checks = Mapping[str, Mapping[str, Any]]


def _seconds(value: float) -> str:
    return "under 0.01 s" if value < 0.01 else f"{value:.2f} s"


def _check_rows(requirement: Mapping[str, Any], checks: _Checks) -> list[dict[str, Any]]:
    """The checks of a requirement, each with the outcome it had for this requirement."""
    failing = {f.get("test") for f in requirement.get("failures", [])}
    rows = []
    for nodeid in requirement.get("tests", []):
        check = checks.get(nodeid, {})
        outcome = CHECK_LABEL.get(str(check.get("outcome", "")), "")
        own = outcome
        if nodeid in failing:
            own = requirement["status"]
        elif outcome == "fail" or (
            outcome == "inconclusive" and check.get("inconclusive") and requirement["id"] not in check["inconclusive"]
        ):
            own = "pass"
        duration = check.get("duration_seconds")
        rows.append(
            {
                "nodeid": nodeid,
                "status": own,
                "label": {"pass": "pass", "skip": "skipped"}.get(own, own),
                "obligation": str(check.get("obligation") or ""),
                "failed_elsewhere": own != outcome and outcome == "fail",
                "took": _seconds(duration) if isinstance(duration, int | float) else "",
            }
        )
    return rows


class _Table:
    """The requirement table's rows, the failures' exchanges shown while the budget lasts."""

    def __init__(self, report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], checks: _Checks):
        self.report = report
        self.evidence = evidence
        self.checks = checks
        #: characters of exchange text the page may still hold
        self.budget = EXCHANGE_BUDGET

    def rows(self) -> list[dict[str, Any]]:
        rows, area = [], None
        for requirement in self.report.get("requirements", []):
            rows.append({**self._row(requirement), "first_of_area": requirement.get("area") != area})
            area = requirement.get("area")
        return rows

    def _row(self, requirement: Mapping[str, Any]) -> dict[str, Any]:
        failures = requirement.get("failures", [])
        took = requirement.get("duration_seconds")
        status = requirement["status"]
        return {
            "id": requirement["id"],
            "status": status,
            "failure_kind": {"known": "known", "warn": "warn"}.get(status, ""),
            "failure_name": {"known": "Known failure", "warn": "Warning"}.get(status, "Failure"),
            "label": label(requirement),
            "status_label": STATUS_LABEL.get(requirement["status"], requirement["status"]),
            "area": str(requirement.get("area")),
            "level": requirement.get("level", ""),
            "title": requirement.get("title", ""),
            "text": _search_text(requirement, self.checks),
            "known": [
                {"check": entry.get("check"), "reason": str(entry.get("reason", ""))}
                for entry in requirement.get("known", [])
            ],
            "failures": [
                self._failure(requirement, index, failure)
                for index, failure in enumerate(failures[:EXCHANGES_PER_REQUIREMENT], start=1)
            ],
            "more": len(failures[EXCHANGES_PER_REQUIREMENT:]),
            "more_listed": [
                clip(str(f.get("message", "")), 200)
                for f in failures[EXCHANGES_PER_REQUIREMENT : EXCHANGES_PER_REQUIREMENT + 10]
            ],
            "reasons": requirement.get("reasons", [])[:12],
            "checks": _check_rows(requirement, self.checks) if requirement.get("tests") else [],
            "took": _seconds(took) if isinstance(took, int | float) else None,
            "source": str(requirement.get("source", "")),
        }

    def _failure(self, requirement: Mapping[str, Any], index: int, failure: Mapping[str, Any]) -> dict[str, Any]:
        """A failure: what was expected and found, and its exchange, or the command that repeats it."""
        nodeid = str(failure.get("test", ""))
        obligation = self.checks.get(nodeid, {}).get("obligation")
        title = requirement.get("title", "")
        line, entry = evidence_for(failure, self.evidence)
        exchange = None
        if entry is not None:
            block = exchange_html(
                entry,
                line,
                insecure=bool(self.report.get("insecure")),
                base_url=self.report.get("target", {}).get("base_url"),
                report=self.report,
            )
            if len(block) <= self.budget:
                self.budget -= len(block)
                exchange = block
        return {
            "index": index,
            "nodeid": nodeid,
            "obligation": str(obligation) if obligation and str(obligation).rstrip(".") != title.rstrip(".") else None,
            "message": clip(str(failure.get("message", "")), 400),
            "exchange": exchange,
            "line": line,
            "not_shown": entry is not None,
            **({} if exchange else _reproduce(requirement, failure, self.report, line, entry)),
        }


def _reproduce(
    requirement: Mapping[str, Any],
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    line: int | None,
    entry: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The command that repeats a failure whose exchange the page does not show, and its note."""
    request = request_of_command(failure.get("reproduce"))
    source: Mapping[str, Any] | None = entry
    if source is None and request is not None:
        source = {"request": request, "requirements": [requirement["id"]]}
    if source is not None:
        command = curl_command(source, bool(report.get("insecure")), line if source is entry else None)
        return {"command": command, "note": reproduce_note(source, report)}
    if failure.get("reproduce"):
        return {"command": str(failure["reproduce"]), "note": "Put the run's credentials in place of ***."}
    return {"command": None}


def _search_text(requirement: Mapping[str, Any], checks: _Checks) -> str:
    words = [requirement["id"], requirement.get("title", ""), requirement.get("status", ""), STATUS_LABEL.get(requirement["status"], "")]
    for nodeid in requirement.get("tests", []):
        words += [nodeid, str(checks.get(nodeid, {}).get("obligation") or "")]
    words += [str(f.get("message", ""))[:200] for f in requirement.get("failures", [])[:5]]
    return " ".join(words).lower()


def _filters(report: Mapping[str, Any]) -> dict[str, Any]:
    """The choices of the table's filters: the statuses the run has, with their counts, and the areas."""
    requirements = report.get("requirements", [])
    counts = Counter(r["status"] for r in requirements)
    return {
        "problems": sum(counts.get(s, 0) for s in PROBLEMS),
        "statuses": [(s, STATUS_LABEL[s], counts[s]) for s in STATUS_LABEL if counts.get(s)],
        "areas": list(dict.fromkeys(str(r.get("area")) for r in requirements)),
    }


def _known(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The baseline's known failures and its stale entries; None when the run has no baseline."""
    baseline = report.get("baseline") or {}
    known = [r for r in report.get("requirements", []) if r["status"] == "known" or r.get("known")]
    stale = stale_entries(report)
    if not (known or stale or baseline.get("source")):
        return None
    accepted = []
    for requirement in known:
        reasons = "; ".join(
            str(e.get("reason", "")) + (f" (check {e['check']})" if e.get("check") else "") for e in requirement.get("known", [])
        )
        if requirement["status"] == "known":
            state = ""
        elif requirement["status"] == "inconclusive":
            state = " — it stays inconclusive, as the baseline expects: it does not fail the gate"
        else:
            state = f" — but it is {STATUS_LABEL.get(requirement['status'])}: a failure the baseline does not cover"
        accepted.append(
            {
                "id": requirement["id"],
                "status": requirement["status"],
                "label": STATUS_LABEL.get(requirement["status"], requirement["status"]),
                "title": requirement.get("title", ""),
                "why": reasons + state,
            }
        )
    return {
        "accepted": accepted,
        "stale": stale,
        "source": str(baseline.get("source") or "none"),
        "entries": len(baseline.get("entries", [])),
    }


def _selection_words(selection: Mapping[str, Any]) -> str:
    words = [f"--requirement {rid}" for rid in selection.get("requirements") or []]
    words += [f"--area {area}" for area in selection.get("areas") or []]
    if selection.get("k"):
        words.append(f"-k {selection['k']}")
    return " ".join(words)


def _network_words(network: Mapping[str, Any]) -> str:
    """How the run reached the target, when it took more than the base URL (header values are not shown)."""
    said = []
    if network.get("headers"):
        said.append("extra headers " + ", ".join(network["headers"]))
    if network.get("secret_headers"):
        said.append("secret headers (values masked) " + ", ".join(network["secret_headers"]))
    if network.get("ca_bundle"):
        said.append(f"CA bundle {network['ca_bundle']}")
    if network.get("client_cert"):
        said.append(f"client certificate {network['client_cert']}")
    if network.get("proxy"):
        said.append(f"proxy {network['proxy']}")
    return "; ".join(said)


def _facts(report: Mapping[str, Any], files: Mapping[str, str]) -> list[tuple[str, str]]:
    """The run's facts, a name and a value each."""
    selection = report.get("selection", {})
    target = report.get("target", {})
    spec = report.get("spec", {})
    rows = [
        ("target", str(target.get("base_url", "")) + (f" ({target['bundled']})" if target.get("bundled") else "")),
        ("suite", f"{report.get('suite', {}).get('name', '')} {report.get('suite', {}).get('version', '')}"),
        ("fragment", f"{spec.get('path', '')} sha256 {spec.get('sha256', '')}"),
        ("catalog sha256", str(spec.get("catalog_sha256", ""))),
        ("tools", ", ".join(f"{k} {v}" for k, v in report.get("tools", {}).items())),
        ("seed", str(report.get("seed", ""))),
        ("max examples", str(report.get("max_examples", ""))),
        ("coverage cases", html_parts.describe_coverage(report.get("coverage_cases"))),
        ("profile", str(report.get("profile", ""))),
        ("selection", (_selection_words(selection) or "the whole catalog")
         + ("; TENANT checks ran (second account token given)" if selection.get("tenant") else "; TENANT checks could not run (no second account token)")),
        ("strict", "yes" if report.get("strict") else "no"),
        ("TLS", "not verified (--insecure)" if report.get("insecure") else "verified"),
        ("run id", str(report.get("run_id", "")) + " (tagged into every lead the run wrote)"),
        ("started", str(report.get("started_at", ""))),
        ("finished", str(report.get("finished_at", ""))),
        ("duration", f"{report.get('duration_seconds', '')} s, {report.get('tests', '')} checks"),
        ("evidence", f"{report.get('evidence', {}).get('exchanges', '')} exchanges in evidence.ndjson"),
    ]
    if report.get("interrupted"):
        rows.append(("interrupted", f"by {report['interrupted']}: the checks it did not reach are listed as not run"))
    said = _network_words(report.get("network") or {})
    if said:
        rows.append(("network", said))
    rows += [(f"{name} sha256", digest) for name, digest in files.items()]
    return rows


def _tolerances(report: Mapping[str, Any]) -> list[dict[str, str]]:
    """The contract's tolerances the run applied, with what each kept from being charged."""
    return [
        {
            "id": str(t.get("id", "")),
            "reason": str(t.get("reason", "")),
            "requirements": ", ".join(t.get("requirements", [])),
            "kept": (
                f"; kept {t['applied']} generated case{'s' if t['applied'] != 1 else ''} from being charged"
                if t.get("applied")
                else ""
            ),
        }
        for t in report.get("tolerances", [])
    ]


def render_html(
    report: dict[str, Any],
    evidence: Mapping[int, dict[str, Any]] | None = None,
    *,
    files: Mapping[str, str] | None = None,
    checks_page: str | None = None,
) -> str:
    """The report.html text of a report.json document.

    ``evidence`` maps evidence.ndjson line numbers to their exchanges (at least the failures' ones),
    ``files`` names the sha256 of files the page vouches for (report.json, evidence.ndjson), and
    ``checks_page`` is the file name of the run's checks.html, when there is one.
    """
    evidence = evidence or {}
    checks = {str(c.get("test")): c for c in report.get("checks", []) if isinstance(c, Mapping)}
    return render(
        "report.html",
        colours=STATUS_COLOURS,
        statuses=STATUS_LABEL,
        hero=html_parts.hero(report),
        what_failed=html_parts.what_failed(report, evidence),
        areas=html_parts.areas(report),
        filters=_filters(report),
        requirements=_Table(report, evidence, checks).rows(),
        known=_known(report),
        field_support=field_section(report),
        facts=_facts(report, files or {}),
        tolerances=_tolerances(report),
        checks_page=checks_page,
    )
