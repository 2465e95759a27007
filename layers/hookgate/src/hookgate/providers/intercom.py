"""Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`, keyed with the app's client
secret. The body is a notification carrying its `id` and `topic`; Intercom's `ping` carries a
null id, and is keyed on the body's digest like any delivery without one.
https://developers.intercom.com/docs/references/webhooks/webhook-models
"""

from __future__ import annotations

import json

from hookgate.providers.base import Deployment, Docs, Local, Provider, Signed, json_field, rotating
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("X-Hub-Signature", algorithm="sha1", prefix="sha1=")


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    item = {"type": "conversation", "id": "147"}
    return json.dumps(
        {
            "type": "notification_event",
            "id": delivery_id,
            "topic": event_type,
            "app_id": "a86dr8yl",
            "data": {"type": "notification_event_data", "item": item},
            "created_at": timestamp,
        }
    ).encode()


PROVIDER = Provider(
    name="intercom",
    verify=SIGNATURE.verify_body,
    delivery_id=json_field("id"),
    event_type=json_field("topic"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",), id="body `id` (a `ping`'s is null: the body's digest)"),
    local=Local(
        sign=SIGNATURE.sign_body,
        example_body=example_body,
        example_event_type="conversation.user.created",
    ),
    deployment=Deployment(
        title="Intercom",
        console="Intercom (Developer Hub > app > Configure > Webhooks)",
        secret=rotating("Intercom app client secret"),
    ),
    docs=Docs(
        url="https://developers.intercom.com/docs/webhooks/webhook-notifications",
        summary="HMAC-SHA1 over the body",
        scheme="body → HMAC-SHA1 hex (app client secret)",
        headers="`X-Hub-Signature: sha1=<hex>`",
        event_type="body `topic` (`conversation.user.created`; `ping`)",
        retries="paused for 15 minutes after 1000 errors in 15 minutes; suspended after 7 days",
        oracle="an independent HMAC-SHA1 written in the test from Intercom's documentation "
        "(Intercom's Python SDK has no webhook verifier)",
    ),
)
