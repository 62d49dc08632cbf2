"""Running ``conformance run`` as a user does (a subprocess), against a served app."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.reference import ReferenceConfig, create_app

ROOT = Path(__file__).resolve().parent.parent
#: bounded generation with a fixed seed for the self-test matrix
SELFTEST_ARGS = ["--max-examples", "8", "--seed", "20261126"]
CREDENTIALS = ReferenceConfig()


@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None
    folder: Path

    def statuses(self) -> dict[str, str]:
        assert self.report is not None, self.stderr[-3000:]
        return {r["id"]: r["status"] for r in self.report["requirements"]}

    def requirement(self, rid: str) -> dict[str, Any]:
        assert self.report is not None, self.stderr[-3000:]
        return next(r for r in self.report["requirements"] if r["id"] == rid)

    def broken(self) -> set[str]:
        return {rid for rid, status in self.statuses().items() if status in ("fail", "warn")}


def run_cli(args: list[str], folder: Path, env: dict[str, str] | None = None, timeout: float = 600) -> CliRun:
    """``python -m conformance <args> --report-dir folder``; the report is read back when written."""
    command = [sys.executable, "-m", "conformance", *args]
    if args and args[0] == "run":
        command += ["--report-dir", str(folder)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    environment.update(env or {})
    done = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    report_file = folder / "report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else None
    return CliRun(done.returncode, done.stdout, done.stderr, report, folder)


def target_args(base_url: str, second: bool = True) -> list[str]:
    args = [
        "run",
        "--base-url",
        base_url,
        "--token",
        CREDENTIALS.api_key,
        "--account-token",
        CREDENTIALS.account_tokens[0],
    ]
    if second:
        args += ["--second-account-token", CREDENTIALS.account_tokens[1]]
    return args


def hangs_on_post() -> ASGIApp:
    """The reference server, except that every POST is held for an hour: a target that hangs on writes."""
    app = create_app(ReferenceConfig())

    async def hanging(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            await asyncio.sleep(3600)
        await app(scope, receive, send)

    return hanging


def free_port() -> int:
    """A loopback port nothing listens on (free when this returns)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
