"""Models drawn from meta/post's ``request_schema``: the same ones for the same seed, made ready to send.

The first model drawn holds every property the schema describes, so however few are sent, every field
is; each is given the run tag (in a lead text field with room for it) and the relation ids the target
holds where meta/post requires a relation.
"""

from __future__ import annotations

from typing import Any

from hypothesis import Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from conformance.suite.support.bodies import TAG_FIELDS
from conformance.suite.support.fitting import fits
from conformance.suite.support.generation import (
    Ungeneratable,
    generation_schema,
    quiet_settings,
    strategy_for,
)
from conformance.suite.support.leads import RELATION_FIELDS
from conformance.suite.support.meta import MetaPost

__all__ = ["drawn_models", "ready_to_send"]

#: examples drawn per model wanted (drawing repeats itself)
GENERATION_ATTEMPTS_FACTOR = 3


def drawn_models(model_schema: dict[str, Any], seed: int, count: int) -> list[dict[str, Any]]:
    """Up to ``count`` distinct models drawn from the schema, the same ones for the same seed; the first
    holds every property the schema describes (so however few are sent, every field is)."""
    schema = generation_schema(model_schema, top=True)
    if schema is None:
        raise Ungeneratable("request_schema.properties.model cannot be generated from")
    whole = {**schema, "required": sorted({*schema.get("required", []), *schema.get("properties", {})})}
    strategy = st.one_of(strategy_for(whole), strategy_for(schema))
    drawn: list[dict[str, Any]] = []
    first = _first(strategy_for(whole), seed)
    if isinstance(first, dict):
        drawn.append(first)

    @hypothesis_seed(seed)
    @quiet_settings(
        max_examples=count * GENERATION_ATTEMPTS_FACTOR, derandomize=False, phases=[Phase.generate]
    )
    @given(strategy)
    def draw(model: Any) -> None:
        if isinstance(model, dict) and len(drawn) < count and model not in drawn:
            drawn.append(model)

    draw()
    return drawn


def _first(strategy: st.SearchStrategy[Any], seed: int) -> Any:
    """One example of ``strategy``, the same for the same seed."""
    found: list[Any] = []

    @hypothesis_seed(seed)
    @quiet_settings(max_examples=1, phases=[Phase.generate])
    @given(strategy)
    def draw(value: Any) -> None:
        if not found:
            found.append(value)

    draw()
    return found[0] if found else None


def tag_field(schema: dict[str, Any], tag_text: str) -> str | None:
    """A lead text property whose generation schema has room for the run tag, preferring lead_source."""
    properties = schema.get("properties", {})
    for name in TAG_FIELDS:
        prop = properties.get(name)
        if isinstance(prop, dict) and fits(tag_text, prop):
            return name
    return None


def ready_to_send(model: dict[str, Any], meta: MetaPost, known: dict[str, str], tag: str) -> dict[str, Any]:
    """A drawn model with the run tag and the relation ids the target knows."""
    prepared = dict(model)
    text = f"leads-conformance {tag}"
    field = tag_field(generation_schema(meta.model_schema, top=True) or {}, text)
    if field is None:
        raise Ungeneratable(f"meta/post offers no lead text field with room for the run tag {tag!r}")
    prepared[field] = text
    for name in RELATION_FIELDS:
        if name in meta.required:
            if name not in known:
                raise Ungeneratable(f"meta/post requires {name}, and the target lists no {name} id to use")
            prepared[name] = known[name]
    return prepared
