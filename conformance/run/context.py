"""One run's state as one value, from its options to what it found.

A ``RunContext`` holds the run's options, its target, the collector of the checks' outcomes, the model
of what the run wrote, the notes the report carries, the tolerances it applied and the secrets to mask.
``conformance run`` makes it and hands it to pytest whole (the plugin finds it in the config's stash);
a plain ``pytest -p conformance.run.plugin`` run makes it from pytest's options. Nothing of a run lives
in a module global, and no option goes through pytest's argv and back.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from conformance.contract import tolerances
from conformance.http.target import Target, new_run_id
from conformance.outcomes import OutcomeCollector, UsageError
from conformance.run.options import RunOptions
from conformance.run.preflight import network
from conformance.suite.oracle import RunModel

__all__ = ["RunContext", "build_target", "resolve_target"]


@dataclass
class RunContext:
    """A run's options, target, outcomes, model of what it wrote, notes, tolerances and secrets."""

    options: RunOptions
    target: Target | None = None
    collector: OutcomeCollector = field(default_factory=OutcomeCollector)
    model: RunModel = field(default_factory=RunModel)
    #: what the checks want said about the run as a whole (the report's notes)
    notes: list[str] = field(default_factory=list)
    #: how often each input tolerance kept a generated case from being charged
    tolerated: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def the_target(self) -> Target:
        """The target (made from the options on first need, for a plain pytest run)."""
        if self.target is None:
            self.target = build_target(self.options)
        return self.target

    def note(self, text: str) -> None:
        """Say something about the run as a whole, once."""
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)

    def tolerate(self, idents: Iterable[str]) -> None:
        """Count that these input tolerances kept a generated case from being charged."""
        with self._lock:
            for ident in idents:
                self.tolerated[tolerances.tolerance(ident).id] += 1

    @property
    def secrets(self) -> list[str]:
        """Every secret of the run: the options' and the target's, longest first."""
        found = set(self.options.secrets())
        if self.target is not None:
            found.update(self.target.secrets)
        return sorted(found, key=len, reverse=True)


@contextmanager
def resolve_target(options: RunOptions) -> Iterator[Target]:
    """The Target for the options; without a base URL, the reference server served for the run."""
    if options.base_url:
        yield build_target(options)
        return
    from conformance.reference import ReferenceConfig, create_app, serve_in_thread

    config = ReferenceConfig(
        api_key="ref-key-" + secrets.token_hex(12),
        account_tokens=("ref-account-a-" + secrets.token_hex(8), "ref-account-b-" + secrets.token_hex(8)),
    )
    server = serve_in_thread(create_app(config))
    try:
        yield _target(options, server.base_url, config.api_key, *config.account_tokens)
    finally:
        server.stop()


def build_target(options: RunOptions) -> Target:
    """The Target the options name (a base URL and credentials are required)."""
    if not options.base_url:
        raise UsageError(
            "--base-url is required (conformance run, without it, certifies the bundled reference server)"
        )
    if not options.token or not options.account_token:
        raise UsageError("--token and --account-token are required with --base-url")
    return _target(
        options, options.base_url, options.token, options.account_token, options.second_account_token or None
    )


def _target(
    options: RunOptions, base_url: str, token: str, account_token: str, second_account_token: str | None
) -> Target:
    """The Target at ``base_url`` with these credentials, and the rest as the options say."""
    return Target(
        base_url=base_url,
        token=token,
        account_token=account_token,
        second_account_token=second_account_token,
        profile=options.profile,
        verify_tls=not options.insecure,
        timeout=options.timeout,
        max_duration=options.max_duration,
        run_id=options.run_id or new_run_id(),
        concurrency=options.concurrency,
        network=network(options),
        proxy=options.proxy or None,
    )
