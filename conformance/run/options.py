"""The options of a run, declared once: ``conformance run`` (click), the pytest plugin, a run's values
(``RunOptions``), the report and the matrix file all read this table.

Each option has one name, one environment variable and one default on every surface. The only
difference is forced by pytest: where pytest (or a common plugin) already owns a flag, the pytest
spelling carries a ``conformance-`` prefix (``--conformance-strict``, as pytest has ``--strict``).
Adding an option is a row here and the code that uses its value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from conformance.http.network import proxy_secrets

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_SEED",
    "ENV",
    "OPTIONS",
    "PROFILES",
    "Option",
    "RunOptions",
    "add_pytest_options",
    "click_options",
]

DEFAULT_SEED = 20261126
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_COVERAGE_CASES = 18
PROFILES = ("full", "read-only")
#: flags pytest itself, or a plugin commonly installed beside it (pytest-timeout), already defines
PYTEST_OWNED = frozenset({"--strict", "--timeout"})


@dataclass(frozen=True)
class Option:
    """One option: ``kind`` is text, words (text without spaces), int, count (an int or ``all``), float,
    flag, choice, file or dir."""

    name: str
    help: str
    kind: str = "text"
    default: Any = None
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    #: also a pytest option (the rest only make sense for a whole run with its report folder)
    pytest: bool = True
    flag: str | None = None
    metavar: str | None = None
    #: repeatable; the environment variable holds one value a line (whitespace for ``words``)
    multiple: bool = False
    #: a short spelling beside the long one (``-H``), on the command line only
    short: str | None = None
    #: report.json records its value under its name
    reported: bool = False
    #: a matrix file may set it per target (or in its defaults)
    matrix: bool = False

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def pytest_flag(self) -> str:
        flag = self.cli_flag
        return "--conformance-" + flag[2:] if flag in PYTEST_OWNED else flag

    @property
    def env(self) -> str:
        return "CONFORMANCE_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("base_url", "Target base URL, e.g. https://api.merge.dev/api. conformance run without it "
           "certifies the bundled reference server, started for the run."),
    Option("token", "API key, sent as 'Authorization: Bearer <key>'."),
    Option("account_token", "Linked account token (X-Account-Token)."),
    Option("second_account_token", "A second linked account's token; enables the TENANT checks."),
    Option("profile", "read-only sends no request that writes (for production targets).",
           kind="choice", default="full", choices=PROFILES, reported=True, matrix=True),
    Option("max_examples", "Generated examples per property, at most.", kind="int",
           default=DEFAULT_MAX_EXAMPLES, minimum=1, reported=True, matrix=True),
    Option("coverage_cases", "Coverage-phase cases per operation, at most, spread over its scenarios and "
           "parameters by the seed; 'all' sends every case the phase makes, as plain Schemathesis does; "
           "0 none.",
           kind="count", default=DEFAULT_COVERAGE_CASES, minimum=0, reported=True, matrix=True),
    Option("seed", "Seed of every generated input: the same seed sends the same requests.", kind="int",
           default=DEFAULT_SEED, minimum=0, reported=True, matrix=True),
    Option("strict", "SHOULD requirements that warn or stay inconclusive fail the run too.", kind="flag",
           default=False, reported=True, matrix=True),
    Option("report_dir", "Where to write the report folder (report.html, checks.html, report.json, "
           "evidence.ndjson, junit.xml, attestation.json). Default: reports/<timestamp>/.",
           kind="dir", pytest=False),
    Option("insecure", "Do not verify TLS certificates.", kind="flag", default=False, reported=True,
           matrix=True),
    Option("timeout", "Seconds one request may take, all of it: connecting, the headers and the whole body.",
           kind="float", default=20.0, matrix=True),
    Option("max_duration", "Seconds the whole run may take; no request is sent after it (its checks are "
           "inconclusive).", kind="float", default=3600.0, pytest=False, matrix=True),
    Option("run_id", "Tag written into every lead the run creates (default: lc-<time>-<random>). The same "
           "--seed and --run-id send the same generated requests.", reported=True),
    Option("select", "Run only the checks matching a pytest -k expression.", flag="-k", metavar="EXPR",
           pytest=False, reported=True),
    Option("certify", "Certification mode: refuses -k, read-only and a missing second account token; exits "
           "0 only when the verdict is pass.", kind="flag", default=False, pytest=False, reported=True),
    Option("baseline", "Known failures ({id, reason} entries in YAML or JSON, or an earlier report.json): "
           "they do not fail the gate; new failures and stale entries do.", kind="file", pytest=False,
           matrix=True),
    Option("declared", "The field support the vendor declares (YAML or JSON: field -> read, write, filter, "
           "expand): report.json, report.html and the console list each field where the claim and the run's "
           "evidence disagree.", kind="file", pytest=False, matrix=True),
    Option("sign_key", "Ed25519 private key (PEM): attestation.json is then a signed DSSE envelope.",
           kind="file", pytest=False),
    Option("write_budget", "Leads the run may create at most (each stays in the target's CRM). Planned leads "
           "are shared by every check; generated cases that would create one stop at their share, and a "
           "requirement that needed more is inconclusive.", kind="int", default=40,
           minimum=0, reported=True),
    Option("concurrency", "Requests in flight at once, at most; fewer while the target signals it is "
           "throttling or slowing down.", kind="int", default=4, minimum=1, reported=True),
    Option("requirement", "Run only the checks that verify this catalog ID (repeatable; with --area, the "
           "checks of any ID or area named run; -k narrows them further).", kind="words", multiple=True,
           metavar="ID"),
    Option("area", "Run only the checks that verify a requirement of this catalog area, e.g. AUTH "
           "(repeatable).", kind="words", multiple=True, metavar="AREA"),
    Option("list_checks", "Print the checks that would run and those that would be skipped, and why; "
           "send nothing.", kind="flag", default=False, pytest=False, flag="--list"),
    Option("header", "An extra header sent with every request, 'Name: value' (repeatable), e.g. for a "
           "gateway in front of the target.", multiple=True, short="-H", metavar="'NAME: VALUE'"),
    Option("secret_header", "As --header, for a value that is a secret: masked everywhere as the "
           "credentials are (repeatable).", multiple=True, metavar="'NAME: VALUE'"),
    Option("ca_bundle", "CA certificates (PEM) to verify the target's TLS certificate with, instead of "
           "the system's.", kind="file"),
    Option("client_cert", "Client certificate (PEM) for mutual TLS; it may hold the key too.", kind="file"),
    Option("client_key", "The client certificate's private key (PEM), when it is not in --client-cert.",
           kind="file"),
    Option("proxy", "Send every request through this proxy (http://, https:// or socks5://; "
           "user:password@ allowed), instead of the one the environment names.", metavar="URL"),
)
#: option name -> environment variable
ENV = {option.name: option.env for option in OPTIONS}


# ------------------------------------------------------------------------------ click
def count_or_all(value: Any) -> int | None:
    """A count (at least 0), or ``all`` (None: no bound)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "all"):
        return None
    count = int(value)
    if count < 0:
        raise ValueError(f"{value!r} is less than 0")
    return count


class _CountOrAll(click.ParamType):
    name = "N|all"

    def convert(self, value: Any, param: Any, ctx: Any) -> int | None:
        try:
            return count_or_all(value)
        except ValueError:
            self.fail(f"{value!r} is not a count of at least 0 or 'all'", param, ctx)


def _click_type(option: Option) -> Any:
    if option.kind == "choice":
        return click.Choice(option.choices)
    if option.kind == "int":
        return click.IntRange(min=int(option.minimum)) if option.minimum is not None else int
    if option.kind == "count":
        return _CountOrAll()
    if option.kind == "float":
        return float
    if option.kind == "dir":
        return click.Path(file_okay=False, path_type=Path)
    if option.kind == "file":
        return click.Path(dir_okay=False, path_type=Path)
    return None


class _Lines(click.ParamType):
    """Text; a repeatable option reads one value a line from its environment variable."""

    name = "text"
    envvar_list_splitter = "\n"


def click_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a click command with every option of the table, in its order."""
    for option in reversed(OPTIONS):
        declaration = [option.cli_flag, option.name] if option.flag else [option.cli_flag]
        if option.short:
            declaration.insert(0, option.short)
        kwargs: dict[str, Any] = {"envvar": option.env, "help": option.help}
        if option.multiple:
            kwargs["multiple"] = True
        if option.kind == "flag":
            kwargs["is_flag"] = True
        elif option.multiple and option.kind == "text":
            kwargs["type"] = _Lines()
        else:
            kwargs["type"] = _click_type(option)
            if option.default is not None:
                kwargs.update(default=option.default, show_default=True)
        if option.metavar:
            kwargs["metavar"] = option.metavar
        function = click.option(*declaration, **kwargs)(function)
    return function


# ------------------------------------------------------------------------------ pytest
#: how a pytest option or an environment variable of a kind is read
_PARSE: dict[str, Callable[[str], Any]] = {"int": int, "float": float, "count": count_or_all}


def _from_env(option: Option) -> Any:
    raw = os.environ.get(option.env)
    if raw in (None, ""):
        return option.default
    if option.kind == "flag":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if option.kind in _PARSE:
        return _PARSE[option.kind](raw)
    if option.multiple:
        return raw.split() if option.kind == "words" else [line for line in raw.splitlines() if line.strip()]
    return raw


def add_pytest_options(group: Any, skip: tuple[str, ...] = ()) -> None:
    """Add the table's pytest options to a pytest option group (dest ``conformance_<name>``).

    ``skip`` names options another plugin already owns (pytest-base-url's ``--base-url``).
    """
    for option in OPTIONS:
        if not option.pytest or option.name in skip:
            continue
        kwargs: dict[str, Any] = {
            "dest": f"conformance_{option.name}",
            "default": _from_env(option),
            "help": f"{option.help} [{option.env}]",
        }
        if option.kind == "flag":
            kwargs["action"] = "store_true"
        elif option.kind == "choice":
            kwargs["choices"] = option.choices
        elif option.kind in _PARSE:
            kwargs["type"] = _PARSE[option.kind]
        if option.multiple:
            kwargs["action"] = "append"
        group.addoption(option.pytest_flag, **kwargs)


# ------------------------------------------------------------------------------ a run's values
NAMES = frozenset(option.name for option in OPTIONS)


def _default(option: Option) -> Any:
    if option.multiple:
        return ()
    return False if option.kind == "flag" and option.default is None else option.default


class RunOptions:
    """A run's value of every option of the table (its default where none was given), read as
    attributes: ``options.seed``. ``pytest_args`` are extra arguments for pytest (programs only)."""

    def __init__(self, pytest_args: list[str] | None = None, **values: Any) -> None:
        unknown = sorted(set(values) - NAMES)
        if unknown:
            raise TypeError(f"unknown option {unknown[0]!r}")
        merged = {option.name: _default(option) for option in OPTIONS}
        merged.update({name: tuple(v) if isinstance(v, list) else v for name, v in values.items()})
        object.__setattr__(self, "_values", merged)
        object.__setattr__(self, "pytest_args", list(pytest_args or []))

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in NAMES:
            raise AttributeError(f"no option {name!r}")
        self._values[name] = value

    def __repr__(self) -> str:
        return f"RunOptions(profile={self.profile!r}, seed={self.seed!r}, ...)"

    @classmethod
    def from_pytest(cls, config: Any, base_url: str | None = None) -> RunOptions:
        """The values of a pytest run's options (the table's pytest options; the others keep their
        defaults). ``base_url``: pytest-base-url's value, when that plugin owns ``--base-url``."""
        values = {
            option.name: config.getoption(f"conformance_{option.name}", default=_default(option))
            for option in OPTIONS
            if option.pytest
        }
        if base_url:
            values["base_url"] = base_url
        return cls(**{name: value for name, value in values.items() if value is not None})

    @property
    def selects(self) -> bool:
        """Whether the run selects part of the suite (``-k``, ``--requirement``, ``--area``)."""
        return bool(self.select or self.requirement or self.area)

    def picked(self) -> str | None:
        """``--requirement`` and ``--area`` in the words of the command line, or None."""
        words = [f"--requirement {rid}" for rid in self.requirement]
        words += [f"--area {area}" for area in self.area]
        return " ".join(words) or None

    def selection(self, quoted: bool = False) -> str | None:
        """The selection in the words of the command line (``-k``'s expression quoted when asked), or None."""
        words = [self.picked() or ""]
        if self.select:
            words.append(f"-k {self.select!r}" if quoted else f"-k {self.select}")
        return " ".join(word for word in words if word) or None

    def reported(self) -> dict[str, Any]:
        """The values report.json records, by option name."""
        return {option.name: self._values[option.name] for option in OPTIONS if option.reported}

    def secrets(self) -> list[str]:
        """The credentials the options hold (to mask wherever text is shown)."""
        found = [self.token, self.account_token, self.second_account_token, *proxy_secrets(self.proxy)]
        for line in self.secret_header:
            found.append(str(line).partition(":")[2].strip())
        return [value for value in found if value]
