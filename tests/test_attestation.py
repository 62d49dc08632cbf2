"""The certification record of a report folder: what attestation.json holds, and what verify catches."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.cli import cli
from conformance.contract.catalog import catalog_path
from conformance.outcomes import UsageError
from conformance.reporting.attestation import (
    ATTESTATION,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    RUN_FIELD,
    check_sign_key,
    load_public_key,
    write_attestation,
)
from conformance.reporting.verify import verify_folder
from tests._runs import run_cli

CATALOG_SHA256 = hashlib.sha256(catalog_path().read_bytes()).hexdigest()


def _report(verdict: str = "fail", catalog_sha256: str = CATALOG_SHA256) -> dict[str, Any]:
    """A minimal report.json document."""
    statuses = {
        "LEADS-AUTH-001": "pass",
        "LEADS-AUTH-002": "warn",
        "LEADS-CREATE-001": "fail",
        "LEADS-CREATE-002": "known",
        "LEADS-TENANT-001": "skip",
        "LEADS-LIST-001": "inconclusive",
    }
    return {
        "format_version": "2.0",
        "suite": {"name": "leads-conformance", "version": "0.0.7"},
        "spec": {"path": "specs/leads.openapi.yaml", "sha256": "ab" * 32, "catalog_sha256": catalog_sha256},
        "target": {"base_url": "http://127.0.0.1:8000/api", "bundled": None},
        "run_id": "lc-20261202-abcdef",
        "verdict": verdict,
        "gate": "fail" if verdict == "fail" else "pass",
        "certification": verdict == "pass",
        "mode": "check",
        "strict": False,
        "started_at": "2026-12-02T10:15:00Z",
        "finished_at": "2026-12-02T10:15:20Z",
        "requirements": [
            {"id": rid, "level": "MUST", "title": rid, "status": status, "tests": [], "failures": []}
            for rid, status in statuses.items()
        ],
    }


def _folder(tmp_path: Path, report: dict[str, Any] | None = None, name: str = "reports") -> Path:
    """A report folder with its usual files (and one in a subfolder), without its record."""
    folder = tmp_path / name
    (folder / "extra").mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report or _report(), indent=2) + "\n")
    (folder / "report.html").write_text("<!doctype html><title>r</title><p>fail</p>\n")
    (folder / "evidence.ndjson").write_text('{"check": "a", "status": 201}\n{"check": "b", "status": 401}\n')
    (folder / "junit.xml").write_text('<?xml version="1.0"?>\n<testsuite tests="6"/>\n')
    (folder / "extra" / "suite-errors.log").write_text("== check\nboom\n")
    return folder


def _key_pair(tmp_path: Path, name: str = "sign") -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / f"{name}.pem"
    public = tmp_path / f"{name}.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _statement(folder: Path) -> dict[str, Any]:
    document = json.loads((folder / ATTESTATION).read_text())
    if "payload" in document:
        return json.loads(base64.b64decode(document["payload"]))
    return document


def _names(problems: list[str]) -> set[str]:
    return {problem.split(": ", 1)[0] for problem in problems}


def test_the_record_is_a_test_result_statement_over_every_other_file(tmp_path):
    folder = _folder(tmp_path)
    path = write_attestation(folder, _report())
    assert path == folder / ATTESTATION
    statement = _statement(folder)
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    names = [subject["name"] for subject in statement["subject"]]
    assert names == sorted(
        ["evidence.ndjson", "extra/suite-errors.log", "junit.xml", "report.html", "report.json"]
    )
    for subject in statement["subject"]:
        assert subject["digest"] == {
            "sha256": hashlib.sha256((folder / subject["name"]).read_bytes()).hexdigest()
        }
    predicate = statement["predicate"]
    assert predicate["result"] == "FAILED"
    assert predicate["passedTests"] == ["LEADS-AUTH-001"]
    assert predicate["failedTests"] == ["LEADS-CREATE-001", "LEADS-CREATE-002"]
    assert predicate["warnedTests"] == ["LEADS-AUTH-002"]
    assert predicate["configuration"] == [
        {"name": "specs/leads.openapi.yaml", "digest": {"sha256": "ab" * 32}},
        {"name": "specs/requirements.yaml", "digest": {"sha256": CATALOG_SHA256}},
    ]
    run = predicate[RUN_FIELD]
    assert (run["verdict"], run["gate"], run["certification"]) == ("fail", "fail", False)
    assert run["runId"] == "lc-20261202-abcdef"
    assert run["skippedTests"] == ["LEADS-TENANT-001"]
    assert run["inconclusiveTests"] == ["LEADS-LIST-001"]
    assert "signer" not in run


@pytest.mark.parametrize(
    ("verdict", "result"), [("pass", "PASSED"), ("fail", "FAILED"), ("incomplete", "WARNED")]
)
def test_the_result_follows_the_verdict(tmp_path, verdict, result):
    folder = _folder(tmp_path, _report(verdict))
    write_attestation(folder, _report(verdict))
    assert _statement(folder)["predicate"]["result"] == result
    assert verify_folder(folder).ok


def test_an_intact_folder_verifies(tmp_path):
    folder = _folder(tmp_path)
    write_attestation(folder, _report())
    result = verify_folder(folder)
    assert result.ok, result.problems
    assert result.problems == []
    assert (result.files, result.verdict, result.gate, result.certification) == (5, "fail", "fail", False)
    assert not result.signed and result.keyid is None
    assert result.suite_version == "0.0.7"


def _positions(data: bytes, samples: int) -> list[int]:
    """Byte positions spread over ``data``: both ends, an even spread, and its first whitespace bytes."""
    stride = max(1, len(data) // samples)
    spaces = [i for i, byte in enumerate(data) if byte in b" \n"][:8]
    return sorted({0, len(data) - 1, *range(0, len(data), stride), *spaces})


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_a_changed_byte_is_reported_with_its_file(tmp_path, signed):
    folder = _folder(tmp_path)
    private, public = _key_pair(tmp_path)
    write_attestation(folder, _report(), private if signed else None)
    assert verify_folder(folder).ok
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        original = path.read_bytes()
        for position in _positions(original, 250 if name == ATTESTATION else 12):
            changed = bytearray(original)
            changed[position] ^= 0x01
            path.write_bytes(bytes(changed))
            result = verify_folder(folder)
            assert not result.ok, (name, position)
            assert name in _names(result.problems), (name, position, result.problems)
        path.write_bytes(original)
    assert verify_folder(folder).ok


def test_a_whitespace_change_in_the_record_is_reported(tmp_path):
    folder = _folder(tmp_path)
    write_attestation(folder, _report())
    record = folder / ATTESTATION
    original = record.read_text()
    for changed in (
        original.replace("\n  ", "\n\t", 1),
        original.replace(": ", ":  ", 1),
        original.rstrip("\n"),
        original + "\n",
        original.replace("\n", "\r\n"),
        json.dumps(json.loads(original)),
    ):
        record.write_text(changed, newline="")
        result = verify_folder(folder)
        assert not result.ok
        assert _names(result.problems) == {ATTESTATION}, result.problems


def test_an_added_and_a_removed_file_are_reported(tmp_path):
    folder = _folder(tmp_path)
    write_attestation(folder, _report())
    (folder / "extra" / "notes.txt").write_text("added later\n")
    (folder / "junit.xml").unlink()
    result = verify_folder(folder)
    assert not result.ok
    assert result.problems == [
        "extra/notes.txt: not in the record (added after it was written)",
        "junit.xml: missing (the record lists it)",
    ]


def test_a_symbolic_link_is_reported(tmp_path):
    folder = _folder(tmp_path)
    write_attestation(folder, _report())
    (folder / "report.html").unlink()
    (folder / "report.html").symlink_to(tmp_path / "elsewhere.html")
    result = verify_folder(folder)
    assert not result.ok
    assert _names(result.problems) == {"report.html"}


def test_a_record_that_disagrees_with_report_json_is_reported(tmp_path):
    folder = _folder(tmp_path, _report("fail"))
    write_attestation(folder, _report("pass"))
    result = verify_folder(folder)
    assert not result.ok
    assert f"{ATTESTATION}: the record's result disagrees with report.json" in result.problems
    assert f"{ATTESTATION}: the record's verdict disagrees with report.json" in result.problems
    assert not any("passedTests" in problem for problem in result.problems)


def test_a_signed_record_verifies_with_its_public_key_only(tmp_path):
    folder = _folder(tmp_path)
    private, public = _key_pair(tmp_path)
    _, other = _key_pair(tmp_path, "other")
    write_attestation(folder, _report(), private)
    document = json.loads((folder / ATTESTATION).read_text())
    assert document["payloadType"] == PAYLOAD_TYPE
    assert [s["keyid"] for s in document["signatures"]] == [check_sign_key(private)]

    pinned = verify_folder(folder, public)
    assert pinned.ok, pinned.problems
    assert pinned.signed and pinned.signer_pinned and pinned.keyid == load_public_key(public).keyid

    unpinned = verify_folder(folder)
    assert unpinned.ok and unpinned.signed and not unpinned.signer_pinned

    wrong = verify_folder(folder, other)
    assert not wrong.ok
    assert _names(wrong.problems) == {ATTESTATION}
    assert "signature does not verify with the --public-key" in wrong.problems[0]


def test_an_unsigned_record_fails_when_a_public_key_is_given(tmp_path):
    folder = _folder(tmp_path)
    _, public = _key_pair(tmp_path)
    write_attestation(folder, _report())
    result = verify_folder(folder, public)
    assert not result.ok
    assert result.problems == [f"{ATTESTATION}: not signed (a --public-key was given)"]


def test_a_signed_record_stripped_of_its_envelope_is_reported(tmp_path):
    folder = _folder(tmp_path)
    private, _ = _key_pair(tmp_path)
    write_attestation(folder, _report(), private)
    payload = json.loads((folder / ATTESTATION).read_text())["payload"]
    (folder / ATTESTATION).write_bytes(base64.b64decode(payload))
    result = verify_folder(folder)
    assert not result.ok
    assert any("names a signer but carries no signature" in p for p in result.problems), result.problems


def test_a_record_made_with_another_catalog_names_its_version(tmp_path):
    report = _report(catalog_sha256="0" * 64)
    folder = _folder(tmp_path, report)
    write_attestation(folder, report)
    result = verify_folder(folder)
    assert not result.ok
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"{ATTESTATION}: made with another requirement catalog")
    assert "leads-conformance 0.0.7" in result.problems[0]


def _rsa_key(path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def test_a_bad_sign_key_is_a_one_line_usage_error(tmp_path):
    private, public = _key_pair(tmp_path)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    for bad in (
        tmp_path / "missing.pem",
        garbage,
        public,
        encrypted,
        _rsa_key(tmp_path / "rsa.pem"),
        tmp_path,
    ):
        with pytest.raises(UsageError) as caught:
            check_sign_key(bad)
        assert "\n" not in str(caught.value) and str(caught.value).startswith("--sign-key")
        folder = _folder(tmp_path, name=f"reports-{bad.name}")
        with pytest.raises(UsageError):
            write_attestation(folder, _report(), bad)
        assert not (folder / ATTESTATION).exists()
    assert len(check_sign_key(private)) == 64


def test_a_bad_public_key_is_a_usage_error(tmp_path):
    private, _ = _key_pair(tmp_path)
    folder = _folder(tmp_path)
    write_attestation(folder, _report(), private)
    for bad in (tmp_path / "missing.pub", private, _rsa_key(tmp_path / "rsa.pem")):
        with pytest.raises(UsageError) as caught:
            verify_folder(folder, bad)
        assert str(caught.value).startswith("--public-key") and "\n" not in str(caught.value)


def _verify(*args: str):
    return CliRunner().invoke(cli, ["verify", *args])


def test_verify_command_exit_statuses(tmp_path):
    folder = _folder(tmp_path)
    private, public = _key_pair(tmp_path)
    write_attestation(folder, _report(), private)

    intact = _verify(str(folder), "--public-key", str(public))
    assert intact.exit_code == 0, intact.output
    assert intact.stdout.splitlines() == [
        f"VERIFIED: report folder {folder} is intact (5 files); verdict fail, gate fail, "
        f"certification false; signed by {check_sign_key(private)}"
    ]

    (folder / "report.html").write_text("<!doctype html><title>r</title><p>pass</p>\n")
    tampered = _verify(str(folder))
    assert tampered.exit_code == 1
    assert tampered.stdout.splitlines() == [
        "report.html: sha256 differs from the record",
        f"NOT VERIFIED: report folder {folder}: 1 problem",
    ]

    empty = tmp_path / "empty"
    empty.mkdir()
    for args in ([str(tmp_path / "nowhere")], [str(empty)], [str(folder), "--public-key", str(private)]):
        usage = _verify(*args)
        assert usage.exit_code == 2, (args, usage.output)
        lines = [line for line in usage.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("conformance: error: "), usage.stderr
        assert "Traceback" not in usage.output


def test_verify_command_as_a_user_runs_it(tmp_path):
    folder = _folder(tmp_path)
    write_attestation(folder, _report())
    assert run_cli(["verify", str(folder)], tmp_path).code == 0
    missing = run_cli(["verify", str(tmp_path / "nowhere")], tmp_path)
    assert missing.code == 2
    assert missing.stderr.strip().splitlines() == [
        f"conformance: error: REPORT_DIR {tmp_path / 'nowhere'} does not exist"
    ]
