"""The certification record of a report folder (``attestation.json``); ``verify`` checks it.

The record is an in-toto Statement v1 whose predicate is a test result
(``https://in-toto.io/attestation/test-result/v0.1``), built with ``in_toto_attestation``:

- ``subject``: every regular file of the folder but ``attestation.json`` (recursively, relative POSIX
  paths, sorted), each with its sha256;
- ``predicate.result``: ``PASSED`` for the verdict ``pass``, ``FAILED`` for ``fail``, and ``WARNED`` for
  ``incomplete`` (nothing failed, but not every MUST requirement was verified);
- ``predicate.configuration``: the fragment and the requirement catalog, with their sha256;
- ``predicate.passedTests`` / ``failedTests`` / ``warnedTests``: the requirement IDs whose status is
  ``pass`` / ``fail`` or ``known`` / ``warn``;
- ``predicate["urn:leads-conformance:run:v1"]``, an extension field (named by a URI, as the in-toto
  parsing rules ask): the verdict, gate, certification, mode, run id, suite, target, the requirements
  skipped or inconclusive, and for a signed record the signer's public key.

Signed (``--sign-key``, an Ed25519 private key in unencrypted PKCS8 PEM), the file is a DSSE envelope
(payload type ``application/vnd.in-toto+json``) whose payload is the Statement, signed through
``securesystemslib``. Every JSON document here is written in one canonical form, so verification
re-serialises what it parsed and compares bytes: one changed byte anywhere in the folder, the record
included, is reported with the file it is in.

Without ``--public-key`` a signed record is checked against the public key it names, which proves it
intact but not who made it; ``--public-key`` pins the signer. A key pair can be made with
``openssl genpkey -algorithm ed25519 -out sign.pem`` and ``openssl pkey -in sign.pem -pubout -out sign.pub``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
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

from conformance.outcomes import ConformanceError, UsageError

__all__ = [
    "ATTESTATION",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "RUN_FIELD",
    "canonical",
    "check_sign_key",
    "load_public_key",
    "predicate_of",
    "write_attestation",
]

ATTESTATION = "attestation.json"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: the predicate's extension field: what the run concluded beyond the test-result fields
RUN_FIELD = "urn:leads-conformance:run:v1"
CATALOG_NAME = "specs/requirements.yaml"
FRAGMENT_NAME = "specs/leads.openapi.yaml"

#: test-result's result for each verdict; anything else (incomplete) is neither a pass nor a failure
RESULTS = {"pass": "PASSED", "fail": "FAILED"}
_TEST_LISTS = {"passedTests": ("pass",), "failedTests": ("fail", "known"), "warnedTests": ("warn",)}
_RUN_LISTS = {"skippedTests": ("skip",), "inconclusiveTests": ("inconclusive",)}


def canonical(document: Any) -> str:
    """The one form every JSON document of the record is written in."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def canonical_bytes(document: Any) -> bytes:
    return canonical(document).encode("utf-8")


# --- keys ------------------------------------------------------------------------------------------


def _read_pem(path: Path, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None


def _private_key(path: Path) -> Ed25519PrivateKey:
    data = _read_pem(path, "--sign-key")
    if b"-----BEGIN PUBLIC KEY-----" in data:
        raise UsageError(f"--sign-key: {path} is a public key; give the Ed25519 private key")
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(f"--sign-key: {path} is encrypted; give an unencrypted PKCS8 key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(f"--sign-key: {path} is not a PEM private key (PKCS8)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"--sign-key: {path} is not an Ed25519 key")
    return key


def check_sign_key(path: Path) -> str:
    """Reject a signing key that cannot sign (a UsageError), before the run starts; returns its key id."""
    return CryptoSigner(_private_key(path)).public_key.keyid


def load_public_key(path: Path) -> SSlibKey:
    """The Ed25519 public key (PEM) at ``path``; a UsageError when it is not one."""
    data = _read_pem(path, "--public-key")
    if b"PRIVATE KEY-----" in data:
        raise UsageError(f"--public-key: {path} is a private key; give its public key")
    try:
        key = load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError(f"--public-key: {path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"--public-key: {path} is not an Ed25519 key")
    return SSlibKey.from_crypto(key)


# --- the folder ------------------------------------------------------------------------------------


@dataclass
class Listing:
    """What a report folder holds besides its record."""

    files: dict[str, Path] = field(default_factory=dict)
    #: entries that are neither regular files nor folders (symbolic links, sockets, ...)
    others: list[str] = field(default_factory=list)


def scan_folder(folder: Path) -> Listing:
    listing = Listing()
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        for name in [*dirs, *names]:
            path = base / name
            relative = path.relative_to(folder).as_posix()
            if relative == ATTESTATION:
                continue
            mode = path.lstat().st_mode
            if stat.S_ISREG(mode):
                listing.files[relative] = path
            elif not stat.S_ISDIR(mode):
                listing.others.append(relative)
    listing.files = dict(sorted(listing.files.items()))
    listing.others.sort()
    return listing


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --- writing ---------------------------------------------------------------------------------------


def _ids(report: dict[str, Any], statuses: tuple[str, ...]) -> list[str]:
    return [r["id"] for r in report["requirements"] if r["status"] in statuses]


def _test_result(report: dict[str, Any]) -> dict[str, Any]:
    spec = report["spec"]
    message = test_result_pb2.TestResult(
        result=RESULTS.get(report["verdict"], "WARNED"),
        configuration=[
            ResourceDescriptor(name=spec.get("path") or FRAGMENT_NAME, digest={"sha256": spec["sha256"]}).pb,
            ResourceDescriptor(name=CATALOG_NAME, digest={"sha256": spec["catalog_sha256"]}).pb,
        ],
        passed_tests=_ids(report, _TEST_LISTS["passedTests"]),
        failed_tests=_ids(report, _TEST_LISTS["failedTests"]),
        warned_tests=_ids(report, _TEST_LISTS["warnedTests"]),
    )
    predicate = json_format.MessageToDict(message)
    for name in _TEST_LISTS:
        predicate.setdefault(name, [])
    return predicate


def _run_field(report: dict[str, Any], signer: dict[str, Any] | None) -> dict[str, Any]:
    suite = report.get("suite") or {}
    run = {
        "suite": {"name": suite.get("name"), "version": suite.get("version")},
        "runId": report.get("run_id"),
        "target": (report.get("target") or {}).get("base_url"),
        "verdict": report["verdict"],
        "gate": report.get("gate"),
        "certification": bool(report.get("certification")),
        "mode": report.get("mode"),
        "strict": bool(report.get("strict")),
        "startedAt": report.get("started_at"),
        "finishedAt": report.get("finished_at"),
        **{name: _ids(report, statuses) for name, statuses in _RUN_LISTS.items()},
    }
    if signer is not None:
        run["signer"] = signer
    return run


def predicate_of(report: dict[str, Any], signer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The test-result predicate of a report.json document (``signer``: the signing key, when signed)."""
    return {**_test_result(report), RUN_FIELD: _run_field(report, signer)}


def record_digest(statement: dict[str, Any]) -> str:
    """sha256 of the Statement in canonical form, its own ``recordSha256`` left out."""
    bare = copy.deepcopy(statement)
    run = (bare.get("predicate") or {}).get(RUN_FIELD)
    if isinstance(run, dict):
        run.pop("recordSha256", None)
    return hashlib.sha256(canonical_bytes(bare)).hexdigest()


def _statement(subjects: dict[str, str], predicate: dict[str, Any]) -> dict[str, Any]:
    """The Statement; its run field holds the Statement's own digest, so any change to it shows."""
    statement = Statement(
        [ResourceDescriptor(name=name, digest={"sha256": digest}).pb for name, digest in subjects.items()],
        PREDICATE_TYPE,
        predicate,
    )
    try:
        statement.validate()
    except ValueError as exc:
        raise ConformanceError(f"cannot write {ATTESTATION}: {exc}") from None
    document = json_format.MessageToDict(statement.pb)
    document["predicate"][RUN_FIELD]["recordSha256"] = record_digest(document)
    return document


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` whole or not at all (a temporary file beside it, renamed into place)."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_attestation(folder: Path, report: dict[str, Any], sign_key: Path | None = None) -> Path:
    """Write ``folder/attestation.json`` over every other file of the folder; returns its path.

    Call it last, once every other file is written. ``sign_key`` (Ed25519, PEM) makes it a DSSE
    envelope; a bad key is a UsageError and nothing is written.
    """
    signer = CryptoSigner(_private_key(sign_key)) if sign_key is not None else None
    subjects = {name: file_sha256(path) for name, path in scan_folder(folder).files.items()}
    named = {"keyid": signer.public_key.keyid, **signer.public_key.to_dict()} if signer else None
    statement = canonical_bytes(_statement(subjects, predicate_of(report, named)))
    if signer is None:
        document = statement
    else:
        envelope = Envelope(statement, PAYLOAD_TYPE, {})
        envelope.sign(signer)
        document = canonical_bytes(envelope.to_dict())
    path = folder / ATTESTATION
    write_bytes(path, document)
    return path
