"""HTTP hygiene: JSON everywhere, JSON 404 and 405, odd inputs never crash the server."""

from __future__ import annotations

import pytest

from ._support import LEADS, TestClient, auth


@pytest.mark.parametrize(
    "path", ["/", "/api", "/api/crm/v1", "/api/crm/v1/leads/", "/api/crm/v2/leads", "/nope"]
)
def test_unknown_routes_get_json_404(client: TestClient, path: str) -> None:
    """Unknown routes answer 404 ``{"detail": "Not found."}`` without redirecting."""
    response = client.get(f"http://testserver{path}", headers=auth(), follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", LEADS, {"GET", "HEAD", "POST"}),
        ("PATCH", f"{LEADS}/abc", {"GET", "HEAD"}),
        ("POST", f"{LEADS}/meta/post", {"GET", "HEAD"}),
        ("PUT", f"{LEADS}/remote-field-classes", {"GET", "HEAD"}),
    ],
)
def test_wrong_method_gets_json_405_with_allow(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    """A method a route does not serve answers 405 JSON with an Allow header."""
    response = client.request(method, path, headers=auth())
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert set(response.headers["allow"].replace(" ", "").split(",")) == allowed
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}


@pytest.mark.parametrize(
    "query",
    [
        "remote_id=" + "x" * 20_000,
        "remote_id=%00%00&owner_id=%FF%FE",
        "email_addresses=" + ",".join(["a@b.c"] * 3000),
        "phone_numbers=" + ",".join(str(n) for n in range(3000)),
        "remote_id=%F0%9F%92%BC&first_name=%D0%B4",
        "expand=" + "," * 1000,
        "%00=%00",
        "page_size=%00",
        "cursor=%00",
        "&&&===&&",
        "created_after=2024-01-01T00:00:00%00Z",
        "created_after=0001-01-01T00:00:00%2B23:59",
        "created_before=9999-12-31T23:59:59-23:59",
        "created_after=0000-01-01T00:00:00Z",
    ],
)
def test_odd_query_strings_never_crash(client: TestClient, query: str) -> None:
    """Long, non-ASCII and NUL-laden query strings get a JSON answer below 500."""
    response = client.get(f"{LEADS}?{query}", headers=auth())
    assert response.status_code < 500
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict)


def test_head_is_served_for_get_routes(client: TestClient) -> None:
    """HEAD on a list answers 200 like GET."""
    assert client.head(LEADS, headers=auth()).status_code == 200


def test_form_encoded_posts_are_rejected_as_malformed(client: TestClient) -> None:
    """A body that is not JSON gets a 400 envelope, whatever its content type."""
    response = client.post(LEADS, headers=auth(), data={"model": "x"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["problem_type"] == "MALFORMED_REQUEST"


def test_oversized_bodies_get_413(client: TestClient) -> None:
    """A body above 2 MiB is refused with a JSON 413."""
    response = client.post(LEADS, headers=auth(), content=b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert isinstance(response.json()["detail"], str)
