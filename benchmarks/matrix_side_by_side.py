"""A matrix of four targets beside the same four certified one after another, in one run.

The targets are the bundled reference server, two broken servers of ``tests/faults`` and one
conformant variant of ``tests/variants``, served on loopback by this script. The script prints the
wall time of ``conformance matrix --jobs N`` and of four ``conformance run`` one after another, their
ratio, whether every target got the same verdict and gate both ways, and whether ``matrix --merge``
of the matrix run's report folders gives the same matrix content, and of the four separate runs'
folders the same cells.

Run: ``python benchmarks/matrix_side_by_side.py [--jobs 2] [--max-examples 8]`` (a few minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.matrix.build import content_of  # noqa: E402
from conformance.reference import ReferenceConfig, serve_in_thread  # noqa: E402
from tests.faults import all_faults  # noqa: E402
from tests.variants import VARIANTS  # noqa: E402

FAULTS = ("retrieve-unknown-id-500", "auth-wrong-api-key-accepted")
VARIANT = "newest-first-signed-cursors"
SEED = 20261126
CREDENTIALS = ReferenceConfig()
ENV = {
    "BENCH_TOKEN": CREDENTIALS.api_key,
    "BENCH_ACCOUNT": CREDENTIALS.account_tokens[0],
    "BENCH_SECOND": CREDENTIALS.account_tokens[1],
}


def conformance(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    return time.monotonic() - started, done.returncode


def verdicts(folder: Path) -> tuple[str, str]:
    report = json.loads((folder / "report.json").read_text())
    return report["verdict"], report["gate"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-examples", type=int, default=8)
    options = parser.parse_args()
    builds = {f.name: f.build for f in all_faults() if f.name in FAULTS}
    builds |= {v.name: v.build for v in VARIANTS if v.name == VARIANT}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")} | ENV
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        urls = {
            name: stack.enter_context(serve_in_thread(build())).base_url for name, build in builds.items()
        }
        lines = [
            "[defaults]",
            f"max_examples = {options.max_examples}",
            f"seed = {SEED}",
            "",
            "[[target]]",
            'name = "reference"',
            "",
        ]
        for name, url in urls.items():
            lines += [
                "[[target]]",
                f'name = "{name}"',
                f'base_url = "{url}"',
                'token_env = "BENCH_TOKEN"',
                'account_token_env = "BENCH_ACCOUNT"',
                'second_account_token_env = "BENCH_SECOND"',
                "",
            ]
        targets = work / "targets.toml"
        targets.write_text("\n".join(lines))

        matrix_seconds, matrix_code = conformance(
            ["matrix", str(targets), "--jobs", str(options.jobs), "--report-dir", str(work / "matrix")], env
        )
        separate_seconds = 0.0
        common = ["--max-examples", str(options.max_examples), "--seed", str(SEED)]
        for name in ["reference", *urls]:
            args = ["run", *common, "--report-dir", str(work / "separate" / name)]
            if name != "reference":
                args += [
                    "--base-url",
                    urls[name],
                    "--token",
                    ENV["BENCH_TOKEN"],
                    "--account-token",
                    ENV["BENCH_ACCOUNT"],
                    "--second-account-token",
                    ENV["BENCH_SECOND"],
                ]
            seconds, _ = conformance(args, env)
            separate_seconds += seconds
        names = ["reference", *urls]
        same = {
            name: verdicts(work / "matrix" / name) == verdicts(work / "separate" / name) for name in names
        }
        merged_seconds, merged_code = conformance(
            [
                "matrix",
                "--merge",
                *(str(work / "matrix" / n) for n in names),
                "--report-dir",
                str(work / "merged"),
            ],
            env,
        )
        conformance(
            [
                "matrix",
                "--merge",
                *(str(work / "separate" / n) for n in names),
                "--report-dir",
                str(work / "joined"),
            ],
            env,
        )
        direct = content_of(json.loads((work / "matrix" / "matrix.json").read_text()))
        merged = content_of(json.loads((work / "merged" / "matrix.json").read_text()))
        joined = content_of(json.loads((work / "joined" / "matrix.json").read_text()))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; "
        f"--max-examples {options.max_examples}, --jobs {options.jobs}"
    )
    for name in names:
        print(
            f"  {name:32} verdict/gate {'/'.join(verdicts_of(direct, name))}  same as a separate run: "
            f"{'yes' if same[name] else 'NO'}"
        )
    print(f"matrix of {len(names)} targets: {matrix_seconds:6.1f} s (exit {matrix_code})")
    print(f"the same, one after another: {separate_seconds:6.1f} s")
    print(f"ratio matrix / sequential: {matrix_seconds / separate_seconds:.2f}")
    print(
        f"--merge of the matrix run's folders: {merged_seconds:.1f} s (exit {merged_code}); "
        f"same matrix content as the matrix run: {'yes' if merged == direct else 'NO'}"
    )
    print(
        f"--merge of the four separate runs' folders: the same cells as the matrix run: "
        f"{'yes' if joined['cells'] == direct['cells'] else 'NO'}"
    )


def verdicts_of(content: dict, name: str) -> tuple[str, str]:
    target = next(t for t in content["targets"] if t["name"] == name)
    return str(target.get("verdict")), str(target.get("gate"))


if __name__ == "__main__":
    main()
