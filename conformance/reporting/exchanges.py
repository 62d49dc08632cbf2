"""One HTTP exchange of the evidence, as a person reads it: in words, as request and response text,
and as a curl command that sends the request again; and finding a failure's exchanges in
``evidence.ndjson`` (``evidence_lookup``). report.html and checks.html both present exchanges with these.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from html import escape
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jiter

from conformance.http.redaction import MASK

#: characters of a pretty-printed body shown on the page; the whole (capped) body is in evidence.ndjson
BODY_SHOWN = 3000
#: exchanges shown per requirement; the others are named by their evidence line
EXCHANGES_PER_REQUIREMENT = 4
#: the environment variables a reproduce command reads the credentials from
TOKEN_VAR = "CONFORMANCE_TOKEN"
ACCOUNT_VAR = "CONFORMANCE_ACCOUNT_TOKEN"
_SKIPPED_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _path_of(url: str, base_url: str | None) -> tuple[str, str]:
    """The path of ``url`` below the base URL, and its query."""
    parts = urlsplit(url)
    path = parts.path
    if base_url:
        base = urlsplit(base_url).path.rstrip("/")
        if base and path.startswith(base + "/"):
            path = path[len(base) :]
    return path or "/", parts.query


def _shown_path(path: str) -> str:
    segments = []
    for segment in path.split("/"):
        segments.append(segment if len(segment) <= 48 else f"{segment[:12]}…({len(segment)} characters)")
    return "/".join(segments)


def _human_field(name: str) -> str:
    return name.replace("_", " ")


def _notable(model: Mapping[str, Any]) -> list[str]:
    """What stands out in a lead sent: very long, empty or non-ASCII text, long lists."""
    found = []
    for key, value in model.items():
        if isinstance(value, str):
            if len(value) > 80:
                found.append(f"a {len(value)}-character {_human_field(key)}")
            elif value == "":
                found.append(f"an empty {_human_field(key)}")
            elif not value.isascii():
                found.append(f"a non-ASCII {_human_field(key)}")
        elif isinstance(value, list) and len(value) > 10:
            found.append(f"{len(value)} {_human_field(key)}")
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _body_phrase(request: Mapping[str, Any]) -> str:
    if "body_text" in request:
        return "a body that is not JSON"
    if "body" not in request:
        return ""
    body = request["body"]
    if not isinstance(body, dict):
        return f"a JSON body that is {_kind(body)}"
    if "model" not in body:
        return "a JSON body without a model"
    model = body["model"]
    if not isinstance(model, dict):
        return f"a model that is {_kind(model)}"
    notable = _notable(model)
    if notable:
        return " and ".join(notable[:2])
    if not model:
        return "an empty lead"
    return f"a lead of {len(model)} field{'s' if len(model) != 1 else ''}"


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "\N{MIDDLE DOT}" for c in text)


def _query_phrase(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return ""
    shown = [f"{_printable(clip(k, 30))}={_printable(clip(v, 40))}" for k, v in pairs[:3]]
    more = f" and {len(pairs) - 3} more parameters" if len(pairs) > 3 else ""
    return ", ".join(shown) + more


def _credentials_phrase(headers: Mapping[str, str]) -> list[str]:
    """What the credential headers show: the evidence masks their values by name, never their absence."""
    said = []
    authorization = header_value(headers, "authorization")
    if authorization is None:
        said.append("without an Authorization header")
    elif authorization == MASK:
        said.append("with an Authorization header without the Bearer scheme")
    elif not authorization.startswith("Bearer "):
        said.append(f"with the {authorization.split(' ')[0]!r} scheme instead of Bearer")
    account = header_value(headers, "x-account-token")
    if account is None:
        said.append("without an X-Account-Token header")
    return said


def _status_phrase(status: int) -> str:
    try:
        return f"{status} ({HTTPStatus(status).phrase})"
    except ValueError:
        return str(status)


def describe_exchange(entry: Mapping[str, Any], base_url: str | None = None) -> str:
    """One plain sentence: what was sent and what came back."""
    request = entry.get("request", {})
    method = str(request.get("method", "?"))
    path, query = _path_of(str(request.get("url", "")), base_url)
    sent = f"{method} {_shown_path(path)}"
    extras = []
    if query:
        extras.append("with " + _query_phrase(query))
    body = _body_phrase(request)
    if body:
        extras.append("with " + body)
    extras += _credentials_phrase(request.get("headers", {}))
    if extras:
        sent += " " + ", ".join(extras)
    response = entry.get("response")
    if response is None:
        error = clip(str(entry.get("error") or "no answer"), 200)
        return f"The server gave no answer to {sent} ({error})."
    said = ""
    answer = response.get("body")
    if isinstance(answer, dict) and isinstance(answer.get("detail"), str):
        said = f', saying "{clip(answer["detail"].rstrip("."), 100)}"'
    attempt = f" (attempt {entry['attempt']})" if entry.get("attempt") else ""
    return f"The server answered {_status_phrase(int(response.get('status', 0)))} to {sent}{said}{attempt}."


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
    if isinstance(value, list) and value:
        if not isinstance(value[-1], dict | list) or not value[-1] or _drop_last_leaf(value[-1]):
            value.pop()
        return not value
    if isinstance(value, dict) and value:
        last = next(reversed(value))
        if not isinstance(value[last], dict | list) or not value[last] or _drop_last_leaf(value[last]):
            del value[last]
        return not value
    return False


def _pretty_body(part: Mapping[str, Any], line: int | None, cap: int) -> str:
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


def _headers_text(headers: Mapping[str, str]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers.items())


def request_text(entry: Mapping[str, Any], line: int | None = None, cap: int = BODY_SHOWN) -> str:
    """The request as text: the request line, its headers (credentials masked) and its body."""
    request = entry.get("request", {})
    head = f"{request.get('method', '?')} {request.get('url', '')}\n" + _headers_text(
        request.get("headers", {})
    )
    body = _pretty_body(request, line, cap)
    return head + ("\n" + body if body else "")


def response_text(entry: Mapping[str, Any], line: int | None = None, cap: int = BODY_SHOWN) -> str:
    """The answer as text: its status, headers and body; or the transport error when there was none."""
    response = entry.get("response")
    if response is None:
        return f"no answer: {entry.get('error') or 'unknown error'}\n"
    head = f"{_status_phrase(int(response.get('status', 0)))}\n" + _headers_text(response.get("headers", {}))
    body = _pretty_body(response, line, cap)
    return head + ("\n" + body if body else "")


def _credential_value(name: str, value: str) -> str | None:
    """A credential header's value with the masked credential read from the environment."""
    if MASK not in value:
        return None
    variable = TOKEN_VAR if name.lower() == "authorization" else ACCOUNT_VAR
    return value.replace(MASK, "$" + variable)


#: characters of a body a curl command spells out; a longer one is read from its evidence line
CURL_BODY_INLINE = 2000


def _body_from_evidence(line: int, key: str) -> str:
    """The head of a shell pipeline that prints the body of an evidence line."""
    if key == "body":
        script = 'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin)["request"]["body"]))'
    else:
        script = (
            'import json,sys; sys.stdout.buffer.write(json.load(sys.stdin)["request"]["body_text"].encode())'
        )
    return f"sed -n {line}p evidence.ndjson | python3 -c {shlex.quote(script)} |"


def curl_command(entry: Mapping[str, Any], insecure: bool = False, line: int | None = None) -> str:
    """A curl command that sends the request again, the credentials read from the environment.

    With the exchange's evidence ``line``, a long body is not spelled out: the command reads it from
    evidence.ndjson (run it in the report folder).
    """
    request = entry.get("request", {})
    url = str(request.get("url", ""))
    parts = ["curl -i"]
    if insecure:
        parts[0] += " --insecure"
    if any(c in url for c in "[]{}"):
        parts[0] += " --globoff"
    method = str(request.get("method", "GET"))
    if method != "GET":
        parts[0] += f" -X {shlex.quote(method)}"
    parts[0] += " " + shlex.quote(url)
    for name, value in request.get("headers", {}).items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        from_env = (
            _credential_value(name, value) if name.lower() in ("authorization", "x-account-token") else None
        )
        if from_env is not None:
            parts.append(f'-H "{name}: {from_env}"')
        else:
            parts.append("-H " + shlex.quote(f"{name}: {value}"))
    key = "body" if "body" in request else "body_text" if "body_text" in request else None
    if key is None:
        return " \\\n  ".join(parts)
    body = json.dumps(request["body"], ensure_ascii=False) if key == "body" else str(request["body_text"])
    if line and len(body) > CURL_BODY_INLINE:
        parts.append("--data-binary @-")
        return _body_from_evidence(line, key) + "\n" + " \\\n  ".join(parts)
    parts.append("--data-raw " + shlex.quote(body))
    return " \\\n  ".join(parts)


def reproduce_note(entry: Mapping[str, Any], report: Mapping[str, Any] | None) -> str:
    notes = []
    headers = entry.get("request", {}).get("headers", {})
    if any(MASK in str(v) for k, v in headers.items() if k.lower() in ("authorization", "x-account-token")):
        notes.append(
            f"Set {TOKEN_VAR} and {ACCOUNT_VAR} to the run's credentials first"
            + (
                " (a request under the second account reads CONFORMANCE_SECOND_ACCOUNT_TOKEN instead)"
                if any(r.startswith("LEADS-TENANT") for r in entry.get("requirements", []))
                else ""
            )
            + "."
        )
    if any(r.startswith("LEADS-AUTH") for r in entry.get("requirements", [])):
        notes.append(
            "An authentication check may have sent a wrong or malformed credential here on purpose; "
            "the evidence masks every credential header, so put such a value in place of the variable "
            "to repeat it exactly."
        )
    if entry.get("request", {}).get("body_truncated"):
        notes.append("The body sent was longer than the evidence keeps: this command sends its first 16 KiB.")
    if report is not None and (report.get("target") or {}).get("bundled"):
        notes.append("This run served the bundled reference server, which stopped with the run.")
    return " ".join(notes)


def exchange_html(
    entry: Mapping[str, Any],
    line: int | None = None,
    *,
    insecure: bool = False,
    base_url: str | None = None,
    cap: int = BODY_SHOWN,
    report: Mapping[str, Any] | None = None,
) -> str:
    """An exchange as HTML: what came back in words, the request, the answer and a curl command."""
    where = f" <span class=small>(line {line} of evidence.ndjson)</span>" if line else ""
    note = reproduce_note(entry, report)
    return (
        f"<dl class=ev><dt>What came back</dt><dd>{escape(describe_exchange(entry, base_url))}{where}</dd>"
        f"<dt>Request sent</dt><dd><pre>{escape(request_text(entry, line, cap))}</pre></dd>"
        f"<dt>Answer</dt><dd><pre>{escape(response_text(entry, line, cap))}</pre></dd>"
        f"<dt>Reproduce</dt><dd><button type=button class=copy hidden>copy</button>"
        f"<pre class=curl>{escape(curl_command(entry, insecure, line))}</pre>"
        + (f"<div class=small>{escape(note)}</div>" if note else "")
        + "</dd></dl>"
    )


# ----------------------------------------------------------------------------- evidence
