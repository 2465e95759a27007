"""Paddle Billing: `Paddle-Signature: ts=<Unix seconds>;h1=<hex HMAC-SHA256 of "<ts>:<body>">`,
keyed with the notification destination's secret key (`pdl_ntfset_...`, used as text). Several
`h1` entries may be sent, any of which may match; an unknown key refuses the header, as in
Paddle's SDK (`paddle_billing.Notifications.PaddleSignature`), which hookgate follows: entries
without `=` are skipped, and `ts` is signed as the SDK prints it (`int(ts)`). hookgate is
stricter where the SDK is loose: `ts` must be plain digits and appear once (the SDK takes the
last of several), and at most 10 entries are read.
https://developer.paddle.com/webhooks/signature-verification

The replay key is the signed body's `notification_id`, not its `event_id`: a notification is
one delivery of an event to one destination, and Paddle's retries of it (live: up to 60 over 3
days, with backoff) keep its `notification_id`. A notification
replayed through Paddle's API or dashboard is a new notification (a new `notification_id`, the
same `event_id`) that someone asked for, and is published again; so is the same event sent to
two destinations pointing here. Consumers that want once per event dedupe on `event_id`.

Timestamp window: Paddle's SDKs refuse a `ts` more than 5 s from now (`Verifier(
maximum_variance=5)`), and Paddle's page tells manual verifiers to do the same. hookgate applies
its own window (`HOOKGATE_TOLERANCE_SECONDS`, default 300 s, both ways) instead: a Lambda's clock
and a cold start make 5 s brittle, and a resend inside the window is already a duplicate under
the signed `notification_id` for the replay TTL (7 days, longer than Paddle retries).
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

SIGNATURE_HEADER = "Paddle-Signature"
DIGEST = HmacHeader(SIGNATURE_HEADER)
#: More entries than any rotation needs is no genuine header.
MAX_ENTRIES = 10


def parse_signature(header: str) -> tuple[int, list[str]]:
    """`ts=<unix>;h1=<hex>[;h1=<hex>...]`: the timestamp and the `h1` signatures.

    Raises:
        BadSignature: an unknown key, no (or a second) `ts`, no `h1`, or too many entries.
    """
    entries = header.split(";")
    if len(entries) > MAX_ENTRIES:
        raise BadSignature()
    timestamp: str | None = None
    signatures: list[str] = []
    for entry in entries:
        name, separator, value = entry.partition("=")
        if not separator:
            continue  # the SDK skips what is not `key=value`
        if name == "h1":
            signatures.append(value)
        elif name == "ts" and timestamp is None:
            timestamp = value
        else:
            raise BadSignature()
    if timestamp is None or not signatures:
        raise BadSignature()
    return parse_unix_time(timestamp), signatures


def _signed_prefix(timestamp: int) -> bytes:
    return b"%d:" % timestamp


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    timestamp, signatures = parse_signature(require_header(request, SIGNATURE_HEADER))
    verification = DIGEST.verify_any(secret, signatures, _signed_prefix(timestamp), request.body)
    return within_window(verification, timestamp, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    digest = DIGEST.sign(secret, _signed_prefix(timestamp), body)
    return {SIGNATURE_HEADER: f"ts={timestamp};h1={digest}"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    customer = {
        "id": "ctm_01hs0tqf76sxmp7ba5e4mw1sc8",
        "name": "Jo Doe",
        "email": "jo@example.com",
        "status": "active",
    }
    return json.dumps(
        {
            "data": customer,
            "event_id": "evt_01hs0tqfme2xwb2hvwv87p8y3w",
            "event_type": event_type,
            "occurred_at": "2026-01-01T00:00:00.000000Z",
            "notification_id": delivery_id,
        },
        separators=(",", ":"),
    ).encode()


PROVIDER = Provider(
    name="paddle",
    verify=verify,
    delivery_id=json_field("notification_id"),
    event_type=json_field("event_type"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        covers=("body", "timestamp (`ts` in `Paddle-Signature`)"),
        id="body `notification_id`",
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    timeout_s=5.0,
    local=Local(sign=sign, example_body=example_body, example_event_type="customer.created"),
    deployment=Deployment(
        title="Paddle",
        console="Paddle (Developer tools > Notifications > New destination, type URL)",
        secret=rotating("Paddle notification destination secret key (pdl_ntfset_...)"),
    ),
    docs=Docs(
        url="https://developer.paddle.com/webhooks/signature-verification",
        summary="HMAC-SHA256 over `ts:body`, several `h1`, timestamp window",
        scheme='`"<ts>:" + body` → HMAC-SHA256 hex (the destination\'s secret key); '
        "any `h1` may match",
        headers="`Paddle-Signature: ts=<unix>;h1=<hex>[;h1=<hex>]`",
        event_type="body `event_type` (`customer.created`, `transaction.completed`)",
        retries="any non-2xx or no answer in 5 s: live, up to 60 retries over 3 days with "
        "backoff; a replay (API, dashboard) is a new `notification_id`",
        oracle="`paddle_billing` SDK (`Verifier`, `PaddleSignature`) both ways, and its "
        "published test vector",
        window="yes (hookgate's, not the SDK's 5 s)",
    ),
)
