"""Files a user hands a run (``--baseline``, ``--declared``): YAML, or JSON when the name ends in
``.json``, read whole, with one usage error that names the option when the file cannot be read."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from conformance.outcomes import UsageError

__all__ = ["load_document"]


def load_document(path: Path, option: str, accepted: str) -> Any:
    """The document in ``path`` as plain data; a file that cannot be read, is not UTF-8 or does not
    parse is a one-line UsageError naming ``option`` (``accepted`` says what it takes)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{option}: {path} is not UTF-8 text (byte {exc.start + 1} is not): give {accepted}"
        ) from None
    try:
        return json.loads(text) if path.suffix == ".json" else YAML(typ="safe").load(io.StringIO(text))
    except (ValueError, YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(
            f"{option}: {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {first}"
        ) from None
