"""Lead bodies built from meta/post: each value fits the schema meta/post gives for its field.

A body holds only the fields meta/post offers for the account (its properties, and its required
names) and carries the run tag in a lead text field with room for it. The values come from
``_fitting.example`` over ``_generation.generation_schema``.
"""

from __future__ import annotations

from typing import Any

from conformance.outcomes import Inconclusive
from conformance.suite.support.fitting import UNSET, example, fits, sample_nested
from conformance.suite.support.generation import field_schema, required_names
from conformance.suite.support.leads import NESTED_FIELDS, RELATION_FIELDS, STRING_FIELDS, carries_tag
from conformance.suite.support.meta import MetaPost, require_relation_ids

#: Lead fields a create echoes: the writable ones that are not write-only
ECHOED_FIELDS = (*STRING_FIELDS, "lead_url", "converted_date", *RELATION_FIELDS, *NESTED_FIELDS)
#: lead text fields that may carry the run tag, in order of preference
TAG_FIELDS = ("lead_source", "last_name", "company", "title", "first_name")


# ------------------------------------------------------------------------------ lead bodies
def samples(tag: str) -> dict[str, Any]:
    """The suite's sample value of every writable Lead field it echo-checks (relations aside)."""
    return {
        "first_name": "Ada",
        "last_name": f"Lovelace {tag}",
        "company": f"Analytical Engines {tag}",
        "title": "Chief Engineer",
        "lead_source": f"leads-conformance {tag}",
        "converted_date": "2026-01-15T10:30:00Z",
        **{name: [sample_nested(name, tag)] for name in NESTED_FIELDS},
    }


def offered_fields(meta: MetaPost) -> set[str] | None:
    """The model fields meta/post offers: its properties and its required names (None: it lists none)."""
    if not meta.properties:
        return None
    return set(meta.properties) | set(meta.required)


def value_for(name: str, schema: Any, tag: str, known: dict[str, str], preferred: Any = UNSET) -> Any:
    """A value for the model field ``name`` that fits its schema as meta/post gives it.

    A relation the target shows an id for gets that id; otherwise ``preferred`` when it fits, else a
    value built to fit.
    """
    if name in RELATION_FIELDS and name in known:
        return known[name]
    return example(field_schema(name, schema), name, tag, preferred)


def fitted(model: dict[str, Any], meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """``model`` with every field meta/post requires present, and each field it describes fitting its schema.

    A value that fits is kept, and so are null optional values and relations; one that does not fit
    is replaced by the value the suite builds from it (a text cut to maxLength, an object given the
    sub-fields meta/post requires in it).
    """
    result = dict(model)
    for name in meta.required:
        if result.get(name) in (None, "", []):
            result[name] = value_for(name, meta.properties.get(name), tag, known)
    for name, value in result.items():
        if name in meta.properties and name not in RELATION_FIELDS and value is not None:
            result[name] = value_for(name, meta.properties[name], tag, known, value)
    return result


def required_only_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """A model holding exactly meta/post's required fields, each with a value fitting its schema."""
    return {name: value_for(name, meta.properties.get(name), tag, known) for name in meta.required}


def tagged_required_only(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """The required fields alone; a lead text field carries the run tag when no required value does."""
    require_relation_ids(meta, known)
    return carry_tag(required_only_body(meta, tag, known), meta, tag)


def full_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """Every echo-checkable Lead field meta/post offers, and the required ones, tagged with the run.

    Each value is the suite's sample when it fits meta/post's schema, else one built to fit it.
    """
    offered = offered_fields(meta)
    model: dict[str, Any] = {}
    for name, sample in samples(tag).items():
        if offered is None or name in offered:
            model[name] = value_for(name, meta.properties.get(name), tag, known, sample)
    for name in RELATION_FIELDS:
        if name in known and (offered is None or name in offered):
            model[name] = known[name]
    for name in meta.required:
        if name not in model:
            model[name] = value_for(name, meta.properties.get(name), tag, known)
    return carry_tag(model, meta, tag)


def carry_tag(model: dict[str, Any], meta: MetaPost, tag: str) -> dict[str, Any]:
    """``model`` with the run tag in a lead text field whose schema has room for it.

    Inconclusive when no text field meta/post offers can hold the whole tag: a write the run
    could not find again is not sent.
    """
    if carries_tag(model, tag):
        return model
    tagged = _with_tag(model, meta, tag, TAG_FIELDS)
    if tagged is None:
        raise Inconclusive(
            f"meta/post offers no lead text field ({', '.join(TAG_FIELDS)}) with room for the run tag {tag!r}"
        )
    return tagged


def tag_an_absent_field(model: dict[str, Any], meta: MetaPost | None, tag: str) -> dict[str, Any]:
    """``model`` with the run tag added in a lead text field it lacks, where one has room; else as it is.

    No field the model holds changes, so an invalid body stays exactly as invalid; without meta/post
    any lead text field may hold it.
    """
    if carries_tag(model, tag):
        return model
    absent = tuple(name for name in TAG_FIELDS if name not in model)
    return _with_tag(dict(model), meta, tag, absent) or model


def _with_tag(
    model: dict[str, Any], meta: MetaPost | None, tag: str, names: tuple[str, ...]
) -> dict[str, Any] | None:
    """``model`` with the tag in the first of ``names`` meta/post offers with room for it (None: none has)."""
    offered = offered_fields(meta) if meta is not None else None
    for name in names:
        if offered is not None and name not in offered:
            continue
        schema = field_schema(name, meta.properties.get(name) if meta is not None else None)
        for text in (f"leads-conformance {tag}", tag):
            if fits(text, schema):
                model[name] = text
                return model
    return None


def request_body(meta: MetaPost, model: dict[str, Any], tag: str) -> dict[str, Any]:
    """``{"model": model}``, with every other field request_schema requires at the body's top level."""
    body: dict[str, Any] = {"model": model}
    schema = meta.raw.get("request_schema")
    if not isinstance(schema, dict):
        return body
    declared = schema.get("properties")
    properties: dict[str, Any] = declared if isinstance(declared, dict) else {}
    for name in required_names(schema):
        if name != "model":
            body[name] = example(field_schema(name, properties.get(name)), name, tag)
    return body


def nested_required(meta: MetaPost) -> list[tuple[str, str]]:
    """(field, sub-field) for each sub-field meta/post requires inside a required object field."""
    pairs: list[tuple[str, str]] = []
    for name in meta.required:
        schema = field_schema(name, meta.properties.get(name))
        if schema.get("type") == "object":
            pairs.extend((name, child) for child in schema.get("required", []))
    return pairs


def echoed_part(sent: dict[str, Any]) -> dict[str, Any]:
    """What of a sent model a Lead echoes: Lead fields, and only Lead sub-fields of nested items."""
    part: dict[str, Any] = {}
    for name, value in sent.items():
        if name not in ECHOED_FIELDS:
            continue
        if name in NESTED_FIELDS and isinstance(value, list):
            items = [
                {k: v for k, v in item.items() if k in NESTED_FIELDS[name]}
                for item in value
                if isinstance(item, dict)
            ]
            part[name] = [item for item in items if item]
        else:
            part[name] = value
    return part
