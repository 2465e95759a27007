"""PayPal's and Amazon SNS's certificate hosts and Plaid's key endpoint, locally: a dev CA,
signing certificates it issues, and a TLS server standing in for each provider's host, reached
through an HTTPS proxy.

The PayPal and SNS functions download a certificate only from an allow-listed `https://` URL
on the provider's hosts, over TLS checked against the runtime's CA bundle
(`hookgate.providers.paypal`, `hookgate.providers.sns`); the Plaid function asks for its keys
only at Plaid's fixed API host, over the same checked TLS (`hookgate.providers.plaid`). None of
that is loosened here: the function is only given two standard environment variables,
`HTTPS_PROXY` (urllib tunnels through it with `CONNECT`, so TLS still checks the allow-listed
host name) and `SSL_CERT_FILE` (the CA bundle OpenSSL and hookgate read), both pointing at what
this module made. The deployed template sets neither, and a request cannot set a function's
environment.

Used by `make run` (`dev/local/stack.py`), `tests/e2e/test_cli.py` and
`tests/integration/test_paypal.py`, `test_sns.py` and `test_plaid.py`.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import select
import socket
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hookgate.devtools.simulate import local_dev_secret
from hookgate.providers import plaid
from hookgate.providers.sns import SIGNER_NAME as SNS_SIGNER_NAME

API_HOST = "api.sandbox.paypal.com"
#: The name on PayPal's signing certificates (a `*.paypal.com` name, as hookgate requires).
SIGNER_NAME = "messageverificationcerts.sandbox.paypal.com"
#: Plaid's API host in the environment the local Plaid function is configured for.
PLAID_HOST = plaid.HOSTS["sandbox"]
#: Answers a `POST` to one path: its status and JSON body, from the request's body.
PostHandler = Callable[[bytes], tuple[int, bytes]]
MAX_POST_BYTES = 64 * 1024


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
    *,
    ca: bool = False,
    dns: str | None = None,
    days: int = 30,
    start_days_ago: int = 1,
) -> x509.Certificate:
    """A certificate for `key`, signed by `issuer` (self-signed when None)."""
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=start_days_ago))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        ).add_extension(
            x509.KeyUsage(True, False, True, False, False, False, False, False, False),
            critical=True,
        )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False
        )
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


@dataclass(frozen=True)
class DevCA:
    """A root and an intermediate, as PayPal's certificates are issued."""

    root: x509.Certificate
    root_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    intermediate_key: rsa.RSAPrivateKey

    @classmethod
    def create(cls) -> DevCA:
        root_key, intermediate_key = new_key(), new_key()
        root = issue("hookgate dev root", root_key, None, ca=True, days=365)
        intermediate = issue(
            "hookgate dev intermediate", intermediate_key, (root, root_key), ca=True, days=365
        )
        return cls(root, root_key, intermediate, intermediate_key)

    def signing_chain(
        self,
        key: rsa.RSAPrivateKey,
        *,
        dns: str = SIGNER_NAME,
        days: int = 30,
        start_days_ago: int = 1,
    ) -> bytes:
        """What PayPal serves at a certificate URL: the certificate for `key`, then the
        intermediate."""
        leaf = self.leaf(key, dns=dns, days=days, start_days_ago=start_days_ago)
        return pem(leaf, self.intermediate)

    def leaf(
        self, key: rsa.RSAPrivateKey, *, dns: str, days: int = 30, start_days_ago: int = 1
    ) -> x509.Certificate:
        """A certificate for `key` named `dns`, issued by the intermediate."""
        return issue(
            dns,
            key,
            (self.intermediate, self.intermediate_key),
            dns=dns,
            days=days,
            start_days_ago=start_days_ago,
        )


class CertificateHost:
    """`served` (path -> body, for `GET`) and `posted` (path -> handler, for `POST`) over TLS
    as `host`, behind an HTTPS proxy on loopback.

    The proxy tunnels `CONNECT host:443` to the TLS server and refuses any other target. It
    records each target asked for (`connections`), and the server each path downloaded
    (`downloads`) and each path posted to with its body (`posts`).
    """

    def __init__(
        self,
        ca: DevCA,
        served: Mapping[str, bytes],
        *,
        host: str = API_HOST,
        posted: Mapping[str, PostHandler] | None = None,
    ) -> None:
        self.ca = ca
        self.served = dict(served)
        self.posted = dict(posted or {})
        self.host = host
        self.connections: list[str] = []
        self.downloads: list[str] = []
        self.posts: list[tuple[str, bytes]] = []
        self._dir = tempfile.TemporaryDirectory(prefix="hookgate-certificates-")
        self.directory = Path(self._dir.name)
        self.ca_bundle = self.directory / "roots.pem"
        self._servers: list[socketserver.TCPServer] = []
        self.proxy_port = 0

    def start(self) -> CertificateHost:
        self.ca_bundle.write_bytes(pem(self.ca.root))
        tls_key = new_key()
        tls = issue(self.host, tls_key, (self.ca.root, self.ca.root_key), dns=self.host)
        (self.directory / "tls.pem").write_bytes(pem(tls))
        (self.directory / "tls.key").write_bytes(
            tls_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        )
        server_port = self._start(self._server())
        self.proxy_port = self._start(self._proxy(server_port))
        return self

    def environment(self) -> dict[str, str]:
        """What a function's environment needs to reach this host and trust only it.

        Both spellings of the proxy variable: urllib prefers the lower-case one. The CA
        directory is this one, which holds no hashed CA names, so OpenSSL finds no other root.
        """
        proxy = f"http://127.0.0.1:{self.proxy_port}"
        return {
            "HTTPS_PROXY": proxy,
            "https_proxy": proxy,
            "SSL_CERT_FILE": str(self.ca_bundle),
            "SSL_CERT_DIR": str(self.directory),
        }

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        self._dir.cleanup()

    def __enter__(self) -> CertificateHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self, server: socketserver.TCPServer) -> int:
        self._servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port: int = server.server_address[1]
        return port

    def _server(self) -> socketserver.TCPServer:
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.downloads.append(self.path)
                body = host.served.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received = self.rfile.read(min(length, MAX_POST_BYTES))
                host.posts.append((self.path, received))
                handler = host.posted.get(self.path)
                status, body = handler(received) if handler else (404, b"{}")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.directory / "tls.pem", self.directory / "tls.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        return server

    def _proxy(self, server_port: int) -> socketserver.TCPServer:
        host = self

        class Tunnel(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                request_line = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b""):
                    pass
                target = request_line[1] if len(request_line) > 1 else ""
                host.connections.append(target)
                if request_line[:1] != ["CONNECT"] or target != f"{host.host}:443":
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                    return
                with socket.create_connection(("127.0.0.1", server_port)) as upstream:
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _relay(self.connection, upstream)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
        server.daemon_threads = True
        return server


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes (or both are idle for 5 s)."""
    sockets = [client, upstream]
    while True:
        readable, _, _ = select.select(sockets, [], [], 5)
        if not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (upstream if sock is client else client).sendall(data)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def plaid_jwk(
    key: ec.EllipticCurvePublicKey, kid: str, *, expired_at: int | None = None
) -> dict[str, object]:
    """`key` as Plaid's `/webhook_verification_key/get` returns a key (`JWKPublicKey`)."""
    numbers = key.public_numbers()
    return {
        "alg": "ES256",
        "crv": "P-256",
        "kid": kid,
        "kty": "EC",
        "use": "sig",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
        "created_at": 1_560_000_000,
        "expired_at": expired_at,
    }


def _plaid_error(status: int, error_type: str, code: str) -> tuple[int, bytes]:
    body = {
        "error_type": error_type,
        "error_code": code,
        "error_message": "refused by the local stand-in",
        "display_message": None,
        "request_id": "hookgate-local",
    }
    return status, json.dumps(body).encode()


class PlaidKeyEndpoint:
    """Plaid's `/webhook_verification_key/get`, locally: `keys` (kid -> JWK) for one client.

    Unknown credentials or kids are answered 400 as Plaid answers invalid input; `failing`
    set answers 500 (Plaid's own trouble).
    """

    def __init__(self, keys: Mapping[str, Mapping[str, object]], *, client_id: str, secret: str):
        self.keys = dict(keys)
        self.client_id = client_id
        self.secret = secret
        self.failing = False

    def __call__(self, received: bytes) -> tuple[int, bytes]:
        if self.failing:
            return _plaid_error(500, "API_ERROR", "INTERNAL_SERVER_ERROR")
        try:
            request = json.loads(received)
        except ValueError:
            return _plaid_error(400, "INVALID_REQUEST", "INVALID_BODY")
        if (request.get("client_id"), request.get("secret")) != (self.client_id, self.secret):
            return _plaid_error(400, "INVALID_INPUT", "INVALID_API_KEYS")
        jwk = self.keys.get(request.get("key_id"))
        if jwk is None:
            return _plaid_error(400, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID")
        return 200, json.dumps({"key": jwk, "request_id": "hookgate-local"}).encode()


def local_plaid_host(ca: DevCA) -> CertificateHost:
    """Plaid's sandbox API host, serving the dev signer's key (the key `hookgate send plaid`
    signs with) to the dev signer's credentials."""
    signer = json.loads(local_dev_secret("plaid"))
    key = load_pem_private_key(signer["private_key"].encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    endpoint = PlaidKeyEndpoint(
        {signer["kid"]: plaid_jwk(key.public_key(), signer["kid"])},
        client_id=signer["client_id"],
        secret=signer["secret"],
    )
    return CertificateHost(ca, {}, host=PLAID_HOST, posted={plaid.KEY_PATH: endpoint})


def local_certificate_hosts() -> dict[str, CertificateHost]:
    """What `make run` serves, by provider: certificates for the dev signers' key (the key
    `hookgate send paypal|sns` signs with) at each dev signer's `cert_url`, from one dev CA made
    now. PayPal's comes with its intermediate, SNS's alone (as each provider serves them).
    And Plaid's key endpoint, serving the Plaid dev signer's key."""
    ca = DevCA.create()
    hosts = {}
    for provider in ("paypal", "sns"):
        signer = json.loads(local_dev_secret(provider))
        key = load_pem_private_key(signer["private_key"].encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        url = urlsplit(signer["cert_url"])
        assert url.hostname is not None
        served = (
            ca.signing_chain(key, days=365)
            if provider == "paypal"
            else pem(ca.leaf(key, dns=SNS_SIGNER_NAME, days=365))
        )
        hosts[provider] = CertificateHost(ca, {url.path: served}, host=url.hostname)
    hosts["plaid"] = local_plaid_host(ca)
    return hosts
