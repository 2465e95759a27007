"""Jira Cloud admin webhooks registered with a secret (System > WebHooks, or
`POST /rest/webhooks/1.0/webhook`): `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`,
keyed with that secret as text (WebSub's `method=signature`; sha256 is the only method
accepted). Webhooks registered by Connect or OAuth 2.0 apps are not signed this way (a JWT) and
are refused. https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks

Only the body is signed. `X-Atlassian-Webhook-Identifier` (the delivery id, unchanged across
retries), `X-Atlassian-Webhook-Retry` (the retry count) and `X-Atlassian-Webhook-Flow` are
unsigned headers, published as such: the replay key is the body's digest, which Jira's retries
repeat (the body's `timestamp` is the event's time, in milliseconds). It is not windowed:
Jira may retry up to 30 minutes late, and secondary deliveries (the fallout of a bulk change)
are allowed a quarter of an hour.
"""

from __future__ import annotations

import json

from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    json_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("X-Hub-Signature", prefix="sha256=")
DELIVERY_HEADER = "X-Atlassian-Webhook-Identifier"


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, body),
        DELIVERY_HEADER: delivery_id,
        "X-Atlassian-Webhook-Flow": "Primary",
        "User-Agent": "Atlassian Webhook HTTP Client",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    issue = {
        "id": "10004",
        "self": "https://example.atlassian.net/rest/api/2/issue/10004",
        "key": "TEST-5",
        "fields": {"summary": f"Deliver {delivery_id}", "issuetype": {"name": "Task"}},
    }
    return json.dumps(
        {
            "timestamp": timestamp * 1000,
            "webhookEvent": event_type,
            "issue_event_type_name": "issue_created",
            "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "A. Admin"},
            "issue": issue,
        }
    ).encode()


PROVIDER = Provider(
    name="jira",
    verify=SIGNATURE.verify_body,
    delivery_id=no_signed_id,
    event_type=json_field("webhookEvent"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",)),
    forwarded_headers=(DELIVERY_HEADER, "X-Atlassian-Webhook-Retry", "X-Atlassian-Webhook-Flow"),
    local=Local(sign=sign, example_body=example_body, example_event_type="jira:issue_created"),
    deployment=Deployment(
        title="Jira",
        console="Jira Cloud (Settings > System > WebHooks > Create a WebHook, with a Secret)",
        secret=rotating("Jira admin webhook secret"),
    ),
    docs=Docs(
        url="https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks",
        summary="HMAC-SHA256 over the body (admin webhooks with a secret)",
        scheme="body → HMAC-SHA256 hex (the webhook's secret)",
        headers="`X-Hub-Signature: sha256=<hex>`; `X-Atlassian-Webhook-Identifier`, "
        "`-Retry`, `-Flow` (unsigned)",
        event_type="body `webhookEvent` (`jira:issue_created`, `comment_created`)",
        retries="on 408, 409, 425, 429, 5xx or no connection, for up to about 30 minutes; "
        "`X-Atlassian-Webhook-Retry` counts them",
        oracle="an independent HMAC written in the test from Atlassian's documentation "
        "(Atlassian publishes no Python verifier)",
    ),
)
