"""Twitter/X Account Activity API.

Challenge-response check (CRC): `GET ?crc_token=<t>`, when the webhook is registered and
hourly after; the answer `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, t)>"}`
proves we hold the consumer secret. Deliveries carry `x-twitter-webhooks-signature:
sha256=<base64 HMAC-SHA256 of the body>`. No delivery id exists: the body's digest feeds the
replay guard.

The CRC answer is the HMAC of the token with the same key that signs deliveries, over anything
the unauthenticated caller chooses: answered freely, it would sign any body an attacker wants
published. So the two are kept apart: only a token of the base64 alphabets is answered (X's
are), and only a body that is a JSON object is a delivery (X's are); no token is both.
https://docs.x.com/x-api/account-activity/introduction
"""

from __future__ import annotations

import json
from typing import Any

from hookgate.errors import BadRequest, BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HANDSHAKE_TOKEN, HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("x-twitter-webhooks-signature", encoding="base64", prefix="sha256=")
_NOT_EVENTS = frozenset({"for_user_id", "user_has_blocked", "source"})


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    if request.method != "GET" or "crc_token" not in request.query:
        return None
    text = request.query["crc_token"][0]
    if not HANDSHAKE_TOKEN.fullmatch(text):
        raise BadRequest()
    token = text.encode("ascii")
    # Answered with the newest secret: X checks against the consumer secret it holds now.
    response_token = SIGNATURE.expected(secret.signing_keys()[0], token).decode()
    return Reply.json({"response_token": response_token})


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    """The body signature, for a body that is a JSON object: never a CRC token."""
    if not request.body.lstrip(b" \t\r\n").startswith(b"{"):
        raise BadSignature()
    return SIGNATURE.verify(request, secret, request.body)


def event_type(request: Request, payload: Any) -> str | None:
    # "tweet_create_events", "favorite_events", ...: the key that holds the events.
    if isinstance(payload, dict):
        for key in payload:
            if key not in _NOT_EVENTS:
                return str(key)
    return None


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {"id_str": delivery_id[:18], "text": "hello", "timestamp_ms": str(timestamp * 1000)}
    return json.dumps({"for_user_id": "2244994945", event_type: [event]}).encode()


PROVIDER = Provider(
    name="twitter",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",)),
    methods=frozenset({"GET", "POST"}),
    handshake=handshake,
    handshake_before_verify=True,
    local=Local(
        sign=SIGNATURE.sign_body,
        example_body=example_body,
        example_event_type="tweet_create_events",
    ),
    deployment=Deployment(
        title="X (Twitter)",
        console="X (Account Activity API webhook registration)",
        secret=rotating("X consumer secret"),
    ),
    docs=Docs(
        url="https://docs.x.com/x-api/account-activity/introduction",
        summary="HMAC-SHA256 base64 over the body",
        scheme="body → HMAC-SHA256 base64 (consumer secret)",
        headers="`x-twitter-webhooks-signature: sha256=<base64>`",
        event_type="the `…_events` key (`tweet_create_events`)",
        retries="3 retries within 5 minutes",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            '`GET ?crc_token=t` (registration and hourly) → `200 {"response_token": "sha256=" + '
            "base64 HMAC-SHA256(secret, t)}`, only for `t` of the base64 alphabets (X's are); "
            "anything else is a 400, and only a JSON-object body is a delivery, so no answer "
            "signs a delivery"
        ),
        answers="CRC `crc_token`",
    ),
)
