"""The ``Judge``: it judges the inputs of sent requests, and prepares POST bodies for the target.

It reads a sent request back from the wire and says, input by input, whether the contract calls it
valid, *open* (a 4xx and a tolerant 200 are both fine) or invalid (``inputs``); it also gives POST
bodies what the target needs (meta/post's required fields, known relations, the run's tag), keeping an
invalid body exactly as invalid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.suite.generated.adapter import APIOperation, Case, Response, request_body_validator
from conformance.suite.generated.fragment import ENFORCED_FORMATS, without_formats
from conformance.suite.generated.inputs import (
    INVALID,
    Input,
    body_inputs,
    classify_query,
    operation_parameters,
    path_inputs,
    sent_query,
)
from conformance.suite.support.bodies import fitted, tag_an_absent_field, value_for
from conformance.suite.support.leads import RELATION_FIELDS, declined_fields
from conformance.suite.support.meta import MetaPost

__all__ = ["Judge", "prepare_valid_body", "with_absent_required_fields"]


def prepare_valid_body(body: Any, meta: MetaPost | None, known: Mapping[str, str], tag: str) -> Any:
    """A body valid against the fragment, made valid for the target.

    meta/post's required fields are filled in and every field it describes is made to fit its
    schema (``_bodies.fitted``: nested required sub-fields, maxLength, enum, ...), relations name
    objects the target holds or are left out, remote field values are left out, and ``lead_source``
    carries the run's tag (where meta/post gives it room) so a person can find what the run wrote.
    """
    if not isinstance(body, dict) or not isinstance(body.get("model"), dict):
        return body
    model = dict(body["model"])
    for name in RELATION_FIELDS:
        if model.get(name) is not None:
            if name in known:
                model[name] = known[name]
            else:
                del model[name]
    model.pop("remote_fields", None)
    model["lead_source"] = f"leads-conformance {tag}"
    if meta is not None:
        model = fitted(model, meta, tag, dict(known))
    return {**body, "model": model}


def with_absent_required_fields(body: Any, meta: MetaPost | None, known: Mapping[str, str], tag: str) -> Any:
    """The body with meta/post's required fields, and the run's tag, added where its model lacks the key.

    Nothing else changes, so the body stays exactly as invalid; the tag lets a person find a lead
    that a target creates from it anyway (``tag_an_absent_field``).
    """
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return body
    added: dict[str, Any] = {}
    if meta is not None:
        absent = [name for name in meta.required if name not in model]
        added = {name: value_for(name, meta.properties.get(name), tag, dict(known)) for name in absent}
    grown = {**model, **added}
    tagged = tag_an_absent_field(grown, meta, tag)
    if tagged is grown and not added:
        return body
    return {**body, "model": tagged}


@dataclass
class Judge:
    """Judges the inputs of sent requests, and prepares POST bodies for the target.

    ``meta`` None means meta/post could not be read, so what the target requires of a body is
    unknown; ``known`` holds relation ids the target holds; ``tag`` marks what the run writes.
    """

    fragment: Mapping[str, Any]
    meta: MetaPost | None = None
    known: Mapping[str, str] = field(default_factory=dict)
    tag: str = ""
    _validators: dict[str, Callable[[Any], bool]] = field(default_factory=dict, repr=False)
    _bodies: int = field(default=0, repr=False)

    def next_tag(self) -> str:
        """A tag unique to one generated body (cases are prepared one after another, so a seed repeats it)."""
        self._bodies += 1
        return f"{self.tag}-g{self._bodies}" if self.tag else ""

    def would_create(self, case: Case) -> bool:
        """Whether a prepared POST case may create a lead: its body holds no input the contract calls
        invalid (an open one may be taken)."""
        return case.method == "POST" and all(item.status != INVALID for item in self._body_inputs(case))

    def __call__(self, case: Case, response: Response) -> list[Input]:
        parameters = operation_parameters(self.fragment, case.method, case.path)
        inputs = classify_query(parameters, sent_query(response)) + path_inputs(case.path_parameters or {})
        if case.method == "POST":
            inputs += self._body_inputs(case, _answer_declines(response))
        return inputs

    def _body_inputs(self, case: Case, declined: Iterable[str] = ()) -> list[Input]:
        return body_inputs(
            case.body,
            is_valid=self.body_validator(case),
            meta=self.meta,
            known=self.known,
            is_valid_but_formats=self.body_validator(case, formats=ENFORCED_FORMATS),
            declined=declined,
        )

    def prepare(self, case: Case) -> None:
        """Give a POST case what the target needs (in place), keeping an invalid body exactly as invalid.

        A body valid against the fragment is made valid for the target (``prepare_valid_body``).
        An invalid one only gains the required fields its model lacks, so that a refusal is about
        its invalid part, not about a field meta/post requires.
        """
        if case.method != "POST" or not isinstance(case.body, dict):
            return
        tag = self.next_tag()
        if self.body_validator(case)(case.body):
            case.body = prepare_valid_body(case.body, self.meta, self.known, tag)
        else:
            case.body = with_absent_required_fields(case.body, self.meta, self.known, tag)

    def body_validator(self, case: Case, formats: frozenset[str] | None = None) -> Callable[[Any], bool]:
        """Whether a body is valid against the request body of the case's operation.

        ``formats`` None asserts every format Schemathesis generates with; otherwise only those named.
        """
        key = f"{case.operation.label}|{','.join(sorted(formats)) if formats is not None else '*'}"
        if key not in self._validators:
            self._validators[key] = _body_validator(
                case.operation, case.media_type or "application/json", formats
            )
        return self._validators[key]


def _body_validator(
    operation: APIOperation, media_type: str, formats: frozenset[str] | None = None
) -> Callable[[Any], bool]:
    keep = (lambda schema: without_formats(schema, formats)) if formats is not None else None
    validator = request_body_validator(operation, media_type, keep)
    if validator is None:
        return lambda _body: False

    def is_valid(body: Any) -> bool:
        try:
            return validator(body)
        except Exception:  # a body the validator cannot read is not shown valid
            return False

    return is_valid


def _answer_declines(response: Response) -> set[str]:
    """The model fields a 2xx answer's warnings name as not written (none for any other answer)."""
    if not 200 <= response.status_code < 300:
        return set()
    try:
        return declined_fields(response.json())
    except Exception:  # an answer that is not JSON declines nothing
        return set()
