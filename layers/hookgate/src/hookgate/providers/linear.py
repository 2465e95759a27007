"""Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>`, keyed with the webhook's signing
secret. Freshness is in the signed body: `webhookTimestamp`, Unix milliseconds, refused outside
the window (Linear's SDK allows 60 s, and passes a body without one; hookgate requires it).
Linear sends no signed delivery id: the replay key is the body's digest, and `Linear-Delivery`
is published as an unsigned header. https://linear.app/developers/webhooks
"""

from __future__ import annotations

import json
from typing import Any

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.payload import loads
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, within_window
from hookgate.request import Request

SIGNATURE = HmacHeader("Linear-Signature")


def _signed_at_s(body: bytes) -> int:
    try:
        event: Any = loads(body)
    except ValueError as exc:
        raise BadSignature() from exc
    millis = event.get("webhookTimestamp") if isinstance(event, dict) else None
    if isinstance(millis, bool) or not isinstance(millis, int) or millis < 0:
        raise BadSignature()
    return millis // 1000


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    verification = SIGNATURE.verify_body(request, secret, now_s=now_s, tolerance_s=tolerance_s)
    # Read only once the body is known genuine: an unsigned time means nothing.
    return within_window(
        verification, _signed_at_s(request.body), now_s=now_s, tolerance_s=tolerance_s
    )


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    data = {"id": delivery_id, "identifier": "ENG-1", "title": "Fix the build"}
    return json.dumps(
        {
            "action": "create",
            "type": event_type,
            "data": data,
            "webhookTimestamp": timestamp * 1000,
            "webhookId": "000042e3-d123-4980-b49f-8e140eef9329",
        }
    ).encode()


PROVIDER = Provider(
    name="linear",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=json_field("type"),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body (with its `webhookTimestamp`)",),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    forwarded_headers=("Linear-Delivery", "Linear-Event"),
    local=Local(sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="Issue"),
    deployment=Deployment(
        title="Linear",
        console="Linear (Settings > API > Webhooks > New webhook)",
        secret=rotating("Linear webhook signing secret"),
    ),
    docs=Docs(
        url="https://linear.app/developers/webhooks",
        summary="HMAC-SHA256 over the body; its `webhookTimestamp` windowed",
        scheme="body → HMAC-SHA256 hex; body `webhookTimestamp` (ms) within the window",
        headers="`Linear-Signature: <hex>`; `Linear-Delivery`, `Linear-Event` (unsigned)",
        event_type="body `type` (`Issue`, `Comment`, ...)",
        retries="retried after a failure, backing off over hours",
        oracle="an independent HMAC written in the test from Linear's documentation and "
        "`@linear/sdk`'s rules (Linear publishes no Python verifier)",
        window="yes (body `webhookTimestamp`)",
    ),
)
