"""The pytest plugin: options, fixtures, the ``requirement`` marker and per-test outcomes.

Use it with ``pytest -p conformance.plugin --pyargs conformance.suite``, or through
``conformance run``, which adds the reports and the exit status.

A check names what it verifies::

    @pytest.mark.requirement("LEADS-AUTH-001", "LEADS-AUTH-002")
    def test_missing_or_wrong_api_key_gets_401(client, target): ...

An ID that is not in the catalog is a collection error. Outcomes are kept per test, with the
requirement IDs each failure concerns (see ``conformance._outcomes``), for the reporting layer.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import pytest

from conformance._outcomes import Inconclusive, Violation, ViolationGroup
from conformance.spec import load_catalog
from conformance.target import Target

__all__ = ["ENV", "OutcomeCollector", "TestOutcome"]

#: option -> environment variable
ENV = {
    "base_url": "CONFORMANCE_BASE_URL",
    "token": "CONFORMANCE_TOKEN",
    "account_token": "CONFORMANCE_ACCOUNT_TOKEN",
    "second_account_token": "CONFORMANCE_SECOND_ACCOUNT_TOKEN",
    "profile": "CONFORMANCE_PROFILE",
    "seed": "CONFORMANCE_SEED",
    "max_examples": "CONFORMANCE_MAX_EXAMPLES",
    "strict": "CONFORMANCE_STRICT",
    "run_id": "CONFORMANCE_RUN_ID",
    "insecure": "CONFORMANCE_INSECURE",
    "timeout": "CONFORMANCE_TIMEOUT",
}
DEFAULT_SEED = 20261126
DEFAULT_MAX_EXAMPLES = 25
PROFILES = ("full", "read-only")

_TARGET_KEY = pytest.StashKey[Target]()
_COLLECTOR_KEY = pytest.StashKey["OutcomeCollector"]()
_SERVER_KEY = pytest.StashKey[Any]()


def _env(name: str) -> str | None:
    value = os.environ.get(ENV[name])
    return value if value not in (None, "") else None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "Leads API conformance")
    group.addoption(
        "--base-url",
        dest="conformance_base_url",
        default=_env("base_url"),
        help="Base URL of the target, e.g. https://api.merge.dev/api (default: the bundled "
        "reference server, started for the run) [CONFORMANCE_BASE_URL]",
    )
    group.addoption(
        "--token",
        dest="conformance_token",
        default=_env("token"),
        help="API key sent as 'Authorization: Bearer <key>' [CONFORMANCE_TOKEN]",
    )
    group.addoption(
        "--account-token",
        dest="conformance_account_token",
        default=_env("account_token"),
        help="Linked account token sent as X-Account-Token [CONFORMANCE_ACCOUNT_TOKEN]",
    )
    group.addoption(
        "--second-account-token",
        dest="conformance_second_account_token",
        default=_env("second_account_token"),
        help="A second linked account token, for the TENANT checks [CONFORMANCE_SECOND_ACCOUNT_TOKEN]",
    )
    group.addoption(
        "--profile",
        dest="conformance_profile",
        default=_env("profile") or "full",
        choices=PROFILES,
        help="full, or read-only: send no request that writes [CONFORMANCE_PROFILE]",
    )
    group.addoption(
        "--seed",
        dest="conformance_seed",
        type=int,
        default=int(_env("seed") or DEFAULT_SEED),
        help="Seed of every generated input [CONFORMANCE_SEED]",
    )
    group.addoption(
        "--max-examples",
        dest="conformance_max_examples",
        type=int,
        default=int(_env("max_examples") or DEFAULT_MAX_EXAMPLES),
        help="Upper bound of generated examples per property [CONFORMANCE_MAX_EXAMPLES]",
    )
    group.addoption(
        "--conformance-strict",
        dest="conformance_strict",
        action="store_true",
        default=_truthy(_env("strict")),
        help="SHOULD requirements that warn or stay inconclusive fail the run [CONFORMANCE_STRICT]",
    )
    group.addoption(
        "--run-id",
        dest="conformance_run_id",
        default=_env("run_id"),
        help="Tag written into every lead the run creates [CONFORMANCE_RUN_ID]",
    )
    group.addoption(
        "--insecure",
        dest="conformance_insecure",
        action="store_true",
        default=_truthy(_env("insecure")),
        help="Do not verify TLS certificates [CONFORMANCE_INSECURE]",
    )
    group.addoption(
        "--request-timeout",
        dest="conformance_timeout",
        type=float,
        default=float(_env("timeout") or 20.0),
        help="Seconds one request may take [CONFORMANCE_TIMEOUT]",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the catalog requirement IDs this check verifies")
    config.addinivalue_line("markers", "writes: the check sends requests that write (skipped by read-only)")
    config.addinivalue_line("markers", "audit: the check judges what the whole run saw, so it runs last")
    if _COLLECTOR_KEY not in config.stash:
        config.stash[_COLLECTOR_KEY] = OutcomeCollector()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER_KEY, None)
    if server is not None:
        server.stop()


def build_target(config: pytest.Config) -> Target:
    """The Target the options describe; without a base URL, the bundled reference server."""
    base_url = config.getoption("conformance_base_url")
    token = config.getoption("conformance_token")
    account_token = config.getoption("conformance_account_token")
    second = config.getoption("conformance_second_account_token")
    if not base_url:
        from conformance.reference import ReferenceConfig, create_app, serve_in_thread

        reference = ReferenceConfig()
        server = serve_in_thread(create_app(reference))
        config.stash[_SERVER_KEY] = server
        base_url = server.base_url
        token = reference.api_key
        account_token, second = reference.account_tokens[0], reference.account_tokens[1]
    if not token or not account_token:
        raise pytest.UsageError("--token and --account-token are required with --base-url")
    kwargs: dict[str, Any] = {}
    if config.getoption("conformance_run_id"):
        kwargs["run_id"] = config.getoption("conformance_run_id")
    return Target(
        base_url=base_url,
        token=token,
        account_token=account_token,
        second_account_token=second,
        profile=config.getoption("conformance_profile"),
        verify_tls=not config.getoption("conformance_insecure"),
        timeout=config.getoption("conformance_timeout"),
        **kwargs,
    )


def install_target(config: pytest.Config, target: Target) -> None:
    """Let the caller (the CLI) supply the target instead of the options."""
    config.stash[_TARGET_KEY] = target


def get_target(config: pytest.Config) -> Target:
    if _TARGET_KEY not in config.stash:
        config.stash[_TARGET_KEY] = build_target(config)
    return config.stash[_TARGET_KEY]


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(i for i in mark.args if i not in ids)
    return ids


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    catalog = load_catalog()
    problems = []
    for item in items:
        ids = requirement_ids(item)
        if not ids and _in_suite(item):
            problems.append(f"{item.nodeid}: names no requirement (use @pytest.mark.requirement)")
        for rid in ids:
            if not isinstance(rid, str) or rid not in catalog:
                problems.append(f"{item.nodeid}: unknown requirement ID {rid!r}")
        item.user_properties.append(("requirements", ",".join(map(str, ids))))
    if problems:
        raise pytest.UsageError("requirement catalog check failed:\n  " + "\n  ".join(problems))
    # checks that judge what the whole run saw go last, in their own order
    items.sort(key=lambda item: item.get_closest_marker("audit") is not None)


def _in_suite(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return bool(module is not None and module.__name__.startswith("conformance.suite"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _TARGET_KEY in item.config.stash or _in_suite(item):
        get_target(item.config).context = (item.nodeid, requirement_ids(item))
    if item.get_closest_marker("writes") is not None:
        target = get_target(item.config)
        if not target.writes_allowed:
            pytest.skip("the read-only profile sends no request that writes")


# ------------------------------------------------------------------------------- outcomes
@dataclass
class Failure:
    requirements: list[str]
    message: str
    reproduce: str | None = None
    #: the failing exchange's line in evidence.ndjson
    exchange: int | None = None


@dataclass
class TestOutcome:
    """What one test found: ``outcome`` is passed, failed, skipped, inconclusive or error.

    ``inconclusive`` names the requirements left undecided (empty: all the test names); the others
    count as verified when nothing failed them. ``error`` is a fault of the suite itself (a bug in a
    check), with its ``traceback``: it says nothing about the target.
    """

    nodeid: str
    requirements: list[str]
    outcome: str
    failures: list[Failure] = field(default_factory=list)
    reason: str = ""
    duration: float = 0.0
    inconclusive: list[str] = field(default_factory=list)
    traceback: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OutcomeCollector:
    """Keeps one TestOutcome per test, in run order."""

    def __init__(self) -> None:
        self.outcomes: dict[str, TestOutcome] = {}
        self.started = time.time()

    def add(self, outcome: TestOutcome) -> None:
        previous = self.outcomes.get(outcome.nodeid)
        if previous is None or _rank(outcome.outcome) > _rank(previous.outcome):
            self.outcomes[outcome.nodeid] = outcome

    def all(self) -> list[TestOutcome]:
        return list(self.outcomes.values())


def _rank(outcome: str) -> int:
    return {"skipped": 0, "passed": 1, "inconclusive": 2, "failed": 3, "error": 4}.get(outcome, 0)


def collector(config: pytest.Config) -> OutcomeCollector:
    return config.stash[_COLLECTOR_KEY]


def install_collector(config: pytest.Config, outcomes: OutcomeCollector) -> None:
    """Let the caller (the CLI) own the collector this run fills."""
    config.stash[_COLLECTOR_KEY] = outcomes


def _violations(exc: BaseException) -> list[Violation]:
    if isinstance(exc, ViolationGroup):
        return [v for sub in exc.violations for v in _violations(sub)]
    if isinstance(exc, Violation):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        found = []
        for sub in exc.exceptions:
            found.extend(_violations(sub))
        return found
    return []


def _first_line(text: str, limit: int = 2000) -> str:
    return text.strip()[:limit]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    ids = requirement_ids(item)
    target = item.config.stash.get(_TARGET_KEY, None)
    redact = target.redact if target is not None else (lambda text: text)
    outcome: TestOutcome | None = None
    excinfo = call.excinfo
    if report.skipped and excinfo is not None and excinfo.errisinstance(pytest.skip.Exception):
        reason = str(excinfo.value.msg) if hasattr(excinfo.value, "msg") else str(excinfo.value)
        outcome = TestOutcome(item.nodeid, ids, "skipped", reason=redact(reason))
    elif excinfo is not None and not report.skipped:
        outcome = _outcome_from_exception(item.nodeid, ids, excinfo.value, call.when, target)
        if outcome.outcome == "error":
            outcome.traceback = redact(str(report.longrepr))
        if outcome.outcome == "inconclusive":
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, "inconclusive: " + outcome.reason)
        else:
            report.longrepr = redact(str(report.longrepr)) if report.longrepr else report.longrepr
    elif call.when == "call" and report.passed:
        outcome = TestOutcome(item.nodeid, ids, "passed")
    if outcome is not None:
        outcome.duration = round(call.duration, 3)
        collector(item.config).add(outcome)
    return report


def _outcome_from_exception(
    nodeid: str, ids: list[str], exc: BaseException, when: str, target: Target | None
) -> TestOutcome:
    redact = target.redact if target is not None else (lambda text: text)
    reproduce = target.last_reproduce() if target is not None else None

    def line_of(command: str | None) -> int | None:
        return target.exchange_line(command) if target is not None else None

    if isinstance(exc, Inconclusive):
        scoped = [i for i in exc.requirements if i in ids]
        return TestOutcome(nodeid, ids, "inconclusive", reason=redact(exc.message), inconclusive=scoped)
    violations = _violations(exc)
    if violations:
        failures = []
        for v in violations:
            command = redact(v.reproduce) if v.reproduce else reproduce
            failures.append(
                Failure(
                    requirements=[i for i in v.requirements if i in ids] or ids,
                    message=redact(_first_line(v.message)),
                    reproduce=command,
                    exchange=v.exchange or line_of(command),
                )
            )
        return TestOutcome(nodeid, ids, "failed", failures=failures)
    if isinstance(exc, AssertionError):
        message = redact(_first_line(str(exc) or "assertion failed"))
        failure = Failure(ids, message, reproduce, line_of(reproduce))
        return TestOutcome(nodeid, ids, "failed", failures=[failure])
    if isinstance(exc, httpx.HTTPError | json.JSONDecodeError):
        what = "HTTP error" if isinstance(exc, httpx.HTTPError) else "the target's answer is not JSON"
        reason = redact(f"{what}: {_first_line(str(exc), 300)}")
        return TestOutcome(nodeid, ids, "inconclusive", reason=reason)
    phase = "setting up" if when == "setup" else "running"
    reason = f"suite error while {phase} the check: {type(exc).__name__}: {_first_line(str(exc), 500)}"
    return TestOutcome(nodeid, ids, "error", reason=redact(reason))


# ------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The server under test."""
    return get_target(pytestconfig)


@pytest.fixture(autouse=True)
def _fresh_history(request: pytest.FixtureRequest) -> None:
    if _TARGET_KEY in request.config.stash:
        request.config.stash[_TARGET_KEY].clear_history()


@pytest.fixture(scope="session")
def client(target: Target) -> Iterator[httpx.Client]:
    """An httpx client with the primary account's credentials."""
    with target.client() as http:
        yield http


@pytest.fixture(scope="session")
def second_client(target: Target) -> Iterator[httpx.Client]:
    """An httpx client with the second account's credentials (skips without a second token)."""
    if not target.second_account_token:
        pytest.skip("no second account token was given (--second-account-token)")
    with target.client("second") as http:
        yield http


@pytest.fixture(scope="session")
def anonymous_client(target: Target) -> Iterator[httpx.Client]:
    """An httpx client that sends no credentials."""
    with target.client(authenticated=False) as http:
        yield http


@pytest.fixture(scope="session")
def seed(pytestconfig: pytest.Config) -> int:
    """The run's seed."""
    return int(pytestconfig.getoption("conformance_seed"))


@pytest.fixture(scope="session")
def max_examples(pytestconfig: pytest.Config) -> int:
    """Upper bound of generated examples per property."""
    return max(1, int(pytestconfig.getoption("conformance_max_examples")))


@pytest.fixture
def writes(target: Target) -> None:
    """Skip the check under the read-only profile."""
    if not target.writes_allowed:
        pytest.skip("the read-only profile sends no request that writes")
