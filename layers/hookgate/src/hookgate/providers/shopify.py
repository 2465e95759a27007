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
from hookgate.providers.base import Provider, Signed, Verification, header_field, no_signed_id
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
    docs_url="https://shopify.dev/docs/apps/build/webhooks/subscribe/https",
    verify=verify,
    sign=sign,
    delivery_id=no_signed_id,
    event_type=header_field("shopify-topic", "X-Shopify-Topic"),
    example_body=example_body,
    example_event_type="orders/create",
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
)
