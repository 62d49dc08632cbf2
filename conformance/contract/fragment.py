"""The OpenAPI fragment of the five Leads operations (package data, ``specs/leads.openapi.yaml``)."""

from __future__ import annotations

import copy
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from conformance.contract.files import data_file, load_yaml

__all__ = ["fragment_path", "fragment_sha256", "load_fragment"]


def fragment_path() -> Path:
    """Where the installed OpenAPI fragment lies."""
    return data_file("leads.openapi.yaml")


@cache
def _fragment() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(fragment_path())
    return data


def load_fragment() -> dict[str, Any]:
    """The OpenAPI fragment as plain data (a fresh copy the caller may change)."""
    return copy.deepcopy(_fragment())


@cache
def fragment_sha256() -> str:
    """sha256 of the fragment's bytes, as recorded in every report."""
    return hashlib.sha256(fragment_path().read_bytes()).hexdigest()
