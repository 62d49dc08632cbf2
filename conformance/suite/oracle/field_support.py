"""Field support: what the target really does with each field of a lead, measured from the run's own
exchanges.

The oracle hands this module every create, read-back, listed lead, filtered page and expanded read
it judges; each one is an observation of a field at one stage:

- *accepted*: a 2xx create carried the field and no warning declined it;
- *echoed*, *read back*, *listed*: the 201, a retrieve or a list page showed the value written;
- *filterable*, *expandable*: a filter on the field kept only leads it admits; ``expand`` naming a
  relation gave its object;
- *populated*: the share of an account's listed leads that hold a value for it.

A cell is ``supported`` (every observation held), ``not supported`` (none did: the value never came
back), ``partial`` (some did, or it came back changed: with the reasons, such as "trimmed" or
"truncated at 255") or ``not observed`` (the run sent or saw nothing that tells). A cell that does not
apply to a field (a read-only field is never written) is absent. Nothing here sends a request.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.fragment import load_fragment
from conformance.suite.oracle.compare import DATE_FIELDS, same_instant, same_number
from conformance.suite.support.leads import NESTED_FIELDS, RELATION_FIELDS, WRITE_ONLY_FIELDS, relation_id

__all__ = [
    "NOT_OBSERVED",
    "NOT_SUPPORTED",
    "PARTIAL",
    "STAGES",
    "SUPPORTED",
    "FieldSupport",
    "combined",
    "compare_value",
]

SUPPORTED, NOT_SUPPORTED, PARTIAL, NOT_OBSERVED = "supported", "not supported", "partial", "not observed"
#: the stages a written field passes, in order
WRITE_STAGES = ("accepted", "echoed", "read_back", "listed")
STAGES = (*WRITE_STAGES, "filterable", "expandable")
#: the list parameters that filter on a field, and the field they filter
FILTER_FIELDS = {
    "created_after": "created_at",
    "created_before": "created_at",
    "modified_after": "modified_at",
    "modified_before": "modified_at",
    "remote_id": "remote_id",
    "owner_id": "owner",
    "converted_account_id": "converted_account",
    "converted_contact_id": "converted_contact",
    "email_addresses": "email_addresses",
    "phone_numbers": "phone_numbers",
}
#: the reason of a value that did not come back at all
DROPPED = "dropped"
#: evidence lines kept per cell
LINES_KEPT = 5


# ------------------------------------------------------------------------------ comparing one value
def _text_change(sent: str, got: Any) -> str | None:
    """How a text came back (None: unchanged)."""
    if got == sent:
        return None
    if got is None or got == "":
        return DROPPED
    if not isinstance(got, str):
        return "changed type"
    if got == sent.strip() or " ".join(got.split()) == " ".join(sent.split()):
        return "trimmed"
    if sent.startswith(got):
        return f"truncated at {len(got)}"
    for form in ("NFC", "NFD", "NFKC"):
        if unicodedata.normalize(form, got) == unicodedata.normalize(form, sent):
            return "normalised"
    if got.casefold() == sent.casefold():
        return "case changed"
    return "changed"


def compare_value(name: str, sent: Any, got: Any) -> str | None:
    """How the value of the field ``name`` came back (None: as written)."""
    if name in DATE_FIELDS:
        if got is None:
            return DROPPED if sent is not None else None
        return None if same_instant(sent, got) else "changed"
    if name in RELATION_FIELDS:
        ident, shown = relation_id(sent), relation_id(got)
        if shown == ident:
            return None
        return DROPPED if shown is None else "changed"
    if isinstance(sent, str):
        change = _text_change(sent, got)
        if change == "changed" and name == "phone_number" and isinstance(got, str) and same_number(sent, got):
            return "reformatted"
        return change
    if sent is None:
        return None if got is None else "null not kept"
    return None if got == sent else (DROPPED if got is None else "changed")


# ------------------------------------------------------------------------------ tallies
#: reasons that say the stage was not done at all (not done differently)
OUTRIGHT = (DROPPED, "declined", "left as an id")


def _outright(reason: str) -> bool:
    return reason in OUTRIGHT or reason.endswith("listed leads it excludes")


@dataclass
class Tally:
    """The observations of one field at one stage."""

    held: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    lines: list[int] = field(default_factory=list)

    def add(self, reason: str | None, line: int) -> None:
        if reason is None:
            self.held += 1
        else:
            self.reasons[reason] += 1
        if line and len(self.lines) < LINES_KEPT and line not in self.lines:
            self.lines.append(line)

    @property
    def status(self) -> str:
        if not self.held and not self.reasons:
            return NOT_OBSERVED
        if not self.reasons:
            return SUPPORTED
        if not self.held and all(_outright(reason) for reason in self.reasons):
            return NOT_SUPPORTED
        return PARTIAL

    def cell(self) -> dict[str, Any]:
        status = self.status
        seen = self.held + sum(self.reasons.values())
        cell: dict[str, Any] = {"status": status, "held": self.held, "seen": seen}
        if status == PARTIAL:
            common = self.reasons.most_common()
            cell["reason"] = ", ".join(f"{reason} ({n} of {seen})" for reason, n in common)
        elif status == NOT_SUPPORTED:
            cell["reason"] = ", ".join(sorted(self.reasons))
        cell["evidence_lines"] = list(self.lines)
        return cell


def lead_fields() -> tuple[list[str], set[str]]:
    """Every field of the fragment's Lead and LeadRequest (nested request items as ``name.sub``), and the
    writable ones."""
    schemas = load_fragment()["components"]["schemas"]
    read = list((schemas.get("Lead") or {}).get("properties") or {})
    writable = list((schemas.get("LeadRequest") or {}).get("properties") or {})
    names: list[str] = []
    for name in [*read, *(n for n in writable if n not in read)]:
        names.append(name)
        names.extend(f"{name}.{sub}" for sub in NESTED_FIELDS.get(name, ()))
    written = {n for n in names if n.split(".")[0] in writable}
    return names, written


def _best_match(item: dict[str, Any], shown: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The shown nested item most like the one sent (most sub-fields equal), or None."""
    if not shown:
        return None
    return max(shown, key=lambda other: sum(other.get(key) == value for key, value in item.items()))


class FieldSupport:
    """The observations of one run, per field and stage, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.fields, self.writable = lead_fields()
        self._tallies: dict[tuple[str, str], Tally] = {}
        #: per account, what meta/post declares for each field (and for each nested sub-field)
        self._offered: dict[str, dict[str, dict[str, Any]]] = {}
        #: per account, each listed lead's id and the fields it held a value for (its latest rendering)
        self._populated: dict[str, dict[str, frozenset[str]]] = {}

    # -- observing ---------------------------------------------------------------------------------
    def _add(self, name: str, stage: str, reason: str | None, line: int) -> None:
        with self._lock:
            self._tallies.setdefault((name, stage), Tally()).add(reason, line)

    def offered(self, account: str, properties: dict[str, Any]) -> None:
        """What an account's meta/post says of each field: its type, format and limits."""
        offered: dict[str, dict[str, Any]] = {}
        for name, schema in properties.items():
            offered[name] = _declared(schema)
            items = schema.get("items") if isinstance(schema, dict) else None
            subs = items.get("properties") if isinstance(items, dict) else None
            for sub, sub_schema in (subs or {}).items() if isinstance(subs, dict) else ():
                offered[f"{name}.{sub}"] = _declared(sub_schema)
        with self._lock:
            self._offered[account] = offered

    def written(self, sent: dict[str, Any], declined: Iterable[str], line: int) -> None:
        """A 2xx create carried ``sent``: each field is accepted unless a warning declined it."""
        refused = set(declined)
        for name, value in sent.items():
            if name not in self.writable:
                continue
            self._add(name, "accepted", "declined" if name in refused else None, line)
            for sub in _nested_keys(name, value):
                self._add(f"{name}.{sub}", "accepted", "declined" if name in refused else None, line)

    def shown(
        self, stage: str, sent: dict[str, Any], shown: dict[str, Any], skipped: set[str], line: int
    ) -> None:
        """A 201 (``echoed``), a retrieve (``read_back``) or a list page (``listed``) showed a lead the run
        wrote as ``sent``; ``skipped`` fields are not compared (declined, or not meta/post's to judge)."""
        for name, value in sent.items():
            if name not in self.writable or name in skipped or name in WRITE_ONLY_FIELDS:
                continue
            got = shown.get(name)
            if name in NESTED_FIELDS:
                self._nested(stage, name, value, got, line)
            elif value is not None:  # a null sent and shown back tells nothing of support
                self._add(name, stage, compare_value(name, value, got), line)

    def _nested(self, stage: str, name: str, sent: Any, got: Any, line: int) -> None:
        items = [item for item in sent if isinstance(item, dict)] if isinstance(sent, list) else []
        if not items:
            return
        shown = got if isinstance(got, list) else []
        if not shown:
            reason: str | None = DROPPED
        elif len(shown) < len(items):
            reason = "first item only" if len(shown) == 1 else f"{len(shown)} of {len(items)} items"
        else:
            reason = None
        self._add(name, stage, reason, line)
        # each shown item answers one sent item at most: a sent item left without one was dropped
        unused = [other for other in shown if isinstance(other, dict)]
        for item in items:
            match = _best_match(item, unused)
            if match is not None:
                unused.remove(match)
            for sub in NESTED_FIELDS[name]:
                if isinstance(item.get(sub), str):
                    got_sub = match.get(sub) if match is not None else None
                    self._add(f"{name}.{sub}", stage, compare_value(sub, item[sub], got_sub), line)

    def listed(self, account: str, lead: dict[str, Any]) -> None:
        """A lead of ``account`` on a list page: which fields hold a value."""
        ident = lead.get("id")
        if not isinstance(ident, str):
            return
        held = {name for name, value in lead.items() if value not in (None, "", [], {})}
        for name in NESTED_FIELDS:
            for item in lead.get(name) or [] if isinstance(lead.get(name), list) else []:
                if isinstance(item, dict):
                    held.update(f"{name}.{sub}" for sub, value in item.items() if value not in (None, ""))
        with self._lock:
            self._populated.setdefault(account, {})[ident] = frozenset(held)

    def filtered(self, param: str, held: bool, line: int) -> None:
        """A filter ``param`` admitted (``held``) or not a lead a page of it listed."""
        name = FILTER_FIELDS.get(param)
        if name is not None:
            reason = None if held else f"{param} listed leads it excludes"
            self._add(name, "filterable", reason, line)
            self._add(param, "parameter", reason, line)

    def expanded(self, name: str, value: Any, line: int) -> None:
        """``expand`` named the relation ``name`` and a lead showed ``value`` for it."""
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            self._add(name, "expandable", None, line)
        elif isinstance(value, str):
            self._add(name, "expandable", "left as an id", line)

    # -- reporting ---------------------------------------------------------------------------------
    @staticmethod
    def unmeasured(report: dict[str, Any], why: str) -> None:
        """Say, in each written field's cell the run did not observe, that ``why`` may have left it
        unmeasured (the write budget was spent)."""
        report["unmeasured"] = why
        for entry in report["fields"].values():
            for stage in WRITE_STAGES:
                cell = entry.get(stage)
                if entry.get("writable") and isinstance(cell, dict) and cell["status"] == NOT_OBSERVED:
                    cell["reason"] = why

    def report(self) -> dict[str, Any]:
        """``field_support`` for report.json: per field, each stage's cell, what meta/post offers, and how
        populated the listed leads were; per list parameter, whether it filtered."""
        with self._lock:
            tallies = dict(self._tallies)
            offered = {account: dict(fields) for account, fields in self._offered.items()}
            populated = {account: dict(leads) for account, leads in self._populated.items()}
        fields: dict[str, Any] = {}
        for name in self.fields:
            stages = [*(WRITE_STAGES if name in self.writable else ())]
            if name.split(".")[0] in WRITE_ONLY_FIELDS:
                stages = ["accepted"]
            if name in FILTER_FIELDS.values():
                stages.append("filterable")
            if name in RELATION_FIELDS:
                stages.append("expandable")
            entry: dict[str, Any] = {
                "writable": name in self.writable,
                "offered": {
                    account: fields_of.get(name) for account, fields_of in sorted(offered.items())
                },
                **{stage: tallies.get((name, stage), Tally()).cell() for stage in stages},
                "populated": {
                    account: _share(name, leads) for account, leads in sorted(populated.items())
                },
            }
            entry["summary"] = summary_of(entry)
            fields[name] = entry
        return {
            "statuses": [SUPPORTED, PARTIAL, NOT_SUPPORTED, NOT_OBSERVED],
            "stages": list(STAGES),
            "fields": fields,
            "parameters": {
                **{
                    param: {"field": name, **tallies.get((param, "parameter"), Tally()).cell()}
                    for param, name in FILTER_FIELDS.items()
                },
                **{
                    f"expand={name}": {"field": name, **tallies.get((name, "expandable"), Tally()).cell()}
                    for name in RELATION_FIELDS
                },
            },
        }


def summary_of(entry: dict[str, Any]) -> str:
    """One status for a field. A written field: what its storage stages (echoed, read back, listed,
    filterable, expandable) showed, or accepted alone when none was observed. A read-only field:
    supported when a listed lead held a value for it."""
    observed = {
        stage: entry[stage]["status"]
        for stage in STAGES
        if isinstance(entry.get(stage), dict) and entry[stage]["status"] != NOT_OBSERVED
    }
    if len(observed) > 1:
        observed.pop("accepted", None)
    if not observed:
        held = any(share.get("holding") for share in entry.get("populated", {}).values())
        return SUPPORTED if held and not entry.get("writable") else NOT_OBSERVED
    return combined(observed.values())


def combined(statuses: Iterable[str]) -> str:
    """One status for several cells: supported or not supported when every observed one says so, partial
    when they differ or one is partial, not observed when none was observed."""
    seen = set(statuses) - {NOT_OBSERVED}
    if seen in ({SUPPORTED}, {NOT_SUPPORTED}):
        return seen.pop()
    return PARTIAL if seen else NOT_OBSERVED


def _share(name: str, leads: dict[str, frozenset[str]]) -> dict[str, Any]:
    holding = sum(1 for held in leads.values() if name in held)
    share = round(holding / len(leads), 3) if leads else None
    return {"leads": len(leads), "holding": holding, "share": share}


def _declared(schema: Any) -> dict[str, Any]:
    """What a meta/post schema declares of a field: its type, format, limits and choices."""
    if not isinstance(schema, dict):
        return {}
    keys = ("type", "format", "maxLength", "minLength", "maxItems", "minimum", "maximum", "enum", "nullable")
    return {key: schema[key] for key in keys if key in schema}


def _nested_keys(name: str, value: Any) -> list[str]:
    """The sub-fields each item of a nested list carries (one entry per item that carries it)."""
    if name not in NESTED_FIELDS or not isinstance(value, list):
        return []
    return [sub for item in value if isinstance(item, dict) for sub in NESTED_FIELDS[name] if sub in item]
