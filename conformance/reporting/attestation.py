"""The certification record: an in-toto Statement over the report folder, and its verification.

``attestation.json`` is an in-toto Statement v1 whose subjects are every other file of the folder with
its sha256, and whose predicate is a test result (``https://in-toto.io/attestation/test-result/v0.1``):
the result, the configuration digests (fragment and catalog), and the passed, warned and failed
requirement IDs. With a signing key (Ed25519, PEM) it is a DSSE envelope holding the Statement,
signed through ``securesystemslib``; the Statement is built with ``in_toto_attestation``.

Every JSON document here is written in one canonical form, so ``verify_folder`` re-serialises what it
reads and compares byte for byte: one changed byte anywhere in the folder, the record included, is
found and named with its file.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from google.protobuf import json_format
from in_toto_attestation.predicates.test_result.v0 import test_result_pb2
from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
from in_toto_attestation.v1.statement import Statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner, SSlibKey

from conformance._outcomes import UsageError
from conformance.spec import catalog_path

__all__ = [
    "ATTESTATION",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "VerifyResult",
    "check_sign_key",
    "describe",
    "verify_folder",
    "write_attestation",
]

ATTESTATION = "attestation.json"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: test-result's result for each verdict: incomplete is neither a pass nor a failure
RESULTS = {"pass": "PASSED", "fail": "FAILED", "incomplete": "WARNED"}


def canonical(document: Any) -> str:
    """The one form every JSON document of the record is written in."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[str]:
    """The folder's regular files (recursively, as POSIX paths), the record itself left out."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.relative_to(folder).as_posix() != ATTESTATION
    )


def predicate_of(report: dict[str, Any]) -> dict[str, Any]:
    """The test-result predicate of a report.json document."""
    ids = {
        status: [r["id"] for r in report["requirements"] if r["status"] in statuses]
        for status, statuses in (("passed", ("pass",)), ("warned", ("warn",)), ("failed", ("fail", "known")))
    }
    spec = report["spec"]
    result = test_result_pb2.TestResult(
        result=RESULTS[report["verdict"]],
        configuration=[
            ResourceDescriptor(
                name=spec.get("path", "specs/leads.openapi.yaml"), digest={"sha256": spec["sha256"]}
            ).pb,
            ResourceDescriptor(name="specs/requirements.yaml", digest={"sha256": spec["catalog_sha256"]}).pb,
        ],
        passed_tests=ids["passed"],
        warned_tests=ids["warned"],
        failed_tests=ids["failed"],
    )
    predicate = json_format.MessageToDict(result)
    predicate.setdefault("passedTests", [])
    predicate.setdefault("warnedTests", [])
    predicate.setdefault("failedTests", [])
    return predicate


def _load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--sign-key: cannot read {path}: {exc.strerror or exc}") from None
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"--sign-key: {path} is not an unencrypted PEM private key ({first})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"--sign-key: {path} is not an Ed25519 key")
    return key


def _load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--public-key: cannot read {path}: {exc.strerror or exc}") from None
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UsageError(f"--public-key: {path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"--public-key: {path} is not an Ed25519 key")
    return key


def check_sign_key(path: Path) -> None:
    """Reject a signing key that cannot sign, before the run starts (a usage error)."""
    _load_private_key(path)


def write_attestation(folder: Path, report: dict[str, Any], sign_key: Path | None = None) -> Path:
    """Write ``attestation.json`` over every other file of ``folder``; returns its path."""
    subjects = [
        ResourceDescriptor(name=name, digest={"sha256": _sha256(folder / name)}).pb for name in _files(folder)
    ]
    statement = Statement(subjects, PREDICATE_TYPE, predicate_of(report))
    statement.validate()
    document: dict[str, Any] = json_format.MessageToDict(statement.pb)
    if sign_key is not None:
        private = _load_private_key(sign_key)
        signer = CryptoSigner(private)
        envelope = Envelope(canonical(document).encode("utf-8"), PAYLOAD_TYPE, {})
        envelope.sign(signer)
        document = envelope.to_dict()
    path = folder / ATTESTATION
    path.write_text(canonical(document), encoding="utf-8")
    return path


@dataclass
class VerifyResult:
    """What ``verify_folder`` found: ``ok`` when the folder is exactly what its record says."""

    folder: Path
    problems: list[str] = field(default_factory=list)
    files: int = 0
    verdict: str | None = None
    gate: str | None = None
    certification: bool | None = None
    signed: bool = False
    keyid: str | None = None
    suite_version: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _statement_of(result: VerifyResult, record_text: str, public_key: Path | None) -> dict[str, Any] | None:
    try:
        document = json.loads(record_text)
    except ValueError:
        result.problems.append(f"{ATTESTATION}: not valid JSON")
        return None
    if canonical(document) != record_text:
        result.problems.append(f"{ATTESTATION}: changed (not as it was written)")
    if not isinstance(document, dict):
        result.problems.append(f"{ATTESTATION}: not a Statement or a DSSE envelope")
        return None
    if "payloadType" in document:
        result.signed = True
        try:
            envelope = Envelope.from_dict(json.loads(record_text))
        except (KeyError, ValueError, TypeError) as exc:
            result.problems.append(f"{ATTESTATION}: not a well-formed DSSE envelope ({exc})")
            return None
        if base64.b64encode(envelope.payload).decode() != document.get("payload"):
            result.problems.append(f"{ATTESTATION}: changed (the payload is not canonical base64)")
        result.keyid = next(iter(envelope.signatures), None)
        if public_key is not None:
            key = SSlibKey.from_crypto(_load_public_key(public_key))
            try:
                envelope.verify([key], 1)
            except Exception as exc:  # noqa: BLE001 - securesystemslib raises several kinds
                result.problems.append(f"{ATTESTATION}: the signature does not verify with that key ({exc})")
        try:
            payload_text = envelope.payload.decode("utf-8")
            statement = json.loads(payload_text)
        except (UnicodeDecodeError, ValueError):
            result.problems.append(f"{ATTESTATION}: the envelope's payload is not JSON")
            return None
        if canonical(statement) != payload_text:
            result.problems.append(f"{ATTESTATION}: the envelope's payload was changed")
        if envelope.payload_type != PAYLOAD_TYPE:
            result.problems.append(
                f"{ATTESTATION}: payload type {envelope.payload_type!r}, not {PAYLOAD_TYPE}"
            )
        return statement if isinstance(statement, dict) else None
    if public_key is not None:
        result.problems.append(f"{ATTESTATION}: not signed, so --public-key cannot verify it")
    return document


def verify_folder(folder: Path, public_key: Path | None = None) -> VerifyResult:
    """Check every digest, the record's form and signature, its agreement with report.json, and the catalog.

    A missing folder or record, or an unreadable key, is a usage error; everything else is a problem
    named with its file.
    """
    record = folder / ATTESTATION
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    if not record.is_file():
        raise UsageError(f"{folder} has no {ATTESTATION}: it is not a report folder, or it was not finished")
    result = VerifyResult(folder)
    if public_key is not None:
        _load_public_key(public_key)
    statement = _statement_of(result, record.read_text(encoding="utf-8", errors="replace"), public_key)
    if statement is None:
        return result
    if (
        statement.get("_type") != "https://in-toto.io/Statement/v1"
        or statement.get("predicateType") != PREDICATE_TYPE
    ):
        result.problems.append(f"{ATTESTATION}: not an in-toto test-result Statement")
    recorded = {s.get("name"): (s.get("digest") or {}).get("sha256") for s in statement.get("subject", [])}
    present = set(_files(folder))
    result.files = len(present) + 1
    for name in sorted(recorded):
        if name not in present:
            result.problems.append(f"{name}: missing (the record lists it)")
        elif _sha256(folder / name) != recorded[name]:
            result.problems.append(f"{name}: sha256 differs from the record (the file was changed)")
    for name in sorted(present - set(recorded)):
        result.problems.append(f"{name}: not in the record (added after the run)")
    _check_report(result, folder, statement)
    return result


def _check_report(result: VerifyResult, folder: Path, statement: dict[str, Any]) -> None:
    """The record's predicate agrees with report.json, and report.json's catalog is the installed one."""
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result.problems.append("report.json: missing or not JSON")
        return
    result.verdict, result.gate = report.get("verdict"), report.get("gate")
    result.certification = report.get("certification")
    result.suite_version = (report.get("suite") or {}).get("version")
    try:
        expected = predicate_of(report)
    except (KeyError, TypeError, ValueError):
        result.problems.append("report.json: not a report of this suite")
        return
    if canonical(expected) != canonical(statement.get("predicate")):
        result.problems.append(f"{ATTESTATION}: its result does not agree with report.json")
    installed = _sha256(catalog_path())
    if (report.get("spec") or {}).get("catalog_sha256") != installed:
        result.problems.append(
            f"report.json: made with another requirement catalog (suite {result.suite_version}); "
            "install that version to verify it"
        )


def describe(folder: Path, result: VerifyResult) -> str:
    """The last line ``conformance verify`` prints."""
    facts = (
        f"verdict {result.verdict}, gate {result.gate}, "
        f"certification {'true' if result.certification else 'false'}; "
        + (f"signed by {result.keyid}" if result.signed else "unsigned")
    )
    if result.ok:
        return f"VERIFIED: report folder {folder} is intact ({result.files} files); {facts}"
    count = len(result.problems)
    return (
        f"NOT VERIFIED: {count} problem{'s' if count != 1 else ''} in report folder {folder}; it says {facts}"
    )
