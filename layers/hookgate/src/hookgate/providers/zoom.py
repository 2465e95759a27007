"""Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the app's
secret token, and `x-zm-request-timestamp`. Zoom's sample re-serializes the parsed body before
hashing, which works only because Zoom sends compact JSON; here the raw body is hashed.

URL validation (`"event": "endpoint.url_validation"`) is signed like any delivery and answered
with the plain token and its HMAC, hex, keyed with the secret that verified the request.
Zoom sends no delivery id: the body's digest feeds the replay guard.
https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events
"""

from __future__ import annotations

import json

from hookgate.crypto import hmac_digest
from hookgate.errors import BadRequest
from hookgate.material import SecretMaterial
from hookgate.payload import loads
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HANDSHAKE_TOKEN, HmacHeader, TimestampedHmac
from hookgate.request import Request

SCHEME = TimestampedHmac(
    HmacHeader("x-zm-signature", prefix="v0="),
    timestamp_header="x-zm-request-timestamp",
    prefix_template="v0:{timestamp}:",
)
URL_VALIDATION = "endpoint.url_validation"


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    try:
        payload = loads(request.body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("event") != URL_VALIDATION:
        return None
    inner = payload.get("payload")
    plain = inner.get("plainToken") if isinstance(inner, dict) else None
    if not isinstance(plain, str) or verification is None:
        return None
    if not HANDSHAKE_TOKEN.fullmatch(plain):
        # Zoom's tokens are base64url; anything else is not HMAC'd with the key (schemes).
        raise BadRequest()
    key = secret.signing_keys()[verification.key_index]
    encrypted = hmac_digest("sha256", key, plain.encode("utf-8")).hex()
    return Reply.json({"plainToken": plain, "encryptedToken": encrypted})


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    meeting = {"id": 85569315032, "uuid": delivery_id, "topic": "hookgate example"}
    event = {
        "event": event_type,
        "event_ts": timestamp * 1000,
        "payload": {"account_id": "AAAAAABBBB", "object": meeting},
    }
    return json.dumps(event, separators=(",", ":")).encode()


PROVIDER = Provider(
    name="zoom",
    verify=SCHEME.verify,
    delivery_id=no_signed_id,
    event_type=json_field("event"),
    signature_header=SCHEME.signature.header,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`x-zm-request-timestamp`)"),
        headers=(SCHEME.timestamp_header,),
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    timeout_s=3.0,
    forwarded_headers=("x-zm-trackingid",),
    handshake=handshake,
    local=Local(
        sign=SCHEME.sign,
        example_body=example_body,
        example_event_type="meeting.started",
    ),
    deployment=Deployment(
        title="Zoom",
        console="Zoom (App Marketplace > app > Event Subscriptions > Endpoint URL)",
        secret=rotating("Zoom app secret token"),
    ),
    docs=Docs(
        url="https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
        summary="HMAC-SHA256 over `v0:ts:body`",
        scheme='`"v0:<ts>:" + body` → HMAC-SHA256 hex (secret token)',
        headers="`x-zm-signature: v0=<hex>`, `x-zm-request-timestamp`",
        event_type="body `event`",
        retries="3 retries",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            'signed `endpoint.url_validation` → `200 {"plainToken": p, "encryptedToken": hex '
            "HMAC-SHA256(secret, p)}`"
        ),
        answers="`endpoint.url_validation`",
    ),
)
