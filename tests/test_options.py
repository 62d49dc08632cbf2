"""One option table drives both surfaces: ``conformance run`` and the pytest plugin."""

from __future__ import annotations

import subprocess
import sys

import click

from conformance.cli import cli
from conformance.run.options import OPTIONS, PYTEST_OWNED
from tests._runs import ROOT


def _run_params() -> dict[str, click.Option]:
    command = cli.commands["run"]
    return {param.name: param for param in command.params if isinstance(param, click.Option)}


def test_every_run_option_comes_from_the_table_with_its_variable_and_default():
    params = _run_params()
    assert sorted(params) == sorted(option.name for option in OPTIONS)
    for option in OPTIONS:
        param = params[option.name]
        assert option.cli_flag in param.opts, option.name
        assert param.envvar == f"CONFORMANCE_{option.name.upper()}"
        if option.default is not None and option.kind != "flag":
            assert param.default == option.default, option.name


def _pytest_help() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.run.plugin", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_plugin_offers_the_same_options_under_the_same_names():
    text = _pytest_help()
    shared = [option for option in OPTIONS if option.pytest]
    assert shared, "no option is shared with the plugin"
    # pytest-base-url, when installed, owns --base-url (its help, PYTEST_BASE_URL); the plugin reads it
    shared_with_base_url = "--verify-base-url" in text
    for option in shared:
        assert option.pytest_flag in text, option.pytest_flag
        if option.name == "base_url" and shared_with_base_url:
            continue
        assert f"[{option.env}]" in text, option.env
        if option.cli_flag not in PYTEST_OWNED:
            assert option.pytest_flag == option.cli_flag
    # pytest itself owns --strict: the plugin's spelling is the prefixed one
    assert "--conformance-strict" in text and "--conformance-timeout" in text


def test_the_plugin_alone_does_not_start_a_server(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.run.plugin", "--pyargs", "conformance.suite",
         "-o", "python_files=*.py", "-k", "test_wrong_api_key_gets_401", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "--base-url is required" in output
