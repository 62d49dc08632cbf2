"""CaseRunner: send cases, run the mapped checks on each answer, keep what they found per requirement.

What the checks find is charged to requirement IDs (``requirements_for``) and deduplicated, until
the test raises it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from conformance.http.target import Target
from conformance.outcomes import Inconclusive, Violation, ViolationGroup
from conformance.suite.generated.adapter import (
    Case,
    CaseHistory,
    CheckContext,
    CheckFunction,
    CustomFailure,
    Failure,
    FailureGroup,
    IgnoredAuth,
    OpenApiSchema,
    Recorder,
    Response,
    check_context,
    recorded_exchange,
)
from conformance.suite.generated.charging import (
    CHECK_REQUIREMENTS,
    MAX_MESSAGES_PER_REQUIREMENT,
    requirements_for,
)
from conformance.suite.generated.checks import PROPERTY_CHECKS, is_json, linked_lead
from conformance.suite.generated.inputs import INVALID, OPEN, VALID, is_refusal
from conformance.suite.generated.judge import Judge
from conformance.suite.generated.transport import evidence_line, reproduce
from conformance.suite.oracle.budget import WriteBudget
from conformance.suite.support.findings import Finding

__all__ = ["CaseRunner"]


@dataclass
class CaseRunner:
    """Sends cases, runs the mapped checks on each answer, and keeps what they found per requirement."""

    target: Target
    schema: OpenApiSchema
    judge: Judge
    checks: tuple[CheckFunction, ...] = PROPERTY_CHECKS
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    #: operations whose ignored_auth probes already ran (once per operation is enough)
    enforced: set[str] = field(default_factory=set)
    throttled: int = 0
    #: the requirements a throttled answer left unjudged (a throttled auth probe: its AUTH requirement)
    undecided: set[str] = field(default_factory=set)
    inconclusive: str = ""
    sent: int = 0
    #: stateful links followed: a GET /leads/{id} of the lead a POST's 201 created, answered (not 429)
    links: int = 0
    #: the write budget a case that may create a lead must fit (None: no bound)
    budget: WriteBudget | None = None
    #: cases that may create a lead, not sent: the budget's share for them was spent
    held: int = 0
    #: counts the input tolerances that kept a case from being charged (the run's)
    tolerate: Callable[[Iterable[str]], None] = lambda _idents: None

    @property
    def credentials(self) -> dict[str, str]:
        return self.target.credentials()

    def send(self, case: Case) -> Response | None:
        """Send a case with the run's credentials; None once the target has stopped answering."""
        if self.inconclusive:
            return None
        try:
            response = case.call(headers=self.credentials)
        except Inconclusive as exc:
            self.inconclusive = exc.message
            return None
        self.sent += 1
        return response

    def exercise(self, case: Case) -> None:
        """Prepare one case for the target, send it, and check the answer."""
        self.exercise_all([case])

    def ready(self, case: Case) -> bool:
        """Prepare a case for the target; whether it is to be sent. A case that may create a lead is sent
        only while the write budget's share for generated cases lasts; a case that must be refused (it
        creates nothing) is always sent."""
        self.judge.prepare(case)
        if self.budget is not None and self.judge.would_create(case) and not self.budget.allow("generated"):
            self.held += 1
            return False
        return True

    def exercise_all(self, cases: list[Case]) -> None:
        """Prepare the cases one after another (the same seed prepares the same bodies), send them up to
        ``--concurrency`` at once, then check each answer in the cases' order."""
        ready = [case for case in cases if self.ready(case)]
        answers = self.target.parallel(self.send, ready)
        for case, response in zip(ready, answers, strict=True):
            if response is None:
                continue
            recorder = Recorder(label=case.operation.label)
            recorder.record_case(case=case)
            recorder.record_response(case_id=case.id, response=response)
            self.evaluate(case, response, recorder)

    def evaluate(self, case: Case, response: Response, recorder: Recorder) -> None:
        """Run every mapped check on one answer; a persisting 429 is never judged."""
        if response.status_code == 429:
            self.throttled += 1
            self.undecided.update(CHECK_REQUIREMENTS.values())
            return
        ctx = self._context(case, recorder)
        for check in self.checks:
            try:
                check(ctx, response, case)
            except (Failure, FailureGroup, AssertionError) as exc:
                for failure in _failures(exc):
                    self._record(check.__name__, failure, case, response, recorder)
            except Inconclusive as exc:
                self.inconclusive = exc.message
                return

    def _context(self, case: Case, recorder: Recorder) -> CheckContext:
        return check_context(
            case,
            self.schema,
            headers=self.credentials,
            transport_kwargs={"base_url": self.target.base_url, "headers": self.credentials},
            recorder=recorder,
            enforced=self.enforced,
        )

    def _record(
        self, check: str, failure: Failure, case: Case, response: Response, recorder: Recorder
    ) -> None:
        probe = _probe(failure, recorder)
        answer = probe[1] if probe is not None else response
        probe_headers = dict(probe[0].headers) if probe is not None else None
        if answer.status_code == 429:
            self.throttled += 1
            self.undecided.update(
                requirements_for(check, failure, status=200, json_body=True, probe_headers=probe_headers)
            )
            return
        standing = self._standing(check, case, answer)
        if standing is None:
            return
        requirements = requirements_for(
            check, failure, status=response.status_code, json_body=is_json(response),
            probe_headers=probe_headers,
        )
        for requirement in requirements:
            self._keep(requirement, check, failure, case, *standing)

    def _standing(self, check: str, case: Case, response: Response) -> tuple[Response, str] | None:
        """The answer a failure stands on once the open inputs are weighed (with a note), or None.

        An invalid-input failure (a negative case accepted) stands only if the request holds an input
        the contract calls invalid. A valid-input failure (a positive case refused) stands if every
        input is valid; if some query inputs are open, the case is sent again without them, and the
        failure stands if that request is refused too.
        """
        if check not in ("negative_data_rejection", "positive_data_acceptance"):
            return response, ""
        inputs = self.judge(case, response)
        tolerated = [i.tolerance for i in inputs if i.status == OPEN and i.tolerance]
        if check == "negative_data_rejection":
            invalid = [f"{i.where}: {i.reason}" for i in inputs if i.status == INVALID]
            if invalid:
                return response, "invalid " + "; ".join(invalid)
            self.tolerate(tolerated)
            return None
        statuses = {item.status for item in inputs}
        if statuses <= {VALID}:
            return response, ""
        if INVALID in statuses:
            return None
        if any(i.status == OPEN and not i.where.startswith("query ") for i in inputs):
            self.tolerate(tolerated)
            return None
        dropped = {i.where.removeprefix("query ") for i in inputs if i.status == OPEN}
        control = case.derive(query={k: v for k, v in case.query.items() if k not in dropped})
        answer = self.send(control)
        if answer is None or not is_refusal(answer.status_code):
            self.tolerate(tolerated)
            return None
        return answer, f"refused again without the open input(s) {', '.join(sorted(dropped))}"

    def _keep(
        self, requirement: str, check: str, failure: Failure, case: Case, response: Response, note: str
    ) -> None:
        title = failure.title or type(failure).__name__
        key = (requirement, f"{case.operation.label}|{check}|{title}")
        if key in self.findings:
            self.findings[key].count += 1
            return
        lines = [line.strip() for line in (failure.message or "").strip().splitlines()]
        detail = " ".join(line for line in lines[:6] if line and not line.startswith("Expected:"))
        message = f"{case.operation.label} -> {response.status_code}: {title} [{check}]"
        if detail and not detail.startswith(title):
            message += ": " + detail[:400]
        if note:
            message += f" ({note[:300]})"
        command = reproduce(self.target, response)
        # the failing exchange's line is found while it is still in the history
        line = evidence_line(response) or self.target.exchange_line(command, response.status_code)
        self.findings[key] = Finding(requirement, self.target.redact(message), line, command)

    def note_link(self, case: Case, response: Response, history: CaseHistory) -> None:
        """Count ``case`` when it follows a POST 201 -> GET /leads/{id} link and got an answer."""
        if response.status_code != 429 and linked_lead(history, case) is not None:
            self.links += 1

    def violations(self, requirements: Iterable[str] | None = None) -> list[Violation]:
        """One violation per distinct failure, at most a few per requirement (only ``requirements``'s)."""
        wanted = set(requirements) if requirements is not None else None
        listed: dict[str, int] = {}
        found = []
        for finding in self.findings.values():
            if wanted is not None and finding.requirement not in wanted:
                continue
            listed[finding.requirement] = listed.get(finding.requirement, 0) + 1
            if listed[finding.requirement] > MAX_MESSAGES_PER_REQUIREMENT:
                continue
            suffix = f" (seen {finding.count} times)" if finding.count > 1 else ""
            found.append(finding.violation(finding.message + suffix))
        return found

    def conclude(self, requirements: Iterable[str]) -> None:
        """Raise what was found for ``requirements``; inconclusive if the target throttled or went quiet."""
        requirements = list(requirements)
        violations = self.violations(requirements)
        if violations:
            raise violations[0] if len(violations) == 1 else ViolationGroup(violations)
        if self.inconclusive:
            raise Inconclusive(self.inconclusive, list(requirements))
        undecided = [rid for rid in requirements if rid in self.undecided]
        if self.throttled and undecided:
            raise Inconclusive(
                f"the target kept answering 429 to {self.throttled} generated request(s)", undecided
            )


def _failures(exc: BaseException) -> Iterator[Failure]:
    if isinstance(exc, FailureGroup):
        yield from exc.exceptions
    elif isinstance(exc, Failure):
        yield exc
    elif isinstance(exc, Exception):
        text = str(exc) or "check failed"
        yield CustomFailure(operation="", title=text.splitlines()[0][:120], message=text, exception=exc)


def _probe(failure: Failure, recorder: Recorder) -> tuple[Case, Response] | None:
    """The probe an ignored_auth failure is about, and what it got."""
    if not isinstance(failure, IgnoredAuth) or failure.case_id is None:
        return None
    return recorded_exchange(recorder, failure.case_id)
