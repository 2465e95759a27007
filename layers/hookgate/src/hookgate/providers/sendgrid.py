"""Twilio SendGrid Event Webhook: ECDSA P-256 / SHA-256 over `timestamp + body`.

`X-Twilio-Email-Event-Webhook-Signature` holds the DER signature, base64;
`X-Twilio-Email-Event-Webhook-Timestamp` the Unix time. The verification key is the base64 DER
public key SendGrid shows when signing is enabled (store it as `public_key`; a list while
rotating). SendGrid's own helper checks no time window; hookgate refuses timestamps outside
the window, as SendGrid's documentation recommends against replays.

A delivery is a JSON array of events; the body's digest feeds the replay guard.
The event type is the events' shared `event` ("delivered"), or "batch" when they differ.
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hookgate.errors import BadSignature, ConfigurationError
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    no_signed_id,
    require_header,
)
from hookgate.providers.schemes import b64decode, parse_unix_time, within_window
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


@lru_cache(maxsize=8)
def _public_key(text: str) -> ec.EllipticCurvePublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        load_der_public_key,
        load_pem_public_key,
    )

    try:
        if text.lstrip().startswith("-----BEGIN"):
            key = load_pem_public_key(text.encode())
        else:
            key = load_der_public_key(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise ConfigurationError("public_key is not an ECDSA public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("public_key is not an ECDSA public key")
    return key


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signature = b64decode(require_header(request, SIGNATURE_HEADER))
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = parse_unix_time(timestamp)
    signed = timestamp.encode() + request.body
    for index, text in enumerate(secret.verification_keys()):
        try:
            _public_key(text).verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        verification = Verification(
            scheme="ecdsa-p256-sha256", key_index=index, signature=signature
        )
        return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)
    raise BadSignature()


def event_type(request: Request, payload: Any) -> str | None:
    if not isinstance(payload, list) or not payload:
        return None
    # Only strings are kept: a signed body may still hold a list where a name belongs.
    kinds = {
        kind
        if isinstance(kind := event.get("event") if isinstance(event, dict) else None, str)
        else None
        for event in payload
    }
    only = kinds.pop() if len(kinds) == 1 else "batch"
    return only


def _private_key(secret: str) -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    key = load_der_private_key(base64.b64decode(secret), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError("not an ECDSA private key")
    return key


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """`secret`: the signer's private key, base64 DER (PKCS#8)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signature = _private_key(secret).sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: str(timestamp),
        "User-Agent": "SendGrid Event API",
    }


def stored_secret(signing_secret: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = _private_key(signing_secret).public_key()
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return json.dumps({"public_key": base64.b64encode(der).decode()})


def new_secret() -> str:
    """A fresh P-256 private key, base64 DER (what `sign` takes)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return base64.b64encode(der).decode()


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "email": "example@test.com",
        "timestamp": timestamp,
        "event": event_type,
        "sg_event_id": delivery_id,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
    }
    return json.dumps([event]).encode()


PROVIDER = Provider(
    name="sendgrid",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`X-Twilio-Email-Event-Webhook-Timestamp`)"),
        headers=(TIMESTAMP_HEADER,),
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="delivered",
        stored_secret=stored_secret,
        new_secret=new_secret,
        dev_secret=(
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAGhvb2tnYXRlLWxvY2FsLWRldi1zZW5kZ3JpZC1r"
            "ZXmhRANCAAR4RU+bEsNbgGRXIewRhSJWyQvIIw1oANd/R0nHBOZ18kZsPg+MWTDo+UeaCDLTstAKAdPAjC83NGLM"
            "5AeHUNNW"
        ),
    ),
    deployment=Deployment(
        title="SendGrid",
        console=("SendGrid (Settings > Mail Settings > Event Webhook > Post URL, signing enabled)"),
        secret=(
            'SendGrid verification key: JSON {"public_key": "base64 key" or a list while rotating}.'
        ),
    ),
    docs=Docs(
        url="https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
        summary="ECDSA P-256 over timestamp + body",
        scheme="`timestamp + body` → ECDSA P-256 SHA-256, DER signature base64",
        headers="`X-Twilio-Email-Event-Webhook-Signature`, `-Timestamp`",
        event_type="the events' shared `event`, else `batch`",
        retries="for up to 24 hours",
        oracle=(
            "`sendgrid`'s `EventWebhook.verify_signature` accepts hookgate's signatures; "
            "hookgate accepts signatures made with `cryptography` directly"
        ),
    ),
)
