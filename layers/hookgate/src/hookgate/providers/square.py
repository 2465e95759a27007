"""Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256(signature key, notification URL
+ body)>`. The URL is the subscription's notification URL exactly as configured in Square, so
set `notification_url` in the secret when a proxy or custom domain sits in front; without it
the URL the request arrived at is used. No timestamp is signed: the body's `event_id` feeds the
replay guard.

URL and body are signed run together, so where one ends must be unambiguous, or part of a
captured body could move into the URL (a query, or a path a function URL routes anyway). Square
sends a JSON object: the body must start with `{`, and a URL taken from the request must hold
none, so the signed text splits in one place only.
https://developer.squareup.com/docs/webhooks/step3validate
"""

from __future__ import annotations

import json

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("x-square-hmacsha256-signature", encoding="base64")


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    url = (secret.notification_url or request.url).encode("utf-8")
    if not request.body.startswith(b"{") or (not secret.notification_url and b"{" in url):
        raise BadSignature()
    return SIGNATURE.verify(request, secret, url, request.body)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {SIGNATURE.header: SIGNATURE.sign(secret, url.encode("utf-8"), body)}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "merchant_id": "6SSW7HV8K2ST5",
        "type": event_type,
        "event_id": delivery_id,
        "created_at": "2026-01-01T00:00:00.000Z",
        "data": {"type": "payment", "id": "KkAkhdMsgzn59SM8A89WgKwekxLZY", "object": {}},
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="square",
    verify=verify,
    delivery_id=json_field("event_id"),
    event_type=json_field("type"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("notification URL", "body"), id="body `event_id`"),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="payment.updated",
    ),
    deployment=Deployment(
        title="Square",
        console="Square (Developer Dashboard > Webhooks > Notification URL)",
        secret=(
            'Square signature key: JSON {"signing_secrets": ["key"], "notification_url": "the '
            'notification URL exactly as configured"}.'
        ),
    ),
    docs=Docs(
        url="https://developer.squareup.com/docs/webhooks/step3validate",
        summary="HMAC-SHA256 base64 over notification URL + body",
        scheme="notification URL + body → HMAC-SHA256 base64",
        headers="`x-square-hmacsha256-signature`",
        event_type="body `type`",
        retries="for up to 24 hours; 10 s timeout",
        oracle="`squareup`'s `verify_signature` and the two vectors from its tests",
    ),
)
