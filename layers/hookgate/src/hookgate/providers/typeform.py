"""Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>`.

The body is signed whole and carries the delivery's `event_id`; nothing else is signed (no
timestamp), so a resend of a captured delivery is a duplicate for as long as the replay record
lives. https://www.typeform.com/developers/webhooks/secure-your-webhooks/
"""

from __future__ import annotations

import json

from hookgate.providers.base import Deployment, Docs, Local, Provider, Signed, json_field, rotating
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("Typeform-Signature", encoding="base64", prefix="sha256=")


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    response = {"form_id": "lT4Z3j", "token": delivery_id, "answers": []}
    return json.dumps(
        {"event_id": delivery_id, "event_type": event_type, "form_response": response}
    ).encode()


PROVIDER = Provider(
    name="typeform",
    verify=SIGNATURE.verify_body,
    delivery_id=json_field("event_id"),
    event_type=json_field("event_type"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",), id="body `event_id`"),
    local=Local(
        sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="form_response"
    ),
    deployment=Deployment(
        title="Typeform",
        console="Typeform (form > Connect > Webhooks > Add a webhook, then Edit > Secret)",
        secret=rotating("Typeform webhook secret"),
    ),
    docs=Docs(
        url="https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
        summary="HMAC-SHA256 base64 over the body",
        scheme="body → HMAC-SHA256 base64 (the webhook's secret)",
        headers="`Typeform-Signature: sha256=<base64>`",
        event_type="body `event_type` (`form_response`)",
        retries="retried with backoff when the answer is not 2xx",
        oracle="an independent HMAC written in the test from Typeform's documentation",
    ),
)
