"""Reading an OpenAPI file for drift: YAML 1.2 loading, its Leads operations, and schema shapes.

A schema's shape is what is left after ``$ref``, ``allOf``, 3.0 ``nullable``, 3.1
``type: [..., "null"]`` and ``oneOf``/``anyOf`` with a null branch are resolved, so a 3.0 and a
3.1 file that say the same thing compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from conformance.outcomes import ConformanceError

PREFIX = "/crm/v1"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class DriftInputError(ConformanceError):
    """The OpenAPI file cannot be compared: missing, unparseable, or without Leads operations."""


# ------------------------------------------------------------------ loading


def load_openapi(path: Path) -> dict[str, Any]:
    """An OpenAPI document read with a YAML 1.2 loader (JSON is YAML 1.2 too)."""
    try:
        with Path(path).open("rb") as handle:
            data = YAML(typ="safe", pure=True).load(handle)
    except FileNotFoundError:
        raise DriftInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DriftInputError(f"{path}: is a directory, not an OpenAPI file") from None
    except OSError as exc:
        raise DriftInputError(f"{path}: cannot be read ({exc.strerror})") from None
    except (YAMLError, UnicodeDecodeError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or ["not YAML"])[0]
        raise DriftInputError(f"{path}: not valid YAML or JSON ({first})") from None
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise DriftInputError(f"{path}: not an OpenAPI document (no 'paths' mapping)")
    if not str(data.get("openapi", "")).startswith("3."):
        raise DriftInputError(
            f"{path}: not an OpenAPI 3.0 or 3.1 document (openapi: {data.get('openapi')!r})"
        )
    return data


class Doc:
    """A document and its ``#/...`` references."""

    def __init__(self, data: dict[str, Any], label: str):
        self.data, self.label = data, label

    def resolve(self, node: Any, depth: int = 0) -> tuple[str | None, Any]:
        """The node behind a chain of ``$ref``s, and the last referenced component's name."""
        name = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or depth > 50:
                raise DriftInputError(f"{self.label}: unsupported or circular $ref {ref!r}")
            target: Any = self.data
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise DriftInputError(f"{self.label}: $ref {ref!r} names nothing")
                target = target[part]
            name, node, depth = ref.rsplit("/", 1)[-1], target, depth + 1
        return name, node


def operations_of(doc: Doc) -> dict[str, tuple[str, dict[str, Any], list[Any]]]:
    """Leads operations by ``METHOD /crm/v1/path`` (path templates as ``{}``)."""
    servers = doc.data.get("servers") or []
    base = (
        urlparse(str(servers[0].get("url", ""))).path.rstrip("/")
        if servers and isinstance(servers[0], dict)
        else ""
    )
    found = {}
    for path, item in doc.data["paths"].items():
        _, item = doc.resolve(item)
        path = str(path)
        if not isinstance(item, dict):
            continue
        if not path.startswith(PREFIX + "/") and base.endswith(PREFIX):
            path = PREFIX + path
        if path != PREFIX + "/leads" and not path.startswith(PREFIX + "/leads/"):
            continue
        shared = item.get("parameters") or []
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                key = f"{method.upper()} {re.sub(r'{[^}]*}', '{}', path)}"
                found[key] = (path, item[method], shared)
    return found


# ------------------------------------------------------------------ schema shapes


@dataclass
class Shape:
    kinds: dict[str, str] = field(default_factory=dict)  # comparison key -> display
    nullable: bool = False
    enum: list[Any] | None = None
    open_enum: bool = False
    objects: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)


def _alternatives(doc: Doc, node: Any, depth: int = 0) -> tuple[list[tuple[str | None, dict]], bool]:
    """The non-null alternatives a schema allows, each resolved, and whether null is allowed."""
    name, node = doc.resolve(node)
    if not isinstance(node, dict) or depth > 30:
        return [(name, {})], False
    nullable = node.get("nullable") is True
    if isinstance(node.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        props, required = dict(merged.get("properties") or {}), list(merged.get("required") or [])
        for sub in node["allOf"]:
            subs, sub_null = _alternatives(doc, sub, depth + 1)
            nullable |= sub_null and len(node["allOf"]) == 1
            for sub_name, sub_node in subs[:1]:
                name = name or (sub_name if len(node["allOf"]) == 1 else None)
                props.update(sub_node.get("properties") or {})
                required += [r for r in sub_node.get("required") or [] if r not in required]
                for key, value in sub_node.items():
                    merged.setdefault(key, value)
        merged["properties"], merged["required"] = props, required
        return [(name, merged)], nullable
    for key in ("oneOf", "anyOf"):
        if isinstance(node.get(key), list):
            alts: list[tuple[str | None, dict]] = []
            for sub in node[key]:
                subs, sub_null = _alternatives(doc, sub, depth + 1)
                alts += subs
                nullable |= sub_null
            return alts, nullable
    enum = node.get("enum")
    if isinstance(enum, list) and None in enum:
        nullable, node = True, {**node, "enum": [v for v in enum if v is not None]}
        if not node["enum"]:
            return [], True
    types = node.get("type")
    if isinstance(types, list):
        nullable |= "null" in types
        real = [t for t in types if t != "null"]
        return [(name, {**node, "type": t}) for t in real], nullable
    if types == "null":
        return [], True
    return [(name, node)], nullable


def shape_of(doc: Doc, node: Any) -> Shape:
    alts, nullable = _alternatives(doc, node)
    shape = Shape(nullable=nullable)
    plain_strings = 0
    for name, alt in alts:
        kind = alt.get("type") or ("object" if "properties" in alt else "any")
        if isinstance(alt.get("enum"), list):
            shape.enum = (shape.enum or []) + [v for v in alt["enum"] if v not in (shape.enum or [])]
            shape.kinds[str(kind)] = f"{name or kind} enum"
            continue
        key = f"{kind}({alt['format']})" if alt.get("format") else str(kind)
        plain_strings += key == "string"
        shape.kinds.setdefault(key, name if kind == "object" and name else key)
        if kind == "object":
            shape.objects.append((name, alt))
        elif kind == "array":
            shape.items.append(alt.get("items", {}))
    if shape.enum is not None and plain_strings:
        shape.open_enum = True
    return shape
