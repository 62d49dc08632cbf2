"""LEADS-RETRIEVE: GET /crm/v1/leads/{id} for ids the target does not hold."""

from __future__ import annotations

import random
import uuid

import httpx
import pytest

from conformance._outcomes import Violation
from conformance.suite._findings import Findings
from conformance.suite._http import describe, not_throttled
from conformance.suite._paths import lead_path
from conformance.target import Target, json_or_none

RETRIEVE_001 = "LEADS-RETRIEVE-001"
RETRIEVE_002 = "LEADS-RETRIEVE-002"
RETRIEVE_003 = "LEADS-RETRIEVE-003"

#: ids no server can hold as a lead id; each is sent percent-encoded as one path segment
MALFORMED_IDS = (
    "not-a-uuid",
    "x" * 1000,
    "lëad-ïd-☃-リード",
    "%00",
    "' OR '1'='1",
    "{id}",
)


@pytest.mark.requirement(RETRIEVE_001, RETRIEVE_002)
def test_unknown_id_gets_404_with_a_detail(client: httpx.Client, seed: int) -> None:
    """An unknown lead id gets 404; SHOULD the 404 has a JSON body with a detail."""
    unknown = str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))
    response = not_throttled(client.get(lead_path(unknown)), [RETRIEVE_001, RETRIEVE_002])
    if response.status_code != 404:
        raise Violation(f"the unknown id {unknown} did not get 404 ({describe(response)})", [RETRIEVE_001])
    body = json_or_none(response)
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        raise Violation(
            f"the 404 for an unknown id has no JSON detail ({describe(response)})", [RETRIEVE_002]
        )


@pytest.mark.requirement(RETRIEVE_003)
def test_malformed_id_gets_404_or_400(client: httpx.Client, target: Target) -> None:
    """A malformed lead id gets 404 or 400, never a 5xx."""
    findings = Findings(target)
    for malformed in MALFORMED_IDS:
        response = not_throttled(client.get(lead_path(malformed)), [RETRIEVE_003])
        if response.status_code >= 500:
            findings.fail(RETRIEVE_003, f"a malformed id got a server error ({describe(response)})")
        else:
            findings.check(
                response.status_code in (400, 404),
                RETRIEVE_003,
                f"a malformed id got neither 404 nor 400 ({describe(response)})",
            )
    findings.raise_if_any()
