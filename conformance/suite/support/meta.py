"""What meta/post says about a write (or the fragment's ``LeadRequest`` standing in for it), and the
remote field classes it names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.contract.operations import META_POST
from conformance.http.target import json_or_none
from conformance.outcomes import Inconclusive
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.generation import required_names
from conformance.suite.support.leads import RELATION_FIELDS

__all__ = [
    "MetaPost",
    "fetch_meta_post",
    "fragment_meta_post",
    "model_schema_of",
    "named_classes",
    "require_relation_ids",
]


@dataclass
class MetaPost:
    """What meta/post says about a write: the model's properties and required names.

    ``fallback`` is set when meta/post could not be used: it holds why, and ``model_schema`` is then
    the fragment's ``LeadRequest`` instead, so that writes are still sent and judged on their answers.
    """

    raw: dict[str, Any]
    model_schema: dict[str, Any]
    fallback: str | None = None
    #: meta/post's own answer (None for the fragment's stand-in built without asking)
    response: httpx.Response | None = None

    @property
    def properties(self) -> dict[str, Any]:
        props = self.model_schema.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        return required_names(self.model_schema)

    def require_own(self, requirements: list[str]) -> None:
        """Inconclusive for ``requirements`` when this is the fragment's stand-in, not meta/post's word."""
        if self.fallback is not None:
            raise Inconclusive(
                f"{self.fallback}; what the account's meta/post would require cannot be checked", requirements
            )


def model_schema_of(meta: dict[str, Any]) -> dict[str, Any] | None:
    """``request_schema.properties.model`` when it is an object schema, else None."""
    request_schema = meta.get("request_schema")
    if not isinstance(request_schema, dict):
        return None
    props = request_schema.get("properties")
    model = props.get("model") if isinstance(props, dict) else None
    return model if isinstance(model, dict) else None


def _inlined(node: Any, schemas: dict[str, Any], depth: int = 0) -> Any:
    """``node`` with every ``#/components/schemas/`` reference replaced by its schema (bounded depth)."""
    if isinstance(node, list):
        return [_inlined(item, schemas, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[-1]
        return _inlined(schemas.get(name, {}), schemas, depth + 1) if depth < 4 else {}
    return {key: _inlined(value, schemas, depth) for key, value in node.items()}


def fragment_meta_post(reason: str) -> MetaPost:
    """The fragment's ``LeadRequest`` standing in for an unusable meta/post."""
    from conformance.contract.fragment import load_fragment

    schemas = load_fragment()["components"]["schemas"]
    return MetaPost(raw={}, model_schema=_inlined(schemas["LeadRequest"], schemas), fallback=reason)


def fetch_meta_post(client: httpx.Client, fallback: bool = False) -> MetaPost:
    """meta/post; when it cannot drive writes, Inconclusive, or with ``fallback`` the fragment's stand-in.

    meta/post's own checks report what is wrong with it.
    """
    response = not_throttled(client.get(META_POST))
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict):
        reason = f"meta/post is unusable ({describe(response)})"
    else:
        model = model_schema_of(body)
        if model is not None:
            return MetaPost(raw=body, model_schema=model, response=response)
        reason = "meta/post has no request_schema.properties.model"
    if fallback:
        stand_in = fragment_meta_post(reason)
        stand_in.response = response
        return stand_in
    raise Inconclusive(f"{reason}, so the writes it drives cannot be checked")


def require_relation_ids(meta: MetaPost, known: dict[str, str], requirements: Iterable[str] = ()) -> None:
    """Inconclusive when meta/post requires a relation the target shows no id for.

    A relation id that names no known object may get a 4xx (a tolerance), so a body cannot
    be built that the target must accept.
    """
    missing = [name for name in meta.required if name in RELATION_FIELDS and name not in known]
    if missing:
        raise Inconclusive(
            f"meta/post requires {', '.join(missing)}, and no lead of the target shows an id to use",
            requirements,
        )


def named_classes(meta: dict[str, Any]) -> list[str]:
    """The remote field class ids meta/post names (``remote_field_classes`` or ``remote_fields``)."""
    ids: list[str] = []
    classes = meta.get("remote_field_classes")
    if isinstance(classes, dict):
        for key, value in classes.items():
            ident = value.get("id") if isinstance(value, dict) else None
            ids.append(ident if isinstance(ident, str) and ident else key)
    elif isinstance(classes, list):
        ids.extend(_item_id(item) for item in classes)
    fields = meta.get("remote_fields")
    if isinstance(fields, list):
        ids.extend(_item_id(item) for item in fields)
    return [i for i in dict.fromkeys(ids) if i]


def _item_id(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        for key in ("id", "remote_field_class"):
            value = item.get(key)
            if isinstance(value, dict):
                value = value.get("id")
            if isinstance(value, str):
                return value
    return ""
