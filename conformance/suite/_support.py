"""What the checks share: paths, JSON and date-time reading, soft assertions, lead bodies.

Nothing here decides a verdict; the checks do. Every helper is written from the contract and
Merge's documents, never from the reference server's habits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from conformance._outcomes import Inconclusive, Violation, ViolationGroup
from conformance.target import Target, json_or_none

LEADS = "crm/v1/leads"
META_POST = "crm/v1/leads/meta/post"
REMOTE_FIELD_CLASSES = "crm/v1/leads/remote-field-classes"
OPERATIONS = (
    ("GET", LEADS),
    ("POST", LEADS),
    ("GET", LEADS + "/{id}"),
    ("GET", META_POST),
    ("GET", REMOTE_FIELD_CLASSES),
)
#: writable LeadRequest fields that a create echoes (write-only ones are not echoed)
STRING_FIELDS = ("lead_source", "title", "company", "first_name", "last_name")
RELATION_FIELDS = ("owner", "converted_contact", "converted_account")
NESTED_FIELDS = {
    "addresses": ("street_1", "street_2", "city", "state", "postal_code", "country", "address_type"),
    "email_addresses": ("email_address", "email_address_type"),
    "phone_numbers": ("phone_number", "phone_number_type"),
}
WRITE_ONLY_FIELDS = ("integration_params", "linked_account_params", "remote_fields")
#: the most pages a traversal may take beyond what the data can explain
PAGE_SLACK = 3

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def lead_path(lead_id: str) -> str:
    return f"{LEADS}/{quote(lead_id, safe='')}"


# ------------------------------------------------------------------------------ date-times
def parse_datetime(value: Any) -> datetime | None:
    """An RFC 3339 date-time with an offset (``Z`` or ``±hh:mm``, any fraction), else None."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.replace("z", "Z").replace("Z", "+00:00").replace("t", "T").replace(" ", "T")
    match = re.match(r"^(.*?\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
    if match is None:
        return None
    head, fraction, offset = match.groups()
    if fraction:
        fraction = fraction[:7].ljust(7, "0")
    try:
        return datetime.fromisoformat(head + (fraction or "") + offset)
    except ValueError:
        return None


def same_instant(sent: Any, got: Any) -> bool:
    a, b = parse_datetime(sent), parse_datetime(got)
    return a is not None and b is not None and a == b


def isoformat_z(moment: datetime) -> str:
    """``2026-11-26T06:09:13.123456Z``."""
    text = moment.isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


# ------------------------------------------------------------------------------ responses
def not_throttled(response: httpx.Response, requirements: Iterable[str] = ()) -> httpx.Response:
    """A 429 that outlasted the retries makes the check inconclusive, never failed."""
    if response.status_code == 429:
        raise Inconclusive(
            f"the target kept answering 429 to {response.request.method} {response.request.url.path}",
            requirements,
        )
    return response


def describe(response: httpx.Response) -> str:
    """``POST /api/crm/v1/leads -> 500`` with the start of the body."""
    body = response.content[:300].decode("utf-8", "replace").replace("\n", " ")
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {body}".strip()


def json_object(response: httpx.Response, requirement: str, what: str) -> dict[str, Any]:
    """The body as a JSON object, or a violation of ``requirement``."""
    body = json_or_none(response)
    if not isinstance(body, dict):
        raise Violation(f"{what}: the body is not a JSON object ({describe(response)})", [requirement])
    return body


@dataclass
class Findings:
    """Soft assertions: collect every violation a check sees, then fail once with all of them."""

    target: Target
    items: list[Violation] = field(default_factory=list)

    def check(self, condition: bool, requirement: str, message: str) -> bool:
        if not condition:
            self.fail(requirement, message)
        return condition

    def fail(self, requirement: str, message: str) -> None:
        self.items.append(Violation(message, [requirement], self.target.last_reproduce()))

    def failed(self, requirement: str) -> bool:
        return any(requirement in v.requirements for v in self.items)

    def raise_if_any(self) -> None:
        if len(self.items) == 1:
            raise self.items[0]
        if self.items:
            raise ViolationGroup(self.items)


# ------------------------------------------------------------------------------ meta/post
@dataclass
class MetaPost:
    """What meta/post says about a write: the model's properties and required names."""

    raw: dict[str, Any]
    model_schema: dict[str, Any]

    @property
    def properties(self) -> dict[str, Any]:
        props = self.model_schema.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        required = self.model_schema.get("required")
        if not isinstance(required, list):
            return []
        return [name for name in required if isinstance(name, str)]


def model_schema_of(meta: dict[str, Any]) -> dict[str, Any] | None:
    """``request_schema.properties.model`` when it is an object schema, else None."""
    request_schema = meta.get("request_schema")
    if not isinstance(request_schema, dict):
        return None
    props = request_schema.get("properties")
    model = props.get("model") if isinstance(props, dict) else None
    return model if isinstance(model, dict) else None


def fetch_meta_post(client: httpx.Client) -> MetaPost:
    """meta/post, or Inconclusive when it cannot drive writes (its own checks report why)."""
    response = not_throttled(client.get(META_POST))
    body = json_or_none(response)
    if response.status_code != 200 or not isinstance(body, dict):
        raise Inconclusive(f"meta/post is unusable, so the writes it drives cannot be checked ({describe(response)})")
    model = model_schema_of(body)
    if model is None:
        raise Inconclusive("meta/post has no request_schema.properties.model, so writes cannot be derived from it")
    return MetaPost(raw=body, model_schema=model)


# ------------------------------------------------------------------------------ lead bodies
def _schema_types(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    kind = schema.get("type")
    types = {kind} if isinstance(kind, str) else set(kind) if isinstance(kind, list) else set()
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key, []) or []:
            types |= _schema_types(branch)
    return types


def value_for(name: str, schema: Any, tag: str, known: dict[str, str]) -> Any:
    """A value for a required field that fits its schema as meta/post gives it."""
    if name in RELATION_FIELDS and name in known:
        return known[name]
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list) and schema["enum"]:
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    types = _schema_types(schema)
    fmt = schema.get("format") if isinstance(schema, dict) else None
    if name in NESTED_FIELDS or "array" in types:
        return [sample_nested(name, tag)] if name in NESTED_FIELDS else []
    if fmt == "date-time" or name.endswith("_date") or name.endswith("_at"):
        return "2026-01-15T10:30:00Z"
    if "boolean" in types:
        return True
    if "integer" in types or "number" in types:
        return 1
    if "object" in types and "string" not in types:
        return {}
    if fmt == "uri" or name.endswith("_url"):
        return f"https://example.com/leads/{tag}"
    return f"{name.replace('_', ' ').title()} {tag}"


def sample_nested(name: str, tag: str) -> dict[str, Any]:
    if name == "addresses":
        return {
            "street_1": "50 Bowling Green Dr",
            "street_2": f"Suite {tag}",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94122",
            "country": "US",
            "address_type": "BILLING",
        }
    if name == "email_addresses":
        return {"email_address": f"{tag}@example.com", "email_address_type": "Work"}
    return {"phone_number": "+16789932455", "phone_number_type": "Mobile"}


def required_only_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """A model holding exactly meta/post's required fields, each with a value fitting its schema."""
    return {name: value_for(name, meta.properties.get(name), tag, known) for name in meta.required}


def full_body(meta: MetaPost, tag: str, known: dict[str, str]) -> dict[str, Any]:
    """Every writable Lead field the suite can echo-check, plus the required ones, tagged with the run."""
    model: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": f"Lovelace {tag}",
        "company": f"Analytical Engines {tag}",
        "title": "Chief Engineer",
        "lead_source": f"leads-conformance {tag}",
        "converted_date": "2026-01-15T10:30:00Z",
        "addresses": [sample_nested("addresses", tag)],
        "email_addresses": [sample_nested("email_addresses", tag)],
        "phone_numbers": [sample_nested("phone_numbers", tag)],
    }
    for name in RELATION_FIELDS:
        if name in known:
            model[name] = known[name]
    for name in meta.required:
        model.setdefault(name, value_for(name, meta.properties.get(name), tag, known))
    return model


def echo_mismatches(sent: dict[str, Any], model: dict[str, Any]) -> list[str]:
    """Which writable fields sent are not echoed by ``model`` (strings equal, date-times as instants)."""
    problems = []
    for name, value in sent.items():
        if name in WRITE_ONLY_FIELDS:
            continue
        got = model.get(name)
        if name in NESTED_FIELDS and isinstance(value, list):
            problems.extend(_nested_mismatches(name, value, got))
        elif name in RELATION_FIELDS:
            got_id = got.get("id") if isinstance(got, dict) else got
            sent_id = value.get("id") if isinstance(value, dict) else value
            if got_id != sent_id:
                problems.append(f"{name}: sent {sent_id!r}, got {got!r}")
        elif parse_datetime(value) is not None:
            if not same_instant(value, got):
                problems.append(f"{name}: sent {value!r}, got {got!r}")
        elif got != value:
            problems.append(f"{name}: sent {value!r}, got {got!r}")
    return problems


def _nested_mismatches(name: str, sent: list[Any], got: Any) -> list[str]:
    if not isinstance(got, list):
        return [f"{name}: sent {len(sent)} item(s), got {got!r}"]
    problems = []
    for item in sent:
        if not isinstance(item, dict):
            continue
        wanted = {k: v for k, v in item.items() if k not in WRITE_ONLY_FIELDS}
        if not any(isinstance(g, dict) and all(g.get(k) == v for k, v in wanted.items()) for g in got):
            problems.append(f"{name}: sent {wanted!r}, not found in {got!r}"[:400])
    return problems


# ------------------------------------------------------------------------------ traversal
@dataclass
class Traversal:
    """The pages a cursor walk saw, and how it ended."""

    pages: list[dict[str, Any]]
    ids: list[str]
    ended: bool
    problem: str = ""


def walk(
    client: httpx.Client, path: str, params: dict[str, Any], max_pages: int, requirement: str
) -> Iterator[tuple[httpx.Response, dict[str, Any]]]:
    """Follow ``next`` from the first page; at most ``max_pages`` pages; each page must be a 200 object."""
    cursor: str | None = None
    seen_cursors: set[str] = set()
    for _ in range(max_pages):
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        response = not_throttled(client.get(path, params=query), [requirement])
        if response.status_code != 200:
            raise Violation(f"a page of {path} did not answer 200 ({describe(response)})", [requirement])
        body = json_object(response, requirement, f"a page of {path}")
        yield response, body
        nxt = body.get("next")
        if nxt is None:
            return
        if not isinstance(nxt, str) or not nxt:
            raise Violation(f"next is {nxt!r}, neither a cursor string nor null", [requirement])
        if nxt in seen_cursors:
            raise Violation(f"next repeats an earlier cursor ({nxt[:60]!r}): the traversal loops", [requirement])
        seen_cursors.add(nxt)
        cursor = nxt
    raise Violation(
        f"following next from the first page of {path} did not end within {max_pages} pages", [requirement]
    )
