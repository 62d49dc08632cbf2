"""Spec drift: the fragment against an OpenAPI file Merge publishes (3.0 or 3.1).

``diff`` compares the five Leads operations, their parameters, credentials, request bodies and 2xx
responses, and every field, enum and ``required`` list of the schemas they reach, and returns one
``Finding`` per difference. ``old`` is the fragment's side, ``new`` the Merge file's: ``added`` is
something only the Merge file has. For set-valued aspects (enums, ``required`` lists, media types)
``old`` holds the values only the fragment has and ``new`` those only the Merge file has.
Each finding names the catalog requirements it touches and whether the fragment lists it as known
(``info.x-known-drift``). Schemas are compared by shape: ``$ref``, ``allOf``, ``nullable``, 3.1
``type: [..., "null"]``, ``oneOf``/``anyOf`` with a null branch and open enums (an enum beside a
plain string) are normalised first.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conformance.contract.catalog import Catalog, Requirement, load_catalog
from conformance.contract.fragment import load_fragment
from conformance.drift.shapes import (
    PREFIX,
    Doc,
    DriftInputError,
    Shape,
    load_openapi,
    operations_of,
    shape_of,
)

__all__ = ["DriftInputError", "Finding", "diff", "drift", "known_entries", "load_openapi"]

#: the catalog names areas, not operations: which areas each fragment operation serves
OPERATION_AREAS = {
    "GET /crm/v1/leads": ("PAGE", "FILTER", "EXPAND"),
    "POST /crm/v1/leads": ("CREATE", "ENVELOPE"),
    "GET /crm/v1/leads/{id}": ("RETRIEVE", "EXPAND"),
    "GET /crm/v1/leads/meta/post": ("META",),
    "GET /crm/v1/leads/remote-field-classes": ("RFC",),
}
#: generated requests are built from the fragment's inputs and checked against its responses
REQUEST_SIDE = ("LEADS-HTTP-005", "LEADS-HTTP-006")
RESPONSE_SIDE = ("LEADS-HTTP-002",)


@dataclass(frozen=True)
class Finding:
    """One difference between the fragment and a Merge OpenAPI file."""

    kind: str  # added | removed | changed
    location: str
    old: Any
    new: Any
    requirements: tuple[str, ...] = ()
    known: bool = False
    reason: str = ""

    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.location, repr(_canon(self.old)), repr(_canon(self.new)))

    def describe(self) -> str:
        """The change in words, e.g. ``removed 'UNQUALIFIED'`` or ``true -> false``."""
        if self.kind in ("added", "removed"):
            value = self.new if self.kind == "added" else self.old
            return f"{_show(value)}" if value not in (None, "") else ""
        if isinstance(self.old, list) and isinstance(self.new, list):
            parts = [f"removed {_values(self.old)}"] if self.old else []
            parts += [f"added {_values(self.new)}"] if self.new else []
            return "; ".join(parts)
        return f"{_show(self.old)} -> {_show(self.new)}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "requirements": list(self.requirements)}


def _canon(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list) else value


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


# ------------------------------------------------------------------ the walk


@dataclass
class _Scope:
    """What a location belongs to, to tell which requirements it touches."""

    owner: str  # a schema name, an operationId or an operation label
    requirements: list[Requirement]
    names: set[str]
    side: tuple[str, ...]
    inherited: tuple[str, ...] = ()


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-]|\.\w)", text) is not None


def _names(requirement: Requirement, owner: str, name: str) -> bool:
    both = f"{requirement.title} {requirement.source}"
    dotted = re.search(rf"(?<![\w.]){re.escape(owner)}\.{re.escape(name)}(?!\w)", both)
    return dotted is not None or re.search(rf"(?<!\w){re.escape(name)}(?!\w)", requirement.title) is not None


def _touching(scope: _Scope, name: str | None, *, strict: bool = False) -> tuple[str, ...]:
    """Requirements a change to ``name`` (a field or parameter; None: the whole) of ``scope`` touches."""
    hits = []
    for req in scope.requirements:
        named = {n for n in scope.names if _names(req, scope.owner, n)}
        if name is None or (name in named) or (not named and not strict):
            hits.append(req.id)
    if not hits and not strict and name is not None:
        hits = [r.id for r in scope.requirements]
    if not hits:
        hits = list(scope.inherited)
    return tuple(dict.fromkeys([*hits, *scope.side]))


def _split(a: list[Any], b: list[Any]) -> tuple[list[Any], list[Any]]:
    """What only ``a`` holds and what only ``b`` holds, in their order."""
    return [x for x in a if x not in b], [x for x in b if x not in a]


class _Differ:
    def __init__(self, fragment: dict[str, Any], merge: dict[str, Any], catalog: Catalog, label: str):
        self.a, self.b, self.catalog = Doc(fragment, "fragment"), Doc(merge, label), catalog
        self.findings: list[Finding] = []
        self.seen: set[str] = set()
        schemes = (fragment.get("components") or {}).get("securitySchemes") or {}
        self.credential_names = {str(s.get("name", "Authorization")).lower() for s in schemes.values()}

    def add(self, kind: str, location: str, old: Any, new: Any, reqs: tuple[str, ...]) -> None:
        self.findings.append(Finding(kind, location, old, new, tuple(r for r in reqs if r in self.catalog)))

    def change(self, location: str, old: Any, new: Any, reqs: tuple[str, ...]) -> None:
        """A ``changed`` finding when the values differ; lists as the values only one side holds."""
        if isinstance(old, list) and isinstance(new, list):
            old, new = _split(old, new)
            if old or new:
                self.add("changed", location, old, new, reqs)
        elif old != new:
            self.add("changed", location, old, new, reqs)

    def schema_scope(self, name: str, names: set[str], side: tuple[str, ...], inherited: tuple[str, ...]):
        dotted = re.compile(rf"(?<![\w.-]){re.escape(name)}\.\w")
        reqs = [
            r
            for r in self.catalog
            if _mentions(r.source, name) or _mentions(r.title, name) or dotted.search(f"{r.title} {r.source}")
        ]
        return _Scope(name, reqs, names, side, inherited)

    # -- schemas
    def compare(self, loc: str, a: Any, b: Any, scope: _Scope, fname: str | None) -> None:
        sa, sb = shape_of(self.a, a), shape_of(self.b, b)
        touch = _touching(scope, fname)
        if set(sa.kinds) != set(sb.kinds):
            self.change(f"{loc} type", _kinds(sa, False), _kinds(sb, False), touch)
        self.change(f"{loc} nullable", sa.nullable, sb.nullable, touch)
        if (sa.enum is None) != (sb.enum is None):
            old, new = (sorted(map(str, e)) if e is not None else None for e in (sa.enum, sb.enum))
            self.add("added" if sa.enum is None else "removed", f"{loc} enum", old, new, touch)
        elif sa.enum is not None and sb.enum is not None:
            self.change(f"{loc} enum", sa.enum, sb.enum, touch)
            self.change(f"{loc} enum open", sa.open_enum, sb.open_enum, touch)
        if len(sa.items) == 1 and len(sb.items) == 1:
            self.compare(f"{loc}[]", sa.items[0], sb.items[0], scope, fname)
        if len(sa.objects) == 1 and len(sb.objects) == 1:
            (name_a, obj_a), (_, obj_b) = sa.objects[0], sb.objects[0]
            self.compare_object(name_a or loc, obj_a, obj_b, scope.side, touch)

    def compare_object(self, name: str, a: dict, b: dict, side: tuple[str, ...], inherited: tuple) -> None:
        if name in self.seen:
            return
        self.seen.add(name)
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        scope = self.schema_scope(name, set(pa) | set(pb), side, tuple(r for r in inherited if r not in side))
        gone, new = _split(list(pa), list(pb))
        for prop in gone:
            self.add(
                "removed", f"{name}.{prop}", self.kind_of(self.a, pa[prop]), None, _touching(scope, prop)
            )
        for prop in new:
            self.add("added", f"{name}.{prop}", None, self.kind_of(self.b, pb[prop]), _touching(scope, prop))
        ra, rb = list(a.get("required") or []), list(b.get("required") or [])
        changed = [str(n) for n in ra + rb if (n in ra) != (n in rb)]
        self.change(
            f"{name} required", ra, rb, tuple(dict.fromkeys(x for n in changed for x in _touching(scope, n)))
        )
        for prop in pa:
            if prop in pb:
                self.compare(f"{name}.{prop}", pa[prop], pb[prop], scope, prop)

    def kind_of(self, doc: Doc, node: Any) -> str:
        return _kinds(shape_of(doc, node), True)

    # -- operations
    def run(self) -> list[Finding]:
        ops_a, ops_b = operations_of(self.a), operations_of(self.b)
        if not ops_b:
            raise DriftInputError(f"{self.b.label}: no Leads operation (no path under {PREFIX}/leads)")
        for key, (path, op, shared) in ops_a.items():
            label = f"{key.split()[0]} {path}"
            scope = self.operation_scope(label, op)
            if key in ops_b:
                self.compare_operation(label, (op, shared), ops_b[key][1:], scope)
            else:
                everything = [*_touching(scope, None), *(r.id for r in self.catalog.in_area("AUTH", "HTTP"))]
                self.add("removed", label, op.get("operationId"), None, tuple(everything))
        for key, (path, op, _shared) in ops_b.items():
            if key not in ops_a:
                self.add("added", f"{key.split()[0]} {path}", None, op.get("operationId"), ())
        return self.findings

    def operation_scope(self, label: str, op: dict[str, Any]) -> _Scope:
        owner = str(op.get("operationId") or label)
        areas = OPERATION_AREAS.get(label, ())
        reqs = [r for r in self.catalog if r.area in areas or _mentions(r.source, owner)]
        names = {str(p.get("name")) for p in self.parameters(self.a, op, [])} | {"body", "200", "201"}
        return _Scope(owner, reqs, names, REQUEST_SIDE)

    def parameters(self, doc: Doc, op: dict[str, Any], shared: list[Any]) -> list[dict[str, Any]]:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*shared, *(op.get("parameters") or [])]:
            _, param = doc.resolve(raw)
            if isinstance(param, dict) and "name" in param:
                params[(str(param.get("in")), str(param["name"]))] = param
        return list(params.values())

    def credentials(self, doc: Doc, op: dict[str, Any], params: list[dict[str, Any]]) -> list[str]:
        """Header names an operation requires for credentials (security schemes and header parameters)."""
        schemes = (doc.data.get("components") or {}).get("securitySchemes") or {}
        security = op.get("security", doc.data.get("security")) or []
        needed: set[str] | None = None
        for alternative in security if isinstance(security, list) else []:
            headers = set()
            for scheme_name in alternative or {}:
                _, scheme = doc.resolve(schemes.get(scheme_name, {}))
                if scheme.get("type") == "http" or scheme.get("in") == "header":
                    headers.add(str(scheme.get("name", "Authorization")).lower())
            needed = headers if needed is None else needed & headers
        extra = {str(p["name"]).lower() for p in params if p.get("in") == "header" and p.get("required")}
        return sorted((needed or set()) | (extra & self.credential_names))

    def compare_operation(self, label: str, a: tuple, b: tuple, scope: _Scope) -> None:
        (op_a, shared_a), (op_b, shared_b) = a, b
        params_a, params_b = self.parameters(self.a, op_a, shared_a), self.parameters(self.b, op_b, shared_b)
        auth = _Scope("AUTH", self.catalog.in_area("AUTH"), {"Authorization", "X-Account-Token"}, ())
        creds = self.credentials(self.a, op_a, params_a), self.credentials(self.b, op_b, params_b)
        self.change(f"{label} credentials", creds[0], creds[1], _touching(auth, None))
        by_a, by_b = (
            {(p.get("in"), p["name"]): p for p in ps if p["name"].lower() not in self.credential_names}
            for ps in (params_a, params_b)
        )
        for (where, name), param in by_a.items():
            loc = f"{label} {where} parameter {name}"
            touch = _touching(scope, name, strict=True)
            if (where, name) not in by_b:
                self.add("removed", loc, self.kind_of(self.a, param.get("schema", {})), None, touch)
                continue
            other = by_b[(where, name)]
            self.change(f"{loc} required", bool(param.get("required")), bool(other.get("required")), touch)
            self.compare_parameter(loc, param, other, scope, name)
        for (where, name), param in by_b.items():
            if (where, name) not in by_a:
                loc = f"{label} {where} parameter {name}"
                kind = self.kind_of(self.b, param.get("schema", {}))
                self.add("added", loc, None, kind, _touching(scope, name, strict=True))
        self.compare_body(label, op_a, op_b, scope)
        self.compare_responses(label, op_a, op_b, scope)

    def compare_parameter(self, loc: str, a: dict, b: dict, scope: _Scope, name: str) -> None:
        naming = [r for r in scope.requirements if _names(r, scope.owner, name)]
        strict = _Scope(scope.owner, naming, {name}, scope.side)
        self.compare(loc, a.get("schema", {}), b.get("schema", {}), strict, name)
        if "array" in shape_of(self.a, a.get("schema", {})).kinds:
            explode = [p.get("explode", p.get("style", "form") == "form") for p in (a, b)]
            self.change(f"{loc} explode", explode[0], explode[1], _touching(strict, name))

    def compare_body(self, label: str, op_a: dict, op_b: dict, scope: _Scope) -> None:
        (_, body_a), (_, body_b) = (
            self.a.resolve(op_a.get("requestBody")),
            self.b.resolve(op_b.get("requestBody")),
        )
        touch = _touching(scope, "body", strict=True)
        if not body_a or not body_b:
            if body_a or body_b:
                self.add("added" if body_b else "removed", f"{label} request body", None, None, touch)
            return
        self.change(
            f"{label} request body required",
            bool(body_a.get("required")),
            bool(body_b.get("required")),
            touch,
        )
        media = [list(body.get("content") or {}) for body in (body_a, body_b)]
        self.change(f"{label} request body media types", media[0], media[1], touch)
        json_a, json_b = _json_schema(body_a), _json_schema(body_b)
        if json_a is not None and json_b is not None:
            self.compare(f"{label} request body", json_a, json_b, scope, "body")

    def compare_responses(self, label: str, op_a: dict, op_b: dict, scope: _Scope) -> None:
        ok_a, ok_b = (
            {str(c): r for c, r in (op.get("responses") or {}).items() if str(c).startswith("2")}
            for op in (op_a, op_b)
        )
        response_scope = _Scope(scope.owner, scope.requirements, scope.names, RESPONSE_SIDE)
        codes = sorted(set(ok_a) ^ set(ok_b))
        touch = tuple(dict.fromkeys(x for c in codes for x in _touching(response_scope, c, strict=True)))
        self.change(f"{label} success responses", sorted(ok_a), sorted(ok_b), touch)
        for code in ok_a:
            if code in ok_b:
                json_a = _json_schema(self.a.resolve(ok_a[code])[1])
                json_b = _json_schema(self.b.resolve(ok_b[code])[1])
                if json_a is not None and json_b is not None:
                    self.compare(f"{label} {code} body", json_a, json_b, response_scope, code)


def _kinds(shape: Shape, with_null: bool) -> str:
    text = " | ".join(sorted(shape.kinds.values())) or "any"
    return f"{text} | null" if with_null and shape.nullable else text


def _json_schema(body: Any) -> Any:
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, dict):
        return None
    for media, entry in content.items():
        if "json" in str(media) and isinstance(entry, dict):
            return entry.get("schema", {})
    return None


# ------------------------------------------------------------------ known drift and the entry points


def known_entries(fragment: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The fragment's ``info.x-known-drift`` list: ``{kind, location, old, new, sources, reason}``."""
    fragment = load_fragment() if fragment is None else fragment
    entries = (fragment.get("info") or {}).get("x-known-drift") or []
    return [e for e in entries if isinstance(e, dict)]


def diff(
    merge: dict[str, Any],
    *,
    fragment: dict[str, Any] | None = None,
    catalog: Catalog | None = None,
    label: str = "the OpenAPI file",
) -> list[Finding]:
    """Every difference between the fragment and ``merge`` (parsed OpenAPI), known ones marked."""
    fragment = load_fragment() if fragment is None else fragment
    findings = _Differ(fragment, merge, catalog or load_catalog(), label).run()
    known = {}
    for entry in known_entries(fragment):
        probe = Finding(
            str(entry.get("kind")), str(entry.get("location")), entry.get("old"), entry.get("new")
        )
        known[probe.key()] = str(entry.get("reason") or "")
    return [
        Finding(f.kind, f.location, f.old, f.new, f.requirements, f.key() in known, known.get(f.key(), ""))
        for f in findings
    ]


def drift(path: Path) -> list[Finding]:
    """Load ``path`` with a YAML 1.2 loader and diff it against the fragment."""
    return diff(load_openapi(path), label=str(path))
