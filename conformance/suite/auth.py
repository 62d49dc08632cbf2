"""AUTH: every operation answers 401 to missing or wrong credentials, and a rejected POST writes nothing.

Each probe changes one credential of an otherwise valid request. The GET probes run in every
profile; the POST probes are writes (a broken server would create the lead), so the read-only
profile skips them. Merge documents 401 for every authentication failure and never 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.contract.operations import LEAD, LEADS, lead_path
from conformance.contract.operations import OPERATIONS as PATH_OPERATIONS
from conformance.http.target import Target, json_or_none
from conformance.outcomes import Inconclusive, Violation
from conformance.suite.oracle.plan import WritePlan
from conformance.suite.support.answers import describe, not_throttled, result_ids
from conformance.suite.support.bodies import full_body, samples
from conformance.suite.support.findings import Findings
from conformance.suite.support.leads import run_tag
from conformance.suite.support.meta import MetaPost
from conformance.suite.support.search import find_tagged

OPERATIONS = [
    pytest.param(method, path, id=name, marks=[pytest.mark.writes] if method != "GET" else [])
    for method, path, name in PATH_OPERATIONS
]


MakeHeaders = Callable[[str, str], dict[str, str]]
#: a credential no target issues (fixed, so a repeated run sends the same requests)
WRONG_SECRET = "lc-wrong-credential-7f3a9c0d5e21b846"

#: requirement -> how its authentication failure is made from valid credentials
BAD_CREDENTIALS: dict[str, tuple[str, MakeHeaders]] = {
    "LEADS-AUTH-001": ("missing Authorization", lambda key, account: {"X-Account-Token": account}),
    "LEADS-AUTH-002": (
        "wrong API key",
        lambda key, account: {"Authorization": f"Bearer {WRONG_SECRET}", "X-Account-Token": account},
    ),
    "LEADS-AUTH-003": ("missing X-Account-Token", lambda key, account: {"Authorization": f"Bearer {key}"}),
    "LEADS-AUTH-004": (
        "unknown account token",
        lambda key, account: {"Authorization": f"Bearer {key}", "X-Account-Token": WRONG_SECRET},
    ),
}
OTHER_SCHEMES: dict[str, MakeHeaders] = {
    "Token scheme": lambda key, account: {"Authorization": f"Token {key}", "X-Account-Token": account},
    "bare key": lambda key, account: {"Authorization": key, "X-Account-Token": account},
    "Basic scheme": lambda key, account: {"Authorization": f"Basic {key}", "X-Account-Token": account},
}


@pytest.fixture(scope="module")
def existing_lead_id(client: httpx.Client, request: pytest.FixtureRequest) -> str:
    """The id of a lead the account holds (created for the run when it holds none and writes are allowed)."""
    ids = result_ids(json_or_none(not_throttled(client.get(LEADS, params={"page_size": 1}))))
    if ids:
        return ids[0]
    target: Target = request.getfixturevalue("target")
    if not target.writes_allowed:
        pytest.skip("the account lists no lead whose id the retrieve probes could use")
    plan: WritePlan = request.getfixturevalue("write_plan")
    return plan.lead("edges").id


@pytest.fixture(scope="module")
def probe_meta(meta_post: MetaPost) -> MetaPost | None:
    """meta/post when usable, so a probe body holds what the target requires."""
    return meta_post if meta_post.fallback is None else None


def probe_body(meta: MetaPost | None, tag: str) -> dict[str, Any]:
    """A body the target would create, tagged so a person (and AUTH-007) can find it."""
    if meta is not None:
        return {"model": full_body(meta, tag, {})}
    fields = ("first_name", "last_name", "company", "lead_source")
    return {"model": {name: value for name, value in samples(tag).items() if name in fields}}


def send_probe(
    http: httpx.Client, method: str, path: str, headers: dict[str, str], body: dict[str, Any] | None
) -> httpx.Response:
    if method == "POST":
        return not_throttled(http.post(path, headers=headers, json=body))
    return not_throttled(http.get(path, headers=headers))


#: sends one operation once per set of credential headers (and only those); the answers in the sets' order
CredentialProbe = Callable[[str, str, list[dict[str, str]]], list[httpx.Response]]


@pytest.fixture
def probe(
    request: pytest.FixtureRequest,
    target: Target,
    anonymous_client: httpx.Client,
    probe_meta: MetaPost | None,
) -> CredentialProbe:
    """Send one operation with the given credential headers, and only those."""

    def many(method: str, path: str, header_sets: list[dict[str, str]]) -> list[httpx.Response]:
        """One request per set of headers: the bodies made first (the same seed makes the same ones), then
        sent up to ``--concurrency`` at once."""
        if path == LEAD:
            path = lead_path(str(request.getfixturevalue("existing_lead_id")))
        bodies = [
            probe_body(probe_meta, run_tag(target, "auth")) if method == "POST" else None
            for _headers in header_sets
        ]
        return target.parallel(
            lambda sent: send_probe(anonymous_client, method, path, sent[0], sent[1]),
            list(zip(header_sets, bodies, strict=True)),
        )

    return many


def expect_401(findings: Findings, response: httpx.Response, requirement: str, what: str) -> None:
    """A 401 (never 403) for ``requirement``; its body is then checked against AUTH-006."""
    status = response.status_code
    if status == 403:
        findings.fail(
            requirement,
            f"{what}: answered 403, but Merge answers 401 to every authentication "
            f"failure ({describe(response)})",
            response,
        )
        return
    if not findings.check(
        status == 401, requirement, f"{what}: expected 401 ({describe(response)})", response
    ):
        return
    body = json_or_none(response)
    findings.check(
        isinstance(body, dict) and isinstance(body.get("detail"), str),
        "LEADS-AUTH-006",
        f"{what}: the 401 body is not a JSON object with a string detail ({describe(response)})",
        response,
    )


def answers_401_to(requirement: str, obligation: str) -> Callable[..., None]:
    """The check that every operation answers 401 to ``requirement``'s authentication failure (and that
    the 401 says why, AUTH-006); ``obligation`` is its docstring."""

    @pytest.mark.parametrize(("method", "path"), OPERATIONS)
    @pytest.mark.requirement(requirement, "LEADS-AUTH-006")
    def check(target: Target, probe: CredentialProbe, method: str, path: str) -> None:
        label, make = BAD_CREDENTIALS[requirement]
        findings = Findings(target)
        response = probe(method, path, [make(target.token, target.account_token)])[0]
        expect_401(findings, response, requirement, f"{label} on {method} {response.request.url.path}")
        findings.raise_if_any()

    check.__doc__ = obligation
    return check


test_missing_authorization_gets_401 = answers_401_to(
    "LEADS-AUTH-001", "Every operation answers 401 when the Authorization header is missing."
)
test_wrong_api_key_gets_401 = answers_401_to(
    "LEADS-AUTH-002", "Every operation answers 401 when the bearer API key is wrong."
)
test_missing_account_token_gets_401 = answers_401_to(
    "LEADS-AUTH-003", "Every operation answers 401 when the X-Account-Token header is missing."
)
test_unknown_account_token_gets_401 = answers_401_to(
    "LEADS-AUTH-004", "Every operation answers 401 when the account token is unknown."
)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.requirement("LEADS-AUTH-005", "LEADS-AUTH-006")
def test_scheme_other_than_bearer_gets_401(
    target: Target, probe: CredentialProbe, method: str, path: str
) -> None:
    """A scheme other than Bearer (Token <key>, a bare key) gets 401."""
    findings = Findings(target)
    schemes = [make(target.token, target.account_token) for make in OTHER_SCHEMES.values()]
    answers = probe(method, path, schemes)
    for label, response in zip(OTHER_SCHEMES, answers, strict=True):
        expect_401(findings, response, "LEADS-AUTH-005", f"{label} on {method} {response.request.url.path}")
    findings.raise_if_any()


@pytest.mark.writes
@pytest.mark.requirement("LEADS-AUTH-007")
def test_auth_rejected_post_creates_nothing(
    target: Target,
    client: httpx.Client,
    anonymous_client: httpx.Client,
    probe_meta: MetaPost | None,
    write_plan: WritePlan,
) -> None:
    """A POST rejected for authentication creates nothing."""
    control = write_plan.any_lead("primary")
    probes = [
        (label, tag, make(target.token, target.account_token), probe_body(probe_meta, tag))
        for label, make in BAD_CREDENTIALS.values()
        for tag in [run_tag(target, "auth")]
    ]
    answers = target.parallel(
        lambda sent: send_probe(anonymous_client, "POST", LEADS, sent[2], sent[3]), probes
    )
    tags = {
        tag: label
        for (label, tag, _headers, _body), response in zip(probes, answers, strict=True)
        if not 200 <= response.status_code < 300
    }
    if not tags:
        pytest.skip("every auth-failing POST was accepted (reported by AUTH-001..004); nothing to look for")
    found, labels = find_tagged(client, tags, control.model)
    if found:
        ids = [lead.get("id") for lead in found]
        raise Violation(
            f"POSTs rejected for authentication ({', '.join(sorted(labels))}) were stored anyway: "
            f"leads {ids} carry their tags",
            ["LEADS-AUTH-007"],
        )


# ------------------------------------------------------------------------------ near misses
def credential_near_misses(valid: str) -> dict[str, str]:
    """Credentials that differ from a valid one in one way: a prefix of it (the empty one too), it with a
    suffix (glued on or after a space, itself included), another case, and surrounding whitespace that is
    not HTTP's own (a no-break space, which no HTTP layer strips)."""
    misses = {
        "with a suffix": valid + "x",
        "followed by a space and more": f"{valid} x",
        "twice, space-separated": f"{valid} {valid}",
        "left out (empty)": "",
        "surrounded by no-break spaces": f"\u00a0{valid}\u00a0",
    }
    if len(valid) > 1:
        misses["a prefix"] = valid[:-1]
    if valid.swapcase() != valid:
        misses["in another case"] = valid.swapcase()
    return misses


def _header(value: str) -> bytes:
    """A header value as the bytes a server reads back as ``value`` (HTTP headers are Latin-1)."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


#: the operations the near misses are sent to: a read and a write
NEAR_MISS_OPERATIONS = [
    pytest.param("GET", LEADS, id="list"),
    pytest.param("POST", LEADS, id="create", marks=[pytest.mark.writes]),
]


@pytest.mark.parametrize(("method", "path"), NEAR_MISS_OPERATIONS)
@pytest.mark.requirement("LEADS-AUTH-002", "LEADS-AUTH-004")
def test_near_miss_credentials_get_401(
    target: Target, anonymous_client: httpx.Client, probe_meta: MetaPost | None, method: str, path: str
) -> None:
    """A key or account token that differs from a valid one in any way (a prefix, a suffix, another case,
    surrounding whitespace) is wrong, on every request, whatever came before: the near misses are sent on
    a connection that has just carried the valid credentials (to a create, half of them)."""
    findings = Findings(target)
    valid = {"Authorization": f"Bearer {target.token}", "X-Account-Token": target.account_token}
    probes: list[tuple[str, str, dict[str, Any]]] = []
    for label, key in credential_near_misses(target.token).items():
        probes.append(("LEADS-AUTH-002", f"an API key that is the valid one {label}",
                       {**valid, "Authorization": (b"Bearer " + _header(key)).rstrip(b" ")}))
    for label, token in credential_near_misses(target.account_token).items():
        probes.append(("LEADS-AUTH-004", f"an account token that is the valid one {label}",
                       {**valid, "X-Account-Token": _header(token)}))
    if method == "POST":
        probes = probes[1::2]  # a write takes half of them (every kind of near miss is among them): each is a
        # lead a broken target would store
    before = not_throttled(anonymous_client.get(LEADS, headers=valid, params={"page_size": 1}))
    if before.status_code != 200:
        raise Inconclusive(f"the valid credentials were not accepted just before ({describe(before)})",
                           ["LEADS-AUTH-002", "LEADS-AUTH-004"])
    for requirement, what, headers in probes:
        body = probe_body(probe_meta, run_tag(target, "auth")) if method == "POST" else None
        response = send_probe(anonymous_client, method, path, headers, body)
        findings.check(response.status_code == 401, requirement,
                       f"{what} on {method} {response.request.url.path} answered {response.status_code}, "
                       f"not 401 ({describe(response)})", response)
    findings.raise_if_any()
