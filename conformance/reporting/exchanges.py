"""One HTTP exchange of the evidence, as a person reads it: in words, as request and response text,
and as a curl command that sends the request again. report.html and checks.html both present
exchanges with these (``exchange_html``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.http.redaction import MASK
from conformance.reporting.bodies import body_text
from conformance.reporting.templating import macro

#: characters of a pretty-printed body shown on the page; the whole (capped) body is in evidence.ndjson
BODY_SHOWN = 3000
#: exchanges shown per requirement; the others are named by their evidence line
EXCHANGES_PER_REQUIREMENT = 4
#: the environment variables a reproduce command reads the credentials from
TOKEN_VAR = "CONFORMANCE_TOKEN"
ACCOUNT_VAR = "CONFORMANCE_ACCOUNT_TOKEN"
#: the headers that carry the API's credentials, which a reproduce command reads from the environment
#: (the evidence masks more: ``http.redaction.CREDENTIAL_HEADERS``)
API_CREDENTIAL_HEADERS = ("authorization", "x-account-token")
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
    return "an array" if isinstance(value, list) else "an object"


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


def _message_text(first: str, message: Mapping[str, Any], line: int | None, cap: int) -> str:
    """A request or an answer as text: its first line, its headers and its body."""
    headers = "".join(f"{name}: {value}\n" for name, value in message.get("headers", {}).items())
    body = body_text(message, line, cap)
    return f"{first}\n{headers}" + ("\n" + body if body else "")


def request_text(entry: Mapping[str, Any], line: int | None = None, cap: int = BODY_SHOWN) -> str:
    """The request as text: the request line, its headers (credentials masked) and its body."""
    request = entry.get("request", {})
    return _message_text(f"{request.get('method', '?')} {request.get('url', '')}", request, line, cap)


def response_text(entry: Mapping[str, Any], line: int | None = None, cap: int = BODY_SHOWN) -> str:
    """The answer as text: its status, headers and body; or the transport error when there was none."""
    response = entry.get("response")
    if response is None:
        return f"no answer: {entry.get('error') or 'unknown error'}\n"
    return _message_text(_status_phrase(int(response.get("status", 0))), response, line, cap)


def _credential_value(name: str, value: str) -> str | None:
    """A credential header's value with the masked credential read from the environment."""
    if name.lower() not in API_CREDENTIAL_HEADERS or MASK not in value:
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
        from_env = _credential_value(name, value)
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
    if any(MASK in str(v) for k, v in headers.items() if k.lower() in API_CREDENTIAL_HEADERS):
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
    return str(
        macro("parts.html", "exchange")(
            said=describe_exchange(entry, base_url),
            line=line,
            request=request_text(entry, line, cap),
            response=response_text(entry, line, cap),
            command=curl_command(entry, insecure, line),
            note=reproduce_note(entry, report),
        )
    )
