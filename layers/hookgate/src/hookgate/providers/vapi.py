"""Vapi (server URL messages), authenticated by an HMAC custom credential with its defaults:
`x-signature: <hex HMAC-SHA256 of "<x-timestamp>.<body>">` and `x-timestamp: <Unix time>`,
keyed with the credential's secret key as text. That is Vapi's `HMACAuthenticationPlan`
(API schema and the server SDKs' `HmacAuthenticationPlan` type): `algorithm` sha256,
`signatureHeader` `x-signature`, `timestampHeader` `x-timestamp`, no `signaturePrefix`,
`includeTimestamp` true, `payloadFormat` `{timestamp}.{body}`, `signatureEncoding` hex,
`secretIsBase64` false. Other settings of the plan are not supported, and a credential without
the timestamp is refused. https://docs.vapi.ai/server-url/server-authentication

Where the notes and docs disagree: `x-vapi-signature` is not an HMAC Vapi computes. It is
where Vapi's older docs sent the static `server.secret` verbatim (now `x-vapi-secret`, a bearer
credential that signs nothing); a few example pages in Vapi's docs check an HMAC of a
re-serialized body under it, which no credential setting produces. Neither Vapi SDK
(`vapi-server-sdk`, `@vapi-ai/server-sdk`) verifies webhooks; they only type the plan. Vapi
does not document the unit of `x-timestamp`: a value of 13 digits or more is read as
milliseconds (JavaScript's `Date.now()`), a shorter one as seconds; the text is signed as sent.

The body, `{"message": {"type": ..., "timestamp": ..., "call": {...}}}`, names no delivery id:
the replay key is the body's digest (a message's `timestamp` and call make it distinct). Vapi
does not retry unless the server's `backoffPlan` says so (up to 10 retries of the same body).
Messages that expect an answer (`assistant-request`, `tool-calls`,
`transfer-destination-request`, `knowledge-base-request`) get hookgate's acknowledgement, not
an answer: point only informational messages (`end-of-call-report`, `status-update`, ...) here.
"""

from __future__ import annotations

import json

from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_unix_time, within_window
from hookgate.request import Request

SIGNATURE = HmacHeader("x-signature")
TIMESTAMP_HEADER = "x-timestamp"
#: Unix seconds have 10 digits until 2286; milliseconds have had 13 since 2001.
_MILLISECOND_DIGITS = 13


def _signed_at(timestamp: str) -> int:
    return parse_unix_time(timestamp, milliseconds=len(timestamp) >= _MILLISECOND_DIGITS)


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    offered = require_header(request, SIGNATURE.header)
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = _signed_at(timestamp)
    verification = SIGNATURE.verify(
        request, secret, timestamp.encode() + b".", request.body, offered=offered
    )
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    sent = str(timestamp * 1000)
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, sent.encode() + b".", body),
        TIMESTAMP_HEADER: sent,
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    call = {"id": delivery_id, "orgId": "5c1b1d28-1e33-4bc6-8c5e-1d3c1b4c5d6e", "type": "webCall"}
    message = {
        "type": event_type,
        "timestamp": timestamp * 1000,
        "endedReason": "customer-ended-call",
        "call": call,
        "artifact": {"transcript": "AI: Hello.\nUser: Hi.\n"},
    }
    return json.dumps({"message": message}).encode()


PROVIDER = Provider(
    name="vapi",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=json_field("message", "type"),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body", "timestamp (`x-timestamp`)"),
        headers=(TIMESTAMP_HEADER,),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    timeout_s=20.0,
    local=Local(sign=sign, example_body=example_body, example_event_type="end-of-call-report"),
    deployment=Deployment(
        title="Vapi",
        console="Vapi (Integrations > Server Configuration > Add Custom Credential, type HMAC, "
        "algorithm SHA256, other fields left at their defaults; then the server URL with that "
        "credentialId)",
        secret=rotating("Vapi HMAC credential secret key"),
    ),
    docs=Docs(
        url="https://docs.vapi.ai/server-url/server-authentication",
        summary="HMAC-SHA256 over `ts.body` (HMAC credential), timestamp window",
        scheme='`"<x-timestamp>." + body` → HMAC-SHA256 hex (the HMAC credential\'s secret key, '
        "its defaults)",
        headers="`x-signature: <hex>`, `x-timestamp` (Unix seconds or milliseconds)",
        event_type="body `message.type` (`end-of-call-report`, `status-update`)",
        retries="none unless the server's `backoffPlan` sets up to 10; 20 s timeout by default",
        oracle="an independent HMAC written in the test from Vapi's `HMACAuthenticationPlan` "
        "(neither Vapi SDK verifies webhooks)",
    ),
)
