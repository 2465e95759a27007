"""Okta event hooks: a header you configure on the hook (`Authorization` here) carrying a
shared secret, compared in constant time; Okta signs nothing. Registration sends a one-time
`GET` with `X-Okta-Verification-Challenge: <v>`, answered `{"verification": "<v>"}` once the
same header proves the request comes from our hook. The body is not signed, so its `eventId`
is not the replay key: the body's digest is (Okta's retries repeat the body).
https://developer.okta.com/docs/concepts/event-hooks/
"""

from __future__ import annotations

import json
from typing import Any

from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    json_field,
    no_signed_id,
)
from hookgate.providers.schemes import TokenHeader
from hookgate.request import Request

TOKEN = TokenHeader("Authorization")
CHALLENGE_HEADER = "X-Okta-Verification-Challenge"


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    challenge = request.headers.get(CHALLENGE_HEADER)
    if request.method != "GET" or challenge is None:
        return None
    return Reply.json({"verification": challenge})


def event_type(request: Request, payload: Any) -> str | None:
    # The type of the events in the batch when they share one, else the hook's own type.
    data = payload.get("data") if isinstance(payload, dict) else None
    events = data.get("events") if isinstance(data, dict) else None
    if isinstance(events, list):
        # Only strings count: a list where a name belongs is unhashable, and not a type.
        types = {
            kind if isinstance(kind := e.get("eventType"), str) else None
            for e in events
            if isinstance(e, dict)
        }
        if len(types) == 1 and (only := types.pop()) is not None:
            return only
    return json_field("eventType")(request, payload)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {TOKEN.header: secret}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    hook = {
        "eventType": "com.okta.event_hook",
        "eventTypeVersion": "1.0",
        "eventId": delivery_id,
        "data": {"events": [{"uuid": delivery_id, "eventType": event_type}]},
    }
    return json.dumps(hook).encode()


PROVIDER = Provider(
    name="okta",
    verify=TOKEN.verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=TOKEN.header,
    signed=Signed(
        body=False,
        covers=("nothing: `Authorization` must equal the secret",),
        event_type=False,
        captured="everything: the token it carries lets anyone send any delivery",
    ),
    timeout_s=3.0,
    methods=frozenset({"GET", "POST"}),
    handshake=handshake,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="user.lifecycle.create",
    ),
    deployment=Deployment(
        title="Okta",
        console="Okta (Workflow > Event Hooks > URL, Authorization header = the secret)",
        secret=(
            "The Authorization header value configured on the event hook, or JSON "
            '{"signing_secrets": ["new", "old"]} while rotating.'
        ),
    ),
    docs=Docs(
        url="https://developer.okta.com/docs/concepts/event-hooks/",
        summary="`Authorization` token (constant time)",
        scheme="nothing signed: `Authorization` must equal the secret (constant time)",
        headers="`Authorization`",
        event_type="the events' shared `eventType`, else `com.okta.event_hook`",
        retries="one retry; 3 s timeout",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            "`GET` with `X-Okta-Verification-Challenge: v` and the `Authorization` secret → `200 "
            '{"verification": v}`'
        ),
        answers="verification challenge",
    ),
)
