"""Schema adaptation: the fragment and the settings as Schemathesis gets them.

What is tuned, and why, is written down in ``conformance.suite.properties``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from conformance.http.target import Target
from conformance.suite.support.leads import RELATION_FIELDS

__all__ = [
    "ENFORCED_FORMATS",
    "REQUEST_FORMATS",
    "WRITTEN_RELATIONS",
    "schemathesis_fragment",
    "schemathesis_settings",
    "without_formats",
]

#: request schemas whose relations are written as ids: schema name -> relation properties
WRITTEN_RELATIONS = {
    "LeadRequest": RELATION_FIELDS,
    "RemoteFieldRequest": ("remote_field_class",),
}


#: the only format the contract enforces on responses; every other one is advisory there
ENFORCED_FORMATS = frozenset({"date-time"})
#: formats kept in request-only schemas: generated valid bodies carry absolute URIs, which every target takes
REQUEST_FORMATS = frozenset({"date-time", "uri"})


def schemathesis_fragment(fragment: dict[str, Any]) -> dict[str, Any]:
    """The fragment as Schemathesis gets it: relations as ids, advisory formats dropped, no example cursor.

    - A write names a related object by its id. Merge's definition also lets a request relation be
      the expanded object (``owner: User``); what a server makes of such an object beyond its id is
      open, so requests carry ids only (and generation is not spent inside User, Contact, Account).
    - Only ``date-time`` is enforced on responses: Merge's relation ids are not always UUIDs
      (``025fjlc6-...``) and its ``uri`` fields (``website``, ``lead_url``, ``*_url``) may hold
      scheme-less text (``acme.com``). Every other format is dropped from the component schemas,
      except ``uri`` in request-only schemas, so that generated valid bodies carry absolute URIs; a
      body invalid only by that format is open (``body_inputs``). The path ``id`` keeps ``uuid``, so
      generated ids stay UUIDs.
    - Merge's example cursor names a position on Merge's servers: every other target answers it
      404, and the coverage phase would put it in nearly every list request.
    """
    data = copy.deepcopy(fragment)
    schemas = data.get("components", {}).get("schemas", {})
    for name, relations in WRITTEN_RELATIONS.items():
        properties = schemas.get(name, {}).get("properties", {})
        for relation in relations:
            if isinstance(properties.get(relation), dict) and "oneOf" in properties[relation]:
                properties[relation].pop("oneOf")
                properties[relation]["type"] = "string"
    request_only = _request_only_schemas(data)
    for name in list(schemas):
        schemas[name] = without_formats(
            schemas[name], REQUEST_FORMATS if name in request_only else ENFORCED_FORMATS
        )
    for item in data.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("name") == "cursor":
                    parameter.pop("examples", None)
                    parameter.pop("example", None)
    return data


def without_formats(node: Any, keep: frozenset[str] = ENFORCED_FORMATS) -> Any:
    """A copy of a schema without the string ``format`` keywords outside ``keep`` (the original stays)."""
    if isinstance(node, dict):
        return {
            key: without_formats(value, keep)
            for key, value in node.items()
            if not (key == "format" and isinstance(value, str) and value not in keep)
        }
    if isinstance(node, list):
        return [without_formats(value, keep) for value in node]
    return node


def _request_only_schemas(data: Mapping[str, Any]) -> set[str]:
    """The component schemas request bodies reach and no response reaches."""
    requests_reach: set[str] = set()
    responses_reach: set[str] = set()
    for item in data.get("paths", {}).values():
        for operation in item.values() if isinstance(item, dict) else []:
            if isinstance(operation, dict):
                _reached(operation.get("requestBody"), data, requests_reach)
                _reached(operation.get("responses"), data, responses_reach)
    prefix = "#/components/schemas/"
    return {ref.removeprefix(prefix) for ref in requests_reach - responses_reach if ref.startswith(prefix)}


def _reached(node: Any, data: Mapping[str, Any], seen: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/") and ref not in seen:
            seen.add(ref)
            target: Any = data
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            _reached(target, data, seen)
        for value in node.values():
            _reached(value, data, seen)
    elif isinstance(node, list):
        for value in node:
            _reached(value, data, seen)


def schemathesis_settings(target: Target, seed: int) -> dict[str, Any]:
    """Schemathesis' settings for the suite (none is read from a ``schemathesis.toml`` nearby)."""
    return {
        "seed": seed,
        "base-url": target.base_url,
        "generation": {"mode": "all", "with-security-parameters": False, "database": "none"},
        "phases": {
            "coverage": {"unexpected-methods": []},
            "stateful": {"generation": {"mode": "positive"}, "inference": {"algorithms": []}},
        },
        # schema-invalid input is rejected by any 4xx (LEADS-HTTP-005): a 413 or a 415 refuses it too
        "checks": {"negative_data_rejection": {"expected-statuses": ["4xx"]}},
        "tls-verify": target.verify_tls,
        "request-timeout": target.timeout,
    }
