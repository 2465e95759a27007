"""Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` with the app's client
secret. Newer deliveries use un-prefixed header names (`shopify-hmac-sha256`,
`shopify-webhook-id`, `shopify-topic`, ...); Shopify's own library reads those first, and so
does this module. Only the body is signed: the webhook id, topic and shop domain are not, so
the replay guard keys on the body's digest and the topic is published marked unsigned.
https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook
"""

from __future__ import annotations

import json

from hookgate.errors import MissingSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    header_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("X-Shopify-Hmac-Sha256", encoding="base64")
NEW_STYLE_SIGNATURE_HEADER = "shopify-hmac-sha256"
_FIELDS = ("webhook-id", "topic", "shop-domain", "api-version", "event-id", "triggered-at")


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    offered = request.headers.get(NEW_STYLE_SIGNATURE_HEADER) or request.headers.get(
        SIGNATURE.header
    )
    if not offered:
        raise MissingSignature()
    return SIGNATURE.verify(request, secret, request.body, offered=offered)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, body),
        "X-Shopify-Webhook-Id": delivery_id,
        "X-Shopify-Topic": event_type,
        "X-Shopify-Shop-Domain": "hookgate-example.myshopify.com",
        "X-Shopify-API-Version": "2025-10",
        "X-Shopify-Triggered-At": f"{timestamp}",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    order = {
        "id": 820982911946154508,
        "admin_graphql_api_id": f"gid://shopify/Order/{delivery_id}",
        "email": "jon@example.com",
        "total_price": "403.00",
    }
    return json.dumps(order).encode()


PROVIDER = Provider(
    name="shopify",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=header_field("shopify-topic", "X-Shopify-Topic"),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body",),
        event_type=False,
        captured="nothing new: a resend under another webhook id, topic or shop domain is a "
        "duplicate of the body already published",
    ),
    forwarded_headers=tuple(
        name for field in _FIELDS for name in (f"X-Shopify-{field}", f"shopify-{field}")
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="orders/create",
    ),
    deployment=Deployment(
        title="Shopify",
        console="Shopify (app configuration > Webhooks subscriptions)",
        secret=rotating("Shopify app client secret"),
    ),
    docs=Docs(
        url="https://shopify.dev/docs/apps/build/webhooks/subscribe/https",
        summary="HMAC-SHA256 base64 over the body (both header styles)",
        scheme="body → HMAC-SHA256 base64 (app client secret)",
        headers="`shopify-hmac-sha256` (new style, read first) or `X-Shopify-Hmac-Sha256`",
        event_type="`shopify-topic` / `X-Shopify-Topic` (unsigned)",
        retries="8 tries over 4 hours; 5 s timeout",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
    ),
)
