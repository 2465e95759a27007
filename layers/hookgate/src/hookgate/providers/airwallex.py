"""Airwallex: `x-signature: <hex HMAC-SHA256 of x-timestamp + body>`, `x-timestamp` in Unix
milliseconds, keyed with the endpoint's webhook secret. The body carries the event's `id` and
its type as `name`. Airwallex retries anything but a 200.
https://www.airwallex.com/docs/developer-tools/webhooks/listen-for-webhook-events
"""

from __future__ import annotations

import json

from hookgate.providers.base import Deployment, Docs, Local, Provider, Signed, json_field, rotating
from hookgate.providers.schemes import HmacHeader, TimestampedHmac

SCHEME = TimestampedHmac(HmacHeader("x-signature"), "x-timestamp", "{timestamp}", milliseconds=True)


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    data = {"object": {"id": "int_hkdmr7v9rg1j58ky8re", "status": "SUCCEEDED", "amount": 10}}
    return json.dumps(
        {"id": delivery_id, "name": event_type, "account_id": "acct_1", "data": data}
    ).encode()


PROVIDER = Provider(
    name="airwallex",
    verify=SCHEME.verify,
    delivery_id=json_field("id"),
    event_type=json_field("name"),
    signature_header=SCHEME.signature.header,
    signed=Signed(
        covers=("timestamp (`x-timestamp`)", "body"),
        id="body `id`",
        headers=(SCHEME.timestamp_header,),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    local=Local(
        sign=SCHEME.sign, example_body=example_body, example_event_type="payment_intent.succeeded"
    ),
    deployment=Deployment(
        title="Airwallex",
        console="Airwallex (Settings > Developer > Webhooks > New webhook)",
        secret=rotating("Airwallex webhook secret"),
    ),
    docs=Docs(
        url="https://www.airwallex.com/docs/developer-tools/webhooks/listen-for-webhook-events",
        summary="HMAC-SHA256 over timestamp + body (milliseconds), timestamp window",
        scheme="`x-timestamp` + body → HMAC-SHA256 hex",
        headers="`x-signature: <hex>`, `x-timestamp` (Unix milliseconds)",
        event_type="body `name` (`payment_intent.succeeded`)",
        retries="anything but a 200, with exponential backoff for about 3 days",
        oracle="an independent HMAC written in the test from Airwallex's documentation "
        "(Airwallex publishes no Python SDK)",
    ),
)
