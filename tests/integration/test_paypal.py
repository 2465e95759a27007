"""PayPal through the real handler, its certificate served for real: a test CA, a TLS server
standing in for PayPal's API host, reached through an HTTPS proxy (the standard `HTTPS_PROXY`
route, so the allowed host name is what the function asks for). The proxy records every
connection, which is how "refused without any network call" is observed.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import select
import socket
import socketserver
import ssl
import threading
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support.providers import delivery, event_of

API_HOST = "api.sandbox.paypal.com"
CERT_PATH = "/v1/notifications/certs/CERT-360caa42-fca2a594-hookgate"
WEBHOOK_ID = "WH-HOOKGATE-LOCAL"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
    *,
    ca: bool = False,
    dns: str | None = None,
    days: int = 30,
    start_days_ago: int = 1,
) -> x509.Certificate:
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


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


@dataclass
class PayPalDouble:
    """What the function can reach: PayPal's certificate endpoint, through a proxy."""

    signer_key: rsa.RSAPrivateKey
    served: dict[str, bytes]
    connections: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)

    def signing_secret(self, key: rsa.RSAPrivateKey | None = None, path: str = CERT_PATH) -> str:
        pem = (key or self.signer_key).private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        return json.dumps(
            {
                "private_key": pem.decode(),
                "cert_url": f"https://{API_HOST}{path}",
                "webhook_id": WEBHOOK_ID,
            }
        )

    def signed_by_url(self, url: str) -> str:
        secret = json.loads(self.signing_secret())
        return json.dumps({**secret, "cert_url": url})


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root_key, inter_key, leaf_key, tls_key = _key(), _key(), _key(), _key()
    root = _cert("hookgate test root", root_key, None, ca=True, days=365)
    inter = _cert("hookgate test intermediate", inter_key, (root, root_key), ca=True, days=365)
    leaf = _cert(
        "messageverificationcerts.sandbox.paypal.com",
        leaf_key,
        (inter, inter_key),
        dns="messageverificationcerts.sandbox.paypal.com",
    )
    tls = _cert(API_HOST, tls_key, (root, root_key), dns=API_HOST)
    directory = tmp_path_factory.mktemp("pki")
    bundle = directory / "roots.pem"
    bundle.write_bytes(_pem(root))
    (directory / "tls.pem").write_bytes(_pem(tls))
    (directory / "tls.key").write_bytes(
        tls_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    self_signed_key = _key()
    return {
        "bundle": bundle,
        "dir": directory,
        "signer_key": leaf_key,
        "served": {
            CERT_PATH: _pem(leaf, inter),
            "/v1/notifications/certs/CERT-untrusted": _pem(
                _cert(
                    "messageverificationcerts.sandbox.paypal.com",
                    self_signed_key,
                    None,
                    dns="messageverificationcerts.sandbox.paypal.com",
                )
            ),
            "/v1/notifications/certs/CERT-not-paypal": _pem(
                _cert("example.com", leaf_key, (inter, inter_key), dns="example.com"), inter
            ),
            "/v1/notifications/certs/CERT-expired": _pem(
                _cert(
                    "messageverificationcerts.sandbox.paypal.com",
                    leaf_key,
                    (inter, inter_key),
                    dns="messageverificationcerts.sandbox.paypal.com",
                    days=-1,
                    start_days_ago=30,
                ),
                inter,
            ),
        },
        "self_signed_key": self_signed_key,
    }


def _serve(directory: Path, double: PayPalDouble) -> tuple[socketserver.BaseServer, int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            double.downloads.append(self.path)
            body = double.served.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "tls.pem", directory / "tls.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _proxy(target_port: int, double: PayPalDouble) -> tuple[socketserver.BaseServer, int]:
    class Tunnel(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            request_line = self.rfile.readline().decode()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            double.connections.append(request_line.split(" ")[1])
            upstream = socket.create_connection(("127.0.0.1", target_port))
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            sockets = [self.connection, upstream]
            while True:
                readable, _, _ = select.select(sockets, [], [], 5)
                if not readable:
                    break
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        upstream.close()
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def paypal(pki: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[PayPalDouble]:
    from hookgate.providers import paypal as module

    double = PayPalDouble(signer_key=pki["signer_key"], served=pki["served"])
    server, server_port = _serve(pki["dir"], double)
    proxy, proxy_port = _proxy(server_port, double)
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
    monkeypatch.setenv("SSL_CERT_FILE", str(pki["bundle"]))
    module._certificates.clear()  # each test starts with PayPal's certificate not yet fetched
    yield double
    module._certificates.clear()
    proxy.shutdown()
    server.shutdown()


def refused(response: dict[str, Any]) -> bool:
    return bool(response["statusCode"] == 401)


def test_genuine_delivery_published_once_and_certificate_fetched_once(
    paypal: PayPalDouble, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("paypal").handle_lambda
    given = str(uuid.uuid4())
    first = delivery("paypal", secret=paypal.signing_secret(), delivery_id=given)
    retry = delivery("paypal", secret=paypal.signing_secret(), delivery_id=given, body=first.body)

    responses = [handler(event_of(d), lambda_context) for d in (first, retry)]

    assert [r["statusCode"] for r in responses] == [200, 200]
    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True]
    [published] = bus.events_for(first.delivery_id)
    assert published["detail-type"] == "PAYMENT.CAPTURE.COMPLETED"
    assert published["detail"]["verification"]["scheme"] == "rsa-sha256"
    assert paypal.connections == [f"{API_HOST}:443"]
    assert paypal.downloads == [CERT_PATH]


@pytest.mark.parametrize(
    "damage", ["tampered", "other key", "missing header", "other algorithm", "stale", "future"]
)
def test_forgeries_are_refused(
    damage: str,
    paypal: PayPalDouble,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    offset = {"stale": -400, "future": 400}.get(damage, 0)
    sent = delivery(
        "paypal",
        secret=paypal.signing_secret(key if damage == "other key" else None),
        timestamp=int(clock()) + offset,
    )
    headers = dict(sent.headers)
    body = sent.body
    if damage == "tampered":
        body = body.replace(b"COMPLETED", b"REFUNDED")
    if damage == "missing header":
        del headers["PAYPAL-TRANSMISSION-SIG"]
    if damage == "other algorithm":
        headers["PAYPAL-AUTH-ALGO"] = "SHA1withRSA"

    response = make_pipeline("paypal").handle_lambda(
        event_of(sent, headers=headers, body=body), lambda_context
    )

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize(
    "cert_url",
    [
        "https://evil.example.com/v1/notifications/certs/CERT-1",
        f"http://{API_HOST}{CERT_PATH}",
        f"https://{API_HOST}.evil.example.com{CERT_PATH}",
        f"https://{API_HOST}:8443{CERT_PATH}",
        f"https://user@{API_HOST}{CERT_PATH}",
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        f"https://{API_HOST}/v1/oauth2/token",
        f"https://{API_HOST}/v1/notifications/certs/../../oauth2/token",
        f"https://{API_HOST}{CERT_PATH}?redirect=https://evil.example.com",
        "file:///etc/passwd",
        # Found by the audit: an encoded `..` passed (a download was attempted), and a space
        # or a tab made the download raise (a 500 for anyone).
        f"https://{API_HOST}/v1/notifications/certs/%2e%2e/%2e%2e/oauth2/token",
        f"https://{API_HOST}{CERT_PATH} x",
        f"https://{API_HOST}{CERT_PATH}\tx",
    ],
)
def test_certificate_url_outside_the_allow_list_is_refused_without_any_connection(
    cert_url: str,
    paypal: PayPalDouble,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    sent = delivery("paypal", secret=paypal.signed_by_url(cert_url))

    response = make_pipeline("paypal").handle_lambda(event_of(sent), lambda_context)

    assert refused(response)
    assert paypal.connections == []
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize(
    "path", ["CERT-untrusted", "CERT-not-paypal", "CERT-expired", "CERT-absent"]
)
def test_certificates_that_do_not_verify_are_refused(
    path: str,
    paypal: PayPalDouble,
    pki: dict[str, Any],
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    key = pki["self_signed_key"] if path == "CERT-untrusted" else None
    secret = paypal.signing_secret(key, path=f"/v1/notifications/certs/{path}")
    sent = delivery("paypal", secret=secret)

    response = make_pipeline("paypal").handle_lambda(event_of(sent), lambda_context)

    assert refused(response)
    assert paypal.downloads == [f"/v1/notifications/certs/{path}"]
    assert bus.seen(settle_s=0.3) == []


def test_paypal_unreachable_is_503_so_paypal_retries(
    paypal: PayPalDouble,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    sent = delivery("paypal", secret=paypal.signing_secret())

    response = make_pipeline("paypal").handle_lambda(event_of(sent), lambda_context)

    assert response["statusCode"] == 503
    assert bus.seen(settle_s=0.3) == []


def _with_crc32(prefix: bytes, target: int) -> bytes:
    """`prefix` and four more bytes, chosen so the whole has CRC-32 `target`.

    CRC-32 is affine over GF(2): each of the four bytes' 32 bits flips a fixed set of the
    checksum's bits, so the bits needed are found by Gaussian elimination.
    """
    base = zlib.crc32(prefix + bytes(4))
    basis: dict[int, tuple[int, int]] = {}  # pivot bit -> (checksum bits flipped, input bits)
    for bit in range(32):
        flipped, inputs = zlib.crc32(prefix + (1 << bit).to_bytes(4, "little")) ^ base, 1 << bit
        while flipped:
            pivot = flipped.bit_length() - 1
            if pivot not in basis:
                basis[pivot] = (flipped, inputs)
                break
            flipped, inputs = flipped ^ basis[pivot][0], inputs ^ basis[pivot][1]
    wanted, chosen = target ^ base, 0
    while wanted:
        flipped, inputs = basis[wanted.bit_length() - 1]
        wanted, chosen = wanted ^ flipped, chosen ^ inputs
    return prefix + chosen.to_bytes(4, "little")


def test_captured_transmission_with_another_body_of_the_same_crc32_is_not_published(
    paypal: PayPalDouble, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # Audit finding 2: PayPal signs the body only through its CRC32, and the replay key was the
    # body's own `id`, which a forger chooses too.
    handler = make_pipeline("paypal").handle_lambda
    genuine = delivery("paypal", secret=paypal.signing_secret())
    event_id = json.loads(genuine.body)["id"]
    forged = _with_crc32(
        genuine.body.replace(event_id.encode(), b"WH-FORGED-0000000000").replace(
            b"COMPLETED", b"REFUNDED"
        ),
        zlib.crc32(genuine.body),
    )
    assert zlib.crc32(forged) == zlib.crc32(genuine.body)
    assert forged != genuine.body

    responses = [handler(event_of(genuine), lambda_context)]
    responses.append(handler(event_of(genuine, body=forged), lambda_context))

    assert [json.loads(r["body"]) for r in responses] == [
        {"received": True, "duplicate": False},
        {"received": True, "duplicate": True},
    ]
    [published] = bus.seen()
    assert published["detail"]["payload"]["id"] == event_id
    assert "payload" in published["detail"]["verification"]["unsigned"]


def test_paypal_retry_as_a_new_transmission_of_the_same_event_is_a_duplicate(
    paypal: PayPalDouble, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("paypal").handle_lambda
    first = delivery("paypal", secret=paypal.signing_secret())
    retry = delivery("paypal", secret=paypal.signing_secret(), body=first.body)
    assert retry.delivery_id != first.delivery_id  # another transmission id, signed

    responses = [handler(event_of(d), lambda_context) for d in (first, retry)]

    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True]
    assert len(bus.seen()) == 1
