"""junit.xml: one test case per requirement, so CI dashboards list requirements by ID."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

__all__ = ["render_junit"]


def _failure_text(requirement: dict[str, Any]) -> str:
    lines = []
    for failure in requirement.get("failures", []):
        lines.append(f"{failure['test']}: {failure['message']}")
        if failure.get("reproduce"):
            lines.append(f"  reproduce: {failure['reproduce']}")
    lines.extend(requirement.get("reasons", []))
    return "\n".join(lines)


def render_junit(report: dict[str, Any]) -> str:
    """The junit.xml text of a report.json document."""
    requirements = report["requirements"]
    summary = report["summary"]
    strict = bool(report.get("strict"))
    suites = ET.Element("testsuites", name=report["suite"]["name"])
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"{report['suite']['name']} {report['target']['base_url']}",
        tests=str(len(requirements)),
        failures=str(summary["failed"] + (summary["warned"] if strict else 0)),
        errors=str(summary["inconclusive"] if strict else 0),
        skipped=str(summary["skipped"] + (0 if strict else summary["inconclusive"])),
        time=str(report.get("duration_seconds", 0)),
        timestamp=report["started_at"],
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("verdict", report["verdict"]),
        ("profile", report["profile"]),
        ("seed", str(report["seed"])),
        ("spec_sha256", report["spec"]["sha256"]),
        ("run_id", report.get("run_id", "")),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for requirement in requirements:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"leads.{requirement['area']}",
            name=f"{requirement['id']} [{requirement['level']}] {requirement['title']}",
            time="0",
        )
        case_props = ET.SubElement(case, "properties")
        ET.SubElement(case_props, "property", name="requirement", value=requirement["id"])
        ET.SubElement(case_props, "property", name="level", value=requirement["level"])
        ET.SubElement(case_props, "property", name="status", value=requirement["status"])
        status = requirement["status"]
        text = _failure_text(requirement)
        if status == "fail" or (status == "warn" and strict):
            element = ET.SubElement(case, "failure", message=f"{requirement['id']} {status}")
            element.text = text
        elif status == "inconclusive":
            tag = "error" if strict else "skipped"
            element = ET.SubElement(case, tag, message=f"{requirement['id']} inconclusive")
            element.text = text
        elif status == "skip":
            element = ET.SubElement(case, "skipped", message=text.splitlines()[0] if text else "skipped")
            element.text = text
        elif status == "warn":
            out = ET.SubElement(case, "system-out")
            out.text = "warning (SHOULD): " + text
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
