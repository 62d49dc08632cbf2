"""What every answer obeys: never a 5xx (HTTP-001), a 2xx with the documented status and body (HTTP-002),
and a JSON body that says it is JSON (HTTP-003)."""

from __future__ import annotations

from conformance.suite.oracle.exchanges import CREATE, LIST, META, RETRIEVE, RFC, Seen
from conformance.suite.oracle.state import Rules
from conformance.suite.support.validators import shape_problems

__all__ = ["DOCUMENTED", "ResponseRules"]

#: (method, operation) -> the documented 2xx status and the fragment's component of its body
DOCUMENTED = {
    ("GET", LIST): (200, "PaginatedLeadList"),
    ("POST", CREATE): (201, "LeadResponse"),
    ("GET", RETRIEVE): (200, "Lead"),
    ("GET", META): (200, "MetaResponse"),
    ("GET", RFC): (200, "PaginatedRemoteFieldClassList"),
}


class ResponseRules(Rules):
    """The rules of an answer's status, shape and content type."""

    def server_error(self, seen: Seen) -> None:
        """A 5xx is never right (HTTP-001)."""
        self.coverage.note("LEADS-HTTP-001", operation=seen.operation)
        if seen.status >= 500:
            self.verdicts.fail(
                "LEADS-HTTP-001", f"{seen.shown} answered {seen.status} (a server error)", seen.line
            )
        else:
            self.verdicts.ok("LEADS-HTTP-001")

    def documented(self, seen: Seen) -> None:
        """A 2xx answer uses the operation's documented status, and its body matches the fragment (the
        contract's tolerances applied: open enums, nullable everything, extra properties, advisory
        formats)."""
        if not 200 <= seen.status < 300:
            return
        documented, component = DOCUMENTED[(seen.method, seen.operation)]
        problems = (
            [] if seen.status == documented else [f"status {seen.status} is not the documented {documented}"]
        )
        if seen.answer is not None or seen.exchange.content_type:
            problems += shape_problems(seen.answer, component)
        self.coverage.note("LEADS-HTTP-002", operation=seen.operation)
        self.verdicts.check(
            not problems,
            "LEADS-HTTP-002",
            lambda: (
                f"{seen.shown} answered {seen.status} with a body that is not a {component}: "
                + "; ".join(problems[:3])
            ),
            seen.line,
        )

    def media_type(self, seen: Seen) -> None:
        """A JSON body says it is JSON (LEADS-HTTP-003): ``application/json`` or a ``+json`` type."""
        if seen.answer is None:
            return
        kind = (seen.exchange.content_type or "").split(";")[0].strip().lower()
        self.coverage.note("LEADS-HTTP-003", operation=seen.operation)
        self.verdicts.check(
            kind == "application/json" or kind.endswith("+json"),
            "LEADS-HTTP-003",
            lambda: f"{seen.shown} answered a JSON body ({seen.status}) as {kind or 'no Content-Type'!r}",
            seen.line,
        )
