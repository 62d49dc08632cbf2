"""A body of the evidence as a person reads it: pretty-printed JSON, capped at whole JSON values.

The evidence keeps a long body's first 16 KiB as text; what of it is whole JSON is shown as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jiter

__all__ = ["body_text", "capped_json"]

#: characters of room kept for the closing lines and the note of a capped body
_CLOSING_ROOM = 40


def _dumped(node: Any, indent: int, prefix: str = "") -> list[str]:
    """``node`` pretty-printed as lines indented by ``indent``; ``prefix`` (``"key": ``) starts the first."""
    lines = json.dumps(node, indent=2, ensure_ascii=False).splitlines()
    pad = " " * indent
    return [pad + prefix + lines[0], *(pad + line for line in lines[1:])]


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _capped(node: Any, indent: int, budget: int, prefix: str = "") -> list[str]:
    """The lines of ``node`` within about ``budget`` characters, cut only between whole JSON nodes.

    An array or object keeps its first members that fit (the last one that does not fit whole is
    capped in turn when there is room for it) and ends with a line ``… N more items`` (or keys); a
    long string keeps its head and says how many characters it left out. Without those lines, the
    text is JSON.
    """
    whole = _dumped(node, indent, prefix)
    if _size(whole) <= budget:
        return whole
    pad = " " * indent
    if isinstance(node, str):
        keep = max(16, budget - len(pad) - len(prefix) - _CLOSING_ROOM)
        clipped = f"{node[:keep]}… ({len(node) - keep} more characters)"
        return [pad + prefix + json.dumps(clipped, ensure_ascii=False)]
    if not isinstance(node, dict | list) or not node:
        return whole
    opening, closing = ("{", "}") if isinstance(node, dict) else ("[", "]")
    members = list(node.items()) if isinstance(node, dict) else [(None, item) for item in node]
    used = len(pad) + len(prefix) + 2 + len(pad) + 2 + _CLOSING_ROOM
    blocks: list[list[str]] = []
    for key, child in members:
        child_prefix = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
        block = _dumped(child, indent + 2, child_prefix)
        if used + _size(block) + 1 <= budget:
            blocks.append(block)
            used += _size(block) + 1
            continue
        room = budget - used
        if isinstance(child, dict | list | str) and room > 120:
            blocks.append(_capped(child, indent + 2, room, child_prefix))
        break
    left = len(members) - len(blocks)
    lines = [pad + prefix + opening]
    for index, block in enumerate(blocks):
        lines += block[:-1] + [block[-1] + ("," if index + 1 < len(blocks) else "")]
    if left:
        noun = ("key" if isinstance(node, dict) else "item") + ("s" if left != 1 else "")
        lines.append(f"{pad}  … {left} more {noun}")
    lines.append(pad + closing)
    return lines


def capped_json(value: Any, cap: int) -> tuple[str, int]:
    """``value`` pretty-printed in about ``cap`` characters, cut at JSON node boundaries only;
    and how many characters of the whole pretty-printed text were left out (0: none)."""
    whole = json.dumps(value, indent=2, ensure_ascii=False)
    if len(whole) <= cap:
        return whole, 0
    text = "\n".join(_capped(value, 0, cap))
    return text, max(0, len(whole) - len(text))


def _partial_json(text: str) -> Any:
    """The complete nodes at the head of JSON cut short (the evidence keeps a long body's head), or
    None when it is not JSON. A number at the very end may have been cut: it is left out."""
    if not text.lstrip().startswith(("{", "[")):
        return None
    try:
        value = jiter.from_json(text.encode("utf-8"), partial_mode=True)
    except ValueError:
        return None
    if text.rstrip()[-1:].isdigit() or text.rstrip()[-1:] in (".", "-", "e", "E", "+"):
        _drop_last_leaf(value)
    return value


def _drop_last_leaf(value: Any) -> bool:
    """Remove the last scalar of a parsed document (the one a cut may have shortened), and the
    containers it leaves empty; True when ``value`` itself is left empty."""
    if not isinstance(value, dict | list) or not value:
        return False
    last = next(reversed(value)) if isinstance(value, dict) else -1
    if not isinstance(value[last], dict | list) or not value[last] or _drop_last_leaf(value[last]):
        del value[last]
    return not value


def body_text(part: Mapping[str, Any], line: int | None, cap: int) -> str:
    where = f" (line {line} of evidence.ndjson holds it whole)" if line else ""
    truncated = part.get("body_truncated")
    if "body" in part:
        value: Any = part["body"]
    elif "body_text" in part:
        value = _partial_json(str(part["body_text"])) if truncated else None
        if value is None:
            text = str(part["body_text"])
            if len(text) > cap:
                text = text[:cap] + f"\n… {len(text) - cap} more characters{where}"
            if truncated:
                text += f"\n… the body was {truncated} bytes; the evidence keeps its first 16 KiB"
            return text
        where = ""
    else:
        return ""
    text, left_out = capped_json(value, cap)
    if left_out:
        text += f"\n… {left_out} of {left_out + len(text)} characters left out, at whole JSON values{where}"
    if truncated:
        text += (
            f"\n… the body was {truncated} bytes; the evidence keeps its first 16 KiB, shown here up to "
            "its last complete JSON value"
        )
    return text
