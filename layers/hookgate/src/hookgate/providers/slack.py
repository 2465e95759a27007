"""Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the
signing secret, and `X-Slack-Request-Timestamp` (refused outside the window both ways, as
Slack's SDK does). Events API deliveries are JSON; slash commands and interactivity are form
posts (interactivity carries its JSON in the `payload` field).

The `url_verification` challenge is signed like any delivery and answered with
`{"challenge": ...}`. Form posts are acknowledged with an empty 200, which Slack shows as
nothing: any body would be displayed to the user. `X-Slack-Retry-Num` marks Slack's retries
(same `event_id`, so the replay guard answers them as duplicates).
https://api.slack.com/authentication/verifying-requests-from-slack
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

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
    json_field,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, TimestampedHmac
from hookgate.request import Request

SCHEME = TimestampedHmac(
    HmacHeader("X-Slack-Signature", prefix="v0="),
    timestamp_header="X-Slack-Request-Timestamp",
    prefix_template="v0:{timestamp}:",
)
_FORM = "application/x-www-form-urlencoded"


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    # Decided by the signed body alone: the Content-Type is not signed.
    try:
        payload = loads(request.body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "url_verification":
        return None
    return Reply.json({"challenge": str(payload.get("challenge", ""))})


def acknowledge(request: Request, payload: Any) -> Reply | None:
    return Reply() if request.content_type == _FORM else None


def event_type(request: Request, payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    form = payload.get("form")
    if form is None and "text" in payload:
        # A form posted under another Content-Type (which is not signed): read it as the form
        # it is, so that the type does not follow the header.
        form = dict(parse_qsl(str(payload["text"]), keep_blank_values=True))
    if isinstance(form, dict):
        if "command" in form:
            return "slash_command"
        try:
            interaction = loads(str(form.get("payload", "")))
        except ValueError:
            return None
        kind = interaction.get("type") if isinstance(interaction, dict) else None
        return kind if isinstance(kind, str) else None
    # Events API: the inner event's type ("app_mention"), else the envelope's.
    event = payload.get("event")
    inner = event.get("type") if isinstance(event, dict) else None
    return inner if isinstance(inner, str) else json_field("type")(request, payload)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        **SCHEME.sign(
            secret,
            body,
            timestamp=timestamp,
            delivery_id=delivery_id,
            event_type=event_type,
            url=url,
        ),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    envelope = {
        "token": "deprecated-verification-token",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {"type": event_type, "user": "U123ABC456", "text": "hi", "ts": f"{timestamp}.0"},
        "type": "event_callback",
        "event_id": "Ev" + delivery_id.replace("-", "")[:12].upper(),
        "event_time": timestamp,
    }
    return json.dumps(envelope).encode()


PROVIDER = Provider(
    name="slack",
    verify=SCHEME.verify,
    delivery_id=json_field("event_id"),
    event_type=event_type,
    signature_header=SCHEME.signature.header,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`X-Slack-Request-Timestamp`)"),
        id="body `event_id` (Events API); else the body's digest",
        headers=(SCHEME.timestamp_header,),
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    timeout_s=3.0,
    forwarded_headers=("X-Slack-Retry-Num", "X-Slack-Retry-Reason"),
    handshake=handshake,
    acknowledge=acknowledge,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="app_mention",
    ),
    deployment=Deployment(
        title="Slack",
        console=(
            "Slack (app > Event Subscriptions / Interactivity / Slash Commands > Request URL)"
        ),
        secret=rotating("Slack signing secret"),
    ),
    docs=Docs(
        url="https://api.slack.com/authentication/verifying-requests-from-slack",
        summary="HMAC-SHA256 over `v0:ts:body`, timestamp window",
        scheme='`"v0:<ts>:" + body` → HMAC-SHA256 hex',
        headers="`X-Slack-Signature: v0=<hex>`, `X-Slack-Request-Timestamp`",
        event_type="inner `event.type`, else `type`; `slash_command`; interactivity `payload.type`",
        retries="3 retries (`X-Slack-Retry-Num`) within minutes if no 2xx in 3 s",
        oracle=(
            "`slack_sdk.signature.SignatureVerifier` both ways, plus Slack's published example"
        ),
        handshake=(
            'signed `url_verification` → `200 application/json {"challenge": …}`; slash commands '
            "and interactivity → empty `200` (a body would be shown to the user)"
        ),
        answers="`url_verification`",
    ),
)
