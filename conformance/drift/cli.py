"""``conformance drift OPENAPI_FILE``: the fragment against an OpenAPI file Merge publishes.

Exit status: 0 no difference, or only the known ones (``info.x-known-drift``); 1 a new difference;
2 bad input (a missing or unparseable file, no Leads operation in it), one line, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from conformance.contract.fragment import fragment_path, fragment_sha256
from conformance.drift.diff import DriftInputError, Finding, drift

__all__ = ["drift_command", "render_text"]


class _BadInput(click.ClickException):
    exit_code = 2


def render_text(findings: list[Finding], source: str) -> str:
    """One line per finding, then the summary line."""
    lines = []
    for finding in findings:
        what = finding.describe()
        touches = ", ".join(finding.requirements) or "no catalog requirement"
        status = "known" if finding.known else "NEW  "
        lines.append(
            f"{status}  {finding.kind:8} {finding.location}{': ' + what if what else ''} -- touches {touches}"
        )
    known = sum(f.known for f in findings)
    new = len(findings) - known
    if new:
        lines.append(f"DRIFT: {len(findings)} differences ({known} known, {new} new) against {source}")
    elif known:
        lines.append(f"NO DRIFT: no new difference ({known} known) against {source}")
    else:
        lines.append(f"NO DRIFT: the fragment matches {source}")
    return "\n".join(lines)


@click.command("drift")
@click.argument("openapi_file", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text lines or one JSON document.",
)
def drift_command(openapi_file: Path, fmt: str) -> None:
    """Diff the fragment against a Merge OpenAPI file: exit 0 no new drift, 1 new drift, 2 bad input."""
    try:
        findings = drift(openapi_file)
    except DriftInputError as exc:
        raise _BadInput(str(exc)) from None
    new = [f for f in findings if not f.known]
    if fmt == "json":
        document = {
            "file": str(openapi_file),
            "fragment": {"path": fragment_path().name, "sha256": fragment_sha256()},
            "drift": bool(new),
            "summary": {"differences": len(findings), "known": len(findings) - len(new), "new": len(new)},
            "findings": [f.as_dict() for f in findings],
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=True))
    else:
        click.echo(render_text(findings, str(openapi_file)))
    sys.exit(1 if new else 0)
