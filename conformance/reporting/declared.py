"""What a vendor declares of its field support (``--declared FILE``), set beside what the run measured.

The file is YAML or JSON in the shape integration tables publish: per field, whether it is supported
for ``read``, ``write``, ``filter`` (and ``expand`` for a relation)::

    integration: Acme CRM          # optional, shown in the report
    fields:
      first_name: {read: true, write: true}
      email_addresses: {read: true, write: true, filter: true}
      owner: [read, write, expand]  # a list names the capabilities claimed

A claim is set against the measured cells: ``write`` against accepted, echoed, read back and listed;
``read`` against read back and listed (for a read-only field, whether listed leads held a value);
``filter`` against filterable; ``expand`` against expandable. A field claimed supported that the run
shows not supported or partial, or claimed unsupported that the run shows supported, is a
disagreement; a claim the run observed nothing of is listed as unverified.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.outcomes import UsageError
from conformance.reporting.user_files import load_document
from conformance.suite.oracle.field_support import WRITE_STAGES, combined

__all__ = ["CAPABILITIES", "compare_declared", "load_declared"]

CAPABILITIES = ("read", "write", "filter", "expand")
#: the measured stages each claimed capability stands on
_STAGES = {
    "write": WRITE_STAGES,
    "read": ("read_back", "listed"),
    "filter": ("filterable",),
    "expand": ("expandable",),
}


def load_declared(path: Path) -> dict[str, Any]:
    """The declared file as ``{"integration": str | None, "fields": {field: {capability: bool}}}``; a file
    that cannot be read or has another shape is a usage error naming what is wrong."""
    document = load_document(path, "--declared", "a YAML or JSON file")
    if not isinstance(document, dict):
        raise UsageError(f"--declared: {path} must be a mapping with a 'fields' mapping")
    fields = document.get("fields", document)
    if not isinstance(fields, dict) or not fields:
        raise UsageError(f"--declared: {path} has no 'fields' mapping of field -> capabilities")
    declared: dict[str, dict[str, bool]] = {}
    for name, claim in fields.items():
        if name == "integration" and "fields" not in document:
            continue
        declared[str(name)] = _claims(str(name), claim)
    integration = document.get("integration")
    return {"integration": str(integration) if integration is not None else None, "fields": declared}


def _claims(name: str, claim: Any) -> dict[str, bool]:
    if isinstance(claim, bool):
        return {capability: claim for capability in ("read", "write")}
    if isinstance(claim, list) and all(isinstance(item, str) for item in claim):
        claim = dict.fromkeys(claim, True)
    if isinstance(claim, dict):
        unknown = sorted(set(map(str, claim)) - set(CAPABILITIES))
        if unknown:
            raise UsageError(
                f"--declared: field {name!r} names {', '.join(unknown)}; use {', '.join(CAPABILITIES)}"
            )
        if not all(isinstance(value, bool) for value in claim.values()):
            raise UsageError(f"--declared: field {name!r}: each capability is true or false")
        return {str(key): value for key, value in claim.items()}
    raise UsageError(
        f"--declared: field {name!r} must map capabilities (read, write, filter, expand) to true or false"
    )


def _measured(entry: dict[str, Any], capability: str) -> tuple[str, list[int], str]:
    """What the run measured for a capability of a field: a status, its evidence lines and the reason."""
    if capability in ("filter", "expand") and not isinstance(entry.get(_STAGES[capability][0]), dict):
        return "not applicable", [], ""
    cells = [entry[stage] for stage in _STAGES[capability] if isinstance(entry.get(stage), dict)]
    if capability == "read" and not cells:
        held = any(share.get("holding") for share in (entry.get("populated") or {}).values())
        return ("supported" if held else "not observed"), [], ""
    if capability == "write" and len(cells) > 1:
        stored = [cell for cell in cells[1:] if cell["status"] != "not observed"]
        cells = stored or cells[:1]
    observed = [cell for cell in cells if cell["status"] != "not observed"]
    if not observed:
        return "not observed", [], ""
    lines = [line for cell in observed for line in cell.get("evidence_lines", [])][:5]
    reasons = "; ".join(cell["reason"] for cell in observed if cell.get("reason"))
    return combined(cell["status"] for cell in observed), lines, reasons


def compare_declared(field_support: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    """Each claim of ``declared`` beside the measured cells: agreements, disagreements, unverified."""
    fields = field_support.get("fields") or {}
    claims: list[dict[str, Any]] = []
    for name, capabilities in declared["fields"].items():
        entry = fields.get(name)
        for capability, claimed in capabilities.items():
            if entry is None:
                claims.append({"field": name, "capability": capability, "declared": claimed,
                               "measured": "unknown field", "agrees": None, "evidence_lines": []})
                continue
            measured, lines, reason = _measured(entry, capability)
            undecided = measured in ("not observed", "not applicable")
            agrees = None if undecided else (measured == "supported") == claimed
            claims.append({
                "field": name, "capability": capability, "declared": claimed, "measured": measured,
                "agrees": agrees, "reason": reason, "evidence_lines": lines,
            })
    return {
        "integration": declared.get("integration"),
        "claims": claims,
        "disagreements": [claim for claim in claims if claim["agrees"] is False],
        "unverified": [claim for claim in claims if claim["agrees"] is None],
    }
