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
from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest

from conformance.contract.catalog import load_catalog
from conformance.http import wire
from conformance.http.target import Target
from conformance.outcomes import (
    NO_SECOND_ACCOUNT,
    READ_ONLY,
    Failure,
    Inconclusive,
    OutcomeCollector,
    TestOutcome,
    Unverified,
    Violation,
    ViolationGroup,
    skip,
    skip_kind,
)
from conformance.run.options import ENV, add_pytest_options
from conformance.suite.oracle import RunModel

__all__ = ["collector", "get_target", "install_collector", "install_model", "install_target"]

_TARGET_KEY = pytest.StashKey[Target]()
_COLLECTOR_KEY = pytest.StashKey["OutcomeCollector"]()
_MODEL_KEY = pytest.StashKey["RunModel"]()


#: pytest-base-url's plugin: its entry-point name and its module
_BASE_URL_PLUGIN = ("base_url", "pytest_base_url.plugin")


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    shared = any(pluginmanager.has_plugin(name) for name in _BASE_URL_PLUGIN) or _load_base_url_plugin(
        pluginmanager
    )
    skip = ("base_url",) if shared else ()
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
    if _COLLECTOR_KEY not in config.stash:
        config.stash[_COLLECTOR_KEY] = OutcomeCollector()
    if _MODEL_KEY not in config.stash:
        config.stash[_MODEL_KEY] = RunModel()


def build_target(config: pytest.Config) -> Target:
    """The Target the options describe (``conformance run`` installs its own, the bundled server's too)."""
    base_url = _base_url(config)
    token = config.getoption("conformance_token")
    account_token = config.getoption("conformance_account_token")
    if not base_url:
        raise pytest.UsageError(
            "--base-url is required (conformance run, without it, certifies the bundled reference server)"
        )
    if not token or not account_token:
        raise pytest.UsageError("--token and --account-token are required with --base-url")
    kwargs: dict[str, Any] = {}
    if config.getoption("conformance_run_id"):
        kwargs["run_id"] = config.getoption("conformance_run_id")
    if config.getoption("conformance_proxy"):
        kwargs["proxy"] = config.getoption("conformance_proxy")
    try:
        kwargs["network"] = wire.Network.from_options(
            config.getoption("conformance_header") or (),
            config.getoption("conformance_secret_header") or (),
            config.getoption("conformance_ca_bundle"),
            config.getoption("conformance_client_cert"),
            config.getoption("conformance_client_key"),
        )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Target(
        base_url=base_url,
        token=token,
        account_token=account_token,
        second_account_token=config.getoption("conformance_second_account_token"),
        profile=config.getoption("conformance_profile"),
        verify_tls=not config.getoption("conformance_insecure"),
        timeout=config.getoption("conformance_timeout"),
        concurrency=int(config.getoption("conformance_concurrency")),
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
    _select_by_catalog(config, items, catalog)
    # checks that judge what the whole run saw go last, by their order (audit(order=n)), else as collected
    items.sort(key=_audit_rank)


def _audit_rank(item: pytest.Item) -> tuple[bool, int]:
    mark = item.get_closest_marker("audit")
    return mark is not None, int(mark.kwargs.get("order", 0)) if mark is not None else 0


def _select_by_catalog(config: pytest.Config, items: list[pytest.Item], catalog: Any) -> None:
    """Keep the checks that verify a ``--requirement`` ID or a requirement of an ``--area``."""
    wanted = set(config.getoption("conformance_requirement", default=None) or ())
    areas = {str(area).upper() for area in config.getoption("conformance_area", default=None) or ()}
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
    if _TARGET_KEY in item.config.stash or _in_suite(item):
        get_target(item.config).context = (item.nodeid, requirement_ids(item))
    if item.get_closest_marker("writes") is not None:
        target = get_target(item.config)
        if not target.writes_allowed:
            skip(READ_ONLY, "the read-only profile sends no request that writes")


# ------------------------------------------------------------------------------- outcomes
def collector(config: pytest.Config) -> OutcomeCollector:
    return config.stash[_COLLECTOR_KEY]


def install_collector(config: pytest.Config, outcomes: OutcomeCollector) -> None:
    """Let the caller (the CLI) own the collector this run fills."""
    config.stash[_COLLECTOR_KEY] = outcomes


def install_model(config: pytest.Config, model: RunModel) -> None:
    """Let the caller (the CLI) own the model of what the run wrote (its domain coverage goes in the
    report)."""
    config.stash[_MODEL_KEY] = model


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
def run_model(pytestconfig: pytest.Config, target: Target) -> RunModel:
    """What the run wrote, and the oracle that judges every answer against it (watching from now on)."""
    model = pytestconfig.stash[_MODEL_KEY]
    model.attach(target)
    return model


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
    return int(pytestconfig.getoption("conformance_seed"))


@pytest.fixture(scope="session")
def coverage_limit(pytestconfig: pytest.Config) -> int | None:
    """Coverage-phase cases per operation, at most; None sends every case the phase makes."""
    value = pytestconfig.getoption("conformance_coverage_cases")
    return None if value is None else max(0, int(value))


@pytest.fixture(scope="session")
def max_examples(pytestconfig: pytest.Config) -> int:
    """Upper bound of generated examples per property."""
    return max(1, int(pytestconfig.getoption("conformance_max_examples")))
