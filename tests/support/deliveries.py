"""Deliveries signed the way the providers sign them: with Stripe's SDK, and an independent HMAC
for GitHub (which publishes no Python SDK)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import stripe

from tests.support import shapes
from tests.support.leaks import remember_secret, remember_signatures


def stripe_event(
    secret: str,
    *,
    event_id: str | None = None,
    event_type: str = "payment_intent.succeeded",
    timestamp: int | None = None,
    body: bytes | None = None,
    **shape_kwargs: Any,
) -> tuple[dict[str, Any], bytes, str]:
    """(API Gateway REST event, body, event id) for a Stripe delivery signed by the Stripe SDK."""
    event_id = event_id or f"evt_{uuid.uuid4().hex[:24]}"
    if body is None:
        body = json.dumps(
            {
                "id": event_id,
                "object": "event",
                "type": event_type,
                "data": {"object": {"id": "pi_1", "amount": 2000, "currency": "eur"}},
            },
            indent=1,
        ).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp)
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ("Stripe-Signature", header),
    ]
    remember_secret(secret)
    remember_signatures(dict(headers), "Stripe-Signature")
    return shapes.rest_v1(headers=headers, body=body, **shape_kwargs), body, event_id


def github_event(
    secret: str,
    *,
    event_type: str = "push",
    delivery_id: str | None = None,
    body: bytes | None = None,
    **shape_kwargs: Any,
) -> tuple[dict[str, Any], bytes, str]:
    """(API Gateway REST event, body, replay key) for a GitHub delivery.

    GitHub signs only the body, so hookgate keys the delivery on the body's SHA-256 (the first
    32 hex digits), not on the unsigned `X-GitHub-Delivery` (`delivery_id` here).
    """
    delivery_id = delivery_id or str(uuid.uuid4())
    if body is None:  # each event's body is its own (a push names its commit)
        body = json.dumps(
            {"zen": "Design for failure.", "hook_id": 1, "after": uuid.uuid4().hex}
        ).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = [
        ("Content-Type", "application/json"),
        ("User-Agent", "GitHub-Hookshot/044aadd"),
        ("X-GitHub-Event", event_type),
        ("X-GitHub-Delivery", delivery_id),
        ("X-GitHub-Hook-ID", "292430182"),
        ("X-Hub-Signature-256", signature),
    ]
    remember_secret(secret)
    remember_signatures(dict(headers), "X-Hub-Signature-256")
    key = hashlib.sha256(body).hexdigest()[:32]
    return shapes.rest_v1(headers=headers, body=body, **shape_kwargs), body, key
