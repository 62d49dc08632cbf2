"""LEADS-RETRIEVE: GET /crm/v1/leads/{id} for ids the target does not hold."""

from __future__ import annotations

import random
import uuid

import httpx
import pytest

from conformance.contract.operations import lead_path
from conformance.contract.tolerances import tolerance
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Violation
from conformance.suite.support.accounts import ACCOUNTS, account_client
from conformance.suite.support.answers import describe, not_throttled
from conformance.suite.support.findings import Findings

RETRIEVE_001 = "LEADS-RETRIEVE-001"
RETRIEVE_002 = "LEADS-RETRIEVE-002"
RETRIEVE_003 = "LEADS-RETRIEVE-003"
#: whether a deleted lead is retrievable is open: no check retrieves a lead a read showed deleted (the ids
#: retrieved are drawn UUIDs, malformed ids and the run's own leads)
DELETED_LEAD = tolerance("deleted-lead-retrieval")

#: ids no server can hold as a lead id; each is sent percent-encoded as one path segment
MALFORMED_IDS = (
    "not-a-uuid",
    "x" * 1000,
    "lëad-ïd-☃-リード",
    "%00",
    "' OR '1'='1",
    "{id}",
    "a/b",
    "../leads",
    "..",
    "a\\b",
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


def unknown_uuids(seed: int) -> dict[str, str]:
    """Well-formed UUIDs of every version but 4 (the unknown id of ``test_unknown_id_gets_404_with_a_detail``
    is one), the nil and max UUIDs, and one in upper case, each naming no lead: drawn from the seed, so a
    repeated run sends the same."""
    rng = random.Random(seed)

    def bits(version: int) -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=version)

    ids = {f"v{version}": str(bits(version)) for version in (1, 3, 5)}
    for version in (6, 7, 8):
        raw = bits(4).int & ~(0xF << 76) | (version << 76)
        ids[f"v{version}"] = str(uuid.UUID(int=raw))
    ids["nil"] = str(uuid.UUID(int=0))
    ids["max"] = str(uuid.UUID(int=(1 << 128) - 1))
    ids["upper case"] = str(bits(4)).upper()
    return ids


#: every account gets a few of the versions: the first account all of them
SECOND_ACCOUNT_KINDS = ("v1", "nil", "upper case")


@pytest.mark.requirement(RETRIEVE_001)
@pytest.mark.parametrize("account", ACCOUNTS)
def test_well_formed_unknown_ids_of_every_version_get_404(
    account: str, target: Target, seed: int, request: pytest.FixtureRequest
) -> None:
    """Any well-formed UUID (any version, the nil and max UUIDs, either case) that names no lead is
    unknown, not malformed: 404, never 400, under every account."""
    client = account_client(request, account)
    kinds = unknown_uuids(seed)
    if account != "primary":
        kinds = {kind: kinds[kind] for kind in SECOND_ACCOUNT_KINDS}
    findings = Findings(target)
    for kind, unknown in kinds.items():
        response = not_throttled(client.get(lead_path(unknown)), [RETRIEVE_001])
        findings.check(
            response.status_code == 404,
            RETRIEVE_001,
            f"the unknown {kind} UUID {unknown} did not get 404 ({describe(response)})",
            response,
        )
    findings.raise_if_any()


@pytest.mark.requirement(RETRIEVE_003)
@pytest.mark.parametrize("account", ACCOUNTS)
def test_malformed_id_gets_404_or_400(account: str, target: Target, request: pytest.FixtureRequest) -> None:
    """A malformed lead id gets 404 or 400, never a 5xx (under every account)."""
    client = account_client(request, account)
    findings = Findings(target)
    for malformed in MALFORMED_IDS if account == "primary" else MALFORMED_IDS[:2]:
        response = not_throttled(client.get(lead_path(malformed)), [RETRIEVE_003])
        if response.status_code >= 500:
            findings.fail(RETRIEVE_003, f"a malformed id got a server error ({describe(response)})", response)
        else:
            findings.check(
                response.status_code in (400, 404),
                RETRIEVE_003,
                f"a malformed id got neither 404 nor 400 ({describe(response)})",
                response,
            )
    findings.raise_if_any()
