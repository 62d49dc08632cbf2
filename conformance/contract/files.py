"""The contract's files (package data) and the user's cache folder, where parsed copies are kept.

The YAML files are YAML 1.2 (ruamel.yaml): a YAML 1.1 loader reads the country code ``NO`` as ``false``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import platformdirs
from ruamel.yaml import YAML

__all__ = ["cache_folder", "data_file", "load_yaml"]


def data_file(name: str) -> Path:
    """Where the installed contract file ``name`` (``leads.openapi.yaml``, ...) lies."""
    return Path(__file__).resolve().parent / "specs" / name


def cache_folder(name: str) -> Path | None:
    """``<user cache>/leads-conformance/<name>``, created; None when it cannot be written."""
    folder = Path(platformdirs.user_cache_dir("leads-conformance")) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:
        return None
    return folder


def _plain(value: Any) -> Any:
    """ruamel's commented maps and sequences as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_yaml(path: Path) -> Any:
    """The YAML file as plain data; parsed once per content, then read from a JSON copy in the user's cache.

    The YAML 1.2 loader is pure Python and takes most of a second over the fragment.
    """
    raw = path.read_bytes()
    folder = cache_folder("yaml")
    cached = folder / f"{hashlib.sha256(raw).hexdigest()}.json" if folder is not None else None
    if cached is not None and cached.exists():
        with contextlib.suppress(OSError, ValueError):
            return json.loads(cached.read_text(encoding="utf-8"))
    data = _plain(YAML(typ="safe", pure=True).load(raw))
    if cached is not None:
        with contextlib.suppress(OSError, TypeError, ValueError):
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(data), encoding="utf-8")
            partial.replace(cached)
    return data
