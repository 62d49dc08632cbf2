"""Authentication: the API key as a Bearer token, then a known linked account token."""

from __future__ import annotations

import pytest

from ._support import ACCOUNT_A, API_KEY, LEADS, TestClient, all_pages, auth, valid_model

OPERATIONS = [
    ("GET", LEADS),
    ("POST", LEADS),
    ("GET", f"{LEADS}/5be9406c-a789-5bb6-ab24-6ab3104cccae"),
    ("GET", f"{LEADS}/meta/post"),
    ("GET", f"{LEADS}/remote-field-classes"),
]

REJECTED = {
    "no authorization": ({"X-Account-Token": ACCOUNT_A}, "Authentication credentials were not provided."),
    "wrong key": (auth(api_key="not-the-key"), "Invalid token."),
    "token scheme": (
        {"Authorization": f"Token {API_KEY}", "X-Account-Token": ACCOUNT_A},
        "Authentication credentials were not provided.",
    ),
    "bare key": (
        {"Authorization": API_KEY, "X-Account-Token": ACCOUNT_A},
        "Authentication credentials were not provided.",
    ),
    "bearer without key": (
        {"Authorization": "Bearer", "X-Account-Token": ACCOUNT_A},
        "Invalid token header. No credentials provided.",
    ),
    "key with spaces": (
        {"Authorization": f"Bearer {API_KEY} extra", "X-Account-Token": ACCOUNT_A},
        "Invalid token header. Token string should not contain spaces.",
    ),
    "no account token": (
        {"Authorization": f"Bearer {API_KEY}"},
        "Account Token must be passed in as an X-Account-Token header.",
    ),
    "empty account token": (
        {"Authorization": f"Bearer {API_KEY}", "X-Account-Token": ""},
        "Account Token must be passed in as an X-Account-Token header.",
    ),
    "unknown account token": (auth(account="someone-else"), "Invalid account token."),
}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize("case", sorted(REJECTED))
def test_every_operation_rejects_bad_credentials_with_401(
    client: TestClient, method: str, path: str, case: str
) -> None:
    """Every operation answers 401 with a JSON ``detail`` for each kind of bad credentials."""
    headers, detail = REJECTED[case]
    response = client.request(method, path, headers=headers, json={"model": valid_model()})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": detail}


def test_the_bearer_scheme_is_case_insensitive(client: TestClient) -> None:
    """RFC 7235 schemes are case-insensitive: ``bearer <key>`` is accepted."""
    headers = {"Authorization": f"bearer {API_KEY}", "X-Account-Token": ACCOUNT_A}
    assert client.get(LEADS, headers=headers).status_code == 200


def test_wrong_key_answer_invites_bearer(client: TestClient) -> None:
    """A rejected API key carries a ``WWW-Authenticate: Bearer`` challenge."""
    response = client.get(LEADS, headers=auth(api_key="nope"))
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_post_rejected_for_auth_creates_nothing(client: TestClient, case: str) -> None:
    """A POST rejected with 401 stores nothing, checked afterwards with valid credentials."""
    before = len(all_pages(client, page_size=100))
    headers, _ = REJECTED[case]
    response = client.post(LEADS, headers=headers, json={"model": valid_model(first_name="Ghost")})
    assert response.status_code == 401
    after = all_pages(client, page_size=100)
    assert len(after) == before
    assert all(lead["first_name"] != "Ghost" for lead in after)


def test_auth_is_checked_before_the_body_is_read(client: TestClient) -> None:
    """A malformed body with bad credentials gets 401, not 400."""
    response = client.post(LEADS, headers=auth(api_key="nope"), content=b"{not json")
    assert response.status_code == 401
