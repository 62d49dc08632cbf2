"""Before a run: the options checked, and the target probed.

The preflight sends a few GETs; a target that cannot be tested at all (unreachable, credentials
refused, a redirect, an HTML page, no JSON) is a TargetError, and the run writes a folder that says so.
"""

from __future__ import annotations

import json
import math
import re
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.http.network import Network, proxy_problem
from conformance.http.target import Target, json_or_none
from conformance.outcomes import CredentialsRejected, Inconclusive, TargetError, TargetUnreachable, UsageError
from conformance.run.options import OPTIONS, RunOptions


def validate(options: RunOptions) -> None:
    """Reject bad input before anything starts."""
    for option in OPTIONS:
        value = getattr(options, option.name)
        if option.choices and value not in option.choices:
            raise UsageError(f"{option.cli_flag} must be one of {', '.join(option.choices)}, not {value!r}")
        if option.minimum is not None and value is not None and value < option.minimum:
            raise UsageError(f"{option.cli_flag} must be at least {option.minimum:g}")
    if options.run_id is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", options.run_id):
        raise UsageError("--run-id takes 1 to 64 letters, digits, '.', '_' or '-'")
    for name, value in (("--timeout", options.timeout), ("--max-duration", options.max_duration)):
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{name} must be a positive number of seconds")
    if options.base_url is not None:
        if not options.base_url.startswith(("http://", "https://")):
            raise UsageError(f"--base-url must start with http:// or https:// (got {options.base_url!r})")
        if any(character.isspace() for character in options.base_url):
            raise UsageError(f"--base-url must not contain white space (got {options.base_url!r})")
        if not options.token:
            raise UsageError("--token (or CONFORMANCE_TOKEN) is required with --base-url")
        if not options.account_token:
            raise UsageError("--account-token (or CONFORMANCE_ACCOUNT_TOKEN) is required with --base-url")
        try:
            parts = urlsplit(options.base_url)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise UsageError(f"--base-url is not a valid URL ({exc})") from None
        if not parts.hostname:
            raise UsageError(f"--base-url names no host (got {options.base_url!r})")
        try:
            httpx.URL(options.base_url)
        except (httpx.InvalidURL, ValueError) as exc:
            raise UsageError(f"--base-url is not a valid URL ({exc})") from None
    if options.second_account_token and options.second_account_token == options.account_token:
        raise UsageError(
            "--second-account-token is the same as --account-token: the TENANT checks need the tokens "
            "of two different linked accounts"
        )
    if options.select is not None:
        check_expression(options.select)
    _check_selection(options)
    network(options)
    if options.proxy is not None:
        problem = proxy_problem(options.proxy)
        if problem:
            raise UsageError("--proxy: " + problem.replace("the proxy the environment names", "the proxy"))
    if options.certify:
        refused = []
        if options.selects:
            refused.append("-k, --requirement and --area (a certificate covers the whole catalog)")
        if options.profile != "full":
            refused.append(f"--profile {options.profile} (a certificate needs the writes)")
        if options.base_url is not None and not options.second_account_token:
            refused.append("a run without --second-account-token (the TENANT requirements need it)")
        if refused:
            raise UsageError("--certify refuses " + "; ".join(refused))
    if options.sign_key is not None:
        from conformance.reporting.attestation import check_sign_key

        check_sign_key(options.sign_key)


def check_expression(expression: str) -> None:
    """Refuse a ``-k`` expression pytest cannot parse, in one line, before anything is sent."""
    # pytest's own parser of -k expressions (it has no public name): the same rules, the same words
    from _pytest.mark.expression import Expression

    try:
        Expression.compile(expression)
    except SyntaxError as exc:
        raise UsageError(f"-k {expression!r} does not parse: at column {exc.offset}: {exc.msg}") from None


def _check_selection(options: RunOptions) -> None:
    """``--requirement`` and ``--area`` name what the catalog holds (areas are upper-cased)."""
    if not (options.requirement or options.area):
        return
    from conformance.contract.catalog import load_catalog

    catalog = load_catalog()
    for rid in options.requirement:
        if rid not in catalog:
            raise UsageError(f"--requirement {rid} is not in the catalog (see 'conformance requirements')")
    options.area = tuple(area.upper() for area in options.area)
    for area in options.area:
        if area not in catalog.areas:
            raise UsageError(f"--area {area} is not a catalog area (one of {', '.join(catalog.areas)})")


def network(options: RunOptions) -> Network:
    """The network options checked: headers well formed, the CA bundle and client certificate readable."""
    try:
        settings = Network.from_options(
            options.header, options.secret_header, options.ca_bundle, options.client_cert, options.client_key
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if settings.ca_bundle and options.insecure:
        raise UsageError("--ca-bundle and --insecure contradict each other: give one")
    if settings.ca_bundle:
        try:
            Network(ca_bundle=settings.ca_bundle).ssl_context()
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"--ca-bundle: cannot load {settings.ca_bundle}: {_tls_reason(exc)}") from None
    if settings.client_cert:
        try:
            Network(client_cert=settings.client_cert, client_key=settings.client_key).ssl_context()
        except (OSError, ssl.SSLError) as exc:
            which = "--client-cert and --client-key" if settings.client_key else "--client-cert"
            raise UsageError(f"{which}: cannot load a certificate and its key: {_tls_reason(exc)}") from None
    return settings


def _tls_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


class TargetNotTestable(TargetError):
    """The target answers, but not as an API: a redirect, an HTML page, a body that is not JSON."""


#: how a transport error says the answer was cut short
_CUT_SHORT = re.compile(r"complete message body|incomplete chunked read", re.IGNORECASE)


def preflight(target: Target) -> None:
    """Fail fast, with one line, when nothing can be tested.

    That is: the target cannot be reached, rejects the credentials, redirects the first request
    (redirects are never followed), or answers it with an HTML page, a body that is not JSON, or one
    cut short.
    """
    target.context = ("preflight", [])
    response = _preflight_get(target, "crm/v1/leads", {"page_size": 1})
    status = response.status_code
    if status == 407:
        raise CredentialsRejected(
            target.redact(
                f"the proxy between the suite and {target.base_url} asks for other credentials (407): "
                "check the user and password in --proxy (or the proxy the environment names)"
            )
        )
    if status in (401, 403):
        raise CredentialsRejected(
            target.redact(f"{target.base_url} rejected the given credentials ({status}{_detail(response)})")
        )
    if 300 <= status < 400:
        location = response.headers.get("location")
        where = f" to {location}" if location else ""
        raise TargetNotTestable(
            target.redact(
                f"{target.base_url} redirects GET /crm/v1/leads ({status}{where}); redirects are not "
                "followed: give the base URL that answers"
            )
        )
    if status == 404:
        meta = _preflight_get(target, "crm/v1/leads/meta/post")
        if meta.status_code == 404:
            raise TargetUnreachable(
                f"{target.base_url} has no /crm/v1/leads (404): is the base URL right? "
                "(Merge's is https://api.merge.dev/api)"
            )
    problem = None if status == 429 else not_an_api_answer(response)
    if problem:
        raise TargetNotTestable(
            target.redact(f"{target.base_url} answered GET /crm/v1/leads {status} with {problem}")
        )
    if target.second_account_token and status < 400:
        second = _preflight_get(target, "crm/v1/leads", {"page_size": 1}, account="second")
        if second.status_code in (401, 403):
            raise CredentialsRejected(
                target.redact(
                    f"{target.base_url} rejected the second account token (--second-account-token) "
                    f"({second.status_code}{_detail(second)}), though it accepts the first: is it a linked "
                    "account of the same API key?"
                )
            )


def _detail(response: Any) -> str:
    """``: <detail>`` of an error answer that has one, else nothing."""
    detail = json_or_none(response)
    return f": {detail.get('detail')}" if isinstance(detail, dict) and detail.get("detail") else ""


def _preflight_get(
    target: Target, path: str, params: dict[str, Any] | None = None, account: str = "primary"
) -> Any:
    try:
        with target.client(account) as http:
            return http.get(path, params=params)
    except (Inconclusive, httpx.HTTPError) as exc:
        said = exc.message if isinstance(exc, Inconclusive) else f"{type(exc).__name__}: {exc}"
        if _CUT_SHORT.search(said):
            raise TargetNotTestable(
                target.redact(f"{target.base_url} cut its answer to GET /{path} short ({said})")
            ) from None
        raise TargetUnreachable(target.redact(f"cannot reach {target.base_url}: {said}")) from None


def not_an_api_answer(response: Any) -> str | None:
    """What an answer is when it is not JSON (an HTML page, other text, JSON cut short); None for JSON.

    A body that is JSON is an API's answer whatever its Content-Type says (a JSON body served as
    ``text/html`` is tested, and LEADS-HTTP-003 says what is wrong with it).
    """
    body: bytes = response.content
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    head = body.lstrip()[:64].lower()
    if body.strip():
        try:
            json.loads(body)
            return None
        except (ValueError, UnicodeDecodeError):
            pass
    if kind == "text/html" or head.startswith((b"<!doctype html", b"<html")):
        title = re.search(rb"<title[^>]*>(.*?)</title>", body[:8192], re.IGNORECASE | re.DOTALL)
        named = " ".join(title.group(1).decode("utf-8", "replace").split())[:80] if title else ""
        return f'an HTML page ("{named}")' if named else "an HTML page"
    if not body.strip():
        return "an empty body" if 200 <= response.status_code < 300 else None
    if head[:1] in (b"{", b"["):
        return f"JSON that is cut short or malformed ({len(body)} bytes)"
    return f"a body that is not JSON ({kind or 'no Content-Type'}, {len(body)} bytes)"
