"""Requirement charging: the requirement each Schemathesis failure breaks, if the contract binds it."""

from __future__ import annotations

from collections.abc import Mapping

from conformance.suite.generated.adapter import CONTENT_TYPE_FAILURES, AuthScenario, Failure, IgnoredAuth

__all__ = [
    "CHECK_REQUIREMENTS",
    "INVALID_CREDENTIAL",
    "MAX_MESSAGES_PER_REQUIREMENT",
    "auth_requirement",
    "requirements_for",
]

HTTP_001, HTTP_002, HTTP_003, HTTP_004, HTTP_005, HTTP_006 = (f"LEADS-HTTP-00{n}" for n in range(1, 7))
AUTH_001, AUTH_002, AUTH_004 = "LEADS-AUTH-001", "LEADS-AUTH-002", "LEADS-AUTH-004"

#: Schemathesis check name -> the requirement its failures break (``ignored_auth`` is decided per probe)
CHECK_REQUIREMENTS: dict[str, str] = {
    "not_a_server_error": HTTP_001,
    "status_code_conformance": HTTP_002,
    "response_schema_conformance": HTTP_002,
    "content_type_conformance": HTTP_003,
    "negative_data_rejection": HTTP_005,
    "missing_required_header": HTTP_005,
    "positive_data_acceptance": HTTP_006,
    "use_after_free": HTTP_004,
    "ensure_resource_availability": HTTP_004,
    "created_lead_is_retrievable": HTTP_004,
}
#: what Schemathesis' ignored_auth probes put in place of a credential
INVALID_CREDENTIAL = "SCHEMATHESIS-INVALID-VALUE"
#: distinct failures reported per requirement (the rest are counted, not listed)
MAX_MESSAGES_PER_REQUIREMENT = 3


def requirements_for(
    check: str,
    failure: Failure,
    *,
    status: int,
    json_body: bool,
    probe_headers: Mapping[str, str] | None = None,
) -> tuple[str, ...]:
    """The requirement a Schemathesis failure breaks, or ``()`` when the contract does not bind it.

    - Only 2xx answers bind the status and body requirement (HTTP-002): error bodies are worded
      freely, and a 5xx is HTTP-001's.
    - A 5xx to invalid input is not an acceptance (HTTP-005): it is HTTP-001's alone.
    - A content-type failure (HTTP-003) binds a 2xx, or any answer whose body is JSON.
    - ``ignored_auth`` is charged to the AUTH requirement its probe shows broken.
    """
    if isinstance(failure, IgnoredAuth) or check == "ignored_auth":
        scenario = getattr(failure, "scenario", AuthScenario.NO_AUTH)
        return (auth_requirement(scenario, probe_headers or {}),)
    if isinstance(failure, CONTENT_TYPE_FAILURES):
        return (HTTP_003,) if 200 <= status < 300 or json_body else ()
    requirement = CHECK_REQUIREMENTS.get(check)
    if requirement is None or (requirement == HTTP_002 and not 200 <= status < 300):
        return ()
    if requirement == HTTP_005 and status >= 500:
        return ()
    return (requirement,)


def auth_requirement(scenario: AuthScenario | str, probe_headers: Mapping[str, str]) -> str:
    """The AUTH requirement an accepted ignored_auth probe breaks, from the credential it invalidated.

    No credentials at all: AUTH-001. An invalid ``X-Account-Token``: AUTH-004. An invalid bearer
    key: AUTH-002.
    """
    if str(scenario) == AuthScenario.NO_AUTH:
        return AUTH_001
    headers = {name.lower(): value for name, value in probe_headers.items()}
    if INVALID_CREDENTIAL in headers.get("x-account-token", ""):
        return AUTH_004
    if "authorization" in headers:
        return AUTH_002
    return AUTH_001
