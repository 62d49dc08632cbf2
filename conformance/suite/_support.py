"""What the checks share: paths, JSON and date-time reading, soft assertions, lead bodies.

Nothing here decides a verdict; the checks do. Every helper is written from the contract and
Merge's documents, never from the reference server's habits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
    """What meta/post says about a write: the model's properties and required names.

    ``fallback`` is set when meta/post could not be used: it holds why, and ``model_schema`` is then
    the fragment's ``LeadRequest`` instead, so that writes are still sent and judged on their answers.
    """

    raw: dict[str, Any]
    model_schema: dict[str, Any]
    fallback: str | None = None

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
    from conformance.spec import load_fragment

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
            return MetaPost(raw=body, model_schema=model)
        reason = "meta/post has no request_schema.properties.model"
    if fallback:
        return fragment_meta_post(reason)
    raise Inconclusive(f"{reason}, so the writes it drives cannot be checked")


# ------------------------------------------------------------------------------ lead bodies
#: the lead-body builders, which live in ``_bodies`` and are importable from here too
_BODY_BUILDERS = frozenset({"value_for", "sample_nested", "required_only_body", "full_body"})


def __getattr__(name: str) -> Any:
    """``value_for``, ``sample_nested``, ``required_only_body`` and ``full_body``, from ``_bodies``."""
    if name in _BODY_BUILDERS:
        from conformance.suite import _bodies

        return getattr(_bodies, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def declined_fields(body: Any) -> set[str]:
    """The model fields a 2xx write's warnings name (``/model/x``, ``model/x``, ``/x``).

    A warning such as Merge's ``UNSUPPORTED_FIELD`` says the field was not written, so an echo of
    it is not expected; a field left out without a warning still is.
    """
    warnings = body.get("warnings") if isinstance(body, dict) else None
    names = set()
    for warning in warnings if isinstance(warnings, list) else []:
        source = warning.get("source") if isinstance(warning, dict) else None
        pointer = source.get("pointer") if isinstance(source, dict) else None
        if isinstance(pointer, str):
            parts = [part for part in pointer.split("/") if part]
            if parts and parts[0] == "model":
                parts = parts[1:]
            if parts:
                names.add(parts[0])
    return names


def echo_mismatches(sent: dict[str, Any], model: dict[str, Any], declined: Iterable[str] = ()) -> list[str]:
    """Which writable fields sent are not echoed by ``model`` (strings equal, date-times as instants).

    Fields in ``declined`` (named by the write's warnings) are not expected back.
    """
    problems = []
    skipped = set(declined)
    for name, value in sent.items():
        if name in WRITE_ONLY_FIELDS or name in skipped:
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
            raise Violation(
                f"next repeats an earlier cursor ({nxt[:60]!r}): the traversal loops", [requirement]
            )
        seen_cursors.add(nxt)
        cursor = nxt
    raise Violation(
        f"following next from the first page of {path} did not end within {max_pages} pages", [requirement]
    )


# ------------------------------------------------------------------------------ write-path helpers

LeadPredicate = Callable[[dict[str, Any]], bool]
#: pages a search of the lead list may take (100 leads a page)
SEARCH_PAGES = 100
SEARCH_PAGE_SIZE = 100
_SEARCH_SLACK_SECONDS = 1


def run_tag(target: Target, label: str) -> str:
    """A tag unique to one write of this run: the run id, a label and a counter."""
    return target.tag(label)


def carries_tag(lead: Any, tag: str) -> bool:
    """Whether a string field of ``lead`` (top level or nested) holds ``tag`` as a whole word."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(tag)}(?![\w-])")

    def scan(value: Any, depth: int) -> bool:
        if isinstance(value, str):
            return bool(pattern.search(value))
        if depth > 3:
            return False
        if isinstance(value, dict):
            return any(scan(item, depth + 1) for item in value.values())
        if isinstance(value, list):
            return any(scan(item, depth + 1) for item in value)
        return False

    return isinstance(lead, dict) and scan(lead, 0)


@dataclass
class Search:
    """What one walk of a lead list found, and whether it saw the whole list."""

    found: list[dict[str, Any]]
    seen_ids: set[str]
    complete: bool
    problem: str = ""


def search_leads(
    client: httpx.Client,
    wanted: LeadPredicate,
    params: dict[str, Any] | None = None,
    max_pages: int = SEARCH_PAGES,
    stop_at: Callable[[Search], bool] | None = None,
) -> Search:
    """Walk the lead list (bounded), keeping the leads ``wanted(lead)`` picks.

    Trouble with the list (a non-200 page, a looping cursor, the page bound) ends the walk
    with ``complete`` False and the reason in ``problem``; it is never a violation here.
    ``stop_at(search)`` returning True ends the walk early (complete stays False).
    """
    search = Search(found=[], seen_ids=set(), complete=False)
    cursor: str | None = None
    cursors: set[str] = set()
    for _ in range(max_pages):
        query: dict[str, Any] = {"page_size": SEARCH_PAGE_SIZE, **(params or {})}
        if cursor is not None:
            query["cursor"] = cursor
        response = not_throttled(client.get(LEADS, params=query))
        body = json_or_none(response)
        results = body.get("results") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(results, list):
            search.problem = f"a page of the lead list was unusable ({describe(response)})"
            return search
        for lead in results:
            if isinstance(lead, dict):
                if isinstance(lead.get("id"), str):
                    search.seen_ids.add(lead["id"])
                if wanted(lead):
                    search.found.append(lead)
        if stop_at is not None and stop_at(search):
            return search
        nxt = body.get("next") if isinstance(body, dict) else None
        if nxt is None:
            search.complete = True
            return search
        if not isinstance(nxt, str) or not nxt or nxt in cursors:
            search.problem = f"the lead list's next cursor {str(nxt)[:60]!r} cannot be followed"
            return search
        cursors.add(nxt)
        cursor = nxt
    search.problem = f"the lead list did not end within {max_pages} pages of {SEARCH_PAGE_SIZE}"
    return search


def created_after_bound(*leads: dict[str, Any]) -> str | None:
    """A created_after bound a little before the earliest created_at of ``leads`` (the server's clock).

    None when one of them shows no usable created_at: only timestamps the target returned say where
    a lead lies. The margin below the earliest one allows for a bound that excludes its own instant
    and for a target that stores finer instants than it returns; it only ever widens the window.
    """
    moments = [parse_datetime(lead.get("created_at")) for lead in leads]
    known = [moment for moment in moments if moment is not None]
    if not known or len(known) < len(moments):
        return None
    return isoformat_z(min(known) - timedelta(seconds=_SEARCH_SLACK_SECONDS))


def find_in_list(
    client: httpx.Client,
    wanted: LeadPredicate,
    control: dict[str, Any] | None,
    sought: Iterable[dict[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The leads of ``client``'s list that ``wanted`` picks, or Inconclusive when absence cannot be shown.

    ``control`` is a lead visible to ``client``, created before any lead looked for that the run
    did not see (a write answered with an error): a search counts as seeing every new lead only if
    it sees the control. ``sought`` are the leads looked for whose created_at the target returned.
    The search first narrows the list with ``created_after``, below the earliest created_at of the
    control and the sought leads, however long the writes took; a target whose filter is broken
    is walked in full instead.
    """
    control_id = control.get("id") if control else None
    attempts: list[dict[str, Any]] = []
    window = [*([control] if control else []), *sought]
    bound = created_after_bound(*window)
    if bound is not None:
        attempts.append({"created_after": bound})
    attempts.append({})
    problems = []
    for params in attempts:
        search = search_leads(client, wanted, params)
        if search.found:
            return search.found
        control_seen = control_id is None or control_id in search.seen_ids
        if search.complete and control_seen:
            return []
        problems.append(search.problem or "the list did not show the control lead the run had just created")
    raise Inconclusive("cannot tell whether the lead list holds it: " + "; ".join(problems))


def listed(client: httpx.Client, lead: dict[str, Any]) -> bool | None:
    """Whether ``client``'s list holds ``lead`` (by id): True, False (a full walk missed it) or None."""
    lead_id = lead.get("id")
    bound = created_after_bound(lead)
    if bound is not None:
        search = search_leads(client, lambda item: item.get("id") == lead_id, {"created_after": bound},
                              stop_at=lambda s: bool(s.found))
        if search.found:
            return True
    search = search_leads(client, lambda item: item.get("id") == lead_id, stop_at=lambda s: bool(s.found))
    if search.found:
        return True
    return False if search.complete else None


def problems_of(body: Any) -> list[tuple[str, Any]]:
    """Every item of a write answer's ``warnings`` and ``errors``, as (list name, item)."""
    items: list[tuple[str, Any]] = []
    if isinstance(body, dict):
        for key in ("warnings", "errors"):
            value = body.get(key)
            if isinstance(value, list):
                items.extend((key, item) for item in value)
    return items


def problem_shape_issues(item: Any) -> list[str]:
    """How a warning or error breaks Merge's shape (string title, detail, problem_type; source.pointer)."""
    if not isinstance(item, dict):
        return [f"is not an object: {item!r}"[:200]]
    issues = [f"{key} is {item.get(key)!r}, not a string" for key in ("title", "detail", "problem_type")
              if not isinstance(item.get(key), str)]
    source = item.get("source")
    if source is not None and not (isinstance(source, dict) and isinstance(source.get("pointer"), str)):
        issues.append(f"source {source!r} has no string pointer"[:200])
    return issues


def pointer_of(item: Any) -> str | None:
    source = item.get("source") if isinstance(item, dict) else None
    pointer = source.get("pointer") if isinstance(source, dict) else None
    return pointer if isinstance(pointer, str) else None


def pointer_names(pointer: str, name: str) -> bool:
    """``/model/age``, ``model/age``, ``/age`` and ``age`` all name ``age``."""
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.strip().strip("/").split("/")]
    return tokens in (["model", name], [name])


def detail_names(item: Any, name: str) -> bool:
    detail = item.get("detail") if isinstance(item, dict) else None
    return isinstance(detail, str) and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", detail) is not None


def names_field(item: Any, name: str, *, detail_counts: bool) -> bool:
    """Whether a problem names a field: by its pointer, or by its detail.

    ``detail_counts`` False: the detail counts only when the problem has no pointer.
    """
    pointer = pointer_of(item)
    if pointer is not None and pointer.strip("/ ") and pointer_names(pointer, name):
        return True
    if detail_counts or pointer is None or not pointer.strip("/ "):
        return detail_names(item, name)
    return False


def problems_named(body: Any, problem_type: str, name: str, lists: tuple[str, ...], *,
                   detail_counts: bool) -> list[Any]:
    """The items of ``lists`` with ``problem_type`` that name the field ``name``."""
    return [
        item for key, item in problems_of(body)
        if key in lists and isinstance(item, dict) and item.get("problem_type") == problem_type
        and names_field(item, name, detail_counts=detail_counts)
    ]


# ------------------------------------------------------------------------------ read path
#: the most problems one message lists before it summarises the rest
MAX_LISTED = 5


def lenient_walk(client: httpx.Client, path: str, params: dict[str, Any], max_pages: int) -> Traversal:
    """Follow ``next`` as far as the target allows, at most ``max_pages`` pages, never failing.

    It stops at the first page that is not a 200 JSON object, at a ``next`` that is not a string,
    and at a cursor it has followed before; ``problem`` says why, ``ended`` is true only when a page
    said ``next: null``. A persisting 429 is inconclusive. For checks that need a sample of the
    list, not a verdict on its paging (the paging checks use ``walk``).
    """
    traversal = Traversal(pages=[], ids=[], ended=False)
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        response = not_throttled(client.get(path, params=query))
        body = json_or_none(response)
        if response.status_code != 200 or not isinstance(body, dict):
            traversal.problem = describe(response)
            return traversal
        traversal.pages.append(body)
        traversal.ids.extend(result_ids(body))
        nxt = body.get("next")
        if nxt is None:
            traversal.ended = True
            return traversal
        if not isinstance(nxt, str) or not nxt or nxt in seen:
            traversal.problem = f"next is {nxt!r} after {len(traversal.pages)} page(s)"
            return traversal
        seen.add(nxt)
        cursor = nxt
    traversal.problem = f"still not at the end after {max_pages} page(s)"
    return traversal


def results_of(body: Any) -> list[dict[str, Any]]:
    """The object items of a page's ``results`` (anything else is left to the envelope checks)."""
    results = body.get("results") if isinstance(body, dict) else None
    return [item for item in results if isinstance(item, dict)] if isinstance(results, list) else []


def result_ids(body: Any) -> list[str]:
    """The string ids of a page's results, in order."""
    return [item["id"] for item in results_of(body) if isinstance(item.get("id"), str) and item["id"]]


def traversal_items(traversal: Traversal) -> list[dict[str, Any]]:
    """Every result object a traversal saw, the first occurrence of each id only."""
    seen: set[str] = set()
    items = []
    for page in traversal.pages:
        for item in results_of(page):
            ident = item.get("id")
            if isinstance(ident, str) and ident and ident not in seen:
                seen.add(ident)
                items.append(item)
    return items


def relation_id(value: Any) -> Any:
    """A relation's id: the string itself, or the ``id`` of an expanded object."""
    return value.get("id") if isinstance(value, dict) else value


def summarise(problems: list[str], limit: int = MAX_LISTED) -> str:
    """The first ``limit`` problems, and how many more there were."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


# ------------------------------------------------------------------------------ field types
# Each field maps to (kind, nullable), as the OpenAPI fragment types it. Kinds: string,
# date-time (an RFC 3339 string), boolean, object, array, relation (a string id, or the
# expanded object), any. Absent keys and extra properties are never problems.
FieldTypes = dict[str, tuple[str, bool]]

LEAD_TYPES: FieldTypes = {
    "id": ("string", False),
    "remote_id": ("string", True),
    "created_at": ("date-time", False),
    "modified_at": ("date-time", False),
    "owner": ("relation", True),
    "lead_source": ("string", True),
    "title": ("string", True),
    "company": ("string", True),
    "first_name": ("string", True),
    "last_name": ("string", True),
    "addresses": ("array", False),
    "email_addresses": ("array", False),
    "phone_numbers": ("array", False),
    "remote_updated_at": ("date-time", True),
    "remote_created_at": ("date-time", True),
    "converted_date": ("date-time", True),
    "converted_contact": ("relation", True),
    "converted_account": ("relation", True),
    "status": ("string", True),
    "lead_url": ("string", True),
    "remote_was_deleted": ("boolean", False),
    "field_mappings": ("object", True),
    "remote_data": ("array", True),
    "remote_fields": ("array", False),
}
_STAMPS: FieldTypes = {"created_at": ("date-time", False), "modified_at": ("date-time", False)}
LEAD_ITEM_TYPES: dict[str, FieldTypes] = {
    "addresses": {
        **_STAMPS,
        **{name: ("string", True) for name in NESTED_FIELDS["addresses"]},
    },
    "email_addresses": {**_STAMPS, "email_address": ("string", True), "email_address_type": ("string", True)},
    "phone_numbers": {**_STAMPS, "phone_number": ("string", True), "phone_number_type": ("string", True)},
    "remote_data": {"path": ("string", False), "data": ("any", True)},
    "remote_fields": {"remote_field_class": ("relation", False), "value": ("any", True)},
}
#: keys an item of these arrays must hold (the fragment's ``required``)
LEAD_ITEM_REQUIRED = {"remote_data": ("path",), "remote_fields": ("remote_field_class",)}

RFC_TYPES: FieldTypes = {
    "id": ("string", False),
    "display_name": ("string", False),
    "remote_key_name": ("string", False),
    "description": ("string", False),
    "is_custom": ("boolean", False),
    "is_common_model_field": ("boolean", False),
    "is_required": ("boolean", False),
    "field_type": ("string", False),
    "field_format": ("string", False),
    "field_choices": ("array", True),
    "item_schema": ("object", False),
}
ITEM_SCHEMA_TYPES: FieldTypes = {
    "item_type": ("string", False),
    "item_format": ("string", False),
    "item_choices": ("array", False),
}


def _fits(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "date-time":
        return parse_datetime(value) is not None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "relation":
        return isinstance(value, str | dict)
    raise ValueError(f"unknown kind {kind!r}")


def type_problems(value: Any, types: FieldTypes, where: str) -> list[str]:
    """How the fields of object ``value`` present in ``types`` break their declared type."""
    if not isinstance(value, dict):
        return [f"{where} is {type(value).__name__}, not an object"]
    problems = []
    for name, (kind, nullable) in types.items():
        if name not in value:
            continue
        field_value = value[name]
        if field_value is None:
            if not nullable:
                problems.append(f"{where}.{name} is null")
        elif not _fits(kind, field_value):
            article = "an RFC 3339" if kind == "date-time" else "a"
            problems.append(f"{where}.{name} is {field_value!r:.60}, not {article} {kind}")
    return problems


def lead_problems(lead: Any, where: str) -> list[str]:
    """How a Lead object breaks the fragment's types (nested addresses, emails, phones, remote data too)."""
    problems = type_problems(lead, LEAD_TYPES, where)
    if not isinstance(lead, dict):
        return problems
    for name, item_types in LEAD_ITEM_TYPES.items():
        items = lead.get(name)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            item_where = f"{where}.{name}[{index}]"
            problems.extend(type_problems(item, item_types, item_where))
            if isinstance(item, dict):
                required = LEAD_ITEM_REQUIRED.get(name, ())
                problems.extend(f"{item_where} has no {key}" for key in required if key not in item)
    return problems


def remote_field_class_problems(item: Any, where: str) -> list[str]:
    """How a RemoteFieldClass object breaks the fragment's types."""
    problems = type_problems(item, RFC_TYPES, where)
    if not isinstance(item, dict):
        return problems
    choices = item.get("field_choices")
    if isinstance(choices, list):
        problems.extend(
            f"{where}.field_choices[{index}] is {choice!r:.60}, neither an object nor a string"
            for index, choice in enumerate(choices)
            if not isinstance(choice, dict | str)
        )
    schema = item.get("item_schema")
    if isinstance(schema, dict):
        problems.extend(type_problems(schema, ITEM_SCHEMA_TYPES, f"{where}.item_schema"))
        item_choices = schema.get("item_choices")
        if isinstance(item_choices, list) and not all(isinstance(c, str) for c in item_choices):
            problems.append(f"{where}.item_schema.item_choices holds a value that is not a string")
    return problems


def envelope_problems(body: Any, item_problems: Callable[[Any, str], list[str]]) -> list[str]:
    """How a page breaks ``{next, previous, results}``: cursors string or null, results typed items."""
    if not isinstance(body, dict):
        return [f"the body is {type(body).__name__}, not an object"]
    problems = []
    for key in ("next", "previous"):
        if key not in body:
            problems.append(f"{key} is absent")
        elif body[key] is not None and not isinstance(body[key], str):
            problems.append(f"{key} is {body[key]!r:.60}, neither a string nor null")
    results = body.get("results")
    if not isinstance(results, list):
        shown = "absent" if "results" not in body else repr(results)[:60]
        problems.append(f"results is {shown}, not an array")
        return problems
    for index, item in enumerate(results):
        problems.extend(item_problems(item, f"results[{index}]"))
    return problems


def shown_request(path: str, params: dict[str, Any]) -> str:
    """``GET /crm/v1/leads?page_size=100`` for messages."""
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"GET /{path}" + (f"?{query}" if query else "")


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
