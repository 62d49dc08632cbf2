"""The targets file (TOML, shape in ``conformance.matrix``): read, check, and resolve its credentials."""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract.catalog import load_catalog
from conformance.outcomes import UsageError
from conformance.reporting.baseline import load_baseline
from conformance.reporting.declared import load_declared
from conformance.run.options import OPTIONS, Option

__all__ = ["BUNDLED", "NAME_PATTERN", "TargetSpec", "load_targets"]

#: the name that, without a base_url, stands for the bundled reference server
BUNDLED = "reference"
#: a target's name is the name of its report folder (and of its console log beside it)
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_CREDENTIAL_KEYS = ("token_env", "account_token_env", "second_account_token_env")
#: the run options a target may set, and [defaults] for every target: the option table's matrix options
SETTINGS: dict[str, Option] = {option.name: option for option in OPTIONS if option.matrix}
_SETTING_KEYS = tuple(SETTINGS)
_TARGET_KEYS = ("name", "base_url", *_CREDENTIAL_KEYS, *_SETTING_KEYS)
_TOP_KEYS = ("target", "defaults")


@dataclass
class TargetSpec:
    """One target of the file, its credentials read from the environment."""

    name: str
    base_url: str | None = None
    token: str | None = field(default=None, repr=False)
    account_token: str | None = field(default=None, repr=False)
    second_account_token: str | None = field(default=None, repr=False)
    #: the run options the file sets for this target, by option name (the others keep their defaults)
    settings: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str) -> Any:
        """The value a run of this target takes for the option ``name``."""
        return self.settings.get(name, SETTINGS[name].default)

    def secrets(self) -> list[str]:
        return [s for s in (self.token, self.account_token, self.second_account_token) if s]

    def arguments(self) -> list[str]:
        """The ``conformance run`` options of this target, credentials left out (they go by environment)."""
        args = ["--base-url", self.base_url] if self.base_url is not None else []
        for name, value in self.settings.items():
            flag = SETTINGS[name].cli_flag
            if isinstance(value, bool):
                args += [flag] if value else []
            else:
                args += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
        return args

    def environment(self) -> dict[str, str]:
        """The credential variables ``conformance run`` reads, for this target."""
        named = {
            "CONFORMANCE_TOKEN": self.token,
            "CONFORMANCE_ACCOUNT_TOKEN": self.account_token,
            "CONFORMANCE_SECOND_ACCOUNT_TOKEN": self.second_account_token,
        }
        return {key: value for key, value in named.items() if value}


def load_targets(path: Path, environ: Mapping[str, str] | None = None) -> list[TargetSpec]:
    """Read and check a targets file; anything wrong is a one-line UsageError naming the file."""
    environ = os.environ if environ is None else environ
    try:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"TARGETS_FILE {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"TARGETS_FILE: cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid TOML: {str(exc).splitlines()[0]}") from None
    return _targets(Path(path), document, environ)


def _targets(path: Path, document: dict[str, Any], environ: Mapping[str, str]) -> list[TargetSpec]:
    _no_unknown_keys(path, "the file", document, _TOP_KEYS)
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        raise UsageError(f"{path}: defaults must be a table ([defaults])")
    _no_unknown_keys(path, "[defaults]", defaults, _SETTING_KEYS)
    tables = document.get("target")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise UsageError(f"{path}: name at least one target, each in a [[target]] table")
    catalog_ids = [r.id for r in load_catalog()]
    targets: list[TargetSpec] = []
    seen: dict[str, str] = {}
    for index, table in enumerate(tables, 1):
        target = _target(path, index, {**defaults, **table}, environ, catalog_ids)
        folded = target.name.lower()
        if folded in seen:
            raise UsageError(f"{path}: two targets are named {target.name!r} (names must differ, case aside)")
        seen[folded] = target.name
        targets.append(target)
    return targets


def _no_unknown_keys(path: Path, where: str, table: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise UsageError(
            f"{path}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            f"in {where} "
            f"(known: {', '.join(allowed)})"
        )


def _target(
    path: Path, index: int, table: dict[str, Any], environ: Mapping[str, str], catalog_ids: list[str]
) -> TargetSpec:
    name = table.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise UsageError(
            f"{path}: target {index} needs a name of 1 to 64 letters, digits, '-' or '_' (got {name!r})"
        )
    where = f"{path}: target {name!r}"
    _no_unknown_keys(path, f"target {name!r}", table, _TARGET_KEYS)
    spec = TargetSpec(name=name)
    base_url = table.get("base_url")
    if base_url is None:
        if name != BUNDLED:
            raise UsageError(
                f"{where} has no base_url (only {BUNDLED!r} may leave it out: the bundled server)"
            )
        given = [key for key in _CREDENTIAL_KEYS if key in table]
        if given:
            raise UsageError(
                f"{where} is the bundled server, which makes its own credentials: drop {given[0]}"
            )
    else:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise UsageError(f"{where}: base_url must be a string starting with http:// or https://")
        if any(character.isspace() for character in base_url):
            raise UsageError(f"{where}: base_url must not contain white space")
        spec.base_url = base_url
        spec.token = _credential(where, table, "token_env", environ, required=True)
        spec.account_token = _credential(where, table, "account_token_env", environ, required=True)
        spec.second_account_token = _credential(where, table, "second_account_token_env", environ)
    spec.settings = {
        name: _setting(where, path, option, table[name], catalog_ids)
        for name, option in SETTINGS.items()
        if name in table
    }
    return spec


def _credential(
    where: str, table: dict[str, Any], key: str, environ: Mapping[str, str], required: bool = False
) -> str | None:
    variable = table.get(key)
    if variable is None:
        if required:
            raise UsageError(f"{where} needs {key} (the environment variable that holds it)")
        return None
    if not isinstance(variable, str) or not _ENV_NAME.fullmatch(variable):
        raise UsageError(f"{where}: {key} must name an environment variable (got {variable!r})")
    value = environ.get(variable)
    if not value:
        raise UsageError(f"{where}: the environment variable {variable} ({key}) is not set")
    return value


def _setting(where: str, path: Path, option: Option, value: Any, catalog_ids: list[str]) -> Any:
    """A run option the table sets, checked as its kind in the option table says."""
    name, kind = option.name, option.kind
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "choice":
        if value not in option.choices:
            raise UsageError(f"{where}: {name} must be one of {', '.join(option.choices)} (got {value!r})")
        return value
    if kind in ("int", "count"):
        least = int(option.minimum or 0)
        if kind == "count" and value == "all":
            return value
        if not number or not float(value).is_integer() or value < least:
            raise UsageError(f"{where}: {name} must be a whole number of at least {least} (got {value!r})")
        return int(value)
    if kind == "flag":
        if not isinstance(value, bool):
            raise UsageError(f"{where}: {name} must be true or false (got {value!r})")
        return value
    if kind == "float":
        if not number or not math.isfinite(value) or value <= 0:
            raise UsageError(f"{where}: {name} must be a positive number of seconds (got {value!r})")
        return float(value)
    if kind == "file":
        if not isinstance(value, str) or not value:
            raise UsageError(f"{where}: {name} must be a file name")
        found = (path.parent / value).resolve()
        if not found.is_file():
            raise UsageError(f"{where}: the {name} file {found} does not exist")
        try:
            _FILE_CHECKS.get(name, lambda _path, _ids: None)(found, catalog_ids)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
        return found
    if not isinstance(value, str):
        raise UsageError(f"{where}: {name} must be a string (got {value!r})")
    return value


#: files a target names that are read before any run starts, so a bad one stops the matrix at once
_FILE_CHECKS: dict[str, Any] = {
    "baseline": load_baseline,
    "declared": lambda found, _ids: load_declared(found),
}
