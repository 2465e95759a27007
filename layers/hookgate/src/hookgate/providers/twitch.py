"""Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of
message id + timestamp + body>`, the timestamp being `Twitch-Eventsub-Message-Timestamp`
(RFC 3339 with nanoseconds, refused outside the window both ways).

Subscription verification (`Twitch-Eventsub-Message-Type: webhook_callback_verification`) is
signed like any message and answered with the body's `challenge` as `text/plain`. Revocations
are published with the event type `revocation`; notifications with the subscription type
(`channel.follow`). `Twitch-Eventsub-Message-Id` feeds the replay guard: Twitch resends a
message with the same id.
https://dev.twitch.tv/docs/eventsub/handling-webhook-events/
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.payload import loads
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    header_field,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, within_window
from hookgate.request import Request

SIGNATURE = HmacHeader("Twitch-Eventsub-Message-Signature", prefix="sha256=")
ID_HEADER = "Twitch-Eventsub-Message-Id"
TIMESTAMP_HEADER = "Twitch-Eventsub-Message-Timestamp"
TYPE_HEADER = "Twitch-Eventsub-Message-Type"
SUBSCRIPTION_HEADER = "Twitch-Eventsub-Subscription-Type"
VERIFICATION = "webhook_callback_verification"
REVOCATION = "revocation"
# Python reads at most microseconds; Twitch sends nanoseconds.
_RFC3339 = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def _parse_time(text: str) -> int:
    found = _RFC3339.match(text)
    if found is None:
        raise BadSignature()
    whole, fraction, zone = found.groups()
    try:
        moment = datetime.fromisoformat(f"{whole}.{(fraction or '0')[:6]:0<6}{zone}")
    except ValueError as exc:
        raise BadSignature() from exc
    return int(moment.timestamp())


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    message_id = require_header(request, ID_HEADER)
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = _parse_time(timestamp)
    verification = SIGNATURE.verify(
        request, secret, message_id.encode(), timestamp.encode(), request.body
    )
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    # Decided by the signed body, not by the unsigned message type header: a captured
    # verification resent as a "notification" must still not be published.
    try:
        challenge = loads(request.body).get("challenge")
    except (ValueError, AttributeError):
        challenge = None
    if not isinstance(challenge, str):
        return None
    return Reply(body=challenge, content_type="text/plain")


def event_type(request: Request, payload: Any) -> str | None:
    if request.headers.get(TYPE_HEADER) == REVOCATION:
        return REVOCATION
    return request.headers.get(SUBSCRIPTION_HEADER) or None


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    sent_at = datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="microseconds")
    sent_at = sent_at.replace("+00:00", "Z")
    signature = SIGNATURE.sign(secret, delivery_id.encode(), sent_at.encode(), body)
    message_type = event_type if event_type in (VERIFICATION, REVOCATION) else "notification"
    return {
        SIGNATURE.header: signature,
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: sent_at,
        TYPE_HEADER: message_type,
        "Twitch-Eventsub-Message-Retry": "0",
        SUBSCRIPTION_HEADER: "channel.follow" if message_type != "notification" else event_type,
        "Twitch-Eventsub-Subscription-Version": "2",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    subscription = {
        "id": "f1c2a387-161a-49f9-a165-0f21d7a4e1c4",
        "type": event_type,
        "version": "2",
        "status": "enabled",
        "condition": {"broadcaster_user_id": "1337"},
        "transport": {"method": "webhook", "callback": "https://example.com/webhooks/twitch"},
    }
    event = {"user_id": "1234", "user_login": "cool_user", "broadcaster_user_id": "1337"}
    return json.dumps({"subscription": subscription, "event": event}).encode()


PROVIDER = Provider(
    name="twitch",
    verify=verify,
    delivery_id=header_field(ID_HEADER),
    event_type=event_type,
    signature_header=SIGNATURE.header,
    signed=Signed(
        timestamp=True,
        covers=("message id", "timestamp", "body"),
        id="`Twitch-Eventsub-Message-Id` (signed)",
        headers=(ID_HEADER, TIMESTAMP_HEADER),
        event_type=False,
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    timeout_s=3.0,
    forwarded_headers=(
        ID_HEADER,
        TYPE_HEADER,
        SUBSCRIPTION_HEADER,
        "Twitch-Eventsub-Subscription-Version",
        "Twitch-Eventsub-Message-Retry",
    ),
    handshake=handshake,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="channel.follow",
    ),
    deployment=Deployment(
        title="Twitch",
        console="Twitch (EventSub subscription transport callback)",
        secret=rotating("The EventSub subscription secret"),
    ),
    docs=Docs(
        url="https://dev.twitch.tv/docs/eventsub/handling-webhook-events/",
        summary="HMAC-SHA256 over id + timestamp + body",
        scheme="message id + timestamp + body → HMAC-SHA256 hex",
        headers=(
            "`Twitch-Eventsub-Message-Signature: sha256=<hex>`, `-Message-Id`, "
            "`-Message-Timestamp` (RFC 3339, nanoseconds), `-Message-Type`"
        ),
        event_type="`Twitch-Eventsub-Subscription-Type` (`channel.follow`; unsigned); `revocation`",
        retries="resent with the same message id until acknowledged",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            "signed `webhook_callback_verification` → `200 text/plain <challenge>`; `revocation` "
            "published"
        ),
        answers="`webhook_callback_verification`",
    ),
)
