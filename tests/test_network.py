"""The network options a tester expects, in the one option table: extra headers (one marked secret),
a CA bundle, a client certificate (mutual TLS) and a proxy.

TLS is served by uvicorn with certificates made here by a self-signed CA (``cryptography``); the
proxy is a small forwarding HTTP proxy that counts what goes through it.
"""

from __future__ import annotations

import datetime
import http.client
import http.server
import ipaddress
import json
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conformance.http.network import Network, parse_header
from conformance.reference import ReferenceConfig, create_app, serve_in_thread
from tests._runs import free_port, run_cli, target_args

ARGS = ["--area", "RETRIEVE", "--max-examples", "2"]
GATEWAY_KEY = "gw-secret-0a1b2c3d4e"
PROXY_PASSWORD = "px-secret-5f6e7d8c"


def _outputs(run) -> str:
    files = "".join(p.read_text(encoding="utf-8") for p in run.folder.iterdir() if p.is_file())
    return files + run.stdout + run.stderr


# ------------------------------------------------------------------------------ headers
def _behind_a_gateway(app):
    """The reference, reachable only with the gateway's two headers (403 otherwise)."""

    async def gateway(scope, receive, send):
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            if headers.get("x-gateway") != "yes" or headers.get("x-gateway-key") != GATEWAY_KEY:
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": b'{"detail": "the gateway refused it"}'})
                return
        await app(scope, receive, send)

    return gateway


def test_extra_headers_reach_every_request_and_a_secret_one_is_masked_everywhere(tmp_path):
    headers = ["--header", "X-Gateway: yes", "--secret-header", f"X-Gateway-Key: {GATEWAY_KEY}"]
    with serve_in_thread(_behind_a_gateway(create_app(ReferenceConfig()))) as server:
        refused = run_cli([*target_args(server.base_url), *ARGS], tmp_path / "without")
        run = run_cli([*target_args(server.base_url), *ARGS, *headers, "--area", "AUTH"], tmp_path / "with")
    assert refused.code == 2 and "the gateway refused it" in refused.stderr.strip().splitlines()[-1]
    assert run.code == 0, run.stderr[-2000:]
    assert run.report["network"]["headers"] == ["X-Gateway"]
    assert run.report["network"]["secret_headers"] == ["X-Gateway-Key"]
    lines = [json.loads(line) for line in (run.folder / "evidence.ndjson").read_text().splitlines()]
    # the AUTH checks' requests without credentials carry them too: they reach the target, not its auth
    assert len(lines) > 20
    for line in lines:
        assert line["request"]["headers"]["X-Gateway"] == "yes"
        assert line["request"]["headers"]["X-Gateway-Key"] == "***"
    assert GATEWAY_KEY not in _outputs(run)
    assert "X-Gateway-Key" in (run.folder / "report.html").read_text()


def test_the_short_flag_and_the_environment_give_headers_too(tmp_path):
    with serve_in_thread(_behind_a_gateway(create_app(ReferenceConfig()))) as server:
        run = run_cli(
            [*target_args(server.base_url), *ARGS, "-H", "X-Gateway: yes"],
            tmp_path,
            env={"CONFORMANCE_SECRET_HEADER": f"X-Gateway-Key: {GATEWAY_KEY}"},
        )
    assert run.code == 0, run.stderr[-2000:]
    assert GATEWAY_KEY not in _outputs(run)


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("no colon here", "--header takes 'Name: value'"),
        ("Bad Name: x", "'Bad Name' is not a header name"),
        ("Authorization: Bearer x", "the suite sets Authorization itself; give it with --token"),
        ("Host: elsewhere", "the suite sets Host itself"),
    ],
)
def test_a_malformed_header_is_one_line_and_exit_2(tmp_path, header, said):
    run = run_cli(["run", "--header", header], tmp_path)
    assert run.code == 2
    assert said in run.stderr.strip().splitlines()[-1] and "Traceback" not in run.stderr
    with pytest.raises(ValueError, match="given twice"):
        Network.from_options(["X-A: 1"], ["x-a: 2"])
    assert parse_header("X-Trace:  a b  ") == ("X-Trace", "a b")


# ------------------------------------------------------------------------------ TLS
@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool = False, server: bool = False):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    elif server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
        builder = builder.add_extension(usage, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = _key()
    ca = _certificate("leads-conformance test CA", ca_key, "leads-conformance test CA", ca_key, ca=True)
    server_key, client_key = _key(), _key()
    server = _certificate("127.0.0.1", server_key, "leads-conformance test CA", ca_key, server=True)
    client = _certificate("a tester", client_key, "leads-conformance test CA", ca_key)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "client.pem").write_bytes(client.public_bytes(pem))
    return Pki(
        ca=folder / "ca.pem",
        server_cert=folder / "server.pem",
        server_key=_write_key(server_key, folder / "server.key"),
        client_cert=folder / "client.pem",
        client_key=_write_key(client_key, folder / "client.key"),
    )


class _TlsServer:
    """The reference served over TLS by uvicorn in a thread (asking for a client certificate if told)."""

    def __init__(self, pki: Pki, *, mutual: bool):
        self.port = free_port()
        config = uvicorn.Config(
            create_app(ReferenceConfig()), host="127.0.0.1", port=self.port, log_level="error",
            access_log=False, lifespan="off",
            ssl_certfile=str(pki.server_cert), ssl_keyfile=str(pki.server_key),
            ssl_ca_certs=str(pki.ca), ssl_cert_reqs=ssl.CERT_REQUIRED if mutual else ssl.CERT_NONE,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base_url = f"https://127.0.0.1:{self.port}/api"

    def __enter__(self) -> _TlsServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "the TLS server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_ca_bundle_verifies_a_target_whose_certificate_a_private_ca_signed(tmp_path, pki):
    with _TlsServer(pki, mutual=False) as server:
        unknown = run_cli([*target_args(server.base_url), *ARGS], tmp_path / "system")
        trusted = run_cli([*target_args(server.base_url), *ARGS, "--ca-bundle", str(pki.ca)], tmp_path / "ca")
    assert unknown.code == 2 and "CERTIFICATE_VERIFY_FAILED" in unknown.stderr.strip().splitlines()[-1]
    assert trusted.code == 0, trusted.stderr[-2000:]
    assert trusted.report["network"]["ca_bundle"] == str(pki.ca)
    assert trusted.report["insecure"] is False


def test_client_certificate_and_key_give_mutual_tls(tmp_path, pki):
    with _TlsServer(pki, mutual=True) as server:
        anonymous = run_cli(
            [*target_args(server.base_url), *ARGS, "--ca-bundle", str(pki.ca)], tmp_path / "none"
        )
        mutual = run_cli(
            [*target_args(server.base_url), *ARGS, "--ca-bundle", str(pki.ca),
             "--client-cert", str(pki.client_cert), "--client-key", str(pki.client_key)],
            tmp_path / "mtls",
        )
    assert anonymous.code == 2, anonymous.stderr[-2000:]
    assert "cannot reach" in anonymous.stderr.strip().splitlines()[-1]
    assert mutual.code == 0, mutual.stderr[-2000:]
    assert mutual.report["network"]["client_cert"] == str(pki.client_cert)


def test_tls_files_that_cannot_be_loaded_are_one_line_and_exit_2(tmp_path, pki):
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("this is no certificate\n")
    for args, said in (
        (["--ca-bundle", str(not_pem)], "--ca-bundle: cannot load"),
        (["--client-cert", str(pki.client_cert)], "--client-cert: cannot load a certificate and its key"),
        (["--client-key", str(pki.client_key)], "--client-key needs --client-cert"),
        (["--ca-bundle", str(pki.ca), "--insecure"], "--ca-bundle and --insecure contradict each other"),
    ):
        run = run_cli(["run", *args], tmp_path / "out")
        assert run.code == 2, args
        assert said in run.stderr.strip().splitlines()[-1], (args, run.stderr)


# ------------------------------------------------------------------------------ proxy
class _Proxy(http.server.ThreadingHTTPServer):
    """A forwarding proxy for http:// targets that asks for Basic credentials and counts what it forwards."""

    daemon_threads = True

    def __init__(self, credentials: str):
        import base64

        super().__init__(("127.0.0.1", 0), _Forward)
        self.expected = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.forwarded = 0

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        proxy: _Proxy = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Proxy-Authorization") != proxy.expected:
            self.send_response(407)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        dropped = ("proxy-authorization", "connection")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        path = target.path + (f"?{target.query}" if target.query else "")
        upstream.request(self.command, path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        proxy.forwarded += 1
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = _forward


def test_proxy_sends_every_request_through_it_and_its_password_is_masked(tmp_path):
    proxy = _Proxy(f"tester:{PROXY_PASSWORD}")
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        with serve_in_thread(create_app(ReferenceConfig())) as server:
            url = f"http://tester:{PROXY_PASSWORD}@{proxy.url}"
            run = run_cli([*target_args(server.base_url), *ARGS, "--proxy", url], tmp_path / "ok")
            wrong = run_cli(
                [*target_args(server.base_url), *ARGS, "--proxy", f"http://tester:nope-nope-1@{proxy.url}"],
                tmp_path / "refused",
            )
    finally:
        proxy.shutdown()
    assert run.code == 0, run.stderr[-2000:]
    evidence = (run.folder / "evidence.ndjson").read_text().splitlines()
    assert proxy.forwarded >= len(evidence) > 5
    assert run.report["network"]["proxy"] == f"http://tester:***@{proxy.url}"
    assert PROXY_PASSWORD not in _outputs(run)
    assert wrong.code == 2 and "asks for other credentials (407)" in wrong.stderr.strip().splitlines()[-1]
    assert "nope-nope-1" not in _outputs(wrong)


def test_a_proxy_url_that_cannot_be_used_is_one_line_and_exit_2(tmp_path):
    run = run_cli(["run", "--proxy", "ftp://127.0.0.1:9"], tmp_path)
    assert run.code == 2
    line = run.stderr.strip().splitlines()[-1]
    assert line.startswith("conformance: error: --proxy: ") and "Traceback" not in run.stderr
