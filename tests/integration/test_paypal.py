"""PayPal through the real handler, its certificate served for real: a test CA, a TLS server
standing in for PayPal's API host, reached through an HTTPS proxy (the standard `HTTPS_PROXY`
route, so the allowed host name is what the function asks for; `dev/local/certificates.py`, which
`make run` uses too). The proxy records every connection, which is how "refused without any
network call" is observed.
"""

from __future__ import annotations

import json
import socket
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from dev.local.certificates import (
    API_HOST,
    SIGNER_NAME,
    CertificateHost,
    DevCA,
    issue,
    new_key,
    pem,
)
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support.providers import delivery, event_of

CERT_PATH = "/v1/notifications/certs/CERT-360caa42-fca2a594-hookgate"
WEBHOOK_ID = "WH-HOOKGATE-LOCAL"


@dataclass
class PayPalDouble:
    """What the function can reach: PayPal's certificate endpoint, through a proxy."""

    signer_key: rsa.RSAPrivateKey
    host: CertificateHost

    @property
    def connections(self) -> list[str]:
        return self.host.connections

    @property
    def downloads(self) -> list[str]:
        return self.host.downloads

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


@dataclass(frozen=True)
class PKI:
    ca: DevCA
    signer_key: rsa.RSAPrivateKey
    self_signed_key: rsa.RSAPrivateKey
    served: dict[str, bytes]


@pytest.fixture(scope="module")
def pki() -> PKI:
    ca, signer_key, self_signed_key = DevCA.create(), new_key(), new_key()
    served = {
        CERT_PATH: ca.signing_chain(signer_key),
        "/v1/notifications/certs/CERT-untrusted": pem(
            issue(SIGNER_NAME, self_signed_key, None, dns=SIGNER_NAME)
        ),
        "/v1/notifications/certs/CERT-not-paypal": ca.signing_chain(signer_key, dns="example.com"),
        "/v1/notifications/certs/CERT-expired": ca.signing_chain(
            signer_key, days=-1, start_days_ago=30
        ),
    }
    return PKI(ca, signer_key, self_signed_key, served)


@pytest.fixture
def paypal(pki: PKI, monkeypatch: pytest.MonkeyPatch) -> Iterator[PayPalDouble]:
    from hookgate.providers import paypal as module

    with CertificateHost(pki.ca, pki.served) as host:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name, value in host.environment().items():
            monkeypatch.setenv(name, value)
        module._certificates.clear()  # each test starts with PayPal's certificate not yet fetched
        yield PayPalDouble(signer_key=pki.signer_key, host=host)
        module._certificates.clear()


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
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    key = pki.self_signed_key if path == "CERT-untrusted" else None
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
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
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
