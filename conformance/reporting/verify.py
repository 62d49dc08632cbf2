"""``conformance verify``: a report folder checked against its record (``attestation.json``).

Every file's sha256 is recomputed; the record must be in its canonical form, agree with report.json,
carry a signature that verifies (against the key it names, or the one given), and name the installed
catalog. See ``attestation`` for what the record holds.
"""

from __future__ import annotations

import binascii
import copy
import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from in_toto_attestation.predicates.test_result.v0 import test_result_pb2
from in_toto_attestation.v1 import statement_pb2
from in_toto_attestation.v1.statement import STATEMENT_TYPE_URI, Statement
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import FormatError, VerificationError
from securesystemslib.signer import SSlibKey

from conformance.outcomes import UsageError
from conformance.reporting.attestation import (
    ATTESTATION,
    CATALOG_NAME,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    RUN_FIELD,
    canonical_bytes,
    file_sha256,
    load_public_key,
    predicate_of,
    record_digest,
    scan_folder,
)

__all__ = ["VerifyResult", "describe", "verify_folder"]


@dataclass
class VerifyResult:
    """What ``verify_folder`` found: ``ok`` when the folder is exactly what its record says.

    Each problem is one line starting with the name of the file it is in.
    """

    folder: Path
    problems: list[str] = field(default_factory=list)
    #: how many files the record covers
    files: int = 0
    verdict: str | None = None
    gate: str | None = None
    certification: bool | None = None
    signed: bool = False
    keyid: str | None = None
    #: the signature was checked against the --public-key given, not only the key the record names
    signer_pinned: bool = False
    suite_version: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, name: str, message: str) -> None:
        shown = name if name.isprintable() else repr(name)
        self.problems.append(f"{shown}: {message}")


def _open_envelope(result: VerifyResult, raw: bytes, document: dict[str, Any]) -> Envelope | None:
    """The DSSE envelope, or None (a problem noted) when it is malformed."""
    try:
        envelope = Envelope.from_dict(copy.deepcopy(document))
    except (KeyError, TypeError, ValueError, AttributeError, FormatError, binascii.Error) as exc:
        result.problem(ATTESTATION, f"not a well-formed DSSE envelope ({type(exc).__name__}: {exc})")
        return None
    if canonical_bytes(envelope.to_dict()) != raw:
        result.problem(ATTESTATION, "changed after it was written (the envelope is not in canonical form)")
    if envelope.payload_type != PAYLOAD_TYPE:
        result.problem(ATTESTATION, f"payload type is {envelope.payload_type!r}, not {PAYLOAD_TYPE}")
    if len(envelope.signatures) != 1:
        result.problem(ATTESTATION, f"holds {len(envelope.signatures)} signatures, not one")
    return envelope


def _parse_statement(result: VerifyResult, payload: bytes, signed: bool) -> dict[str, Any] | None:
    where = "the signed Statement" if signed else "the Statement"
    try:
        statement = json.loads(payload.decode("utf-8"))
        parsed = json_format.ParseDict(statement, statement_pb2.Statement())
        Statement.copy_from_pb(parsed).validate()
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError, json_format.ParseError) as exc:
        result.problem(ATTESTATION, f"{where} is not an in-toto Statement v1 ({exc})")
        return None
    if canonical_bytes(statement) != payload:
        result.problem(ATTESTATION, f"changed after it was written ({where} is not in its canonical form)")
    types = (("_type", "statement", STATEMENT_TYPE_URI), ("predicateType", "predicate", PREDICATE_TYPE))
    for key, what, expected in types:
        if statement.get(key) != expected:
            result.problem(ATTESTATION, f"{what} type is {statement.get(key)!r}, not {expected}")
    predicate = statement.get("predicate") or {}
    try:
        test_result = {key: value for key, value in predicate.items() if key != RUN_FIELD}
        json_format.ParseDict(test_result, test_result_pb2.TestResult())
    except json_format.ParseError as exc:
        result.problem(ATTESTATION, f"the predicate is not a test result v0.1 ({exc})")
    if not isinstance(predicate.get(RUN_FIELD), dict):
        result.problem(ATTESTATION, f"the predicate has no {RUN_FIELD} field")
    elif predicate[RUN_FIELD].get("recordSha256") != record_digest(statement):
        result.problem(ATTESTATION, f"changed after it was written ({where} does not match its own digest)")
    return statement


def _subjects(result: VerifyResult, statement: dict[str, Any]) -> dict[str, str | None]:
    subjects: dict[str, str | None] = {}
    for subject in statement.get("subject", []):
        name = subject.get("name", "")
        if name in subjects:
            result.problem(ATTESTATION, f"names the subject {name!r} twice")
        digest = (subject.get("digest") or {}).get("sha256")
        if digest is None:
            result.problem(ATTESTATION, f"holds no sha256 for the subject {name!r}")
        subjects[name] = digest
    return subjects


def _compare_files(result: VerifyResult, subjects: dict[str, str | None]) -> set[str]:
    """Report every file changed, missing or added; returns the names of those that differ."""
    listing = scan_folder(result.folder)
    differ: set[str] = set()
    for name in listing.others:
        result.problem(name, "not a regular file (the record covers regular files only)")
    for name in sorted(set(subjects) | set(listing.files)):
        if name not in listing.files:
            if name not in listing.others:
                result.problem(name, "missing (the record lists it)")
        elif name not in subjects:
            result.problem(name, "not in the record (added after it was written)")
        else:
            try:
                digest = file_sha256(listing.files[name])
            except OSError as exc:
                result.problem(name, f"cannot be read ({exc.strerror or exc})")
                continue
            if subjects[name] is not None and digest != subjects[name]:
                result.problem(name, "sha256 differs from the record")
                differ.add(name)
    return differ


def _named_key(run: dict[str, Any]) -> SSlibKey | None:
    named: Any = run.get("signer")
    try:
        return SSlibKey.from_dict(named["keyid"], {k: v for k, v in named.items() if k != "keyid"})
    except (KeyError, TypeError, ValueError, AttributeError, FormatError):
        return None


def _check_signature(
    result: VerifyResult, envelope: Envelope, run: dict[str, Any], public_key: SSlibKey | None
) -> None:
    """The signature verifies with the key the record names, and with ``public_key`` when given."""
    if len(envelope.signatures) != 1:
        return
    result.keyid = next(iter(envelope.signatures))
    named = _named_key(run)
    if named is None:
        result.problem(ATTESTATION, "signed, but the record names no usable signer key")
    else:
        try:
            envelope.verify([named], 1)
        except VerificationError:
            result.problem(ATTESTATION, "the signature does not verify with the key the record names")
    if public_key is None:
        return
    if public_key.keyid != result.keyid:
        result.problem(
            ATTESTATION,
            f"the signature does not verify with the --public-key: signed by key {result.keyid}, "
            f"not {public_key.keyid}",
        )
        return
    try:
        envelope.verify([public_key], 1)
    except VerificationError:
        result.problem(ATTESTATION, "the signature does not verify with the --public-key")
        return
    result.signer_pinned = True


def _read_report(result: VerifyResult) -> dict[str, Any] | None:
    path = result.folder / "report.json"
    if not path.is_file():
        if not path.exists():
            result.problem("report.json", "missing (every report folder's record covers it)")
        return None
    try:
        report = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        result.problem("report.json", f"cannot be read as JSON ({exc})")
        return None
    if not isinstance(report, dict):
        result.problem("report.json", "not a report document")
        return None
    return report


def _cross_check(
    result: VerifyResult, predicate: dict[str, Any], run: dict[str, Any], report: dict[str, Any], edited: bool
) -> None:
    """The record's predicate (``run``: its run field) says what report.json says.

    A disagreement is charged to report.json when its digest differs from the record, else to the record.
    """
    where = "report.json" if edited else ATTESTATION
    try:
        expected = predicate_of(report, run.get("signer"))
    except (KeyError, TypeError, AttributeError) as exc:
        result.problem("report.json", f"not a report document ({type(exc).__name__}: {exc})")
        return
    for key in sorted(set(expected) | set(predicate)):
        if key == RUN_FIELD:
            for sub in sorted((set(expected[key]) | set(run)) - {"recordSha256"}):
                if expected[key].get(sub) != run.get(sub):
                    result.problem(where, f"the record's {sub} disagrees with report.json")
        elif expected.get(key) != predicate.get(key):
            result.problem(where, f"the record's {key} disagrees with report.json")


def _check_catalog(result: VerifyResult, predicate: dict[str, Any]) -> None:
    """The record's catalog is the installed one; otherwise say which suite version made it."""
    from conformance import __version__
    from conformance.contract.catalog import catalog_path

    recorded = next(
        (
            (item.get("digest") or {}).get("sha256")
            for item in predicate.get("configuration") or []
            if isinstance(item, dict) and item.get("name") == CATALOG_NAME
        ),
        None,
    )
    installed = file_sha256(catalog_path())
    if recorded is None:
        result.problem(ATTESTATION, "the record names no requirement catalog")
    elif recorded != installed:
        result.problem(
            ATTESTATION,
            f"made with another requirement catalog (sha256 {str(recorded)[:12]}, leads-conformance "
            f"{result.suite_version or 'of an unknown version'}) than the installed one "
            f"(sha256 {installed[:12]}, leads-conformance {__version__})",
        )


def verify_folder(folder: Path, public_key: Path | None = None) -> VerifyResult:
    """Check a report folder against its record.

    Every file's sha256 is recomputed: a file changed, missing or added is a problem, as are a record
    not in its canonical form, a predicate that disagrees with report.json, a signature that does not
    verify (or none when ``public_key`` is given), and a record made with another catalog than the
    installed one. A missing folder or record, or an unreadable key, is a UsageError.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"REPORT_DIR {folder} {'is not a folder' if folder.exists() else 'does not exist'}")
    record = folder / ATTESTATION
    if not record.exists():
        raise UsageError(f"{folder} has no {ATTESTATION}: it is not a report folder, or it was not finished")
    if not stat.S_ISREG(record.lstat().st_mode):
        raise UsageError(f"{record} is not a regular file")
    key = load_public_key(public_key) if public_key is not None else None
    try:
        raw = record.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {record}: {exc.strerror or exc}") from None
    result = VerifyResult(folder)
    _verify_record(result, raw, key)
    return result


def _verify_record(result: VerifyResult, raw: bytes, key: SSlibKey | None) -> None:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        result.problem(ATTESTATION, f"changed after it was written (not JSON: {exc})")
        return
    if not isinstance(document, dict):
        result.problem(ATTESTATION, "not a Statement or a DSSE envelope")
        return
    envelope = None
    payload = raw
    if "payload" in document or "signatures" in document:
        envelope = _open_envelope(result, raw, document)
        if envelope is None:
            return
        payload = envelope.payload
    elif canonical_bytes(document) != raw:
        result.problem(ATTESTATION, "changed after it was written (not in its canonical form)")
    statement = _parse_statement(result, payload, envelope is not None)
    if statement is None:
        return
    subjects = _subjects(result, statement)
    result.files = len(subjects)
    differ = _compare_files(result, subjects)
    predicate = statement.get("predicate") or {}
    run = predicate[RUN_FIELD] if isinstance(predicate.get(RUN_FIELD), dict) else {}
    result.signed = envelope is not None
    if envelope is not None:
        _check_signature(result, envelope, run, key)
    else:
        if key is not None:
            result.problem(ATTESTATION, "not signed (a --public-key was given)")
        if run.get("signer"):
            result.problem(ATTESTATION, "the record names a signer but carries no signature")
    report = _read_report(result)
    if report is not None:
        _cross_check(result, predicate, run, report, "report.json" in differ)
    result.verdict, result.gate = run.get("verdict"), run.get("gate")
    result.certification = run.get("certification")
    result.suite_version = (run.get("suite") or {}).get("version") or ((report or {}).get("suite") or {}).get(
        "version"
    )
    _check_catalog(result, predicate)


def describe(folder: Path, result: VerifyResult) -> str:
    """The last line ``conformance verify`` prints."""
    if not result.ok:
        count = len(result.problems)
        return f"NOT VERIFIED: report folder {folder}: {count} problem{'s' if count != 1 else ''}"
    line = (
        f"VERIFIED: report folder {folder} is intact ({result.files} files); verdict {result.verdict}, "
        f"gate {result.gate}, certification {'true' if result.certification else 'false'}; "
    )
    if not result.signed:
        return line + "unsigned"
    if result.signer_pinned:
        return line + f"signed by {result.keyid}"
    return line + f"signed by {result.keyid} (signer not pinned: give --public-key to check who signed it)"
