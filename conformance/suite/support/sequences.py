"""Seeded sequences over the read surface (and a few creates), judged by the oracle as they go.

A Hypothesis state machine, seeded by ``--seed``, interleaves walks of the lead list (windows in any
offset, exact values and near misses, views), retrieves (ids of either account, UUIDs of every
version) and remote field class walks under every account it is given, with creates within the write
budget's share for the exploration.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta, timezone
from typing import Any

import httpx
from hypothesis import Phase, reject
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.contract.formats import isoformat_z, parse_datetime
from conformance.contract.operations import LEADS, REMOTE_FIELD_CLASSES, lead_path
from conformance.http.target import Target
from conformance.outcomes import Inconclusive
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.oracle.edges import edge_model
from conformance.suite.oracle.ledger import Written
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import not_throttled
from conformance.suite.support.bodies import request_body
from conformance.suite.support.filter_values import OFFSETS
from conformance.suite.support.generation import quiet_settings
from conformance.suite.support.leads import EXPAND_ALL, RELATION_FIELDS, relation_id
from conformance.suite.support.paging import Pages

__all__ = ["ReadSequences", "created_after_of", "run_sequences"]


def created_after_of(leads: list[Written], offset: timezone = UTC, nanoseconds: str = "") -> dict[str, str]:
    """``created_after`` a second before the earliest of ``leads``, written in ``offset`` (its fraction
    extended with ``nanoseconds`` digits, when given)."""
    moments = [lead.created_at for lead in leads if lead.created_at is not None]
    if not moments:
        raise Inconclusive("the run's leads show no created_at to bound a walk with")
    bound = (min(moments) - timedelta(seconds=1)).astimezone(offset)
    text = bound.isoformat(timespec="microseconds")
    if nanoseconds:
        text = text[:26] + nanoseconds + text[26:]
    return {"created_after": text}


def misses_of(value: str) -> list[str]:
    """Values a sequence filters by that differ from ``value`` in one way: a suffix added, the last
    character dropped, the case swapped (a value of one character: the suffix only)."""
    return [value + "x", value[:-1], value.swapcase()] if len(value) > 1 else [value + "x"]


def kept(step: Callable[..., None]) -> Callable[..., None]:
    """A rule that never raises: its error is kept (``errors``) and every later step is rejected, so that
    Hypothesis never replays a sequence (the replay would send again, to a target that has moved on)."""

    @functools.wraps(step)
    def guarded(self: ReadSequences, *args: Any, **kwargs: Any) -> None:
        if self.errors:
            reject()
        try:
            step(self, *args, **kwargs)
        except Exception as exc:  # kept, and raised once the machine has stopped
            self.errors.append(exc)
            reject()

    return guarded


class ReadSequences(RuleBasedStateMachine):
    """Random sequences over the read surface (and a few creates), judged by the oracle as they go."""

    http: dict[str, httpx.Client] = {}
    plan: WritePlan
    budget: WriteBudget
    target: Target
    errors: list[BaseException]
    #: set once a create could not be made: the sequences go on reading
    writes_stopped: bool = False

    def accounts(self) -> list[str]:
        return list(self.http)

    def leads(self, account: str | None = None) -> list[Written]:
        return self.plan.ledger.leads(account)

    @rule(data=st.data())
    @kept
    def walk_the_list(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        params: dict[str, str] = {"page_size": str(data.draw(st.integers(1, 4)))}
        leads = self.leads(account) or self.leads()
        choice = data.draw(st.sampled_from(["window", "remote_id", "owner_id", "modified", "view"]))
        lead = data.draw(st.sampled_from(leads)) if leads else None
        shown = lead.shown if lead is not None else {}
        created, modified = parse_datetime(shown.get("created_at")), parse_datetime(shown.get("modified_at"))
        if choice == "window" and created is not None:
            moment = created
            offset = data.draw(st.sampled_from([UTC, *OFFSETS]))
            side = data.draw(st.sampled_from(["created_after", "created_before"]))
            params[side] = moment.astimezone(offset).isoformat(timespec="microseconds")
            if side == "created_before":
                params["created_after"] = isoformat_z(moment - timedelta(seconds=2))
        elif choice == "modified" and modified is not None:
            params["modified_after"] = isoformat_z(modified - timedelta(milliseconds=1))
        elif choice == "remote_id" and isinstance(shown.get("remote_id"), str) and shown["remote_id"]:
            value = shown["remote_id"]
            params["remote_id"] = data.draw(st.sampled_from([value, *misses_of(value)]))
        elif choice == "owner_id" and isinstance(relation_id(shown.get("owner")), str):
            params["owner_id"] = data.draw(st.sampled_from(misses_of(relation_id(shown["owner"]))))
        else:
            names = data.draw(st.lists(st.sampled_from(RELATION_FIELDS), min_size=1, max_size=3, unique=True))
            params["expand"] = ",".join(names)
            params["include_remote_data"] = data.draw(st.sampled_from(["true", "false"]))
            if lead is not None:
                params.update(created_after_of([lead]))
        Pages(self.http[account], LEADS, params, 3).read()

    @rule(data=st.data())
    @kept
    def retrieve(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        leads = self.leads()
        ids = [lead.id for lead in leads]
        version = data.draw(st.sampled_from([1, 3, 4, 5, 7]))
        unknown = str(uuid.UUID(int=data.draw(st.integers(0, (1 << 128) - 1)), version=min(version, 5)))
        ident = data.draw(st.sampled_from([*ids, unknown])) if ids else unknown
        params = data.draw(
            st.sampled_from(
                [
                    {},
                    {"expand": EXPAND_ALL},
                    {"include_remote_data": "true"},
                    {"include_remote_data": "false"},
                ]
            )
        )
        not_throttled(self.http[account].get(lead_path(ident), params=params))

    @rule(data=st.data())
    @kept
    def walk_the_remote_field_classes(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        params = {"page_size": str(data.draw(st.integers(1, 3)))}
        custom = data.draw(st.sampled_from(["true", "false", None]))
        if custom is not None:
            params["is_custom"] = custom
        Pages(self.http[account], REMOTE_FIELD_CLASSES, params, 2).read()

    @precondition(lambda self: self.budget.left("exploration") > 0 and not self.writes_stopped)
    @rule(data=st.data())
    @kept
    def create(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self.accounts()))
        if not self.budget.allow("exploration"):
            return
        try:
            meta = self.plan.metas(account)
            tag = self.target.tag("explore")
            known = self.plan.known if account == "primary" else {}
            model = edge_model(meta, tag, known, data.draw(st.integers(0, 1)))
            not_throttled(self.http[account].post(LEADS, json=request_body(meta, model, tag)))
        except Inconclusive:  # a write that cannot be made (or answered) leaves the reads to go on
            type(self).writes_stopped = True


def run_sequences(
    target: Target,
    clients: dict[str, httpx.Client],
    plan: WritePlan,
    budget: WriteBudget,
    seed: int,
    max_examples: int,
) -> list[BaseException]:
    """Run the seeded sequences once under the accounts of ``clients``; the errors their steps kept."""
    errors: list[BaseException] = []
    machine = type(
        "SeededSequences",
        (ReadSequences,),
        {"http": clients, "plan": plan, "budget": budget, "target": target, "errors": errors},
    )
    hypothesis_seed(seed)(machine)
    with contextlib.suppress(Unsatisfiable):
        run_state_machine_as_test(
            machine,
            settings=quiet_settings(
                max_examples=1, stateful_step_count=max(4, max_examples // 3), phases=[Phase.generate]
            ),
        )
    return errors
