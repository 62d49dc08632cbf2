"""The fixed values the reference seed draws from: names, companies, places, users, remote field classes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

NAMESPACE = uuid.UUID("5f1c1b55-3c2e-4a8e-9d7c-2a0f4c6f8b11")
EPOCH = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
CRM_URL = "https://reference-crm.example.com"

FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Sophie",
    "Donald",
    "Annie",
    "Guido",
    "Shafi",
)
LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Knuth",
    "Easley",
    "van Rossum",
    "Goldwasser",
)
COMPANIES = (
    "Acme Corporation",
    "Globex",
    "Initech",
    "Umbrella Analytics",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Pied Piper",
    "Soylent Foods",
    "Vandelay Industries",
    "Wonka Confections",
    "Cyberdyne Systems",
    "Tyrell Corporation",
    "Massive Dynamic",
    "Oscorp",
    "Aperture Science",
)
TITLES = (
    "VP of Sales",
    "Head of Operations",
    "CTO",
    "Procurement Manager",
    "Director of Marketing",
    "Software Engineer",
    "CFO",
    "Office Manager",
    None,
)
SOURCES = ("Website", "Referral", "Trade Show", "Cold Call", "Partner", "Webinar", "Advertisement", None)
STATUSES = (
    ("OPEN", "Open - Not Contacted"),
    ("OPEN", "Working - Contacted"),
    ("UNQUALIFIED", "Closed - Not Converted"),
    ("CLOSED", "Closed - Not Converted"),
)
CITIES = (
    ("San Francisco", "CA", "94105"),
    ("New York", "NY", "10013"),
    ("Austin", "TX", "78701"),
    ("Seattle", "WA", "98104"),
    ("Chicago", "IL", "60606"),
    ("Boston", "MA", "02110"),
    ("Denver", "CO", "80202"),
    ("Atlanta", "GA", "30303"),
)
STREETS = ("Market St", "Broadway", "Congress Ave", "Pine St", "Wacker Dr", "Summer St", "Larimer St")
USERS = (
    ("Morgan Reyes", True),
    ("Priya Natarajan", True),
    ("Sam O'Connor", True),
    ("Jordan Kim", True),
    ("Alex Novak", False),
)
INDUSTRIES = ("Software", "Manufacturing", "Healthcare", "Retail", "Financial Services")

REMOTE_FIELD_CLASSES: tuple[dict[str, Any], ...] = (
    {"key": "FirstName", "name": "First Name", "custom": False, "common": True, "type": "string"},
    {
        "key": "LastName",
        "name": "Last Name",
        "custom": False,
        "common": True,
        "type": "string",
        "required": True,
    },
    {
        "key": "Company",
        "name": "Company",
        "custom": False,
        "common": True,
        "type": "string",
        "required": True,
    },
    {
        "key": "LeadSource",
        "name": "Lead Source",
        "custom": False,
        "common": True,
        "type": "string",
        "choices": ("Website", "Referral", "Trade Show", "Cold Call", "Partner", "Webinar"),
    },
    {
        "key": "Rating",
        "name": "Rating",
        "custom": False,
        "common": False,
        "type": "string",
        "choices": ("Hot", "Warm", "Cold"),
    },
    {"key": "AnnualRevenue", "name": "Annual Revenue", "custom": False, "common": False, "type": "number"},
    {"key": "Industry", "name": "Industry", "custom": False, "common": False, "type": "string"},
    {"key": "Lead_Score__c", "name": "Lead Score", "custom": True, "common": False, "type": "number"},
    {
        "key": "Newsletter_Opt_In__c",
        "name": "Newsletter Opt-In",
        "custom": True,
        "common": False,
        "type": "bool",
    },
    {
        "key": "Preferred_Contact_Date__c",
        "name": "Preferred Contact Date",
        "custom": True,
        "common": False,
        "type": "date",
    },
    {
        "key": "Last_Webinar_At__c",
        "name": "Last Webinar Attended",
        "custom": True,
        "common": False,
        "type": "datetime",
    },
    {
        "key": "Product_Interest__c",
        "name": "Product Interest",
        "custom": True,
        "common": False,
        "type": "list",
        "items": ("Analytics", "Integrations", "Support", "Security"),
    },
)
