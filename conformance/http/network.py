"""What reaching a target takes besides its URL, as the user gives it.

``Network`` holds the headers sent with every request (some marked secret), a CA bundle and a client
certificate for mutual TLS. ``proxy_for`` names the proxy the environment sets for a URL
(``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, minus ``NO_PROXY``), as the standard library reads
them.
"""

from __future__ import annotations

import re
import ssl
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["Network", "parse_header", "proxy_for", "proxy_problem", "proxy_secrets"]

# -- what reaching the target takes -------------------------------------------------------------
#: an HTTP header name (RFC 9110 token)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: headers the suite sets itself: the credentials have their own options, the rest is the wire's
_OWN_HEADERS = {
    "authorization": "--token",
    "x-account-token": "--account-token and --second-account-token",
    "host": None,
    "content-length": None,
    "transfer-encoding": None,
    "connection": None,
}


@dataclass(frozen=True)
class Network:
    """Headers sent with every request (``secret`` ones masked as credentials are), and TLS material."""

    headers: tuple[tuple[str, str], ...] = ()
    #: the lower-case names of the headers whose values are secrets
    secret_names: frozenset[str] = frozenset()
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    @classmethod
    def from_options(
        cls,
        headers: Iterable[str] = (),
        secret_headers: Iterable[str] = (),
        ca_bundle: Any = None,
        client_cert: Any = None,
        client_key: Any = None,
    ) -> Network:
        """The network options as given on the command line; ValueError says what is wrong with one."""
        parsed: list[tuple[str, str]] = []
        secret: set[str] = set()
        for option, values in (("--header", headers), ("--secret-header", secret_headers)):
            for text in values:
                name, value = parse_header(text, option)
                if name.lower() in {n.lower() for n, _ in parsed}:
                    raise ValueError(f"{option}: the header {name} is given twice")
                parsed.append((name, value))
                if option == "--secret-header":
                    secret.add(name.lower())
        if client_key and not client_cert:
            raise ValueError("--client-key needs --client-cert")
        return cls(
            headers=tuple(parsed),
            secret_names=frozenset(secret),
            ca_bundle=str(ca_bundle) if ca_bundle else None,
            client_cert=str(client_cert) if client_cert else None,
            client_key=str(client_key) if client_key else None,
        )

    @property
    def secrets(self) -> list[str]:
        """The values of the secret headers, to be masked like the credentials."""
        return [value for name, value in self.headers if name.lower() in self.secret_names]

    def ssl_context(self, verify: bool = True) -> ssl.SSLContext:
        """The TLS context of every connection: the CA bundle (else the default), the client certificate."""
        if verify and self.ca_bundle:
            context = ssl.create_default_context(cafile=self.ca_bundle)
        else:
            context = httpx.create_ssl_context(verify=verify)
        if self.client_cert:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context


def parse_header(text: str, option: str = "--header") -> tuple[str, str]:
    """``Name: value`` as a name and a value; ValueError says what is wrong."""
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not name:
        raise ValueError(f"{option} takes 'Name: value' (got {text!r})")
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"{option}: {name!r} is not a header name")
    if any(character in value for character in "\r\n\0"):
        raise ValueError(f"{option} {name}: a header value is one line")
    owner = _OWN_HEADERS.get(name.lower(), "")
    if owner != "":
        instead = f"; give it with {owner}" if owner else ""
        raise ValueError(f"{option}: the suite sets {name} itself{instead}")
    return name, value


# -- proxies ------------------------------------------------------------------------------------
def proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url``, or None (none set, or ``NO_PROXY`` excludes it)."""
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    host = parts.hostname or ""
    where = f"{host}:{parts.port}" if parts.port else host
    if urllib.request.proxy_bypass(where) or urllib.request.proxy_bypass(host):
        return None
    return proxy if "://" in proxy else "http://" + proxy


def proxy_problem(proxy: str) -> str | None:
    """Why the suite cannot use ``proxy``, or None."""
    try:
        scheme = httpx.Proxy(proxy).url.scheme
    except (ValueError, httpx.InvalidURL) as exc:
        return f"the proxy the environment names is not usable ({exc})"
    if scheme in ("socks5", "socks5h"):
        try:
            import socksio  # noqa: F401
        except ImportError:
            return "a SOCKS proxy needs the socksio package (pip install socksio)"
    return None


def proxy_secrets(proxy: str | None) -> list[str]:
    """The credentials a proxy URL carries (its user name and password), to be masked like the others."""
    if not proxy:
        return []
    parts = urlsplit(proxy)
    return [value for value in (parts.password, parts.username) if value]
