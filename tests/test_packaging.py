"""Packaging and the pytest plugin as the README shows them.

The wheel carries the MIT licence its metadata names, project URLs and Python classifiers; every
third-party package the code imports is declared, and nothing declared goes unused; the README's
plugin line works with pytest-base-url installed (it owns ``--base-url``) and without it; the README's
install lines name what can be installed as written (the name is not on PyPI).
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import shlex
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser

import pytest
from ruamel.yaml import YAML

from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from tests._runs import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
README = (ROOT / "README.md").read_text()
#: declared, and used without an import: as a command or a plugin
USED_WITHOUT_IMPORT = {
    "pytest-xdist": "python -m pytest -n 2 (the README's test command)",
    "pytest-base-url": "tests/test_packaging.py runs the plugin beside it",
    "ruff": "tox -e lint",
    "mypy": "tox -e types",
}


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(1)).lower()


def _imports(folder: str) -> set[str]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    ours = {"conformance", "tests", "benchmarks"}
    return {name for name in found if name not in sys.stdlib_module_names} - ours


def _distributions(modules: set[str]) -> set[str]:
    """The distributions that provide ``modules`` (a module not installed is its own distribution)."""
    provided = importlib.metadata.packages_distributions()
    names = set()
    for module in modules:
        names |= {re.sub(r"[-_.]+", "-", d).lower() for d in provided.get(module, [module])}
    return names


def test_every_imported_package_is_declared_and_every_declared_one_is_used():
    project = PYPROJECT["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = {name: {_name(r) for r in reqs} for name, reqs in project["optional-dependencies"].items()}
    # a module several distributions provide (google: protobuf and others) needs one of them declared
    provided = importlib.metadata.packages_distributions()
    declared = runtime | set().union(*extras.values())
    scopes = (("conformance", runtime | extras["socks"]), ("tests", declared), ("benchmarks", declared))
    for folder, allowed in scopes:
        for module in _imports(folder):
            choices = _distributions({module})
            siblings = {p.stem for p in (ROOT / folder).rglob("*.py")}
            siblings |= {p.parent.name for p in (ROOT / folder).rglob("__init__.py")}
            if module not in provided and module in siblings:
                continue  # a script's sibling module or package, not a distribution
            assert choices & allowed, f"{folder} imports {module} ({sorted(choices)}), which is not declared"
    used = _distributions(_imports("conformance") | _imports("tests") | _imports("benchmarks"))
    unused = {name for name in declared if name not in used and name not in USED_WITHOUT_IMPORT}
    assert unused == set()
    assert set(USED_WITHOUT_IMPORT) <= declared


def test_the_wheel_carries_the_mit_licence_urls_and_python_classifiers(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = tmp_path.glob("leads_conformance-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        found = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(found).decode())
        licence = archive.read(next(n for n in names if n.endswith("/LICENSE"))).decode()
    assert licence == (ROOT / "LICENSE").read_text() and licence.startswith("MIT License\n")
    assert metadata["License"] == "MIT" and metadata["License-File"] == "LICENSE"
    classifiers = metadata.get_all("Classifier")
    assert "License :: OSI Approved :: MIT License" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert metadata["Requires-Python"] == ">=3.11"
    urls = metadata.get_all("Project-URL")
    assert urls and all(url.split(", ", 1)[1].startswith("https://") for url in urls)
    requires = {_name(r) for r in metadata.get_all("Requires-Dist") if "extra ==" not in r}
    assert {"protobuf", "httpcore", "pytest-metadata", "jiter"} <= requires


def _readme_plugin_line() -> list[str]:
    found = re.search(r"`(pytest -p conformance\.run\.plugin [^`]+)`", README.replace("\n", " "))
    assert found, "the README shows no plugin line"
    return shlex.split(found.group(1))


@pytest.mark.parametrize("base_url_plugin", ["installed", "blocked"])
def test_the_readme_plugin_line_works_beside_pytest_base_url(tmp_path, base_url_plugin):
    importlib.metadata.version("pytest-base-url")  # the test extra installs it
    config = ReferenceConfig()
    words = _readme_plugin_line()
    values = {"URL": None, "KEY": config.api_key, "TOKEN": config.account_tokens[0]}
    extra = ["-p", "no:base_url"] if base_url_plugin == "blocked" else []
    with serve_in_thread(create_app(config)) as server:
        values["URL"] = server.base_url
        command = [values.get(word, word) for word in words][1:]
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *command, "-k", "test_wrong_api_key_gets_401",
             "-p", "no:cacheprovider", *extra],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert re.search(r"\b5 passed\b", done.stdout)
    helped = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conformance.run.plugin", "--help", *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    # pytest-base-url's own option is there when it is loaded: its --base-url is the one in use
    assert ("--verify-base-url" in helped.stdout) == (base_url_plugin == "installed")
    assert helped.stdout.count("--base-url=") + helped.stdout.count("--base-url ") >= 1


def test_the_readme_install_lines_can_be_run_as_written():
    blocks = re.findall(r"```(?:yaml|yml)\n(.*?)```", README, re.DOTALL)
    workflows = [YAML(typ="safe").load(block) for block in blocks]
    documents = [document for document in workflows if isinstance(document, dict)]
    steps_of = [job["steps"] for document in documents for job in (document.get("jobs") or {}).values()]
    steps_of += [document["steps"] for document in documents if "steps" in document]
    installs = 0
    for steps in steps_of:
        checked_out = False
        for step in steps:
            uses = step.get("uses", "")
            checked_out = checked_out or uses.startswith("actions/checkout@")
            if "pip install" in str(step.get("run", "")) or uses == "./":
                installs += 1
                # the suite is installed from the repository the job checked out, never by a name PyPI lacks
                assert checked_out, step
                assert step.get("run", "pip install .") == "pip install ."
    assert installs >= 2
    assert "pip install leads-conformance" not in README
    for line in re.findall(r"pip install [^`\n]*", README):
        assert not re.match(r"pip install leads-conformance\b", line), line


def test_beside_pytest_base_url_the_plugin_still_reads_conformance_base_url(tmp_path):
    config = ReferenceConfig()
    with serve_in_thread(create_app(config)) as server:
        environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        environment["CONFORMANCE_BASE_URL"] = server.base_url
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "conformance.run.plugin", "--pyargs", "conformance.suite",
             "-o", "python_files=*.py", "--token", config.api_key,
             "--account-token", config.account_tokens[0], "-k", "test_wrong_api_key_gets_401",
             "-p", "no:cacheprovider"],
            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=environment,
        )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert re.search(r"\b5 passed\b", done.stdout)
