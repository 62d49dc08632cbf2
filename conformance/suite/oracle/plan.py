"""The run's planned leads, which the checks share.

Every lead a run creates stays in the customer's CRM (Merge has no DELETE), so a run creates few,
plans them, and shares them, within the plan's share of the write budget (``budget``).

``WritePlan`` creates the planned leads, each once, on first need:

- under the first account, in this order (each stamped after the one before, for the date filters):
  ``edges`` (the first set of edge values, with an unknown key, an unknown key in a nested item and
  server-owned fields that must be neither applied nor refused), ``debug`` (the second set of edge
  values with the open ones, created with ``is_debug_mode=true`` and sent as
  ``application/json; charset=utf-8``), and
  ``twin-1`` and ``twin-2`` (two creates of one body holding exactly the fields meta/post requires, or
  a full one when the target refuses that);
- under the second account: ``second`` (the fields its own meta/post requires, and null in every other
  field it lets be null) and
  ``second-naming-first`` (edge values naming the first account's owner, contact and account, with the
  unknown and server-owned keys; the target may refuse it, since the objects it names are not B's).

A planned create the target refuses is sent again without what it may have refused (the unknown and
server-owned keys, the charset, then the edge values), so one refused value does not blind every check
that needs the lead; each refusal is kept for the check whose requirement it breaks. Right after the
first lead's create, before any other write, the plan looks for it in the list (a lead listed only
later is not listed at once).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx

from conformance.contract.formats import parse_datetime
from conformance.contract.operations import LEADS
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.edges import edge_model, explicit_nulls, with_open_values, with_unknown_keys
from conformance.suite.oracle.ledger import Ledger, Written
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.bodies import full_body, request_body, tagged_required_only
from conformance.suite.support.created import Created
from conformance.suite.support.leads import run_tag
from conformance.suite.support.meta import MetaPost
from conformance.suite.support.search import listing_of

__all__ = ["JSON_WITH_CHARSET", "PLANNED_LEADS", "Attempt", "Refusal", "WritePlan"]

#: the planned leads of each account, in the order they are made
PLANNED_LEADS = {
    "primary": ("edges", "debug", "twin-1", "twin-2"),
    "second": ("second", "second-naming-first"),
}
#: how many leads the date filters need, each stamped strictly later than the one before
TIMELINE = 4
#: a JSON body's media type with its charset: valid input (CONTRACT.md, HTTP)
JSON_WITH_CHARSET = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Attempt:
    """One body a planned lead is created from; when the target refuses it, the next attempt leaves out
    ``dropped``, and the refusal breaks ``charged``."""

    model: dict[str, Any]
    dropped: str = ""
    charged: str = ""
    params: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def with_fallbacks(meta: MetaPost, tag: str, known: dict[str, str], index: int) -> list[Attempt]:
    """A lead with the ``index``-th set of edge values and unknown keys, then without the keys, then plain
    values with the keys, then plain values alone: each refusal points at what the next attempt leaves
    out."""
    return [
        Attempt(
            with_unknown_keys(edge_model(meta, tag, known, index), tag),
            "unknown and server-owned keys",
            "LEADS-ENVELOPE-002",
        ),
        Attempt(edge_model(meta, tag, known, index), "edge values", "LEADS-CREATE-001"),
        Attempt(with_unknown_keys(full_body(meta, tag, known), tag), "unknown and server-owned keys",
                "LEADS-ENVELOPE-002"),
        Attempt(full_body(meta, tag, known)),
    ]


@dataclass(frozen=True)
class Refusal:
    """A planned create the target refused, before it was sent again without ``dropped``."""

    lead: str
    dropped: str
    requirement: str
    response: httpx.Response
    #: the run tag the refused body carried
    tag: str = ""


@dataclass
class WritePlan:
    """The planned, shared leads of a run (see the module docstring)."""

    target: Target
    budget: WriteBudget
    ledger: Ledger
    clients: dict[str, httpx.Client]
    metas: Callable[[str], MetaPost]
    known: dict[str, str]
    leads: dict[str, Created] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    #: whether the list showed the first planned lead right after its create (None: could not tell)
    listed_at_once: tuple[bool | None, list[str]] | None = None
    failures: dict[str, Inconclusive] = field(default_factory=dict)

    # -- the leads -----------------------------------------------------------------------------
    def lead(self, name: str) -> Created:
        """A planned lead (its batch created on first need); inconclusive when it could not be created."""
        if name not in self.leads and name not in self.failures:
            batch = self._second if name.startswith("second") else self._first
            batch()
        if name not in self.leads and name not in self.failures:
            raise Inconclusive(f"the planned lead {name!r} was not created")
        if name in self.failures:
            failure = self.failures[name]
            raise Inconclusive(failure.message, failure.requirements)
        return self.leads[name]

    def any_lead(self, account: str) -> Created:
        """A planned lead of ``account``, the first that could be created (inconclusive when none could)."""
        failure: Inconclusive | None = None
        for name in PLANNED_LEADS[account]:
            try:
                return self.lead(name)
            except Inconclusive as exc:
                failure = failure or exc
        raise failure or Inconclusive(f"no lead could be created under the {account} account")

    def written(self, account: str) -> list[Written]:
        """Every lead the run wrote under ``account`` (after its planned leads were made; inconclusive when
        there is none)."""
        for name in PLANNED_LEADS[account]:
            with contextlib.suppress(Inconclusive):
                self.lead(name)
        leads = self.ledger.leads(account)
        if not leads:
            raise Inconclusive(f"no lead could be created under the {account} account")
        return leads

    def _first(self) -> None:
        if any(name in self.leads or name in self.failures for name in ("edges", "debug")):
            return
        meta = self.metas("primary")
        known = self.known
        self._create(
            "edges",
            "primary",
            meta,
            lambda tag: with_fallbacks(meta, tag, known, 0),
        )
        if "edges" in self.leads:
            self._look_for_it_at_once(self.leads["edges"])
        debug = {"is_debug_mode": "true"}
        self._create(
            "debug",
            "primary",
            meta,
            lambda tag: [
                Attempt(
                    with_open_values(edge_model(meta, tag, known, 1), meta, tag),
                    "the open values (write-only objects, relations as objects) and a charset in the "
                    "Content-Type",
                    "LEADS-HTTP-006",
                    debug,
                    JSON_WITH_CHARSET,
                ),
                Attempt(edge_model(meta, tag, known, 1), "edge values", "LEADS-CREATE-001", debug),
                Attempt(full_body(meta, tag, known), params=debug),
            ],
        )
        tag = run_tag(self.target, "twin")
        twins = [
            Attempt(
                tagged_required_only(meta, tag, known), "only the fields meta/post requires", "LEADS-META-003"
            ),
            Attempt(full_body(meta, tag, known)),
        ]
        self._create("twin-1", "primary", meta, lambda _tag: twins)
        if "twin-1" in self.leads:
            taken = self.leads["twin-1"].sent
            self._create("twin-2", "primary", meta, lambda _tag: [Attempt(dict(taken))])
        else:
            self.failures["twin-2"] = Inconclusive("the first of two creates of one body could not be made")

    def _second(self) -> None:
        if any(name in self.leads or name in self.failures for name in PLANNED_LEADS["second"]):
            return
        if "second" not in self.clients:
            missing = Inconclusive("no second account token was given (--second-account-token)")
            self.failures.update(dict.fromkeys(PLANNED_LEADS["second"], missing))
            return
        meta = self.metas("second")
        known = self.known
        self._create(
            "second",
            "second",
            meta,
            lambda tag: [
                Attempt(
                    explicit_nulls(tagged_required_only(meta, tag, {}), meta),
                    "explicit nulls",
                    "LEADS-HTTP-006",
                ),
                Attempt(tagged_required_only(meta, tag, {})),
            ],
        )
        self._create(
            "second-naming-first",
            "second",
            meta,
            lambda tag: with_fallbacks(meta, tag, known, 1),
        )

    def _create(
        self, name: str, account: str, meta: MetaPost, attempts: Callable[[str], list[Attempt]]
    ) -> None:
        """Create ``name`` from the first of its attempts the target takes. A refused attempt is kept as a
        refusal; when the attempt right after it is taken, the refusal is charged to the requirement the
        difference between them points at (the one attempt left out)."""
        try:
            previous = self._latest(account)
            created = None
            index = 0
            refused: Refusal | None = None
            while created is None:
                tag = run_tag(self.target, name.split("-")[0])
                options = attempts(tag)
                attempt = options[index]
                created, response = self._send(account, meta, attempt, tag, name)
                if created is None:
                    refused = Refusal(name, attempt.dropped or "its body", "", response, tag)
                    self.refusals.append(refused)
                    if index + 1 == len(options):
                        raise Inconclusive(
                            f"the planned lead {name!r} could not be created ({describe(response)})"
                        )
                    index += 1
                elif refused is not None:
                    charged = replace(refused, requirement=options[index - 1].charged)
                    self.refusals[self.refusals.index(refused)] = charged
            self.leads[name] = created
            self._space_after(previous, created)
        except Inconclusive as exc:
            self.failures[name] = exc

    def _send(
        self, account: str, meta: MetaPost, attempt: Attempt, tag: str, name: str
    ) -> tuple[Created | None, httpx.Response]:
        if not self.budget.allow("plan"):
            raise self.budget.exhausted("plan", f"the planned lead {name!r}")
        http = self.clients[account]
        content = json.dumps(request_body(meta, attempt.model, tag)).encode("utf-8")
        response = not_throttled(
            http.post(
                LEADS, content=content, params=attempt.params, headers={"Content-Type": attempt.content_type}
            )
        )
        answer = json_or_none(response)
        if (
            200 <= response.status_code < 300
            and isinstance(answer, dict)
            and isinstance(answer.get("model"), dict)
        ):
            return Created(sent=attempt.model, response=response, body=answer, account=account), response
        return None, response

    def _latest(self, account: str) -> Created | None:
        mine = [lead for lead in self.leads.values() if lead.account == account]
        return mine[-1] if mine else None

    @staticmethod
    def _space_after(previous: Created | None, created: Created) -> None:
        """Wait until the target's clock has moved past the new lead's stamps when they tie the previous
        lead's (a target whose timestamps are whole seconds): the next lead is then stamped later."""
        if previous is None:
            return
        for name in ("created_at", "modified_at"):
            before, now = parse_datetime(previous.model.get(name)), parse_datetime(created.model.get(name))
            if before is not None and now is not None and now <= before:
                text = str(created.model.get(name))
                time.sleep(0.05 if "." in text else 1.05)
                return

    def _look_for_it_at_once(self, created: Created) -> None:
        try:
            self.listed_at_once = listing_of(self.clients["primary"], {**created.model, "id": created.id})
        except Inconclusive as exc:
            self.listed_at_once = (None, [exc.message])

    # -- the timeline --------------------------------------------------------------------------
    def timeline(self, read: Callable[[Created], dict[str, Any]]) -> list[dict[str, Any]]:
        """``TIMELINE`` leads of the first account, each stamped strictly later than the one before (as
        ``read`` shows them now); a lead is created to complete it when the plan's share allows."""
        self.lead("edges")
        candidates = [lead for name, lead in self.leads.items() if lead.account == "primary"]
        shown = [read(lead) for lead in candidates]
        chain = _increasing(shown)
        meta = self.metas("primary")
        while len(chain) < TIMELINE:
            if not self.budget.allow("plan"):
                raise self.budget.exhausted(
                    "plan", f"a timeline of {TIMELINE} leads stamped one after another"
                )
            tag = run_tag(self.target, "timeline")
            response = not_throttled(
                self.clients["primary"].post(
                    LEADS, json=request_body(meta, full_body(meta, tag, self.known), tag)
                )
            )
            answer = json_or_none(response)
            model = answer.get("model") if isinstance(answer, dict) else None
            if not 200 <= response.status_code < 300 or not isinstance(model, dict):
                raise Inconclusive(
                    f"a lead to complete the timeline could not be created ({describe(response)})"
                )
            created = Created(sent={}, response=response, body=answer, account="primary")
            shown.append(read(created))
            chain = _increasing(shown)
            if len(chain) < TIMELINE:
                time.sleep(1.05)
        return chain[:TIMELINE]


def _increasing(leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The longest run, in order, of leads each stamped (created_at and modified_at) after the one kept
    before."""
    chain: list[dict[str, Any]] = []
    last: tuple[datetime, datetime] | None = None
    for lead in leads:
        created, modified = parse_datetime(lead.get("created_at")), parse_datetime(lead.get("modified_at"))
        if created is None or modified is None:
            continue
        if last is None or (created > last[0] and modified > last[1]):
            chain.append(lead)
            last = (created, modified)
    return chain
