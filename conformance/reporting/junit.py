"""junit.xml: one test case per requirement, agreeing with the gate and the verdict.

A failed or inconclusive MUST is a ``<failure>`` (never ``<skipped>``), as is anything that fails
the gate under strict; a known failure (baseline), an inconclusive requirement the baseline accepts
as such, and a requirement that did not run are ``<skipped>`` with the reason; a stale baseline
entry and a suite error are cases of their own, failing. Each case carries its requirement, level,
status and duration as properties.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["render_junit"]


def _failure_text(requirement: dict[str, Any]) -> str:
    lines = []
    for failure in requirement.get("failures", []):
        lines.append(f"{failure['test']}: {failure['message']}")
        if failure.get("reproduce"):
            lines.append(f"  reproduce: {failure['reproduce']}")
        if failure.get("exchange"):
            lines.append(f"  evidence: evidence.ndjson line {failure['exchange']}")
    lines.extend(requirement.get("reasons", []))
    for known in requirement.get("known", []):
        lines.append(f"known failure (baseline): {known['reason']}")
    return "\n".join(lines)


def _shown_as(requirement: dict[str, Any], strict: bool) -> str | None:
    """The element a requirement's case holds (``failure``, ``skipped``, ``system-out``), or None."""
    status = requirement["status"]
    accepted = status == "inconclusive" and bool(requirement.get("known"))
    undecided = status == "inconclusive" and (requirement["level"] == "MUST" or strict) and not accepted
    if status == "fail" or (status == "warn" and strict) or undecided:
        return "failure"
    if status in ("skip", "known") or accepted:
        return "skipped"
    return "system-out" if status in ("warn", "inconclusive") else None


def render_junit(report: dict[str, Any]) -> str:
    """The junit.xml text of a report.json document."""
    requirements = report["requirements"]
    strict = bool(report.get("strict"))
    stale = report.get("baseline", {}).get("stale", [])
    errors = report.get("suite_errors", [])
    shown = Counter(_shown_as(r, strict) for r in requirements)
    suites = ET.Element("testsuites", name=report["suite"]["name"])
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{report['suite']['name']} {report['target']['base_url']}",
        tests=str(len(requirements) + len(stale) + len(errors)),
        failures=str(shown["failure"] + len(stale)),
        errors=str(len(errors)),
        skipped=str(shown["skipped"]),
        time=str(report.get("duration_seconds", 0)),
        timestamp=report["started_at"],
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", report["verdict"]),
        ("gate", report["gate"]),
        ("certification", "true" if report.get("certification") else "false"),
        ("profile", report["profile"]),
        ("seed", str(report["seed"])),
        ("spec_sha256", report["spec"]["sha256"]),
        ("catalog_sha256", report["spec"]["catalog_sha256"]),
        ("run_id", report.get("run_id", "")),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for requirement in requirements:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"leads.{requirement['area']}",
            name=f"{requirement['id']} [{requirement['level']}] {requirement['title']}",
            time=str(requirement.get("duration_seconds", 0)),
        )
        case_props = ET.SubElement(case, "properties")
        for name in ("id", "level", "status", "duration_seconds"):
            key = {"id": "requirement", "duration_seconds": "duration"}.get(name, name)
            ET.SubElement(case_props, "property", name=key, value=str(requirement.get(name, "")))
        status = requirement["status"]
        text = _failure_text(requirement)
        kind = _shown_as(requirement, strict)
        if kind == "failure":
            element = ET.SubElement(case, "failure", message=f"{requirement['id']} {status}", type=status)
            element.text = text
        elif kind == "skipped":
            first = text.splitlines()[0] if text else status
            message = first if status == "skip" else f"known: {first}"
            element = ET.SubElement(case, "skipped", message=message)
            element.text = text
        elif kind == "system-out":
            out = ET.SubElement(case, "system-out")
            out.text = f"{status} (SHOULD): {text}"
    for entry in stale:
        case = ET.SubElement(
            suite, "testcase", classname="leads.baseline", name=f"stale baseline entry {entry['id']}"
        )
        element = ET.SubElement(case, "failure", message=f"{entry['id']} is listed as known but now passes")
        element.text = f"reason given: {entry['reason']}\nremove the entry from the baseline"
    for error in errors:
        case = ET.SubElement(
            suite, "testcase", classname="leads.suite", name=f"suite error in {error['test']}"
        )
        element = ET.SubElement(case, "error", message=error["error"], type="suite-error")
        element.text = "see suite-errors.log in the report folder"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
