"""Creates: a create answered 2xx goes into the ledger; a 201 echoes every well-formed writable field sent
(CREATE-002, phone forms CREATE-011), with ``errors`` empty (CREATE-001), a new non-empty id (CREATE-003, a
UUID: CREATE-004), RFC 3339 timestamps in order (CREATE-005, 006), ``logs`` only in debug mode (CREATE-009,
010), no server-owned field applied (CREATE-012), a warning for every unknown key (ENVELOPE-002, nested
ENVELOPE-006) and none for a field the target recognises (ENVELOPE-008); a body without an object ``model``
is never accepted (ENVELOPE-005); a refused write's run tags are kept."""

from __future__ import annotations

from typing import Any

from conformance.contract.formats import is_uuid, parse_datetime
from conformance.suite.oracle.compare import SERVER_OWNED, differences, same_instant, value_classes
from conformance.suite.oracle.exchanges import Seen
from conformance.suite.oracle.ledger import Written, tags_in
from conformance.suite.oracle.state import Rules
from conformance.suite.support.findings import short
from conformance.suite.support.leads import declined_fields
from conformance.suite.support.problems import pointer_of, pointer_tokens, problems_named, problems_of
from conformance.suite.support.validators import shape_problems

__all__ = ["WriteRules"]


class WriteRules(Rules):
    """The rules of a create's answer, and of a lead shown with the server-owned fields a write sent."""

    def create(self, seen: Seen, account: str) -> None:
        status = seen.status
        sent = seen.sent
        model_sent = sent.get("model") if isinstance(sent, dict) else None
        answer = seen.answer if isinstance(seen.answer, dict) else {}
        if 400 <= status < 500:
            self._refused(seen, account, answer)
            return
        if not 200 <= status < 300:
            return
        if not isinstance(model_sent, dict) and "json" in seen.headers.get("content-type", "").lower():
            self.verdicts.fail(
                "LEADS-ENVELOPE-005",
                f"{seen.shown} accepted ({status}) a body without an object model: {short(sent)}",
                seen.line,
            )
            return
        model = answer.get("model")
        if not isinstance(model, dict) or not isinstance(model_sent, dict):
            return
        ident = model.get("id")
        if isinstance(ident, str) and ident:
            written = Written(
                account=account,
                id=ident,
                sent=model_sent,
                answer=model,
                declined=frozenset(declined_fields(answer)),
                line=seen.line,
                sent_at=seen.exchange.sent_at,
                answered_at=seen.exchange.answered_at,
                status=status,
                params=dict(seen.query),
                tags=frozenset(tags_in(model_sent, self.target.run_id)),
            )
            earlier = self.ledger.add(written)
            self.state.fields.written(model_sent, declined_fields(answer, whole=True), seen.line)
            self.verdicts.check(
                earlier is None,
                "LEADS-CREATE-003",
                lambda: (
                    f"{seen.shown} answered the id {ident!r}, which the create of line "
                    f"{earlier.line if earlier else '?'} answered too"
                ),
                seen.line,
            )
        if status == 201:
            self._created(seen, account, model_sent, answer, model)

    def _created(
        self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any], model: dict[str, Any]
    ) -> None:
        line = seen.line
        verdicts = self.verdicts
        ident = model.get("id")
        verdicts.check(
            isinstance(ident, str) and bool(ident),
            "LEADS-CREATE-003",
            lambda: f"a create answered model.id {ident!r}, not a non-empty string",
            line,
        )
        verdicts.check(is_uuid(ident), "LEADS-CREATE-004", lambda: f"model.id {ident!r} is not a UUID", line)
        errors = answer.get("errors")
        verdicts.check(
            isinstance(answer.get("warnings"), list) and isinstance(errors, list) and not errors,
            "LEADS-CREATE-001",
            lambda: (
                f"a 201 create answer has warnings {short(answer.get('warnings'))} and errors "
                f"{short(errors)} (arrays, errors empty)"
            ),
            line,
        )
        self._timestamps(model, f"the create of {seen.shown}", line)
        self._logs(seen, answer)
        self._echo(seen, account, sent, answer, model)
        self.server_owned(sent, model, f"the 201 to {seen.shown}", line)
        self._unknown_keys(seen, account, sent, answer)
        self._false_warnings(seen, account, sent, answer)

    def _false_warnings(self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any]) -> None:
        """An UNRECOGNIZED_FIELD warning names a field the target does not recognise (ENVELOPE-008): never
        model itself, nor a field the account's meta/post offers that the write sent."""
        offered = set(self.state.meta.get(account) or self.state.request_fields[0])
        false = []
        for key, item in problems_of(answer):
            if key != "warnings" or not isinstance(item, dict):
                continue
            if item.get("problem_type") != "UNRECOGNIZED_FIELD":
                continue
            pointer = pointer_of(item)
            if pointer is None:
                continue
            tokens = pointer_tokens(pointer)
            named = tokens[1:] if tokens[:1] == ["model"] else tokens
            if tokens == ["model"] or (len(named) == 1 and named[0] in offered and named[0] in sent):
                false.append(pointer)
        self.coverage.note("LEADS-ENVELOPE-008", account=account)
        self.verdicts.check(
            not false,
            "LEADS-ENVELOPE-008",
            lambda: f"the 201 to {seen.shown} warns UNRECOGNIZED_FIELD at {', '.join(false[:3])}, fields it "
            "recognises",
            seen.line,
        )

    def _timestamps(self, model: dict[str, Any], where: str, line: int) -> None:
        created, modified = parse_datetime(model.get("created_at")), parse_datetime(model.get("modified_at"))
        for name, moment in (("created_at", created), ("modified_at", modified)):
            self.verdicts.check(
                moment is not None,
                "LEADS-CREATE-005",
                lambda name=name: f"{where}: {name} {model.get(name)!r} is not an RFC 3339 date-time",
                line,
            )
        if created is not None and modified is not None:
            self.verdicts.check(
                created <= modified,
                "LEADS-CREATE-006",
                lambda: (
                    f"{where}: created_at {model.get('created_at')!r} is later than modified_at "
                    f"{model.get('modified_at')!r}"
                ),
                line,
            )

    def _logs(self, seen: Seen, answer: dict[str, Any]) -> None:
        debug = seen.single("is_debug_mode") if seen.given("is_debug_mode") else "false"
        logs = answer.get("logs")
        if debug == "false":
            self.verdicts.check(
                logs in (None, []),
                "LEADS-CREATE-009",
                lambda: f"{seen.shown} (no is_debug_mode) answered logs {short(logs)}",
                seen.line,
            )
        elif debug == "true":
            problems = (
                [
                    issue
                    for index, item in enumerate(logs)
                    for issue in shape_problems(item, "DebugModeLog", f"logs[{index}]")
                ]
                if isinstance(logs, list)
                else [f"logs is {short(logs)}, not an array"]
            )
            self.verdicts.check(
                not problems,
                "LEADS-CREATE-010",
                lambda: f"{seen.shown}: {'; '.join(problems)[:300]}",
                seen.line,
            )

    def _echo(
        self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any], model: dict[str, Any]
    ) -> None:
        comparable = self.state.fitting_meta(sent, account)
        found = differences(comparable, model, declined_fields(answer), self.state.relations[account])
        skipped = declined_fields(answer) | self.state.not_compared(comparable, account)
        self.state.fields.shown("echoed", comparable, model, skipped, seen.line)
        classes = value_classes(comparable)
        self.coverage.note("LEADS-CREATE-002", account=account, values=classes, fields=found.compared)
        self.verdicts.check(
            not found.must,
            "LEADS-CREATE-002",
            lambda: f"the 201 to {seen.shown} does not echo what was sent: " + "; ".join(found.must[:4]),
            seen.line,
        )
        if any(name == "phone_numbers" for name in found.compared):
            self.coverage.note("LEADS-CREATE-011", account=account)
            self.verdicts.check(
                not found.should,
                "LEADS-CREATE-011",
                lambda: f"the 201 to {seen.shown}: " + "; ".join(found.should[:3]),
                seen.line,
            )

    def server_owned(self, sent: dict[str, Any], shown: dict[str, Any], where: str, line: int) -> None:
        """A server-owned field sent inside model must not have been applied (CREATE-012)."""
        owned = [name for name in SERVER_OWNED if name in sent]
        applied = []
        for name in owned:
            value, got = sent[name], shown.get(name)
            if name == "remote_was_deleted":
                hit = value is True and got is True
            elif name in ("created_at", "modified_at"):
                hit = same_instant(value, got)
            else:
                hit = isinstance(value, str) and bool(value) and got == value
            if hit:
                applied.append(f"{name} {got!r}")
        if owned:
            self.coverage.note("LEADS-CREATE-012", fields=owned)
            self.verdicts.check(
                not applied,
                "LEADS-CREATE-012",
                lambda: f"{where} took server-owned values sent inside model: " + ", ".join(applied),
                line,
            )

    def _unknown_keys(self, seen: Seen, account: str, sent: dict[str, Any], answer: dict[str, Any]) -> None:
        known, nested = self.state.request_fields
        unknown: list[tuple[str, tuple[str | int, ...], str, dict[str, str]]] = [
            ("LEADS-ENVELOPE-002", (name,), f"the unknown field {name!r}",
             {"key": "server-owned" if name in SERVER_OWNED else "unknown"})
            for name in sent
            if name not in known
        ]
        for name, keys in nested.items():
            items = sent.get(name)
            unknown += [
                ("LEADS-ENVELOPE-006", (name, index, key), f"/model/{name}/{index}/{key}", {"item": name})
                for index, item in enumerate(items if isinstance(items, list) else [])
                for key in (item if isinstance(item, dict) else [])
                if key not in keys
            ]
        for requirement, path, what, covered in unknown:
            self.coverage.note(requirement, account=account, **covered)
            self.verdicts.check(
                bool(problems_named(answer, "UNRECOGNIZED_FIELD", path, ("warnings",), detail_counts=False)),
                requirement,
                lambda what=what: f"the 201 to {seen.shown} has no UNRECOGNIZED_FIELD warning naming {what}",
                seen.line,
            )

    def _refused(self, seen: Seen, account: str, answer: dict[str, Any]) -> None:
        missing = any(
            isinstance(item, dict) and item.get("problem_type") == "MISSING_REQUIRED_FIELD"
            for key, item in problems_of(answer)
            if key == "errors"
        )
        self.refused(seen, account, "LEADS-ENVELOPE-003" if missing else "LEADS-ENVELOPE-007")
