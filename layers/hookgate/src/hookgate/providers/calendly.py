"""Calendly: `Calendly-Webhook-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`, keyed with the subscription's signing key (Stripe's layout, parsed alike).
Calendly's body names no delivery id: the replay key is the body's digest.
https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures
"""

from __future__ import annotations

import json

from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_timestamped_signatures, within_window
from hookgate.request import Request

SIGNATURE_HEADER = "Calendly-Webhook-Signature"
DIGEST = HmacHeader(SIGNATURE_HEADER)


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    timestamp, signatures = parse_timestamped_signatures(require_header(request, SIGNATURE_HEADER))
    verification = DIGEST.verify_any(secret, signatures, b"%d." % timestamp, request.body)
    return within_window(verification, timestamp, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {SIGNATURE_HEADER: f"t={timestamp},v1={DIGEST.sign(secret, b'%d.' % timestamp, body)}"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    invitee = f"https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/{delivery_id}"
    return json.dumps(
        {
            "event": event_type,
            "created_at": "2026-01-01T00:00:00.000000Z",
            "payload": {"uri": invitee, "email": "a@example.com", "status": "active"},
        }
    ).encode()


PROVIDER = Provider(
    name="calendly",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=json_field("event"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        covers=("body", "timestamp (`t` in `Calendly-Webhook-Signature`)"),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    timeout_s=15.0,
    local=Local(sign=sign, example_body=example_body, example_event_type="invitee.created"),
    deployment=Deployment(
        title="Calendly",
        console="Calendly (POST /webhook_subscriptions with this URL and a signing_key)",
        secret=rotating("Calendly webhook signing key"),
    ),
    docs=Docs(
        url="https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures",
        summary="HMAC-SHA256 over `t.body`, timestamp window",
        scheme='`"<t>." + body` → HMAC-SHA256 hex (the subscription\'s signing key)',
        headers="`Calendly-Webhook-Signature: t=<unix>,v1=<hex>`",
        event_type="body `event` (`invitee.created`)",
        retries="any non-2xx with exponential backoff for 24 hours, then disabled; 410 deletes",
        oracle="an independent HMAC written in the test from Calendly's documentation "
        "(Calendly publishes no Python SDK)",
    ),
)
