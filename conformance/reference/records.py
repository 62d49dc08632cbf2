"""The records of a write, by name, as the fragment's request schemas declare them.

Read-only properties are not listed: the server ignores them in a request. A Contact's ``account``
is an Account, whose ``owner`` is a User: records refer to each other by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .shapes import (
    AnyValue,
    Either,
    Flag,
    FreeObject,
    ListOf,
    Problem,
    Shape,
    Text,
    Whole,
    escape_pointer,
    or_null,
    wrong_type,
)

__all__ = ["RECORDS", "Record", "relation"]

_STRING = Text()
_URL = Text(format="uri")
_DATE_TIME = Text(format="date-time")


@dataclass(frozen=True)
class Record:
    """An object with typed properties, by name in ``RECORDS`` (records name each other, so a record is
    looked up when it is checked)."""

    name: str
    nullable: bool = False

    def describe(self) -> str:
        """Say what the value must be."""
        return or_null(f"a {self.name} object", self.nullable)

    def check(self, value: Any, pointer: str, label: str, problems: list[Problem]) -> bool:
        """Check an object and each property it declares."""
        if value is None and self.nullable:
            return True
        if not isinstance(value, dict):
            problems.append(wrong_type(pointer, label, self.describe()))
            return False
        fields, required = RECORDS[self.name]
        fits = True
        for name in required:
            if name not in value:
                problems.append(
                    Problem(
                        "Missing Required Field",
                        f"{name} is a required field on {label}.",
                        "MISSING_REQUIRED_FIELD",
                        f"{pointer}/{escape_pointer(name)}",
                    )
                )
                fits = False
        for name, shape in fields.items():
            if name in value:
                token = escape_pointer(name)
                fits = shape.check(value[name], f"{pointer}/{token}", f"{label}.{name}", problems) and fits
        return fits


def relation(name: str) -> Either:
    """Return the shape of a relation to a ``name`` object: an id, the object, or null."""
    return Either(Text(nullable=False), Record(name))


RECORDS: dict[str, tuple[dict[str, Shape], tuple[str, ...]]] = {
    "User": (
        {"remote_id": _STRING, "name": _STRING, "email": _STRING, "is_active": Flag(), "user_url": _URL},
        (),
    ),
    "Address": (
        {
            name: _STRING
            for name in ("street_1", "street_2", "city", "state", "postal_code", "country", "address_type")
        },
        (),
    ),
    "EmailAddress": ({"email_address": _STRING, "email_address_type": _STRING}, ()),
    "PhoneNumber": ({"phone_number": _STRING, "phone_number_type": _STRING}, ()),
    "Contact": (
        {
            "remote_id": _STRING,
            "first_name": _STRING,
            "last_name": _STRING,
            "account": relation("Account"),
            "owner": relation("User"),
            "addresses": ListOf(Record("Address")),
            "email_addresses": ListOf(Record("EmailAddress")),
            "phone_numbers": ListOf(Record("PhoneNumber")),
            "last_activity_at": _DATE_TIME,
            "remote_created_at": _DATE_TIME,
            "contact_url": _URL,
        },
        (),
    ),
    "Account": (
        {
            "remote_id": _STRING,
            "owner": relation("User"),
            "name": _STRING,
            "description": _STRING,
            "industry": _STRING,
            "website": Text(format="uri", max_length=2000),
            "number_of_employees": Whole(),
            "addresses": ListOf(Record("Address")),
            "last_activity_at": _DATE_TIME,
            "remote_updated_at": _DATE_TIME,
            "remote_created_at": _DATE_TIME,
            "account_url": _URL,
        },
        (),
    ),
    "AddressRequest": (
        {
            **{
                name: _STRING
                for name in (
                    "street_1",
                    "street_2",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                    "address_type",
                )
            },
            "integration_params": FreeObject(),
            "linked_account_params": FreeObject(),
        },
        (),
    ),
    "EmailAddressRequest": (
        {
            "email_address": _STRING,
            "email_address_type": _STRING,
            "integration_params": FreeObject(),
            "linked_account_params": FreeObject(),
        },
        (),
    ),
    "PhoneNumberRequest": (
        {
            "phone_number": _STRING,
            "phone_number_type": _STRING,
            "integration_params": FreeObject(),
            "linked_account_params": FreeObject(),
        },
        (),
    ),
    "RemoteFieldRequest": (
        {
            "remote_field_class": Either(
                Text(nullable=False, format="uuid"), Record("RemoteFieldClass"), nullable=False
            ),
            "value": AnyValue(),
        },
        ("remote_field_class",),
    ),
    "FieldChoice": ({"value": AnyValue(), "display_name": _STRING}, ()),
    "ItemSchema": (
        {
            "item_type": Text(nullable=False),
            "item_format": Text(nullable=False),
            "item_choices": ListOf(Text(nullable=False)),
        },
        (),
    ),
    "RemoteFieldClass": (
        {
            **{
                name: Text(nullable=False)
                for name in (
                    "id",
                    "display_name",
                    "remote_key_name",
                    "description",
                    "field_type",
                    "field_format",
                )
            },
            **{name: Flag(nullable=False) for name in ("is_custom", "is_common_model_field", "is_required")},
            "field_choices": ListOf(
                Either(Text(nullable=False), Record("FieldChoice"), nullable=False), nullable=True
            ),
            "item_schema": Record("ItemSchema"),
        },
        (),
    ),
}
