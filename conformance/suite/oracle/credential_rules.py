"""Credentials: a request whose API key or account token is missing or differs from a valid one in any way
gets 401 (AUTH-001..005), with a JSON ``detail`` (AUTH-006); a create refused for its credentials keeps its
run tags (a lead found later carrying one breaks AUTH-007)."""

from __future__ import annotations

from conformance.suite.oracle.exchanges import CREATE, PRIMARY, SECOND, Seen
from conformance.suite.oracle.state import Rules

__all__ = ["CredentialRules"]


def defect_words(requirement: str, credential: str) -> str:
    """How an AUTH requirement's defect is said in a message, for a credential of that class."""
    return {
        "LEADS-AUTH-001": "no Authorization",
        "LEADS-AUTH-002": f"a {credential} API key",
        "LEADS-AUTH-003": "no X-Account-Token",
        "LEADS-AUTH-004": f"a {credential} account token",
        "LEADS-AUTH-005": "a scheme other than Bearer",
    }[requirement]


def credential_class(sent: str | None, valid: str) -> str:
    """How a credential sent differs from the valid one."""
    if sent is None:
        return "missing"
    if sent.strip() == valid:
        return "whitespace"
    if sent.lower() == valid.lower():
        return "case"
    if sent.startswith(valid):
        return "suffix"
    if valid.startswith(sent):
        return "prefix"
    return "wrong"


class CredentialRules(Rules):
    """Whose credentials a request carried, and the AUTH rules for one that carried none valid."""

    def account_of(self, headers: dict[str, str]) -> tuple[str | None, list[str]]:
        """The account whose valid credentials a request carried, or the AUTH requirements it breaks."""
        target = self.target
        defects = []
        authorization = headers.get("authorization")
        if authorization is None:
            defects.append("LEADS-AUTH-001")
        else:
            scheme, _, rest = authorization.partition(" ")
            if not (scheme.lower() == "bearer" and rest.lstrip(" ") == target.token):
                schemes = (f"Token {target.token}", target.token)
                defects.append("LEADS-AUTH-005" if authorization in schemes else "LEADS-AUTH-002")
        token = headers.get("x-account-token")
        account = None
        if token is None:
            defects.append("LEADS-AUTH-003")
        elif token == target.account_token:
            account = PRIMARY
        elif target.second_account_token and token == target.second_account_token:
            account = SECOND
        else:
            defects.append("LEADS-AUTH-004")
        return account, defects

    def unauthenticated(self, seen: Seen, defects: list[str]) -> None:
        status = seen.status
        authorization = seen.headers.get("authorization")
        key = None if authorization is None else authorization.partition(" ")[2] or authorization
        classes = {
            "LEADS-AUTH-001": "missing",
            "LEADS-AUTH-002": credential_class(key, self.target.token),
            "LEADS-AUTH-003": "missing",
            "LEADS-AUTH-004": credential_class(
                seen.headers.get("x-account-token"), self.target.account_token
            ),
            "LEADS-AUTH-005": "scheme",
        }
        for requirement in defects:
            self.coverage.note(requirement, operation=seen.operation, credential=classes[requirement])
            self.verdicts.check(
                status == 401,
                requirement,
                lambda requirement=requirement: (
                    f"{seen.shown} with {defect_words(requirement, classes[requirement])} answered "
                    f"{status}, not 401"
                ),
                seen.line,
            )
        if status == 401:
            answer = seen.answer
            self.coverage.note("LEADS-AUTH-006", operation=seen.operation)
            self.verdicts.check(
                isinstance(answer, dict) and isinstance(answer.get("detail"), str),
                "LEADS-AUTH-006",
                lambda: f"{seen.shown} answered a 401 whose body is not a JSON object with a string detail",
                seen.line,
            )
        if seen.operation == CREATE and status < 500 and not 200 <= status < 300:
            self.refused(seen, None, "LEADS-AUTH-007")
