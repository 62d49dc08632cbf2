"""The record of a report folder: the in-toto Statement, its DSSE signature, and verify."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.contract.catalog import catalog_path
from conformance.contract.fragment import fragment_sha256
from conformance.outcomes import UsageError
from conformance.reporting.attestation import (
    PREDICATE_TYPE,
    check_sign_key,
    write_attestation,
)
from conformance.reporting.verify import verify_folder
from tests._runs import ROOT


def _report(catalog_sha: str | None = None) -> dict:
    import hashlib

    return {
        "suite": {"name": "leads-conformance", "version": "0.1.0"},
        "spec": {
            "path": "specs/leads.openapi.yaml",
            "sha256": fragment_sha256(),
            "catalog_sha256": catalog_sha or hashlib.sha256(catalog_path().read_bytes()).hexdigest(),
        },
        "verdict": "fail",
        "gate": "pass",
        "certification": False,
        "requirements": [
            {"id": "LEADS-AUTH-001", "status": "pass"},
            {"id": "LEADS-AUTH-002", "status": "known"},
            {"id": "LEADS-AUTH-005", "status": "warn"},
            {"id": "LEADS-PAGE-004", "status": "skip"},
        ],
    }


def _folder(tmp_path, report=None, key=None):
    folder = tmp_path / "run"
    (folder / "sub").mkdir(parents=True)
    report = report or _report()
    (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (folder / "report.html").write_text("<!doctype html><p>  report </p>\n")
    (folder / "evidence.ndjson").write_text('{"check":"a"}\n{"check":"b"}\n')
    (folder / "sub" / "extra.txt").write_text("nested file\n")
    write_attestation(folder, report, key)
    return folder


def _keys(tmp_path):
    private = Ed25519PrivateKey.generate()
    key = tmp_path / "key.pem"
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = tmp_path / "key.pub"
    public.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key, public


def test_statement_lists_every_file_and_the_result(tmp_path):
    folder = _folder(tmp_path)
    statement = json.loads((folder / "attestation.json").read_text())
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    names = [s["name"] for s in statement["subject"]]
    assert names == ["evidence.ndjson", "report.html", "report.json", "sub/extra.txt"]
    predicate = statement["predicate"]
    assert predicate["result"] == "FAILED"
    assert predicate["passedTests"] == ["LEADS-AUTH-001"]
    assert predicate["failedTests"] == ["LEADS-AUTH-002"]
    assert predicate["warnedTests"] == ["LEADS-AUTH-005"]
    assert {c["digest"]["sha256"] for c in predicate["configuration"]} >= {fragment_sha256()}
    result = verify_folder(folder)
    assert result.ok, result.problems
    assert (result.verdict, result.gate, result.signed) == ("fail", "pass", False)


def test_one_flipped_byte_of_any_file_is_found_and_named(tmp_path):
    folder = _folder(tmp_path)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        original = path.read_bytes()
        for index in (0, len(original) // 2, len(original) - 1):
            changed = bytearray(original)
            changed[index] ^= 0x20 if changed[index] in b" \n" else 0x01
            path.write_bytes(bytes(changed))
            result = verify_folder(folder)
            name = path.relative_to(folder).as_posix()
            assert not result.ok, (name, index)
            assert any(problem.startswith(name) for problem in result.problems), (name, result.problems)
        path.write_bytes(original)
    assert verify_folder(folder).ok


def test_added_and_removed_files_are_found(tmp_path):
    folder = _folder(tmp_path)
    (folder / "later.txt").write_text("added\n")
    assert any(p.startswith("later.txt: not in the record") for p in verify_folder(folder).problems)
    (folder / "later.txt").unlink()
    (folder / "report.html").unlink()
    assert any(p.startswith("report.html: missing") for p in verify_folder(folder).problems)


def test_a_signed_record_verifies_only_with_its_key(tmp_path):
    key, public = _keys(tmp_path)
    folder = _folder(tmp_path, key=key)
    envelope = json.loads((folder / "attestation.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json" and envelope["signatures"]
    assert verify_folder(folder, public).ok
    (tmp_path / "other").mkdir()
    _, other_public = _keys(tmp_path / "other")
    result = verify_folder(folder, other_public)
    assert not result.ok and "signature does not verify" in " ".join(result.problems)


def test_an_unsigned_record_fails_a_public_key_check(tmp_path):
    _, public = _keys(tmp_path)
    result = verify_folder(_folder(tmp_path), public)
    assert any("not signed" in p for p in result.problems)


def test_a_record_of_another_catalog_is_named(tmp_path):
    result = verify_folder(_folder(tmp_path, report=_report(catalog_sha="0" * 64)))
    assert any("another requirement catalog" in p and "0.1.0" in p for p in result.problems)


def test_a_bad_signing_key_is_a_usage_error(tmp_path):
    _, public = _keys(tmp_path)
    (tmp_path / "text.pem").write_text("not a key")
    for path in (public, tmp_path / "text.pem", tmp_path / "absent.pem"):
        with pytest.raises(UsageError, match="--sign-key"):
            check_sign_key(path)


def test_verify_command_exit_statuses(tmp_path):
    folder = _folder(tmp_path)

    def verify(*args):
        return subprocess.run(
            [sys.executable, "-m", "conformance", "verify", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )

    ok = verify(str(folder))
    assert ok.returncode == 0 and ok.stdout.strip().splitlines()[-1].startswith("VERIFIED"), ok
    (folder / "report.json").write_text((folder / "report.json").read_text().replace('"fail"', '"pass"'))
    bad = verify(str(folder))
    assert bad.returncode == 1 and "report.json" in bad.stdout and "NOT VERIFIED" in bad.stdout
    missing = verify(str(tmp_path / "absent"))
    assert missing.returncode == 2 and missing.stderr.startswith("conformance: error: ")
    assert "Traceback" not in missing.stderr
