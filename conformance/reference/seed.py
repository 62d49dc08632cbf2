"""Deterministic seed data for one linked account.

The same account token always yields the same objects, and two accounts never share an id:
ids are UUID5 of the account token and the object's name. Values look like a CRM synced
from Salesforce: owners, converted contacts and accounts, addresses, emails, phones,
statuses, timestamps spread over the past, raw remote data and remote fields.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from . import seed_data as data
from .store import SeedData
from .timestamps import format_instant

__all__ = ["DELETED_LEADS", "VISIBLE_LEADS", "build_seed", "seed_id"]

VISIBLE_LEADS = 130
DELETED_LEADS = 4

def seed_id(account: str, name: str) -> str:
    """Return the id of the seed object ``name`` in ``account``."""
    return str(uuid.uuid5(data.NAMESPACE, f"{account}/{name}"))


def _field_mappings() -> dict[str, Any]:
    return {"organization_defined_targets": {}, "linked_account_defined_targets": {}}


def _remote_id(rng: random.Random, prefix: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return prefix + "5e00000" + "".join(rng.choice(alphabet) for _ in range(8))


def _address(rng: random.Random, stamp: str, address_type: str) -> dict[str, Any]:
    city, state, postal_code = rng.choice(data.CITIES)
    return {
        "created_at": stamp,
        "modified_at": stamp,
        "street_1": f"{rng.randint(1, 999)} {rng.choice(data.STREETS)}",
        "street_2": rng.choice((None, None, f"Suite {rng.randint(100, 900)}")),
        "city": city,
        "state": state,
        "postal_code": postal_code,
        "country": "US",
        "address_type": address_type,
    }


def _phone(rng: random.Random, stamp: str, phone_type: str) -> dict[str, Any]:
    return {
        "created_at": stamp,
        "modified_at": stamp,
        "phone_number": f"+1{rng.randint(201, 989)}555{rng.randint(0, 9999):04d}",
        "phone_number_type": phone_type,
    }


def _users(account: str, rng: random.Random) -> list[dict[str, Any]]:
    users = []
    for index, (name, active) in enumerate(data.USERS):
        stamp = format_instant(data.EPOCH - timedelta(days=400 - index * 7))
        handle = name.split()[0].lower()
        remote_id = _remote_id(rng, "005")
        users.append(
            {
                "id": seed_id(account, f"user/{index}"),
                "remote_id": remote_id,
                "created_at": stamp,
                "modified_at": stamp,
                "name": name,
                "email": f"{handle}@reference-crm.example.com",
                "is_active": active,
                "user_url": f"{data.CRM_URL}/lightning/r/User/{remote_id}/view",
                "remote_was_deleted": False,
                "field_mappings": _field_mappings(),
                "remote_data": None,
                "remote_fields": [],
            }
        )
    return users


def _accounts(account: str, rng: random.Random, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    accounts = []
    for index in range(5):
        moment = data.EPOCH - timedelta(days=300 - index * 11, minutes=rng.randint(0, 600))
        stamp = format_instant(moment)
        name = data.COMPANIES[index]
        remote_id = _remote_id(rng, "001")
        accounts.append(
            {
                "id": seed_id(account, f"account/{index}"),
                "remote_id": remote_id,
                "created_at": stamp,
                "modified_at": format_instant(moment + timedelta(days=rng.randint(1, 90))),
                "owner": users[index % len(users)]["id"],
                "name": name,
                "description": f"{name}, a {data.INDUSTRIES[index].lower()} customer.",
                "industry": data.INDUSTRIES[index],
                "website": f"https://www.{name.split()[0].lower()}.example.com",
                "number_of_employees": rng.choice((12, 85, 240, 1200, 15000)),
                "addresses": [_address(rng, stamp, "BILLING")],
                "phone_numbers": [_phone(rng, stamp, "Work")],
                "last_activity_at": format_instant(moment + timedelta(days=rng.randint(30, 200))),
                "remote_updated_at": format_instant(moment + timedelta(days=rng.randint(1, 90))),
                "remote_created_at": format_instant(moment - timedelta(days=rng.randint(1, 30))),
                "account_url": f"{data.CRM_URL}/lightning/r/Account/{remote_id}/view",
                "remote_was_deleted": False,
                "field_mappings": _field_mappings(),
                "remote_data": None,
                "remote_fields": [],
            }
        )
    return accounts


def _contacts(
    account: str, rng: random.Random, users: list[dict[str, Any]], accounts: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    contacts = []
    for index in range(5):
        moment = data.EPOCH - timedelta(days=200 - index * 13, minutes=rng.randint(0, 600))
        stamp = format_instant(moment)
        first, last = data.FIRST_NAMES[index + 10], data.LAST_NAMES[index + 10]
        remote_id = _remote_id(rng, "003")
        contacts.append(
            {
                "id": seed_id(account, f"contact/{index}"),
                "remote_id": remote_id,
                "created_at": stamp,
                "modified_at": format_instant(moment + timedelta(days=rng.randint(1, 60))),
                "first_name": first,
                "last_name": last,
                "account": accounts[index]["id"],
                "owner": users[index % len(users)]["id"],
                "addresses": [_address(rng, stamp, "SHIPPING")],
                "email_addresses": [
                    {
                        "created_at": stamp,
                        "modified_at": stamp,
                        "email_address": f"{first.lower()}.{last.lower().replace(' ', '')}@example.org",
                        "email_address_type": "Work",
                    }
                ],
                "phone_numbers": [_phone(rng, stamp, "Mobile")],
                "last_activity_at": format_instant(moment + timedelta(days=rng.randint(30, 200))),
                "remote_created_at": format_instant(moment - timedelta(days=rng.randint(1, 30))),
                "contact_url": f"{data.CRM_URL}/lightning/r/Contact/{remote_id}/view",
                "remote_was_deleted": False,
                "field_mappings": _field_mappings(),
                "remote_data": None,
                "remote_fields": [],
            }
        )
    return contacts


def _remote_field_classes(account: str) -> list[dict[str, Any]]:
    classes = []
    for spec in data.REMOTE_FIELD_CLASSES:
        choices = spec.get("choices")
        items = spec.get("items")
        item: dict[str, Any] = {
            "id": seed_id(account, f"remote-field-class/{spec['key']}"),
            "display_name": spec["name"],
            "remote_key_name": spec["key"],
            "description": f"The {spec['name'].lower()} of the lead in the remote system.",
            "is_custom": spec["custom"],
            "is_common_model_field": spec["common"],
            "is_required": bool(spec.get("required", False)),
            "field_type": spec["type"],
            "field_format": spec["type"],
            "field_choices": (
                [{"value": choice, "display_name": choice} for choice in choices] if choices else None
            ),
        }
        if items is not None:
            item["item_schema"] = {
                "item_type": "string",
                "item_format": "string",
                "item_choices": list(items),
            }
        classes.append(item)
    return classes


def _remote_field_value(rng: random.Random, spec: dict[str, Any], moment: datetime) -> Any:
    kind = spec["type"]
    if spec.get("choices"):
        return rng.choice(spec["choices"])
    if kind == "number":
        return rng.choice((5, 12, 40, 75, 98)) if spec["custom"] else rng.randint(1, 500) * 10000
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "date":
        return (moment + timedelta(days=rng.randint(3, 30))).date().isoformat()
    if kind == "datetime":
        return format_instant(moment - timedelta(days=rng.randint(1, 60)))
    if kind == "list":
        return rng.sample(list(spec["items"]), rng.randint(1, 2))
    return rng.choice(data.INDUSTRIES)


def _status(rng: random.Random, converted: bool) -> tuple[str, str]:
    if converted:
        return "QUALIFIED", "Closed - Converted"
    return rng.choice(data.STATUSES)


def _lead(
    account: str,
    index: int,
    rng: random.Random,
    related: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]],
    classes: list[dict[str, Any]],
) -> dict[str, Any]:
    users, contacts, accounts = related
    created = data.EPOCH + timedelta(
        days=index * 4, minutes=rng.randint(0, 1439), microseconds=rng.randint(0, 999999)
    )
    modified = created + timedelta(days=rng.randint(0, 120), minutes=rng.randint(1, 600))
    stamp = format_instant(created)
    first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
    company = rng.choice(data.COMPANIES)
    converted = index % 9 == 4
    status, remote_status = _status(rng, converted)
    contact = contacts[index % len(contacts)] if converted else None
    converted_account = next(a for a in accounts if a["id"] == contact["account"]) if contact else None
    owner = None if index % 11 == 7 else users[index % len(users)]
    remote_id = _remote_id(rng, "00Q")
    email = f"{first.lower()}.{last.lower().replace(' ', '')}{index}@{company.split()[0].lower()}.example.com"
    emails = [
        {"created_at": stamp, "modified_at": stamp, "email_address": email, "email_address_type": "Work"}
    ]
    if index % 5 == 0:
        personal = f"{first.lower()}{index}@mail.example.net"
        emails.append(
            {
                "created_at": stamp,
                "modified_at": stamp,
                "email_address": personal,
                "email_address_type": "Personal",
            }
        )
    phones = [_phone(rng, stamp, "Work")]
    if index % 3 == 0:
        phones.append(_phone(rng, stamp, "Mobile"))
    addresses = []
    if index % 4 != 3:
        addresses.append(_address(rng, stamp, "BILLING"))
    if index % 6 == 0:
        addresses.append(_address(rng, stamp, "SHIPPING"))
    converted_date = format_instant(modified - timedelta(minutes=rng.randint(1, 60))) if converted else None
    remote_created = created - timedelta(days=rng.randint(0, 3), minutes=rng.randint(1, 600))
    remote_updated = modified - timedelta(minutes=rng.randint(0, 30))
    lead_source = rng.choice(data.SOURCES)
    title = rng.choice(data.TITLES)
    lead_url = f"{data.CRM_URL}/lightning/r/Lead/{remote_id}/view"
    specs = {spec["key"]: spec for spec in data.REMOTE_FIELD_CLASSES}
    remote_fields = [
        {
            "remote_field_class": cls["id"],
            "value": _remote_field_value(rng, specs[cls["remote_key_name"]], created),
        }
        for cls in classes
        if not cls["is_common_model_field"] and rng.random() < 0.8
    ]
    raw = {
        "Id": remote_id,
        "FirstName": first,
        "LastName": last,
        "Company": company,
        "Title": title,
        "LeadSource": lead_source,
        "Status": remote_status,
        "Email": email,
        "Phone": phones[0]["phone_number"],
        "OwnerId": owner["remote_id"] if owner else None,
        "IsConverted": converted,
        "ConvertedContactId": contact["remote_id"] if contact else None,
        "ConvertedAccountId": converted_account["remote_id"] if converted_account else None,
        "CreatedDate": format_instant(remote_created),
        "LastModifiedDate": format_instant(remote_updated),
    }
    return {
        "id": seed_id(account, f"lead/{index}"),
        "remote_id": remote_id,
        "created_at": stamp,
        "modified_at": format_instant(modified),
        "owner": owner["id"] if owner else None,
        "lead_source": lead_source,
        "title": title,
        "company": company,
        "first_name": first,
        "last_name": last,
        "addresses": addresses,
        "email_addresses": emails,
        "phone_numbers": phones,
        "remote_updated_at": format_instant(remote_updated),
        "remote_created_at": format_instant(remote_created),
        "converted_date": converted_date,
        "converted_contact": contact["id"] if contact else None,
        "converted_account": converted_account["id"] if converted_account else None,
        "status": status,
        "lead_url": lead_url,
        "remote_was_deleted": index % 33 == 5,
        "field_mappings": _field_mappings(),
        "remote_data": [{"path": f"/services/data/v59.0/sobjects/Lead/{remote_id}", "data": raw}],
        "remote_fields": remote_fields,
    }


def build_seed(account: str) -> SeedData:
    """Return the seed objects of ``account``: the same every time for the same token."""
    digest = hashlib.sha256(account.encode("utf-8", "surrogatepass")).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    users = _users(account, rng)
    accounts = _accounts(account, rng, users)
    contacts = _contacts(account, rng, users, accounts)
    classes = _remote_field_classes(account)
    leads = [
        _lead(account, index, rng, (users, contacts, accounts), classes)
        for index in range(VISIBLE_LEADS + DELETED_LEADS)
    ]
    return SeedData(
        users=users, contacts=contacts, accounts=accounts, remote_field_classes=classes, leads=leads
    )
