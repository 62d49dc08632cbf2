"""Under GitHub Actions, a run also writes a job summary (``$GITHUB_STEP_SUMMARY``) and one ``::error``
annotation per failed MUST requirement.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from conformance.run.console import requirement_reason, result_rows, summary_line

__all__ = ["github_actions", "github_annotations", "github_summary"]

def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Mapping[str, Any], html: str) -> list[str]:
    """One ``::error`` workflow command per failed MUST requirement (a warning per inconclusive MUST
    and per warned SHOULD)."""
    lines = []
    for requirement in report.get("requirements", []):
        status, level = requirement["status"], requirement.get("level")
        if status == "fail" and level == "MUST":
            command = "error"
        elif status == "warn" or (
            status == "inconclusive" and level == "MUST" and not requirement.get("known")
        ):
            command = "warning"
        else:
            continue
        title = _escape_property(f"{requirement['id']} ({level}) {status}")
        anchor = f"{html}#{requirement['id']}"
        reason = requirement_reason(requirement)
        message = _escape_data(f"{requirement.get('title', '')}: {reason} ({anchor})")
        lines.append(f"::{command} title={title}::{message}")
    return lines


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def github_summary(report: Mapping[str, Any], html: str) -> str:
    """The job summary (Markdown): verdict, gate, counts, and each problem with its reason."""
    target = (report.get("target") or {}).get("base_url", "")
    lines = [
        f"## Leads API conformance: {str(report['verdict']).upper()}",
        "",
        _cell(summary_line(report)),
        "",
        f"Target: `{target}`. Gate: **{report['gate']}**"
        + (" (certified)" if report.get("certification") else "") + ".",
        "",
    ]
    rows = result_rows(report, "report.html")
    if rows:
        lines += ["| status | requirement and reason |", "| --- | --- |"]
        lines += [f"| {status} | {_cell(text)} |" for status, text in rows]
        lines.append("")
    lines.append(f"The whole report: `{html}` (the anchors above are in it).")
    return "\n".join(lines) + "\n"


def github_actions(report: Mapping[str, Any], paths: Mapping[str, Path], out: Console) -> None:
    """Under GitHub Actions: the job summary and the annotations (nothing elsewhere)."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    for line in github_annotations(report, "report.html"):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(github_summary(report, str(paths.get("html", "report.html"))))
        except OSError as exc:
            print(f"conformance: warning: cannot write the job summary to {summary}: {exc.strerror or exc}",
                  file=sys.stderr)
