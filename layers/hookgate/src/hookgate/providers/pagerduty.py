"""PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body>`, one
`v1=` entry per active secret, comma-separated while a secret is rotated; any may match. The
body carries the event's `id` and `event_type`; the `X-Webhook-Id` header is not signed.
https://developer.pagerduty.com/docs/verifying-signatures
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
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("X-PagerDuty-Signature", prefix="v1=")
#: More entries than any rotation needs is no genuine header.
MAX_ENTRIES = 10


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    entries = [e.strip() for e in require_header(request, SIGNATURE.header).split(",")]
    if len(entries) > MAX_ENTRIES:
        raise BadSignature()
    offered = [entry for entry in entries if entry.startswith("v1=")]
    return SIGNATURE.verify_any(secret, offered, request.body)


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    data = {"id": "PGR0VU2", "type": "incident", "status": "triggered", "title": "Disk full"}
    event = {
        "id": delivery_id,
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": "2026-01-01T00:00:00.000Z",
        "data": data,
    }
    return json.dumps({"event": event}).encode()


PROVIDER = Provider(
    name="pagerduty",
    verify=verify,
    delivery_id=json_field("event", "id"),
    event_type=json_field("event", "event_type"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",), id="body `event.id`"),
    timeout_s=5.0,
    forwarded_headers=("X-Webhook-Id", "X-Webhook-Subscription"),
    local=Local(
        sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="incident.triggered"
    ),
    deployment=Deployment(
        title="PagerDuty",
        console="PagerDuty (Integrations > Generic Webhooks (v3) > New Webhook)",
        secret=rotating("PagerDuty webhook subscription secret"),
    ),
    docs=Docs(
        url="https://developer.pagerduty.com/docs/verifying-signatures",
        summary="HMAC-SHA256 over the body, several `v1=` while rotating",
        scheme="body → HMAC-SHA256 hex; any `v1=` entry may match",
        headers="`X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]`; `X-Webhook-Id` (unsigned)",
        event_type="body `event.event_type` (`incident.triggered`; `pagey.ping`)",
        retries="up to 5 attempts over about 20 minutes on a timeout, 5xx or 429; 5 s timeout",
        oracle="an independent HMAC-SHA256 written in the test from PagerDuty's documentation "
        "and its Go library's rules (PagerDuty publishes no Python verifier)",
    ),
)
