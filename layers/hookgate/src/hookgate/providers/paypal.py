"""PayPal: RSA PKCS#1 v1.5 / SHA-256 (`PAYPAL-AUTH-ALGO: SHA256withRSA`) over
`"<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body, decimal>"`, with the
certificate PayPal names in `PAYPAL-CERT-URL`.

The webhook id is yours (from the developer dashboard; `webhook_id` in the secret), which is
what ties a delivery to your endpoint. The certificate URL comes from the request, so it is
the one place an attacker chooses where hookgate connects: it must be `https://` on one of
PayPal's API hosts under `/v1/notifications/certs/`, or the delivery is refused without any
network call. The download follows no redirects, is bounded in time and size, and the
certificate must chain to a trusted root (the runtime's CA bundle, or `SSL_CERT_FILE`), be
valid now, and name a `paypal.com` host. Verified certificates are cached per URL.
`PAYPAL-TRANSMISSION-TIME` is refused outside the window.

The signature covers the body only through its CRC32, which anyone can match with other bytes.
So the replay guard keys on the signed transmission id: a captured transmission is answered
as a duplicate whatever body comes with it. PayPal retries an event as new transmissions, so
a delivery must also be new under the body's event `id` (checked only once the transmission
is known to be new, so a forger cannot reach it with a captured one). What remains: a
transmission hookgate never answered 2xx (it failed, or never arrived) can, within the window,
carry another body of the same CRC32. PayPal's `verify-webhook-signature` API is not used: it
takes the event as parsed JSON, PayPal does not document that it compares it with the event it
sent, and it needs an OAuth token and a call to PayPal per delivery. Consumers that act on
PayPal events should fetch the event from PayPal's API by its id when the action matters.
https://developer.paypal.com/api/rest/webhooks/rest/#link-verifysignature
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hookgate.errors import BadSignature, ConfigurationError
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    header_field,
    json_field,
    require_header,
)
from hookgate.providers.certificates import CertificateCache, trust_roots
from hookgate.providers.schemes import b64decode, parse_iso_time, within_window
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

ID_HEADER = "PAYPAL-TRANSMISSION-ID"
TIME_HEADER = "PAYPAL-TRANSMISSION-TIME"
SIGNATURE_HEADER = "PAYPAL-TRANSMISSION-SIG"
CERT_URL_HEADER = "PAYPAL-CERT-URL"
ALGORITHM_HEADER = "PAYPAL-AUTH-ALGO"
ALGORITHM = "SHA256withRSA"
#: The only hosts a certificate is ever downloaded from.
CERT_HOSTS = frozenset(
    {"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"}
)
CERT_PATH_PREFIX = "/v1/notifications/certs/"
#: The whole URL, as PayPal sends it (`.../certs/CERT-360caa42-fca2a594-1d93a270`): checked as
#: text before any parser sees it, so no encoding (`%2e%2e`), space or control character passes.
_CERT_URL = re.compile(
    r"https://(?P<host>[a-z0-9.-]+)(?::443)?/v1/notifications/certs/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}",
    re.ASCII,
)
CERT_NAME_SUFFIX = ".paypal.com"


def is_allowed_cert_url(url: str) -> bool:
    """Whether `url` may be fetched: https, a PayPal API host, default port, the certs path,
    and nothing else (no credentials, query, fragment, percent-encoding or `..`)."""
    found = _CERT_URL.fullmatch(url)
    if found is None or found["host"] not in CERT_HOSTS or ".." in url:
        return False
    parts = urlsplit(url)
    return parts.hostname == found["host"] and parts.path.startswith(CERT_PATH_PREFIX)


def _verified_leaf(pem: bytes, url: str, now: datetime) -> Certificate:
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise BadSignature() from exc
    leaf, intermediates = chain[0], chain[1:]
    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound as exc:
        raise BadSignature() from exc
    paypal_names = [
        name
        for name in names.value.get_values_for_type(x509.DNSName)
        if name.endswith(CERT_NAME_SUFFIX) and "*" not in name
    ]
    if not paypal_names:
        raise BadSignature()
    policy = PolicyBuilder().store(Store(trust_roots())).time(now)
    verifier = policy.build_server_verifier(x509.DNSName(paypal_names[0]))
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        raise BadSignature() from exc
    return leaf


_certificates = CertificateCache(_verified_leaf)


def certificate(url: str, now: datetime) -> Certificate:
    """PayPal's signing certificate at `url`, downloaded once and verified.

    Raises:
        BadSignature: the URL is not allowed, or the certificate does not verify.
        DownstreamError: the download failed.
    """
    if not is_allowed_cert_url(url):
        raise BadSignature()
    return _certificates.signing_certificate(url, now)


def _signed(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}".encode()


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    transmission_id = require_header(request, ID_HEADER)
    transmission_time = require_header(request, TIME_HEADER)
    signature = b64decode(require_header(request, SIGNATURE_HEADER))
    cert_url = require_header(request, CERT_URL_HEADER)
    if require_header(request, ALGORITHM_HEADER) != ALGORITHM:
        raise BadSignature()
    if not secret.webhook_id:
        raise ConfigurationError("the secret has no webhook_id")
    signed_at = parse_iso_time(transmission_time)
    key = certificate(cert_url, datetime.fromtimestamp(now_s, UTC)).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature()
    signed = _signed(transmission_id, transmission_time, secret.webhook_id, request.body)
    try:
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise BadSignature() from exc
    verification = Verification(scheme="rsa-sha256", key_index=0, signature=signature)
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """`secret`: JSON with the signer's `private_key` (PEM), its `cert_url` and `webhook_id`."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    signer = json.loads(secret)
    key = load_pem_private_key(signer["private_key"].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("not an RSA private key")
    sent_at = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = _signed(delivery_id, sent_at, signer["webhook_id"], body)
    signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    return {
        ID_HEADER: delivery_id,
        TIME_HEADER: sent_at,
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        CERT_URL_HEADER: signer["cert_url"],
        ALGORITHM_HEADER: ALGORITHM,
        "User-Agent": "PayPal/AUHD-214.0-58794459",
    }


def stored_secret(signing_secret: str) -> str:
    return json.dumps({"webhook_id": json.loads(signing_secret)["webhook_id"]})


def local_signer(private_key_pem: str) -> str:
    """A signer as `sign` takes it (local tools only): the key, the allow-listed URL its
    certificate is served at locally, and a webhook id."""
    return json.dumps(
        {
            "private_key": private_key_pem,
            "cert_url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-hookgate-local",
            "webhook_id": "WH-HOOKGATE-LOCAL",
        }
    )


def new_secret() -> str:
    """A signer with a fresh RSA key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return local_signer(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    )


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "id": "WH-" + delivery_id.replace("-", "")[:17].upper(),
        "create_time": datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "resource_type": "capture",
        "event_type": event_type,
        "summary": "Payment completed for $ 7.47 USD",
        "resource": {"id": "42311647XV020574X", "status": "COMPLETED"},
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="paypal",
    verify=verify,
    delivery_id=header_field(ID_HEADER),
    also_once_per=json_field("id"),
    event_type=json_field("event_type"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        body=False,
        timestamp=True,
        covers=(
            "transmission id",
            "transmission time",
            "your webhook id",
            "CRC32 of the body (not the body)",
        ),
        id="`PAYPAL-TRANSMISSION-ID` (signed); also once per body `id`",
        headers=(ID_HEADER, TIME_HEADER),
        event_type=False,
        captured="nothing once answered; a transmission never answered 2xx can, within the "
        "window, carry another body of the same CRC32",
    ),
    forwarded_headers=(ID_HEADER, TIME_HEADER, ALGORITHM_HEADER),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="PAYMENT.CAPTURE.COMPLETED",
        stored_secret=stored_secret,
        new_secret=new_secret,
    ),
    deployment=Deployment(
        title="PayPal",
        console="PayPal (Developer Dashboard > app > Webhooks > Webhook URL)",
        secret=(
            'PayPal webhook id: JSON {"webhook_id": "..."} (PayPal signs with its certificate).'
        ),
    ),
    docs=Docs(
        window="yes (transmission time)",
        url="https://developer.paypal.com/api/rest/webhooks/rest/#link-verifysignature",
        summary="RSA-SHA256 with PayPal's certificate (allow-listed, chain-checked, cached)",
        scheme=(
            '`"<transmission id>|<transmission time>|<webhook id>|<CRC32(body)>"` → RSA PKCS#1 '
            "v1.5 SHA-256 with PayPal's certificate"
        ),
        headers=(
            "`PAYPAL-TRANSMISSION-ID`, `-TIME`, `-SIG` (base64), `PAYPAL-CERT-URL`, "
            "`PAYPAL-AUTH-ALGO: SHA256withRSA`"
        ),
        event_type="body `event_type`",
        retries="up to 25 times over 3 days",
        oracle=(
            "a test CA, intermediate and certificate served over real TLS through an HTTPS "
            "proxy; allow-list refusals observed at the proxy (no connection made)"
        ),
    ),
)
