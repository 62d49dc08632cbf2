"""The pytest plugin: options, fixtures, the ``requirement`` marker and per-test outcomes.

Use it with ``pytest -p conformance.run.plugin --pyargs conformance.suite``, or through
``conformance run``, which adds the reports and the exit status.

A check names what it verifies::

    @pytest.mark.requirement("LEADS-AUTH-001", "LEADS-AUTH-002")
    def test_missing_or_wrong_api_key_gets_401(client, target): ...

An ID that is not in the catalog is a collection error. ``--requirement ID`` and ``--area AREA``
select the checks by the catalog (by their ``requirement`` marker). Outcomes are kept per test, with
the requirement IDs each failure concerns (see ``conformance.outcomes``), for the reporting layer.

When pytest-base-url is installed (pytest-playwright and pytest-selenium bring it), ``--base-url`` is
its option, and the plugin reads the target's base URL from it.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any

import httpx
import pytest

from conformance.contract.catalog import load_catalog
from conformance.http.target import Target
from conformance.outcomes import (
    NO_SECOND_ACCOUNT,
    READ_ONLY,
    Failure,
    Inconclusive,
    OutcomeCollector,
    TestOutcome,
    Unverified,
    UsageError,
    Violation,
    ViolationGroup,
    skip,
    skip_kind,
)
from conformance.run.context import RunContext
from conformance.run.options import ENV, RunOptions, add_pytest_options
from conformance.suite.oracle import RunModel
from conformance.suite.oracle.budget import WriteBudget

__all__ = ["get_target", "install_context", "requirement_ids", "context_of"]

_CONTEXT_KEY = pytest.StashKey[RunContext]()


#: pytest-base-url's plugin: its entry-point name and its module
_BASE_URL_PLUGIN = ("base_url", "pytest_base_url.plugin")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    loaded = any(pluginmanager.has_plugin(name) for name in _BASE_URL_PLUGIN)
    skip = ("base_url",) if loaded or _load_base_url_plugin(pluginmanager) else ()
    add_pytest_options(parser.getgroup("conformance", "Leads API conformance"), skip=skip)


def _load_base_url_plugin(pluginmanager: pytest.PytestPluginManager) -> bool:
    """Load pytest-base-url now, when it is installed and not blocked, so that ``--base-url`` is its.

    Registered under its entry-point name, it is not loaded a second time by pytest's autoload.
    """
    name, module_name = _BASE_URL_PLUGIN
    if pluginmanager.is_blocked(name) or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    pluginmanager.register(module, name)
    return pluginmanager.has_plugin(name)


def _base_url(config: pytest.Config) -> str | None:
    """The target's base URL: pytest-base-url's ``--base-url`` when it owns the option, else ours."""
    ours = config.getoption("conformance_base_url", default=None)
    if ours:
        return str(ours)
    theirs = config.getoption("base_url", default=None) or os.environ.get(ENV["base_url"])
    return str(theirs) if theirs else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the catalog requirement IDs this check verifies")
    config.addinivalue_line("markers", "writes: the check sends requests that write (skipped by read-only)")
    config.addinivalue_line("markers", "audit: the check judges what the whole run saw, so it runs last")
    # a failure's traceback as Python prints it: pytest's own rendering parses each frame's source, which
    # CPython 3.11 can fail on (SystemError) after deep recursion elsewhere in the run
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "native"
    if _CONTEXT_KEY not in config.stash:
        try:
            options = RunOptions.from_pytest(config, _base_url(config))
        except TypeError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[_CONTEXT_KEY] = RunContext(options)


def install_context(config: pytest.Config, context: RunContext) -> None:
    """Let the caller (``conformance run``) hand the plugin its run, whole."""
    config.stash[_CONTEXT_KEY] = context


def context_of(config: pytest.Config) -> RunContext:
    """The run this pytest session is part of."""
    return config.stash[_CONTEXT_KEY]


def get_target(config: pytest.Config) -> Target:
    """The run's target (made from the options on first need, for a plain pytest run)."""
    try:
        return context_of(config).the_target()
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None


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
    _select_by_catalog(config, items, catalog)
    # checks that judge what the whole run saw go last, by their order (audit(order=n)), else as collected
    items.sort(key=_audit_rank)


def _audit_rank(item: pytest.Item) -> tuple[bool, int]:
    mark = item.get_closest_marker("audit")
    return mark is not None, int(mark.kwargs.get("order", 0)) if mark is not None else 0


def _select_by_catalog(config: pytest.Config, items: list[pytest.Item], catalog: Any) -> None:
    """Keep the checks that verify a ``--requirement`` ID or a requirement of an ``--area``."""
    options = context_of(config).options
    wanted = set(options.requirement or ())
    areas = {str(area).upper() for area in options.area or ()}
    if not (wanted or areas):
        return
    unknown = sorted(wanted - {r.id for r in catalog})
    if unknown:
        raise pytest.UsageError(f"--requirement {unknown[0]} is not in the catalog")
    strange = sorted(areas - set(catalog.areas))
    if strange:
        named = ", ".join(catalog.areas)
        raise pytest.UsageError(f"--area {strange[0]} is not a catalog area (one of {named})")
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        ids = requirement_ids(item)
        chosen = any(rid in wanted or (rid in catalog and catalog[rid].area in areas) for rid in ids)
        (kept if chosen else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _in_suite(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    return bool(module is not None and module.__name__.startswith("conformance.suite"))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if context_of(item.config).target is not None or _in_suite(item):
        get_target(item.config).context = (item.nodeid, requirement_ids(item))
    if item.get_closest_marker("writes") is not None and not get_target(item.config).writes_allowed:
        skip(READ_ONLY, "the read-only profile sends no request that writes")


# ------------------------------------------------------------------------------- outcomes
def _violations(exc: BaseException) -> list[Violation]:
    if isinstance(exc, ViolationGroup):
        return [v for sub in exc.violations for v in _violations(sub)]
    if isinstance(exc, Violation):
        return [exc]
    if isinstance(exc, BaseExceptionGroup):
        return [v for sub in exc.exceptions for v in _violations(sub)]
    return []


def _first_line(text: str, limit: int = 2000) -> str:
    return text.strip()[:limit]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    ids = requirement_ids(item)
    target = context_of(item.config).target
    redact = target.redact if target is not None else (lambda text: text)
    outcome: TestOutcome | None = None
    excinfo = call.excinfo
    if report.skipped and excinfo is not None and excinfo.errisinstance(pytest.skip.Exception):
        reason = str(excinfo.value.msg) if hasattr(excinfo.value, "msg") else str(excinfo.value)
        outcome = TestOutcome(
            item.nodeid, ids, "skipped", reason=redact(reason), skip_kind=skip_kind(excinfo.value)
        )
    elif excinfo is not None and not report.skipped:
        outcome = _outcome_from_exception(item.nodeid, ids, excinfo.value, call.when, target)
        if outcome.outcome == "error":
            outcome.traceback = redact(str(report.longrepr))
        if outcome.outcome == "inconclusive":
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, "inconclusive: " + outcome.reason)
        elif outcome.outcome == "passed":
            report.outcome = "passed"
            report.longrepr = None
        else:
            report.longrepr = redact(str(report.longrepr)) if report.longrepr else report.longrepr
    elif call.when == "call" and report.passed:
        outcome = TestOutcome(item.nodeid, ids, "passed")
    if outcome is not None:
        outcome.duration = round(call.duration, 3)
        context_of(item.config).collector.add(outcome)
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
    if isinstance(exc, Unverified):
        scoped = [i for i in exc.requirements if i in ids]
        return TestOutcome(nodeid, ids, "passed", reason=redact(exc.message), unverified=scoped)
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


@pytest.fixture(scope="session")
def run_note(pytestconfig: pytest.Config) -> Callable[[str], None]:
    """Say something about the run as a whole (once): the report's notes."""
    return context_of(pytestconfig).note


@pytest.fixture(scope="session")
def tolerate(pytestconfig: pytest.Config) -> Callable[[Iterable[str]], None]:
    """Count that input tolerances kept a generated case from being charged."""
    return context_of(pytestconfig).tolerate


@pytest.fixture(scope="session")
def write_budget(pytestconfig: pytest.Config, max_examples: int) -> WriteBudget:
    """``--write-budget`` split once among those who write (``WriteBudget.for_run``); the run's model
    keeps it, so the report can tell what it held back."""
    context = context_of(pytestconfig)
    context.model.budget = WriteBudget.for_run(int(context.options.write_budget), max_examples)
    return context.model.budget


@pytest.fixture(scope="session")
def outcomes(pytestconfig: pytest.Config) -> OutcomeCollector:
    """The outcomes of the checks finished so far."""
    return context_of(pytestconfig).collector


@pytest.fixture(scope="session")
def run_model(pytestconfig: pytest.Config, target: Target) -> RunModel:
    """What the run wrote, and the oracle that judges every answer against it (watching from now on)."""
    model = context_of(pytestconfig).model
    model.attach(target)
    return model


@pytest.fixture(autouse=True)
def _fresh_history(request: pytest.FixtureRequest) -> None:
    target = context_of(request.config).target
    if target is not None:
        target.guard.clear_history()


@pytest.fixture(scope="session")
def client(target: Target) -> Iterator[httpx.Client]:
    """An httpx client with the primary account's credentials."""
    with target.client() as http:
        yield http


@pytest.fixture(scope="session")
def second_client(target: Target) -> Iterator[httpx.Client]:
    """An httpx client with the second account's credentials (skips without a second token)."""
    if not target.second_account_token:
        skip(NO_SECOND_ACCOUNT, "no second account token was given (--second-account-token)")
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
    return int(context_of(pytestconfig).options.seed)


@pytest.fixture(scope="session")
def coverage_limit(pytestconfig: pytest.Config) -> int | None:
    """Coverage-phase cases per operation, at most; None sends every case the phase makes."""
    value = context_of(pytestconfig).options.coverage_cases
    return None if value is None else max(0, int(value))


@pytest.fixture(scope="session")
def max_examples(pytestconfig: pytest.Config) -> int:
    """Upper bound of generated examples per property."""
    return max(1, int(context_of(pytestconfig).options.max_examples))
