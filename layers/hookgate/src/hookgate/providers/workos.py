"""WorkOS: `WorkOS-Signature: t=<Unix milliseconds>, v1=<hex HMAC-SHA256 of "<t>.<body>">`,
keyed with the endpoint's webhook secret. The body carries the event's `id` and `event`.
https://workos.com/docs/events/data-syncing/webhooks
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
from hookgate.providers.schemes import HmacHeader, parse_unix_time, within_window
from hookgate.request import Request

SIGNATURE_HEADER = "WorkOS-Signature"
#: The HMAC of `<t>.<body>`, compared as the hex WorkOS sends after `v1=`.
DIGEST = HmacHeader(SIGNATURE_HEADER)


def _parse(header: str) -> tuple[str, str]:
    # WorkOS's SDK splits on ", " and expects `t=` then `v1=`, once each; hookgate too, but
    # tolerates other spacing.
    items = [item.strip().partition("=") for item in header.split(",")]
    if len(items) != 2 or [name for name, _, _ in items] != ["t", "v1"]:
        raise BadSignature()
    (_, _, timestamp), (_, _, signature) = items
    return timestamp, signature


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    timestamp, signature = _parse(require_header(request, SIGNATURE_HEADER))
    signed_at = parse_unix_time(timestamp, milliseconds=True)
    verification = DIGEST.verify(
        request, secret, timestamp.encode(), b".", request.body, offered=signature
    )
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    millis = str(timestamp * 1000)
    return {SIGNATURE_HEADER: f"t={millis}, v1={DIGEST.sign(secret, millis.encode(), b'.', body)}"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    data = {"object": "user", "id": "user_01E4ZCR3C56J083X43JQXF3JK5", "email": "a@example.com"}
    return json.dumps(
        {"id": delivery_id, "event": event_type, "data": data, "created_at": "2026-01-01T00:00Z"}
    ).encode()


PROVIDER = Provider(
    name="workos",
    verify=verify,
    delivery_id=json_field("id"),
    event_type=json_field("event"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        covers=("body", "timestamp (`t` in `WorkOS-Signature`)"),
        id="body `id`",
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    local=Local(sign=sign, example_body=example_body, example_event_type="user.created"),
    deployment=Deployment(
        title="WorkOS",
        console="WorkOS (Dashboard > Webhooks > Create Endpoint)",
        secret=rotating("WorkOS webhook secret"),
    ),
    docs=Docs(
        url="https://workos.com/docs/events/data-syncing/webhooks",
        summary="HMAC-SHA256 over `t.body` (milliseconds), timestamp window",
        scheme='`"<t>." + body` → HMAC-SHA256 hex; `t` in Unix milliseconds',
        headers="`WorkOS-Signature: t=<ms>, v1=<hex>`",
        event_type="body `event` (`user.created`)",
        retries="up to 12 times with exponential backoff over 3 days",
        oracle="`workos` SDK: `client.webhooks.verify_header` accepts hookgate's signatures, "
        "hookgate accepts signatures made as the SDK checks them; both refuse stale ones",
    ),
)
