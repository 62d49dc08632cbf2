"""Outcomes -> requirement verdicts (pure), then the JSON, JUnit and HTML writers."""

from conformance.reporting.verdicts import RequirementVerdict, RunVerdict, roll_up
from conformance.reporting.writers import RunInfo, build_report, write_reports

__all__ = ["RequirementVerdict", "RunInfo", "RunVerdict", "build_report", "roll_up", "write_reports"]
