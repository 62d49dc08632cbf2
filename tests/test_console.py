"""The console of ``conformance run``: results on stdout, progress and diagnostics on stderr.

Each stream is asserted on by itself, written to a pipe (a CI log) and to a terminal (a pty of 80
columns): the verdict comes first on stdout, each failed requirement with its reason and its anchor
in report.html; a line per area and each failed check with its parameter on stderr; nothing is cut
or wrapped inside a word at 80 columns; a run of the bundled server ends by saying how to point the
suite at your own.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from rich.console import Console

from conformance.reference import serve_in_thread
from conformance.run.bridge import PlannedCheck, RunCounters
from conformance.run.progress import LineProgress, check_label, fit_words
from tests._runs import run_cli, target_args
from tests.faults import all_faults

#: a fault that fails a parametrised check (one case per operation)
FAULT = next(f for f in all_faults() if f.name == "auth-missing-authorization-accepted")
ARGS = ["--area", "AUTH", "--max-examples", "2"]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")


def _words(text: str) -> str:
    return " ".join(text.split())


def _check_fragments_fit(text: str, width: int = 80) -> list[str]:
    fragments = [part for part in re.split(r"\r\n|\r|\n", _ANSI.sub("", text)) if part.strip()]
    for fragment in fragments:
        assert len(fragment.rstrip()) <= width, fragment
        # an ellipsis stands for whole words left out, never for the end of a cut word
        assert not re.search(r"\w…", fragment), fragment
    return fragments


def test_results_go_to_stdout_and_progress_to_stderr_without_a_terminal(tmp_path):
    with serve_in_thread(FAULT.build()) as server:
        run = run_cli([*target_args(server.base_url), *ARGS], tmp_path, env={"COLUMNS": "80"})
    assert run.code == 1, run.stderr[-2000:]
    out = run.stdout.splitlines()
    assert out[0].startswith("FAIL (gate fail): ")
    html = str(tmp_path / "report.html")
    failed = [line for line in out if line.startswith("fail ")]
    assert len(failed) == 1 and "LEADS-AUTH-001 (MUST) " in failed[0]
    assert failed[0].endswith(" report.html#LEADS-AUTH-001")
    # its one-line reason is the failure's message, with the check (and its parameter) it came from
    auth = next(r for r in run.report["requirements"] if r["id"] == "LEADS-AUTH-001")
    message = auth["failures"][0]["message"]
    assert _words(message)[:60] in failed[0] and "(check: missing authorization gets 401 [" in failed[0]
    assert out[-1] == f"report: {html}"
    assert not any(line.startswith(("AUTH ", "✗", "leads-conformance ")) for line in out)

    err = run.stderr.splitlines()
    assert err[0].startswith("leads-conformance ")
    assert f"certifying {run.report['target']['base_url']}" in err[0]
    area_line = re.compile(r"AUTH +\d+ checks: .*passed.* \(\d+\.\d s, \d+ requests\)")
    assert any(area_line.fullmatch(line) for line in err)
    failing = [line for line in err if line.startswith("✗ AUTH failed: ")]
    # a parametrised check prints its parameter: one line per operation, none repeated
    assert {line.removeprefix("✗ AUTH failed: ") for line in failing} >= {
        "missing authorization gets 401 [list]",
        "missing authorization gets 401 [create]",
        "missing authorization gets 401 [retrieve]",
    }
    assert len(failing) == len(set(failing))
    assert not any(line.startswith(("FAIL", "fail ", "report: ")) for line in err)
    _check_fragments_fit(run.stderr)


def _read_all(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        into.append(chunk)


def _terminal(columns: int) -> tuple[int, int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    return master, slave


def test_on_a_terminal_of_80_columns_nothing_is_cut_or_wrapped_inside_a_word(tmp_path):
    out_master, out_slave = _terminal(80)
    err_master, err_slave = _terminal(80)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    environment.update(COLUMNS="80", TERM="xterm-256color")
    environment.pop("NO_COLOR", None)
    outputs: dict[str, list[bytes]] = {"out": [], "err": []}
    with serve_in_thread(FAULT.build()) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance", *target_args(server.base_url), *ARGS,
             "--report-dir", "out"],
            cwd=tmp_path, env=environment, stdin=subprocess.DEVNULL, stdout=out_slave, stderr=err_slave,
        )
        os.close(out_slave)
        os.close(err_slave)
        readers = [
            threading.Thread(target=_read_all, args=(out_master, outputs["out"])),
            threading.Thread(target=_read_all, args=(err_master, outputs["err"])),
        ]
        for reader in readers:
            reader.start()
        code = process.wait(timeout=300)
        for reader in readers:
            reader.join(timeout=30)
    os.close(out_master)
    os.close(err_master)
    stdout = b"".join(outputs["out"]).decode("utf-8", "replace")
    stderr = b"".join(outputs["err"]).decode("utf-8", "replace")
    assert code == 1, stderr[-2000:]

    out_lines = _check_fragments_fit(stdout)
    assert out_lines[0].startswith("FAIL (gate fail): ")
    shown = _words(" ".join(out_lines))
    # wrapped at word boundaries only: every word of the verdict and of the result is whole
    assert _words(_summary(tmp_path / "out")) in shown
    assert "LEADS-AUTH-001 (MUST)" in shown and "report.html#LEADS-AUTH-001" in shown
    assert "report: out/report.html" in out_lines

    err_lines = _check_fragments_fit(stderr)
    said = _words(" ".join(err_lines))
    assert "✗ AUTH failed: missing authorization gets 401 [list]" in said
    assert any(re.match(r"AUTH +\d+ checks: ", line) for line in err_lines)
    assert "FAIL (gate fail)" not in said


def _summary(folder: Path) -> str:
    import json

    from conformance.run.console import summary_line

    return summary_line(json.loads((folder / "report.json").read_text()))


def test_a_run_of_the_bundled_server_ends_by_saying_how_to_certify_your_own(tmp_path):
    run = run_cli(["run", "--area", "RETRIEVE", "--max-examples", "2"], tmp_path, env={"COLUMNS": "80"})
    assert run.code == 0, run.stderr[-2000:]
    tail = run.stderr.strip().splitlines()[-6:]
    assert tail[0] == "This run certified the bundled reference server. To certify your own server:"
    assert tail[1].strip() == "conformance run --base-url URL --token KEY --account-token TOKEN \\"
    assert "To certify your own server" not in run.stdout
    assert run.stdout.splitlines()[0].startswith("INCOMPLETE (gate pass)")
    _check_fragments_fit(run.stderr)


def test_without_a_terminal_a_quiet_stretch_still_says_the_run_is_alive():
    stream = io.StringIO()
    progress = LineProgress(Console(file=stream, width=80), interval=0.2)
    check = PlannedCheck("auth.py::test_missing_authorization_gets_401[list]", ("LEADS-AUTH-001",), "AUTH")
    progress.start([check], lambda: RunCounters(requests=12, leads_written=3, seconds=4.2))
    progress.next(check.nodeid)
    time.sleep(0.8)
    progress.advance(check.nodeid, "passed")
    progress.stop()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "running 1 checks"
    assert all(len(line.rstrip()) <= 80 for line in lines)
    said = _words(" ".join(lines))
    beat = (
        "… 4 s elapsed, 12 requests sent, 3 leads written, running AUTH missing authorization gets 401 [list]"
    )
    assert beat in said
    assert lines[-1] == "AUTH     1 check: 1 passed (4.2 s, 12 requests)"


def test_a_check_label_keeps_its_parameter_and_whole_words():
    nodeid = "tenant.py::test_no_list_query_shows_account_a_lead_under_account_b[converted_account_id]"
    label = check_label(nodeid)
    assert label == "no list query shows account a lead under account b [converted_account_id]"
    fitted = fit_words(f"TENANT {label}", 40)
    assert fitted == "TENANT no list … [converted_account_id]"
    for width in range(0, 90):
        fitted = fit_words(f"TENANT {label}", width)
        assert len(fitted) <= width
        assert all(word in f"TENANT {label} …".split() for word in fitted.split()), fitted
