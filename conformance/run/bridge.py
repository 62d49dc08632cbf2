"""The run's side of pytest: the arguments it runs with, and a plugin (``Bridge``) that hands it the run
and follows its progress (the checks planned, started and done, and what a person can check on the
target meanwhile).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from conformance.contract.catalog import Catalog
from conformance.contract.files import cache_folder
from conformance.http.target import Exchange
from conformance.outcomes import TestOutcome
from conformance.run.context import RunContext
from conformance.run.options import RunOptions
from conformance.run.plugin import install_context, requirement_ids

__all__ = [
    "SUITE_DIR",
    "Bridge",
    "PlannedCheck",
    "Progress",
    "RunCounters",
    "Silent",
    "hypothesis_home",
    "pytest_args",
]

SUITE_DIR = Path(__file__).resolve().parents[1] / "suite"


@dataclass(frozen=True)
class PlannedCheck:
    """A check the run will run (or, in ``--list``, would): its node id, requirement IDs and area."""

    nodeid: str
    requirements: tuple[str, ...]
    area: str
    #: why it would be skipped, when that is known before it runs
    skip: str | None = None


@dataclass(frozen=True)
class RunCounters:
    """How far the run is, in what a person can check on the target."""

    requests: int
    leads_written: int
    seconds: float


class Progress(Protocol):
    """What the run shows while it goes."""

    def start(
        self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]
    ) -> None: ...

    def next(self, nodeid: str) -> None: ...

    def advance(self, nodeid: str, outcome: str) -> None: ...

    def stop(self) -> None: ...


class Silent:
    def start(self, checks: Sequence[PlannedCheck], counters: Callable[[], RunCounters]) -> None:
        pass

    def next(self, nodeid: str) -> None:
        pass

    def advance(self, nodeid: str, outcome: str) -> None:
        pass

    def stop(self) -> None:
        pass


class Bridge:
    """Hands the run (its RunContext) to the plugin, and reports progress."""

    def __init__(self, context: RunContext, progress: Progress, catalog: Catalog):
        self.context = context
        self.target = context.target
        self.progress = progress
        self.catalog = catalog
        self.collected = 0
        self.errors: list[str] = []
        self.planned: list[PlannedCheck] = []
        self.deselected: list[PlannedCheck] = []
        self.running: str | None = None
        self._leads = 0
        self._clock = time.monotonic()

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        install_context(config, self.context)
        if self.target is not None:
            self.target.observe(self._count)

    def _count(self, exchange: Exchange, body: bytes) -> None:
        created = exchange.method == "POST" and 200 <= (exchange.status or 0) < 300
        if created and exchange.url.split("?")[0].endswith("/leads"):
            self._leads += 1

    def counters(self) -> RunCounters:
        evidence = self.target.evidence if self.target is not None else None
        return RunCounters(
            requests=evidence.lines if evidence is not None else 0,
            leads_written=self._leads,
            seconds=time.monotonic() - self._clock,
        )

    def _planned(self, item: pytest.Item) -> PlannedCheck:
        ids = tuple(requirement_ids(item))
        area = self.catalog[ids[0]].area if ids and ids[0] in self.catalog else "other"
        return PlannedCheck(item.nodeid, ids, area, _known_skip(item, self.context.options))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.deselected.extend(self._planned(item) for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)
        self.planned = [self._planned(item) for item in session.items]
        if self.target is not None:
            self.progress.start(self.planned, self.counters)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            said = str(report.longrepr)
            if self.target is not None:
                said = self.target.redact(said)
            self.errors.append(f"could not collect {report.nodeid}: {said[-500:]}")

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.running = nodeid
        self.progress.next(nodeid)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.running = None
        outcome = self.context.collector.outcomes.get(nodeid)
        self.progress.advance(nodeid, outcome.outcome if outcome else "done")

    def not_run(self, interrupted: str) -> list[TestOutcome]:
        """The checks an interrupted run never finished, as ``not run`` outcomes."""
        missing = []
        for check in self.planned:
            if check.nodeid in self.context.collector.outcomes:
                continue
            when = "while it ran" if check.nodeid == self.running else "before it ran"
            missing.append(
                TestOutcome(
                    check.nodeid, list(check.requirements), "not run",
                    reason=f"the run was interrupted ({interrupted}) {when}",
                )
            )
        if not self.planned:
            missing.append(
                TestOutcome(
                    "collection", [r.id for r in self.catalog], "not run",
                    reason=f"the run was interrupted ({interrupted}) before its checks were collected",
                )
            )
        return missing


def _known_skip(item: pytest.Item, options: RunOptions) -> str | None:
    """Why a check would be skipped, when the options alone say so (``--list``)."""
    if item.get_closest_marker("writes") is not None and options.profile == "read-only":
        return "the read-only profile sends no request that writes"
    fixtures = getattr(item, "fixturenames", ())
    if "second_client" in fixtures and options.base_url and not options.second_account_token:
        return "no second account token was given (--second-account-token)"
    return None


def pytest_args(options: RunOptions, report_dir: Path | None = None) -> list[str]:
    args = [
        str(SUITE_DIR),
        # Only the plugins a run uses: no other installed plugin is imported, and since the checks
        # raise their own failures (the suite holds no bare assert), no module is assertion-rewritten.
        "--disable-plugin-autoload",
        "--assert=plain",
        # pytest-base-url, when installed, would own --base-url; the run gives the plugin its target
        "-p", "no:base_url",
        "-p", "pytest_metadata.plugin",
        "-p", "pytest_html.plugin",
        "-p", "conformance.run.plugin",
        "-p", "no:cacheprovider",
        "-p", "no:terminal",
        "-c", os.devnull,
        "--rootdir", str(SUITE_DIR),
        "-o", "python_files=*.py",
        "-o", "python_functions=test_*",
        "-o", "console_output_style=classic",
    ]
    if options.select:
        args += ["-k", options.select]
    if report_dir is not None:
        args += ["-p", "conformance.run.html_hooks", "--html", str(report_dir / "checks.html")]
        args += ["--self-contained-html"]
    return args + list(options.pytest_args)


@contextmanager
def hypothesis_home() -> Iterator[None]:
    """Where Hypothesis keeps its working files: never the folder the run was started from.

    The run uses no example database, so the files are only Hypothesis' Unicode tables, which take
    seconds to build: they are kept in the user's cache folder, or a temporary one when it cannot be
    written.
    """
    from hypothesis import configuration

    cache = cache_folder("hypothesis")
    with tempfile.TemporaryDirectory(prefix="leads-conformance-") as scratch:
        configuration.set_hypothesis_home_dir(str(cache) if cache is not None else scratch)
        try:
            yield
        finally:
            configuration.set_hypothesis_home_dir(None)
