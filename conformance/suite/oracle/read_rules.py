"""Reads: a list page or a retrieve never shows another account's lead (TENANT-001..004) nor a lead a
refused write carried (AUTH-007, ENVELOPE-003, ENVELOPE-007); a lead the run wrote reads back and lists
with the written values (CREATE-007, CREATE-008) and keeps no server-owned field it was sent; relations
follow ``expand`` and ``remote_data`` follows ``include_remote_data`` (EXPAND-001..004); an id that names
no lead gets 404, a malformed one 404 or 400 (RETRIEVE-001, 003). Each lead of a list page is also held
against the page's filters, and the page against its size and its walk.
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance.contract.formats import is_uuid
from conformance.suite.oracle.compare import differences, value_classes
from conformance.suite.oracle.exchanges import LIST, PRIMARY, RETRIEVE, SECOND, Seen
from conformance.suite.oracle.filter_rules import FilterRules
from conformance.suite.oracle.ledger import Written, tags_in
from conformance.suite.oracle.page_rules import PageRules
from conformance.suite.oracle.state import OracleState, Rules
from conformance.suite.oracle.write_rules import WriteRules
from conformance.suite.support.findings import short
from conformance.suite.support.leads import RELATION_FIELDS, Lead, relation_id, remote_data_problems

__all__ = ["ReadRules"]


def expand_names(value: str | None) -> list[str] | None:
    """The relations an ``expand`` value names, when every one is known (None: ambiguous or open)."""
    if not value:
        return None
    names = value.split(",")
    return names if all(name in RELATION_FIELDS for name in names) else None


def uuid_class(value: str) -> str:
    parsed = uuid.UUID(value)
    if parsed.int == 0:
        return "nil"
    if parsed.int == (1 << 128) - 1:
        return "max"
    return f"v{parsed.version}" if parsed.variant == uuid.RFC_4122 and parsed.version else "other-variant"


class ReadRules(Rules):
    """The rules of a list page, a retrieve, and every lead either shows."""

    def __init__(
        self, state: OracleState, writes: WriteRules, filters: FilterRules, pages: PageRules
    ) -> None:
        super().__init__(state)
        self.writes = writes
        self.filters = filters
        self.pages = pages
        self._comparables: dict[tuple[str, str, int], tuple[dict[str, Any], set[str]]] = {}

    def list_page(self, seen: Seen, account: str) -> None:
        body = seen.answer
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            return
        leads = [item for item in results if isinstance(item, dict)]
        first = seen.first_page
        page = "first" if first else "later"
        self.pages.page_size(seen, results, "LEADS-PAGE-002", account, page)
        if first:
            self.coverage.note("LEADS-PAGE-005", account=account)
            self.pages.no_previous(seen, body, "LEADS-PAGE-005")
        filters = self.filters.filters_of(seen.query, account)
        for lead in leads:
            self.lead(seen, account, lead, page)
            self.state.fields.listed(account, lead)
            for query_filter in filters:
                query_filter.judge(self.state, seen, lead, page, account)
        for query_filter in filters if not leads else []:
            query_filter.covered(self.coverage, page, account)
            self.verdicts.ok(query_filter.requirement)
        self.state.listed[account].update(lead["id"] for lead in leads if isinstance(lead.get("id"), str))
        self.pages.walk(seen, account, [lead.get("id") for lead in leads], body)

    def retrieve(self, seen: Seen, account: str) -> None:
        ident = seen.lead_id or ""
        owner = self.ledger.get(ident)
        status = seen.status
        if owner is not None and owner.account != account:
            # TENANT-001 asks for a 404; TENANT-003 and -004 that the lead never shows up (no 2xx)
            requirement = self._isolation_requirement(owner, account, RETRIEVE)
            kept = status == 404 if requirement == "LEADS-TENANT-001" else not 200 <= status < 300
            self.coverage.note(
                requirement, operation=RETRIEVE, parameter=[k for k, _ in seen.query] or ["none"]
            )
            self.verdicts.check(
                kept,
                requirement,
                lambda: (
                    f"{seen.shown} under the {account} account, of a lead the run created under the "
                    f"{owner.account} account, answered {status}" + (", not 404" if status != 404 else "")
                ),
                seen.line,
            )
            return
        if status == 200 and isinstance(seen.answer, dict):
            lead = seen.answer
            shown = lead.get("id")
            same = shown == ident or (
                is_uuid(shown) and is_uuid(ident) and str(shown).lower() == ident.lower()
            )
            requirement = "LEADS-CREATE-007" if owner is not None else "LEADS-RETRIEVE-001"
            self.verdicts.check(
                same, requirement, lambda: f"{seen.shown} answered the lead {shown!r}", seen.line
            )
            self.lead(seen, account, lead, "retrieve")
            return
        if owner is not None:
            if owner.answered_at < seen.exchange.sent_at:
                self.coverage.note("LEADS-CREATE-007", account=account)
                self.verdicts.fail(
                    "LEADS-CREATE-007",
                    f"{seen.shown}, a lead the run created (line {owner.line}), answered {status}",
                    seen.line,
                )
            return
        if seen.query or status in (401, 429):
            return
        if is_uuid(ident):
            kind = uuid_class(ident)
            self.coverage.note("LEADS-RETRIEVE-001", values=kind, account=account)
            self.verdicts.check(
                status in (200, 404),
                "LEADS-RETRIEVE-001",
                lambda: (
                    f"{seen.shown}: a well-formed UUID ({kind}) that names no lead the run knows answered "
                    f"{status}, not 404"
                ),
                seen.line,
            )
        else:
            self.coverage.note("LEADS-RETRIEVE-003", account=account)
            self.verdicts.check(
                status in (200, 400, 404),
                "LEADS-RETRIEVE-003",
                lambda: f"{seen.shown}: a malformed lead id answered {status}, neither 404 nor 400",
                seen.line,
            )

    def lead(self, seen: Seen, account: str, lead: Lead, page: str) -> None:
        """Rules every lead of every read obeys (list page or retrieve)."""
        ident = lead.get("id")
        owner = self.ledger.get(ident)
        mine = owner if owner is not None and owner.account == account else None
        operation = seen.operation
        if owner is None:
            shown = {relation_id(lead.get(name)) for name in RELATION_FIELDS}
            self.state.relations[account].update(value for value in shown if isinstance(value, str) and value)
        if owner is not None and mine is None:
            requirement = self._isolation_requirement(owner, account, operation)
            self.coverage.note(requirement, operation=operation, page=page)
            self.verdicts.fail(
                requirement,
                f"{seen.shown} under the {account} account shows the lead {ident!r}, which the run created "
                f"under the {owner.account} account (line {owner.line})",
                seen.line,
            )
        elif operation == LIST:
            named = [k for k, _ in seen.query if k != "cursor"]
            parameter = named if set(named) - {"page_size"} else [*named, "none"]
            for requirement in self._isolation_requirements(account):
                self.coverage.note(requirement, operation=LIST, page=page, parameter=parameter)
                self.verdicts.ok(requirement)
        if mine is not None:
            self.ledger.seen(mine.id, lead)
            requirement = "LEADS-CREATE-007" if operation == RETRIEVE else "LEADS-CREATE-008"
            comparable, classes = self._comparable(mine, account)
            expanded = set(expand_names(seen.single("expand")) or ())
            # how expand renders a relation is EXPAND's concern: one it expanded to null or to anything but
            # an object is not compared by id
            sent = {
                name: value
                for name, value in comparable.items()
                if not (name in expanded and not isinstance(lead.get(name), dict))
            }
            found = differences(sent, lead, mine.declined, self.state.relations[account])
            skipped = set(mine.declined) | self.state.not_compared(sent, account)
            stage = "read_back" if operation == RETRIEVE else "listed"
            self.state.fields.shown(stage, sent, lead, skipped, seen.line)
            self.coverage.note(requirement, account=account, page=page, values=classes)
            self.verdicts.check(
                not found.must,
                requirement,
                lambda: (
                    f"{seen.shown} shows the lead {ident!r} (created on line {mine.line}) with other values "
                    "than were written: " + "; ".join(found.must[:4])
                ),
                seen.line,
            )
            self.writes.server_owned(mine.sent, lead, f"{seen.shown}, lead {ident!r},", seen.line)
        self._stored_although_refused(seen, lead)
        self._view(seen, account, lead, page, mine)

    def _comparable(self, owner: Written, account: str) -> tuple[dict[str, Any], set[str]]:
        """The part of a written model a read must show (values meta/post allows), and its value classes."""
        key = (owner.id, account, id(self.state.meta.get(account)))
        hit = self._comparables.get(key)
        if hit is None:
            sent = self.state.fitting_meta(owner.sent, account)
            hit = self._comparables[key] = (sent, value_classes(sent))
        return hit

    def _isolation_requirement(self, owner: Written, account: str, operation: str) -> str:
        if owner.account == PRIMARY:
            return "LEADS-TENANT-001" if operation == RETRIEVE else "LEADS-TENANT-002"
        named = {relation_id(owner.sent.get(name)) for name in RELATION_FIELDS} - {None}
        return "LEADS-TENANT-004" if named & self.state.relations[PRIMARY] else "LEADS-TENANT-003"

    def _isolation_requirements(self, account: str) -> tuple[str, ...]:
        """The requirements a clean list page of ``account`` gives evidence for (when the run wrote to the
        other account)."""
        other = SECOND if account == PRIMARY else PRIMARY
        leads = self.ledger.leads(other)
        if not leads:
            return ()
        if account == SECOND:
            return ("LEADS-TENANT-002",)
        kinds = {self._isolation_requirement(lead, account, LIST) for lead in leads}
        return tuple(sorted(kinds))

    def _stored_although_refused(self, seen: Seen, lead: Lead) -> None:
        refused = self.ledger.refused_tags()
        if not refused:
            return
        for tag in tags_in(lead, self.target.run_id):
            refusal = refused.get(tag)
            if refusal is not None and refusal.answered_at < seen.exchange.sent_at:
                self.verdicts.fail(
                    refusal.requirement,
                    f"{seen.shown} shows the lead {lead.get('id')!r} carrying the tag {tag!r} of a write "
                    f"the target refused with {refusal.status} (line {refusal.line})",
                    seen.line,
                )

    def _view(self, seen: Seen, account: str, lead: Lead, page: str, owner: Written | None = None) -> None:
        """Relations follow ``expand``; ``remote_data`` follows ``include_remote_data``."""
        where = f"{seen.shown}: lead {lead.get('id')!r}"
        view = {"operation": seen.operation, "page": page, "account": account}
        if not seen.given("expand"):
            for name in RELATION_FIELDS:
                value = lead.get(name)
                self.coverage.note("LEADS-EXPAND-001", **view)
                self.verdicts.check(
                    value is None or isinstance(value, str),
                    "LEADS-EXPAND-001",
                    lambda name=name, value=value: f"{where}: {name} is {short(value)} without expand",
                    seen.line,
                )
        else:
            named = expand_names(seen.single("expand"))
            for name in named or ():
                value = lead.get(name)
                self.coverage.note("LEADS-EXPAND-002", parameter=name, **view)
                self.verdicts.check(
                    value is None or (isinstance(value, dict) and "id" in value),
                    "LEADS-EXPAND-002",
                    lambda name=name, value=value: (
                        f"{where}: {name} is {short(value)} with expand naming it"
                    ),
                    seen.line,
                )
                written = relation_id(owner.sent.get(name)) if owner is not None else None
                self.state.fields.expanded(name, value, seen.line)
                self._expanded_alike(seen, account, name, value, written, where)
        flag = seen.single("include_remote_data") if seen.given("include_remote_data") else "false"
        value = lead.get("remote_data")
        if flag == "false":
            given = "false" if seen.given("include_remote_data") else "absent"
            self.coverage.note("LEADS-EXPAND-003", parameter=given, **view)
            self.verdicts.check(
                value is None,
                "LEADS-EXPAND-003",
                lambda: f"{where}: remote_data is {short(value)} with include_remote_data {given}",
                seen.line,
            )
        elif flag == "true":
            self.coverage.note("LEADS-EXPAND-004", **view)
            problems = remote_data_problems(value)
            self.verdicts.check(
                not problems,
                "LEADS-EXPAND-004",
                lambda: f"{where}: with include_remote_data=true, {problems[0]}",
                seen.line,
            )

    def _expanded_alike(
        self, seen: Seen, account: str, name: str, value: Any, written: Any, where: str
    ) -> None:
        """A relation the target expands to an object in one read is not null in another (EXPAND-002): null
        is for a relation that names nothing the target can show, and a lead the run wrote naming an object
        the target expands elsewhere in the run does name one."""
        expanded, nulls = self.state.expanded[account], self.state.expanded_to_null[account]
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            ident = value["id"]
            expanded.setdefault(ident, seen.line)
            for line, what in nulls.pop(ident, []):
                self.verdicts.fail(
                    "LEADS-EXPAND-002",
                    f"{what}, although it expands {ident!r} to an object on line {seen.line}",
                    line,
                )
        elif value is None and isinstance(written, str) and written:
            what = f"{where}: {name} is null with expand naming it, and the run wrote it as {written!r}"
            if written in expanded:
                self.verdicts.fail(
                    "LEADS-EXPAND-002",
                    f"{what}, although it expands {written!r} to an object on line {expanded[written]}",
                    seen.line,
                )
            else:
                nulls.setdefault(written, []).append((seen.line, what))
