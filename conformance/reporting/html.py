"""report.html: the one self-contained page a person reads (inline CSS, SVG and script only).

The page leads with the verdict, the gate and the certification state, then what failed, one line
each, then a picture per area, the requirement table (filtered and searched with the script; read
whole without it), known failures apart, and the run's facts. Every failure shows what was expected,
what came back (the request and the answer from ``evidence.ndjson``, credentials masked, bodies
pretty-printed and capped) and a curl command that sends the request again.

The document rendered is report.json, already redacted; the evidence lines are redacted at the
source. The helpers that present one exchange (``describe_exchange``, ``request_text``,
``response_text``, ``curl_command``, ``exchange_html``) also serve checks.html.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
from collections.abc import Mapping
from html import escape
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from conformance._redact import MASK

__all__ = [
    "BODY_SHOWN",
    "curl_command",
    "describe_exchange",
    "evidence_for",
    "exchange_html",
    "exchanges_of",
    "render_html",
    "request_of_command",
    "request_text",
    "response_text",
    "same_request",
    "search_evidence",
]

#: characters of a pretty-printed body shown on the page; the whole (capped) body is in evidence.ndjson
BODY_SHOWN = 3000
#: exchanges shown per requirement; the others are named by their evidence line
EXCHANGES_PER_REQUIREMENT = 4
#: characters of exchange text the whole page may hold, so a badly broken target still gives a small page
EXCHANGE_BUDGET = 350_000

STATUS_LABEL = {
    "pass": "passed",
    "fail": "failed",
    "known": "known failure",
    "warn": "warning",
    "skip": "not verified",
    "inconclusive": "inconclusive",
}
PROBLEMS = ("fail", "warn", "inconclusive", "known")
CHECK_LABEL = {
    "passed": "pass",
    "failed": "fail",
    "skipped": "skip",
    "inconclusive": "inconclusive",
    "error": "error",
}
#: the environment variables a reproduce command reads the credentials from
TOKEN_VAR = "CONFORMANCE_TOKEN"
ACCOUNT_VAR = "CONFORMANCE_ACCOUNT_TOKEN"
_SKIPPED_HEADERS = frozenset({"host", "content-length", "accept-encoding", "connection", "user-agent"})

_STYLE = """
:root{--pass:#1a7f37;--fail:#cf222e;--known:#0969da;--warn:#9a6700;--skip:#6e7781;--inconclusive:#8250df;--error:#bc4c00;--line:#d8dee4;--soft:#f6f8fa;--muted:#57606a}
*{box-sizing:border-box}
[hidden]{display:none!important}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1f2328;background:#fff}
main{max-width:78rem;margin:0 auto;padding:1.25rem 1.25rem 4rem}
h1{font-size:1.05rem;font-weight:600;margin:0 0 .75rem;color:var(--muted)}
h2{font-size:1.2rem;margin:2.2rem 0 .6rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1rem 0 .3rem}
a{color:#0969da}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,monospace;font-size:.86em}
.hero{border:1px solid var(--line);border-left:.55rem solid var(--c);border-radius:.5rem;padding:1rem 1.25rem;background:#fff}
.hero .line1{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem 1rem}
.verdict{font-size:1.9rem;font-weight:800;letter-spacing:.02em;color:var(--c)}
.hero p{margin:.35rem 0}
.lead{font-size:1.08rem}
.facts3{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.6rem 0 .2rem}
.facts3 div{background:var(--soft);border-radius:.35rem;padding:.3rem .7rem}
.facts3 b{display:block;font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.counts{display:flex;flex-wrap:wrap;gap:.4rem;margin:.7rem 0 0;padding:0;list-style:none}
.counts li{border:1px solid var(--line);border-radius:1rem;padding:.1rem .65rem;font-size:.9rem}
.counts li b{color:var(--c)}
.chip{display:inline-block;min-width:5.2rem;text-align:center;font-size:.72rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#fff;background:var(--c);border-radius:.3rem;padding:.1rem .4rem;white-space:nowrap}
.c-pass{--c:var(--pass)}.c-fail{--c:var(--fail)}.c-known{--c:var(--known)}.c-warn{--c:var(--warn)}.c-skip{--c:var(--skip)}.c-inconclusive{--c:var(--inconclusive)}.c-error{--c:var(--error)}.c-incomplete{--c:var(--warn)}
ul.problems{list-style:none;padding:0;margin:.3rem 0}
ul.problems li{padding:.35rem 0;border-bottom:1px solid #eef1f4;display:flex;gap:.6rem;align-items:baseline}
ul.problems .what{flex:1;min-width:0}
ul.problems .said{color:var(--muted)}
.id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;white-space:nowrap}
.muted,.small{color:var(--muted)}.small{font-size:.85rem}
.areas{display:grid;grid-template-columns:repeat(auto-fill,minmax(13.5rem,1fr));gap:.6rem}
.area{border:1px solid var(--line);border-radius:.45rem;padding:.5rem .7rem;text-decoration:none;color:inherit;display:block}
.area:hover{border-color:#8c959f}
.area b{font-size:.9rem}.area svg{display:block;margin:.35rem 0 .2rem}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;color:var(--muted);margin:.5rem 0 0}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;background:var(--c);margin-right:.3rem;vertical-align:-.1rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .8rem;align-items:end;background:var(--soft);border:1px solid var(--line);border-radius:.45rem;padding:.6rem .8rem;margin:.4rem 0 .6rem}
form.filters label{display:flex;flex-direction:column;font-size:.78rem;color:var(--muted);gap:.15rem}
form.filters select,form.filters input{font:inherit;font-size:.92rem;padding:.25rem .4rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff}
form.filters input[type=search]{min-width:16rem}
form.filters button{font:inherit;font-size:.88rem;padding:.28rem .7rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff;cursor:pointer}
#shown{font-size:.85rem;color:var(--muted);margin-left:auto}
table{border-collapse:collapse;width:100%}
.cols{display:grid;grid-template-columns:8.4rem 11.5rem 5rem minmax(0,1fr);gap:0 .6rem;align-items:baseline}
.reqs-head{position:sticky;top:0;background:#fff;z-index:1;font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line);padding:.4rem .5rem}
.area-head{background:var(--soft);font-weight:700;font-size:.85rem;letter-spacing:.04em;padding:.3rem .5rem;margin-top:.2rem}
div.req{border-bottom:1px solid #eef1f4;scroll-margin-top:2.4rem;overflow-wrap:anywhere}
div.req:target{box-shadow:inset .3rem 0 #d4a72c}
details>summary{cursor:pointer}
details.req>summary{list-style:none;padding:.4rem .5rem}
details.req>summary::-webkit-details-marker{display:none}
details.req>summary:hover{background:#f6f8fa}
details.req>summary .title::before{content:"▸";display:inline-block;width:1.1rem;color:var(--muted)}
details.req[open]>summary .title::before{content:"▾"}
details.req[open]>summary .title{font-weight:600}
details.req>.body{padding:.2rem .8rem .8rem 1.6rem}
.body{padding:.4rem 0 .6rem}
.check{display:grid;grid-template-columns:6rem 1fr auto;gap:.15rem .6rem;padding:.25rem 0;border-top:1px dashed #eef1f4;font-size:.92rem}
.check .nodeid{grid-column:2/4;font-size:.78rem}
.failure{border:1px solid #ffcecb;background:#fffafa;border-radius:.45rem;padding:.6rem .8rem;margin:.6rem 0}
.failure.known{border-color:#b6e3ff;background:#f6fbff}
.failure.warn{border-color:#f0d88a;background:#fffdf3}
.failure h4{margin:0 0 .3rem;font-size:.95rem}
dl.ev{display:grid;grid-template-columns:9rem 1fr;gap:.2rem .8rem;margin:.3rem 0}
dl.ev dt{color:var(--muted);font-size:.85rem}
dl.ev dd{margin:0;min-width:0}
pre{background:var(--soft);border:1px solid #eaeef2;border-radius:.35rem;padding:.5rem .6rem;margin:.25rem 0;overflow:auto;max-height:26rem;white-space:pre-wrap;overflow-wrap:anywhere}
pre.curl{background:#161b22;color:#e6edf3;border-color:#161b22}
.copy{float:right;font:inherit;font-size:.78rem;padding:.1rem .5rem;border:1px solid #afb8c1;border-radius:.3rem;background:#fff;cursor:pointer}
table.meta td{border-bottom:1px solid #eef1f4;padding:.3rem .5rem;vertical-align:top}
table.meta td:first-child{color:var(--muted);width:13rem;white-space:nowrap}
table.meta td.mono{overflow-wrap:anywhere}
.note{background:var(--soft);border-radius:.4rem;padding:.5rem .8rem}
@media print{form.filters{display:none}pre{max-height:none}}
"""

_SCRIPT = """
(function(){
  var form=document.getElementById('filters');if(!form)return;
  form.hidden=false;
  var rows=Array.prototype.slice.call(document.querySelectorAll('div.req'));
  var heads=Array.prototype.slice.call(document.querySelectorAll('div.area-head'));
  var shown=document.getElementById('shown');
  function keep(r){
    var s=form.elements.status.value,a=form.elements.area.value,l=form.elements.level.value;
    var q=form.elements.q.value.trim().toLowerCase(),d=r.dataset;
    if(s==='problems'){if(['fail','warn','inconclusive','known'].indexOf(d.status)<0)return false}
    else if(s!=='all'&&d.status!==s)return false;
    if(a!=='all'&&d.area!==a)return false;
    if(l!=='all'&&d.level!==l)return false;
    return !q||d.text.indexOf(q)>=0;
  }
  function apply(){
    var n=0,areas={};
    rows.forEach(function(r){var ok=keep(r);r.hidden=!ok;if(ok){n++;areas[r.dataset.area]=1}});
    heads.forEach(function(h){h.hidden=!areas[h.dataset.area]});
    shown.textContent=n+' of '+rows.length+' requirements shown';
  }
  form.addEventListener('input',apply);form.addEventListener('change',apply);
  form.addEventListener('submit',function(e){e.preventDefault()});
  form.addEventListener('reset',function(){setTimeout(apply,0)});
  function reveal(){
    var id=decodeURIComponent(location.hash.slice(1));if(!id)return;
    var el=document.getElementById(id);if(!el)return;
    var row=el.closest?el.closest('div.req'):null;
    if(row&&row.hidden){form.reset();apply()}
    for(var p=el;p;p=p.parentElement){if(p.tagName==='DETAILS')p.open=true}
    if(row){var d=row.querySelector('details.req');if(d)d.open=true}
    el.scrollIntoView({block:'start'});
  }
  window.addEventListener('hashchange',reveal);
  document.querySelectorAll('[data-filter]').forEach(function(a){a.addEventListener('click',function(e){
    var f=a.dataset.filter.split('=');form.reset();form.elements[f[0]].value=f[1];apply();
  })});
  document.querySelectorAll('button.copy').forEach(function(b){b.hidden=false;b.addEventListener('click',function(){
    var text=b.parentElement.querySelector('pre').textContent;
    if(navigator.clipboard){navigator.clipboard.writeText(text).then(function(){b.textContent='copied'})}
  })});
  apply();reveal();
})();
"""


# ----------------------------------------------------------------------------- one exchange
def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _short(text: str, limit: int) -> str:
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
    shown = [f"{_printable(_short(k, 30))}={_printable(_short(v, 40))}" for k, v in pairs[:3]]
    more = f" and {len(pairs) - 3} more parameters" if len(pairs) > 3 else ""
    return ", ".join(shown) + more


def _credentials_phrase(headers: Mapping[str, str]) -> list[str]:
    """What the credential headers show: the evidence masks their values by name, never their absence."""
    said = []
    authorization = _header(headers, "authorization")
    if authorization is None:
        said.append("without an Authorization header")
    elif authorization == MASK:
        said.append("with an Authorization header without the Bearer scheme")
    elif not authorization.startswith("Bearer "):
        said.append(f"with the {authorization.split(' ')[0]!r} scheme instead of Bearer")
    account = _header(headers, "x-account-token")
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
        error = _short(str(entry.get("error") or "no answer"), 200)
        return f"The server gave no answer to {sent} ({error})."
    said = ""
    answer = response.get("body")
    if isinstance(answer, dict) and isinstance(answer.get("detail"), str):
        said = f', saying "{_short(answer["detail"].rstrip("."), 100)}"'
    attempt = f" (attempt {entry['attempt']})" if entry.get("attempt") else ""
    return f"The server answered {_status_phrase(int(response.get('status', 0)))} to {sent}{said}{attempt}."


def _pretty_body(part: Mapping[str, Any], line: int | None, cap: int) -> str:
    if "body" in part:
        text = json.dumps(part["body"], indent=2, ensure_ascii=False)
    elif "body_text" in part:
        text = str(part["body_text"])
    else:
        return ""
    where = f" (line {line} of evidence.ndjson holds it whole)" if line else ""
    if len(text) > cap:
        text = text[:cap] + f"\n… {len(text) - cap} more characters{where}"
    if part.get("body_truncated"):
        text += f"\n… the body was {part['body_truncated']} bytes; the evidence keeps its first 16 KiB"
    return text


def _headers_text(headers: Mapping[str, str]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers.items())


def request_text(entry: Mapping[str, Any], line: int | None = None, cap: int = BODY_SHOWN) -> str:
    """The request as text: the request line, its headers (credentials masked) and its body."""
    request = entry.get("request", {})
    head = f"{request.get('method', '?')} {request.get('url', '')}\n" + _headers_text(request.get("headers", {}))
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
        script = 'import json,sys; sys.stdout.buffer.write(json.load(sys.stdin)["request"]["body_text"].encode())'
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
        from_env = _credential_value(name, value) if name.lower() in ("authorization", "x-account-token") else None
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


def _reproduce_note(entry: Mapping[str, Any], report: Mapping[str, Any] | None) -> str:
    notes = []
    headers = entry.get("request", {}).get("headers", {})
    if any(MASK in str(v) for k, v in headers.items() if k.lower() in ("authorization", "x-account-token")):
        notes.append(
            f"Set {TOKEN_VAR} and {ACCOUNT_VAR} to the run's credentials first"
            + (" (a request under the second account reads CONFORMANCE_SECOND_ACCOUNT_TOKEN instead)"
               if any(r.startswith("LEADS-TENANT") for r in entry.get("requirements", [])) else "")
            + "."
        )
    if any(r.startswith("LEADS-AUTH") for r in entry.get("requirements", [])):
        notes.append(
            "An authentication check may have sent a wrong or malformed credential here on purpose; the evidence "
            "masks every credential header, so put such a value in place of the variable to repeat it exactly."
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
    note = _reproduce_note(entry, report)
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
def failure_lines(report: Mapping[str, Any]) -> set[int]:
    """The evidence lines the page shows: the exchanges of failures, a few per requirement."""
    lines: set[int] = set()
    for requirement in report.get("requirements", []):
        shown = 0
        for failure in requirement.get("failures", []):
            line = failure.get("exchange")
            if isinstance(line, int) and line > 0 and shown < EXCHANGES_PER_REQUIREMENT:
                lines.add(line)
                shown += 1
    return lines


def request_of_command(command: str | None) -> dict[str, Any] | None:
    """The request a curl command sends (method, URL, headers, body), or None when it is not one."""
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    request: dict[str, Any] = {"method": "GET", "url": None, "headers": {}}
    index = 1
    while index < len(words):
        word = words[index]
        value = words[index + 1] if index + 1 < len(words) else ""
        if word in ("-X", "--request"):
            request["method"] = value
        elif word in ("-H", "--header"):
            name, _, header = value.partition(":")
            request["headers"][name.strip()] = header.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            try:
                request["body"] = json.loads(value)
            except ValueError:
                request["body_text"] = value
        elif word.startswith(("http://", "https://")):
            request["url"] = word
            index += 1
            continue
        else:
            index += 1
            continue
        index += 2
    return request if request["url"] else None


def same_request(entry: Mapping[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether an evidence line holds the request a reproduce command sends (method, URL and body)."""
    sent = entry.get("request", {})
    if str(sent.get("method", "")).upper() != str(request.get("method", "")).upper():
        return False
    if unquote(str(sent.get("url", ""))) != unquote(str(request.get("url", ""))):
        return False
    for name in ("authorization", "x-account-token"):
        if (_header(sent.get("headers", {}), name) is None) != (_header(request.get("headers", {}), name) is None):
            return False
    return all(sent.get(key) == request[key] for key in ("body", "body_text") if key in request)


def _misplaced(report: Mapping[str, Any], found: Mapping[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests of failures whose evidence line holds another request than their reproduce command."""
    pending = []
    for requirement in report.get("requirements", []):
        for failure in requirement.get("failures", [])[:EXCHANGES_PER_REQUIREMENT]:
            request = request_of_command(failure.get("reproduce"))
            entry = found.get(failure.get("exchange") or 0)
            if request is not None and (entry is None or not same_request(entry, request)):
                pending.append(request)
    return pending


def exchanges_of(report: Mapping[str, Any], path: Path) -> dict[int, dict[str, Any]]:
    """The evidence lines of the report's failures, read from ``path``.

    Only the failures' lines are parsed; when a failure's line holds another request than the one its
    reproduce command sends, the lines with that method are searched for the ones that hold it.
    """
    wanted = failure_lines(report)
    found: dict[int, dict[str, Any]] = {}
    if not wanted or not path.exists():
        return found
    last = max(wanted)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if number in wanted:
                with contextlib.suppress(ValueError):
                    found[number] = json.loads(line)
            if number >= last:
                break
    pending = _misplaced(report, found)
    if pending:
        found.update(search_evidence(path, pending))
    return found


def search_evidence(path: Path, requests: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The lines of ``path`` that hold one of ``requests`` (only lines with their methods are parsed)."""
    methods = {'"method":' + json.dumps(str(r.get("method", "")).upper()) for r in requests}
    found: dict[int, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not any(method in line for method in methods):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and any(same_request(entry, request) for request in requests):
                found[number] = entry
    return found


def _said_status(message: str) -> int | None:
    found = re.search(r"-> (\d{3})\b", message)
    return int(found.group(1)) if found else None


def evidence_for(
    failure: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]
) -> tuple[int | None, dict[str, Any] | None]:
    """The evidence line of a failure and its exchange: the one its reproduce command sends, if known.

    A failure's own line holds it as a rule; else the lines holding the same request are ranked: of the
    same check first, then with the status the failure's message names, then the latest.
    """
    line = failure.get("exchange")
    entry = evidence.get(line) if isinstance(line, int) else None
    request = request_of_command(failure.get("reproduce"))
    if request is None or (entry is not None and same_request(entry, request)):
        return (line if isinstance(line, int) else None), entry
    status = _said_status(str(failure.get("message", "")))
    matches = [(number, candidate) for number, candidate in evidence.items() if same_request(candidate, request)]
    if not matches:
        return None, None
    return max(
        matches,
        key=lambda item: (
            item[1].get("check") == failure.get("test"),
            status is not None and (item[1].get("response") or {}).get("status") == status,
            item[0],
        ),
    )


# ----------------------------------------------------------------------------- page parts
def _chip(status: str, text: str | None = None) -> str:
    return f'<span class="chip c-{escape(status)}">{escape(text or STATUS_LABEL.get(status, status))}</span>'


def _anchor(rid: str) -> str:
    return "#" + quote(rid, safe="")


def _checks_link(checks_page: str | None, nodeid: str) -> str:
    if not checks_page:
        return f"<span class=mono>{escape(nodeid)}</span>"
    return f'<a class=mono href="{escape(checks_page)}#{quote(nodeid, safe="")}">{escape(nodeid)}</a>'


def _counted(requirement: Mapping[str, Any], report: Mapping[str, Any]) -> bool:
    return requirement.get("level") == "MUST" or bool(report.get("strict"))


def _verdict_sentence(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    verdict = report.get("verdict")
    target = report.get("target", {}).get("base_url", "the target")
    if verdict == "pass":
        scope = "MUST and SHOULD" if report.get("strict") else "MUST"
        return f"{target} conforms: every {scope} requirement of the catalog passed with evidence."
    if verdict == "fail":
        failed = [r for r in requirements if r["status"] in ("fail", "known") or (r["status"] == "warn" and report.get("strict"))]
        must = sum(1 for r in failed if r.get("level") == "MUST")
        known = sum(1 for r in failed if r["status"] == "known")
        extra = ""
        if known:
            extra = f", {known} of them {'a known failure' if known == 1 else 'known failures'} the baseline accepts"
        unverified = report.get("must_not_verified", {}).get("count", 0)
        unseen = ""
        if unverified:
            unseen = f" {unverified} MUST requirement{' was' if unverified == 1 else 's were'} not verified."
        return (
            f"{target} does not conform: {len(failed)} requirement{'s' if len(failed) != 1 else ''} failed "
            f"({must} MUST){extra}.{unseen}"
        )
    unverified = report.get("must_not_verified", {})
    count = unverified.get("count", 0)
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(unverified.get("why", {}).items()))
    if count:
        return (
            f"Nothing failed, but {count} of the {unverified.get('of')} MUST requirements were not verified"
            f" ({why}): this run cannot say that {target} conforms."
        )
    return f"Nothing failed, but the run is incomplete: this run cannot say that {target} conforms."


def _certification(report: Mapping[str, Any]) -> str:
    if report.get("certification"):
        return "certified: a --certify run whose verdict is pass"
    if report.get("mode") == "certify":
        return "not certified: a --certify run whose verdict is not pass"
    return "not a certification: run without --certify"


def _gate(report: Mapping[str, Any]) -> str:
    if report.get("suite_errors"):
        return "fail (exit status 2: the suite itself failed in a check)"
    return "pass (exit status 0)" if report.get("gate") == "pass" else "fail (exit status 1)"


def _hero(report: Mapping[str, Any]) -> str:
    verdict = str(report.get("verdict", ""))
    summary = report.get("summary", {})
    names = {"passed": "pass", "failed": "fail", "known": "known", "warned": "warn", "skipped": "skip", "inconclusive": "inconclusive"}
    counts = "".join(
        f'<li class="c-{names.get(key, key)}"><a href="#requirements" data-filter="status={names.get(key, key)}" '
        f'style="color:inherit;text-decoration:none"><b>{value}</b> {escape(key)}</a></li>'
        for key, value in summary.items()
    )
    target = report.get("target", {})
    bundled = f" <span class=small>({escape(target['bundled'])})</span>" if target.get("bundled") else ""
    reasons = [*report.get("gate_reasons", [])]
    why = (
        "<p class=small>The gate failed because: " + "; ".join(escape(r) for r in reasons) + ".</p>" if reasons else ""
    )
    return f"""<section class="hero c-{escape(verdict)}" id=verdict>
<div class=line1><span class=verdict>{escape(verdict.upper())}</span><span class=lead>{escape(_verdict_sentence(report))}</span></div>
<div class=facts3>
<div><b>CI gate</b>{escape(_gate(report))}</div>
<div><b>Certification</b>{escape(_certification(report))}</div>
<div><b>Target</b><span class=mono>{escape(str(target.get('base_url', '')))}</span>{bundled}</div>
<div><b>Finished</b>{escape(str(report.get('finished_at', '')))}</div>
</div>
<ul class=counts>{counts}</ul>
{why}
<p class=small>MUST requirements decide the verdict; a failed SHOULD is a warning{" and, with --strict, counts as a MUST" if report.get("strict") else ""}.</p>
</section>"""


def _first_failure_sentence(
    requirement: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]], base_url: str | None
) -> str:
    for failure in requirement.get("failures", []):
        _, entry = evidence_for(failure, evidence)
        if entry is not None:
            return describe_exchange(entry, base_url)
    for failure in requirement.get("failures", []):
        return str(failure.get("message", ""))
    for reason in requirement.get("reasons", []):
        return str(reason).split(": ", 1)[-1]
    return ""


def _what_failed(report: Mapping[str, Any], evidence: Mapping[int, dict[str, Any]]) -> str:
    base_url = report.get("target", {}).get("base_url")
    order = {"fail": 0, "inconclusive": 1, "warn": 2, "known": 3}
    problems = sorted(
        (r for r in report.get("requirements", []) if r["status"] in PROBLEMS),
        key=lambda r: (order[r["status"]], r.get("level") != "MUST"),
    )
    items = []
    for requirement in problems:
        said = _first_failure_sentence(requirement, evidence, base_url)
        more = len(requirement.get("failures", []))
        count = f" <span class=small>({more} failures)</span>" if more > 1 else ""
        items.append(
            f'<li>{_chip(requirement["status"])}<span class=what><a class=id href="{_anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
            f'<b>{escape(requirement.get("level", ""))}</b> {escape(requirement.get("title", ""))}{count}'
            + (f" <span class=said>— {escape(_short(said, 220))}</span>" if said else "")
            + "</span></li>"
        )
    for entry in report.get("baseline", {}).get("stale", []):
        items.append(
            f'<li>{_chip("error", "stale entry")}<span class=what><a class=id href="{_anchor(entry["id"])}">{escape(entry["id"])}</a> '
            f"the baseline lists it as a known failure, but it now passes: remove the entry"
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + "</span></li>"
        )
    for error in report.get("suite_errors", []):
        items.append(
            f'<li>{_chip("error", "suite error")}<span class=what><span class=mono>{escape(error.get("test", ""))}</span> '
            f"— {escape(_short(str(error.get('error', '')), 220))} (a fault of the suite, not of the target: see suite-errors.log)</span></li>"
        )
    if not items:
        if report.get("verdict") == "pass":
            body = "<p>Nothing failed: every requirement that ran passed.</p>"
        else:
            body = "<p>Nothing failed. The requirements without evidence are listed as <i>not verified</i> in the table below.</p>"
    else:
        body = f"<ul class=problems>{''.join(items)}</ul>"
    notes = "".join(f"<li>{escape(n)}</li>" for n in report.get("notes", []))
    if notes:
        body += f"<h3>Notes on the run</h3><ul>{notes}</ul>"
    return f"<section id=what-failed><h2>What failed</h2>{body}</section>"


_SQUARE, _GAP, _PER_ROW = 14, 3, 12


def _area_svg(requirements: list[Mapping[str, Any]]) -> str:
    rows = (len(requirements) + _PER_ROW - 1) // _PER_ROW
    width = min(len(requirements), _PER_ROW) * (_SQUARE + _GAP)
    height = rows * (_SQUARE + _GAP)
    squares = []
    for index, requirement in enumerate(requirements):
        x = (index % _PER_ROW) * (_SQUARE + _GAP)
        y = (index // _PER_ROW) * (_SQUARE + _GAP)
        status = requirement["status"]
        label = f"{requirement['id']} ({requirement.get('level')}): {STATUS_LABEL.get(status, status)} — {requirement.get('title', '')}"
        mark = ""
        if status in ("fail", "warn"):
            mark = f'<path d="M{x + 4} {y + 4}l6 6m0-6l-6 6" stroke="#fff" stroke-width="1.6"/>'
        elif status == "inconclusive":
            mark = f'<circle cx="{x + 7}" cy="{y + 7}" r="2" fill="#fff"/>'
        squares.append(
            f'<g><title>{escape(label)}</title><rect x="{x}" y="{y}" width="{_SQUARE}" height="{_SQUARE}" rx="2" '
            f'fill="var(--{escape(status)})"/>{mark}</g>'
        )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{len(requirements)} requirements">{"".join(squares)}</svg>'
    )


def _areas(report: Mapping[str, Any]) -> str:
    by_area: dict[str, list[Mapping[str, Any]]] = {}
    for requirement in report.get("requirements", []):
        by_area.setdefault(str(requirement.get("area")), []).append(requirement)
    cards = []
    for area, requirements in by_area.items():
        counts: dict[str, int] = {}
        for requirement in requirements:
            counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
        said = " · ".join(f"{n} {STATUS_LABEL[s]}" for s, n in counts.items() if s in STATUS_LABEL)
        cards.append(
            f'<a class=area href="#area-{escape(area)}" data-filter="area={escape(area)}"><b>{escape(area)}</b>'
            f"{_area_svg(requirements)}<span class=small>{escape(said)}</span></a>"
        )
    legend = "".join(f'<span class="c-{s}"><i></i>{escape(label)}</span>' for s, label in STATUS_LABEL.items())
    return (
        "<section id=areas><h2>By area</h2><div class=areas>" + "".join(cards) + "</div>"
        f"<div class=legend>{legend}<span>one square per requirement; ✕ failed, • inconclusive</span></div></section>"
    )


def _seconds(value: float) -> str:
    return "under 0.01 s" if value < 0.01 else f"{value:.2f} s"


def _check_rows(
    requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]], checks_page: str | None
) -> str:
    failing = {f.get("test") for f in requirement.get("failures", [])}
    rows = []
    for nodeid in requirement.get("tests", []):
        check = checks.get(nodeid, {})
        outcome = CHECK_LABEL.get(str(check.get("outcome", "")), "")
        own = outcome
        if nodeid in failing:
            own = "fail" if requirement["status"] == "fail" else requirement["status"]
        elif outcome == "fail" or (
            outcome == "inconclusive" and check.get("inconclusive") and requirement["id"] not in check["inconclusive"]
        ):
            own = "pass"
        also = " <span class=small>(the check failed on another requirement)</span>" if own != outcome and outcome == "fail" else ""
        duration = check.get("duration_seconds")
        took = _seconds(duration) if isinstance(duration, int | float) else ""
        chip = _chip(own, {"pass": "pass", "skip": "skipped"}.get(own, own)) if own else ""
        rows.append(
            f"<div class=check><div>{chip}</div><div>{escape(str(check.get('obligation') or ''))}{also}</div>"
            f"<div class=small>{escape(took)}</div><div class=nodeid>{_checks_link(checks_page, nodeid)}</div></div>"
        )
    return "".join(rows)


class _Budget:
    """How much exchange text the page may still hold."""

    def __init__(self, chars: int):
        self.left = chars

    def take(self, text: str) -> bool:
        if len(text) > self.left:
            return False
        self.left -= len(text)
        return True


def _failure_block(
    requirement: Mapping[str, Any],
    index: int,
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    status = requirement["status"]
    kind = {"known": "known", "warn": "warn"}.get(status, "")
    nodeid = str(failure.get("test", ""))
    obligation = checks.get(nodeid, {}).get("obligation")
    line, entry = evidence_for(failure, evidence)
    parts = [
        f'<div class="failure {kind}" id="{escape(requirement["id"])}-failure-{index}">',
        f"<h4>{'Warning' if status == 'warn' else 'Known failure' if status == 'known' else 'Failure'} {index}</h4>",
        "<dl class=ev>",
        f"<dt>Expected</dt><dd>{escape(requirement.get('title', ''))}"
        + (
            f"<div class=small>checked by: {escape(str(obligation))}</div>"
            if obligation and str(obligation).rstrip(".") != requirement.get("title", "").rstrip(".")
            else ""
        )
        + f"<div class=small>{_checks_link(checks_page, nodeid)}</div></dd>",
        f"<dt>The check found</dt><dd>{escape(_short(str(failure.get('message', '')), 400))}</dd>",
        "</dl>",
    ]
    shown = False
    if entry is not None:
        block = exchange_html(
            entry,
            line,
            insecure=bool(report.get("insecure")),
            base_url=report.get("target", {}).get("base_url"),
            report=report,
        )
        if budget.take(block):
            parts.append(block)
            shown = True
    if not shown:
        parts.append(_reproduce_only(requirement, failure, report, line, entry))
    parts.append("</div>")
    return "".join(parts)


def _reproduce_only(
    requirement: Mapping[str, Any],
    failure: Mapping[str, Any],
    report: Mapping[str, Any],
    line: int | None,
    entry: Mapping[str, Any] | None,
) -> str:
    """A failure's exchange named by its line, and its reproduce command, when the page shows no more."""
    parts = []
    if line:
        why = " (not shown here, to keep the page small)" if entry is not None else ""
        parts.append(f"<p class=small>The exchange is line {line} of evidence.ndjson{why}.</p>")
    request = request_of_command(failure.get("reproduce"))
    source: Mapping[str, Any] | None = entry
    if source is None and request is not None:
        source = {"request": request, "requirements": [requirement["id"]]}
    if source is not None:
        command = curl_command(source, bool(report.get("insecure")), line if source is entry else None)
        note = _reproduce_note(source, report)
    elif failure.get("reproduce"):
        command, note = str(failure["reproduce"]), "Put the run's credentials in place of ***."
    else:
        return "".join(parts)
    parts.append(
        "<dl class=ev><dt>Reproduce</dt><dd><button type=button class=copy hidden>copy</button>"
        f"<pre class=curl>{escape(command)}</pre>" + (f"<div class=small>{escape(note)}</div>" if note else "") + "</dd></dl>"
    )
    return "".join(parts)


def _requirement_body(
    requirement: Mapping[str, Any],
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
    budget: _Budget,
) -> str:
    parts = []
    for entry in requirement.get("known", []):
        check = f" (check {escape(entry['check'])})" if entry.get("check") else ""
        parts.append(f"<p class=note><b>Known failure</b>{check}: {escape(str(entry.get('reason', '')))}</p>")
    for index, failure in enumerate(requirement.get("failures", []), start=1):
        if index > EXCHANGES_PER_REQUIREMENT:
            rest = requirement["failures"][index - 1 :]
            listed = "".join(f"<li>{escape(_short(str(f.get('message', '')), 200))}</li>" for f in rest[:10])
            parts.append(f"<p class=small>{len(rest)} more failures:</p><ul class=small>{listed}</ul>")
            break
        parts.append(_failure_block(requirement, index, failure, report, evidence, checks, checks_page, budget))
    reasons = requirement.get("reasons", [])
    if reasons:
        items = "".join(f"<li>{escape(str(r))}</li>" for r in reasons[:12])
        parts.append(f"<h3>Why it is {escape(STATUS_LABEL.get(requirement['status'], requirement['status']))}</h3><ul class=small>{items}</ul>")
    if requirement.get("tests"):
        took = requirement.get("duration_seconds")
        parts.append(
            f"<h3>Checks ({len(requirement['tests'])}"
            + (f", {_seconds(took)}" if isinstance(took, int | float) else "")
            + f")</h3>{_check_rows(requirement, checks, checks_page)}"
        )
    parts.append(f"<p class=small>Source: {escape(str(requirement.get('source', '')))}</p>")
    return "<div class=body>" + "".join(parts) + "</div>"


def _search_text(requirement: Mapping[str, Any], checks: Mapping[str, Mapping[str, Any]]) -> str:
    words = [requirement["id"], requirement.get("title", ""), requirement.get("status", ""), STATUS_LABEL.get(requirement["status"], "")]
    for nodeid in requirement.get("tests", []):
        words += [nodeid, str(checks.get(nodeid, {}).get("obligation") or "")]
    words += [str(f.get("message", ""))[:200] for f in requirement.get("failures", [])[:5]]
    return " ".join(words).lower()


def _filters(report: Mapping[str, Any]) -> str:
    requirements = report.get("requirements", [])
    counts: dict[str, int] = {}
    for requirement in requirements:
        counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
    problems = sum(counts.get(s, 0) for s in PROBLEMS)
    status = "".join(
        f'<option value="{s}">{escape(STATUS_LABEL[s])} ({counts[s]})</option>' for s in STATUS_LABEL if counts.get(s)
    )
    areas = list(dict.fromkeys(str(r.get("area")) for r in requirements))
    area = "".join(f'<option value="{escape(a)}">{escape(a)}</option>' for a in areas)
    return f"""<form id=filters class=filters hidden>
<label>Status<select name=status><option value=all>all</option><option value=problems>problems ({problems})</option>{status}</select></label>
<label>Area<select name=area><option value=all>all</option>{area}</select></label>
<label>Level<select name=level><option value=all>all</option><option value=MUST>MUST</option><option value=SHOULD>SHOULD</option></select></label>
<label>Search ID or text<input type=search name=q placeholder="e.g. RETRIEVE-001 or 404"></label>
<button type=reset>Show all</button><span id=shown></span>
</form>"""


def _table(
    report: Mapping[str, Any],
    evidence: Mapping[int, dict[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
    checks_page: str | None,
) -> str:
    budget = _Budget(EXCHANGE_BUDGET)
    bodies = []
    area = None
    for requirement in report.get("requirements", []):
        if requirement.get("area") != area:
            area = requirement.get("area")
            bodies.append(
                f'<div class=area-head data-area="{escape(str(area))}" id="area-{escape(str(area))}">{escape(str(area))}</div>'
            )
        rid = requirement["id"]
        status = requirement["status"]
        bodies.append(
            f'<div class=req id="{escape(rid)}" data-status="{escape(status)}" data-area="{escape(str(area))}" '
            f'data-level="{escape(requirement.get("level", ""))}" data-text="{escape(_search_text(requirement, checks))}">'
            f"<details class=req><summary class=cols><span>{_chip(status)}</span><span class=id>{escape(rid)}</span>"
            f"<span>{escape(requirement.get('level', ''))}</span><span class=title>{escape(requirement.get('title', ''))}</span>"
            f"</summary>{_requirement_body(requirement, report, evidence, checks, checks_page, budget)}</details></div>"
        )
    return (
        "<section id=requirements><h2>Requirements</h2>"
        "<p class=small>Each requirement opens to the checks that verify it; each failure shows what was expected, "
        "the request and the answer, and a command that sends the request again.</p>"
        + _filters(report)
        + "<div class=reqs><div class='reqs-head cols'><span>Status</span><span>ID</span><span>Level</span>"
        "<span>Requirement</span></div>"
        + "".join(bodies)
        + "</div></section>"
    )


def _known(report: Mapping[str, Any]) -> str:
    baseline = report.get("baseline") or {}
    known = [r for r in report.get("requirements", []) if r["status"] == "known" or r.get("known")]
    stale = baseline.get("stale", [])
    if not (known or stale or baseline.get("source")):
        return ""
    items = []
    for requirement in known:
        reasons = "; ".join(
            str(e.get("reason", "")) + (f" (check {e['check']})" if e.get("check") else "") for e in requirement.get("known", [])
        )
        state = "" if requirement["status"] == "known" else f" — but it is {STATUS_LABEL.get(requirement['status'])}: a failure the baseline does not cover"
        items.append(
            f'<li>{_chip(requirement["status"])}<span class=what><a class=id href="{_anchor(requirement["id"])}">{escape(requirement["id"])}</a> '
            f"{escape(requirement.get('title', ''))}<div class=small>accepted because: {escape(reasons)}{escape(state)}</div></span></li>"
        )
    for entry in stale:
        items.append(
            f'<li>{_chip("error", "stale entry")}<span class=what><a class=id href="{_anchor(entry["id"])}">{escape(entry["id"])}</a>'
            + (f" (check {escape(entry['check'])})" if entry.get("check") else "")
            + f" now passes, so this entry is stale and fails the gate: remove it from the baseline."
            f"<div class=small>its reason was: {escape(str(entry.get('reason', '')))}</div></span></li>"
        )
    if not items:
        items.append("<li>No failure of this run is in the baseline, and no entry is stale.</li>")
    source = escape(str(baseline.get("source") or "none"))
    return (
        "<section id=known><h2>Known failures</h2>"
        f"<p class=small>Baseline: <span class=mono>{source}</span>, {len(baseline.get('entries', []))} entries. "
        "A known failure still makes the verdict fail but does not fail the gate; a stale entry fails the gate.</p>"
        f"<ul class=problems>{''.join(items)}</ul></section>"
    )


def _facts(report: Mapping[str, Any], files: Mapping[str, str], checks_page: str | None) -> str:
    selection = report.get("selection", {})
    target = report.get("target", {})
    spec = report.get("spec", {})
    rows = [
        ("target", str(target.get("base_url", "")) + (f" ({target['bundled']})" if target.get("bundled") else "")),
        ("suite", f"{report.get('suite', {}).get('name', '')} {report.get('suite', {}).get('version', '')}"),
        ("fragment", f"{spec.get('path', '')} sha256 {spec.get('sha256', '')}"),
        ("catalog sha256", str(spec.get("catalog_sha256", ""))),
        ("tools", ", ".join(f"{k} {v}" for k, v in report.get("tools", {}).items())),
        ("seed", str(report.get("seed", ""))),
        ("max examples", str(report.get("max_examples", ""))),
        ("profile", str(report.get("profile", ""))),
        ("selection", (f"-k {selection['k']}" if selection.get("k") else "the whole catalog")
         + ("; TENANT checks ran (second account token given)" if selection.get("tenant") else "; TENANT checks could not run (no second account token)")),
        ("strict", "yes" if report.get("strict") else "no"),
        ("TLS", "not verified (--insecure)" if report.get("insecure") else "verified"),
        ("run id", str(report.get("run_id", "")) + " (tagged into every lead the run wrote)"),
        ("started", str(report.get("started_at", ""))),
        ("finished", str(report.get("finished_at", ""))),
        ("duration", f"{report.get('duration_seconds', '')} s, {report.get('tests', '')} checks"),
        ("evidence", f"{report.get('evidence', {}).get('exchanges', '')} exchanges in evidence.ndjson"),
    ]
    for name, digest in files.items():
        rows.append((f"{name} sha256", digest))
    body = "".join(
        f"<tr><td>{escape(k)}</td><td class=mono>{escape(v)}</td></tr>" for k, v in rows
    )
    checks = (
        f' Every check of the run, one row each, is in <a href="{escape(checks_page)}">{escape(checks_page)}</a>.'
        if checks_page
        else ""
    )
    return (
        "<section id=facts><h2>The run</h2>"
        f"<table class=meta>{body}</table>"
        "<p class=note>attestation.json, written after this page, records the sha256 digest of every file in this "
        "folder, this page included; <code>conformance verify &lt;folder&gt;</code> recomputes them and says which file "
        f"changed.{checks}</p></section>"
    )


def render_html(
    report: dict[str, Any],
    evidence: Mapping[int, dict[str, Any]] | None = None,
    *,
    files: Mapping[str, str] | None = None,
    checks_page: str | None = None,
) -> str:
    """The report.html text of a report.json document.

    ``evidence`` maps evidence.ndjson line numbers to their exchanges (at least the failures' ones),
    ``files`` names the sha256 of files the page vouches for (report.json, evidence.ndjson), and
    ``checks_page`` is the file name of the run's checks.html, when there is one.
    """
    evidence = evidence or {}
    checks = {str(c.get("test")): c for c in report.get("checks", []) if isinstance(c, Mapping)}
    verdict = str(report.get("verdict", ""))
    target = str(report.get("target", {}).get("base_url", ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(verdict.upper())} — Leads API conformance of {escape(target)}</title>
<style>{_STYLE}</style></head><body><main>
<h1>Merge CRM Leads API conformance report</h1>
{_hero(report)}
{_what_failed(report, evidence)}
{_areas(report)}
{_table(report, evidence, checks, checks_page)}
{_known(report)}
{_facts(report, files or {}, checks_page)}
</main><script>{_SCRIPT}</script></body></html>
"""
