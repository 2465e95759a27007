"""Sentry (integration platform): `Sentry-Hook-Signature: <hex HMAC-SHA256 of the body>`,
keyed with the integration's client secret. Only the body is signed: `Request-ID`,
`Sentry-Hook-Resource` (the event type) and `Sentry-Hook-Timestamp` are published as unsigned
headers, and the replay key is the body's digest.
https://docs.sentry.io/integrations/integration-platform/webhooks/
"""

from __future__ import annotations

import json

from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    header_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("Sentry-Hook-Signature")
RESOURCE_HEADER = "Sentry-Hook-Resource"
REQUEST_ID_HEADER = "Request-ID"


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, body),
        RESOURCE_HEADER: event_type,
        REQUEST_ID_HEADER: delivery_id,
        "Sentry-Hook-Timestamp": str(timestamp),
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    # Each issue event names its own issue: the body, not the unsigned Request-ID, tells
    # deliveries apart.
    issue = {"id": str(int(delivery_id.replace("-", "")[:12], 16)), "title": "ZeroDivisionError"}
    event = {"action": "created", "data": {"issue": issue}, "installation": {"uuid": "7a48"}}
    return json.dumps(event, separators=(",", ":")).encode()


PROVIDER = Provider(
    name="sentry",
    verify=SIGNATURE.verify_body,
    delivery_id=no_signed_id,
    event_type=header_field(RESOURCE_HEADER),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body",),
        event_type=False,
        captured="nothing new: a resend under another `Request-ID` or `Sentry-Hook-Resource` "
        "is a duplicate of the body already published",
    ),
    # Sentry waits one second; hookgate's deadline needs more than one AWS call's margin, so
    # it keeps Slack's three (a warm delivery answers well within one).
    timeout_s=3.0,
    forwarded_headers=(REQUEST_ID_HEADER, RESOURCE_HEADER, "Sentry-Hook-Timestamp"),
    local=Local(sign=sign, example_body=example_body, example_event_type="issue"),
    deployment=Deployment(
        title="Sentry",
        console="Sentry (Settings > Developer Settings > Custom Integrations > Webhook URL)",
        secret=rotating("Sentry integration client secret"),
    ),
    docs=Docs(
        url="https://docs.sentry.io/integrations/integration-platform/webhooks/",
        summary="HMAC-SHA256 over the body",
        scheme="body → HMAC-SHA256 hex (the integration's client secret)",
        headers="`Sentry-Hook-Signature: <hex>`; `Request-ID`, `Sentry-Hook-Resource`, "
        "`Sentry-Hook-Timestamp` (unsigned)",
        event_type="`Sentry-Hook-Resource` (`issue`, `installation`, `event_alert`; unsigned)",
        retries="none documented; answer within 1 s (1000 timeouts in 24 h unsubscribe)",
        oracle="an independent HMAC written in the test from Sentry's server code "
        "(`SentryApp.build_signature`; no Python verifier is published)",
    ),
)
