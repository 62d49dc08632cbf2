"""Edge values a written lead carries on purpose, many at once, fitted to what meta/post allows.

The contract holds every requirement over every value the schema allows: text with surrounding
whitespace, long text, any code point (accents, scripts written right to left, combining marks,
characters beyond the Basic Multilingual Plane), several items in an array, date-times with any
offset and with fractions. Each planned lead (``EDGE_LEADS``) spreads these classes over its fields,
so a handful of writes covers them all: one field keeps surrounding whitespace, another is long,
a third mixes scripts, there are two addresses, two email addresses and two phone numbers (in a
national form that E.164 would rewrite), and the conversion date has a non-UTC offset and a fraction (one
of one digit, the other of nine digits with the largest offset there is, -23:59).

Beyond what a lead echoes, a planned write carries what the schema leaves open (``with_open_values``):
the write-only objects holding numbers in every JSON form, nesting a dozen levels deep and a text of
12,000 characters (so the body is large), and relations sent as the objects the fragment also allows;
and a lead carries an explicit null in every field meta/post lets be null (``explicit_nulls``).

A value is kept when it fits the schema meta/post gives its field (a long text is cut to the declared
``maxLength``, the longest value allowed); otherwise the suite builds one that fits. A field meta/post
does not offer is left out. The run tag goes into a text field with room for it, as in every body.
"""

from __future__ import annotations

import uuid
from typing import Any

from conformance.suite.oracle.compare import RELATION_FIELDS
from conformance.suite.support.bodies import carry_tag, fitted, offered_fields, value_for
from conformance.suite.support.fitting import fits, takes_null
from conformance.suite.support.generation import field_schema
from conformance.suite.support.meta import MetaPost

__all__ = [
    "EDGE_LEADS",
    "LONG",
    "NUMBER_FORMS",
    "edge_model",
    "explicit_nulls",
    "nested",
    "server_owned_values",
    "with_open_values",
    "with_unknown_keys",
]

#: the length of the long text a planned lead carries (where meta/post allows it)
LONG = 300
#: an unknown key sent inside model, and one sent inside a nested item (ENVELOPE-002, ENVELOPE-006)
UNKNOWN_KEY = "age"
UNKNOWN_NESTED_KEY = "floor"


_FILLER = "Analytical Engine, Difference Engine; "


def _long(prefix: str) -> str:
    text = prefix + " " + _FILLER * (LONG // len(_FILLER) + 1)
    return text[: LONG - 1] + "."


#: the edge values of each planned lead, by field (nested ones by list)
EDGE_LEADS: tuple[dict[str, Any], ...] = (
    {
        "first_name": "  Ada  Augusta  ",
        "last_name": "Lovelace-Ñúñez 李 \U0001f984 e\u0301",
        "company": _long("Analytical Engines"),
        "title": "Directrice générale — مديرة عامة",
        "lead_url": "https://example.com/leads/lovelace",
        "converted_date": "2026-01-15T10:30:00.5+10:30",
        "addresses": [
            {
                "street_1": "  1 Infinite Loop  ",
                "street_2": "Bâtiment \U00010348",
                "city": "São Paulo",
                "state": "SP",
                "postal_code": "01310-100",
                "country": "BR",
                "address_type": "BILLING",
            },
            {
                "street_1": "Kärntner Straße 1",
                "street_2": None,
                "city": "Wien",
                "state": "W",
                "postal_code": "1010",
                "country": "AT",
                "address_type": "SHIPPING",
            },
        ],
        "email_addresses": [
            {"email_address": "ada.lovelace@example.com", "email_address_type": "Work"},
            {"email_address": "ada+analytical@example.org", "email_address_type": "Personal"},
        ],
        "phone_numbers": [
            {"phone_number": "+1 415-555-0132", "phone_number_type": "Mobile"},
            {"phone_number": "+44 20 7946 0958", "phone_number_type": "Work"},
        ],
    },
    {
        "first_name": "Zoë \U0001f469\U0001f3fd\u200d\U0001f4bb",
        "last_name": "  Hopper  ",
        "company": "Ñandú & Søn — 株式会社",
        "title": _long("Rear Admiral"),
        "lead_url": None,
        "converted_date": "2025-12-31T23:59:59.123456789-23:59",
        "addresses": [
            {
                "street_1": "\u05e8\u05d7\u05d5\u05d1 \u05d4\u05e8\u05e6\u05dc 1",
                "city": "תל אביב",
                "country": "IL",
                "address_type": "BILLING",
            },
        ],
        "email_addresses": [
            {"email_address": "grace.hopper@example.com", "email_address_type": "Work"},
        ],
        "phone_numbers": [
            {"phone_number": "+1 (212) 555-0199", "phone_number_type": "Work"},
            {"phone_number": "+33 1 23 45 67 89", "phone_number_type": "Mobile"},
        ],
    },
)


def edge_model(meta: MetaPost, tag: str, known: dict[str, str], index: int = 0) -> dict[str, Any]:
    """The ``index``-th planned lead's model: its edge values on the fields meta/post offers, each fitted
    to its schema, relations the target holds, every field meta/post requires, and the run tag."""
    offered = offered_fields(meta)
    values = EDGE_LEADS[index % len(EDGE_LEADS)]
    model = {
        name: value
        for name, value in values.items()
        if (offered is None or name in offered) and (value is not None or _takes_null(meta, name))
    }
    for name in RELATION_FIELDS:
        if name in known and (offered is None or name in offered):
            model[name] = known[name]
    return carry_tag(fitted(model, meta, tag, known), meta, tag)


def _takes_null(meta: MetaPost, name: str) -> bool:
    """Whether meta/post lets ``name`` be null (a field it does not describe may be: nullable everything)."""
    schema = meta.properties.get(name)
    return schema is None or takes_null(schema)


def server_owned_values(tag: str) -> dict[str, Any]:
    """Values for the server-owned fields a write must not apply (CREATE-012): none a server would pick."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"leads-conformance/server-owned/{tag}")),
        "remote_id": f"lc-remote-{tag}",
        "created_at": "2001-02-03T04:05:06Z",
        "modified_at": "2001-02-03T04:05:06Z",
        "remote_was_deleted": True,
    }


def with_unknown_keys(model: dict[str, Any], tag: str) -> dict[str, Any]:
    """``model`` with an unknown key, the server-owned fields, and an unknown key in its first address
    (where it has one): every one must be warned about and none applied."""
    extended = {**model, UNKNOWN_KEY: 42, **server_owned_values(tag)}
    addresses = extended.get("addresses")
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        extended["addresses"] = [{**addresses[0], UNKNOWN_NESTED_KEY: "3"}, *addresses[1:]]
    return extended


#: a number in every form JSON writes one: fractions, a negative zero, exponents either case, an integer
#: beyond 64 bits, and the 32-bit bounds
NUMBER_FORMS: tuple[float | int, ...] = (1.5, -0.0, 1e3, 1e-07, 12345678901234567890, -(2**31), 2**31 - 1)
#: how deep the write-only objects nest, and how long their text is (the body is then over 12 KiB, and
#: still whole in the evidence)
OPEN_DEPTH = 12
OPEN_TEXT = 12_000
#: what a relation sent as an object carries beside its id (LeadRequest's oneOf [uuid, User|Contact|Account])
RELATION_OBJECTS: dict[str, dict[str, Any]] = {
    "owner": {"is_active": True},
    "converted_contact": {},
    "converted_account": {"number_of_employees": 2**31 - 1},
}


def nested(depth: int, leaf: Any) -> Any:
    """``leaf`` inside ``depth`` levels of objects and arrays, alternately."""
    value = leaf
    for level in range(depth):
        value = {"level": value} if level % 2 else [value]
    return value


def with_open_values(model: dict[str, Any], meta: MetaPost, tag: str) -> dict[str, Any]:
    """``model`` with what the schema leaves open, where meta/post offers the field: the write-only objects
    (integration_params, linked_account_params) holding every number form, nesting and a long text, and
    each relation it names sent as an object holding its id."""
    offered = offered_fields(meta)
    extended = dict(model)
    params = {
        "lc_tag": tag,
        "lc_numbers": list(NUMBER_FORMS),
        "lc_nested": nested(OPEN_DEPTH, tag),
        "lc_text": ("Analytical Engine " * (OPEN_TEXT // 18 + 1))[:OPEN_TEXT],
    }
    for name, value in (("integration_params", params), ("linked_account_params", {"lc_tag": tag})):
        if offered is None or name in offered:
            extended[name] = _open_within(meta.properties.get(name), value, name, tag)
    for name, extra in RELATION_OBJECTS.items():
        if isinstance(extended.get(name), str):
            extended[name] = {"id": extended[name], **extra}
    return extended


def _open_within(schema: Any, open_keys: dict[str, Any], name: str, tag: str) -> Any:
    """``open_keys`` added to a value fitting what meta/post declares for the write-only object ``name``:
    the sub-fields it requires stay, and the open keys go in only where the schema leaves them room."""
    if not isinstance(schema, dict) or not (schema.get("properties") or schema.get("required")):
        return open_keys
    base = value_for(name, schema, tag, {})
    if not isinstance(base, dict):
        return base
    merged = {**open_keys, **base}
    return merged if fits(merged, field_schema(name, schema)) else base


def explicit_nulls(model: dict[str, Any], meta: MetaPost) -> dict[str, Any]:
    """``model`` with null in every field meta/post offers, lets be null and does not require, that the
    model leaves out."""
    extended = dict(model)
    required = set(meta.required)
    for name, schema in meta.properties.items():
        if name not in extended and name not in required and takes_null(schema):
            extended[name] = None
    return extended
