"""Telnyx (API v2 webhooks): Ed25519 over `<timestamp>|<body>`, with the account's public key
(base64, 32 bytes, from Mission Control > Keys & Credentials > Public Key; store it as the
secret or as `public_key`, a list while rotating). `Telnyx-Signature-Ed25519` holds the
signature, base64 (64 bytes); `Telnyx-Timestamp` the Unix time in seconds, refused outside the
window (the SDK allows 300 s either way).

The signed bytes are the timestamp header's text, a literal `|`, then the raw body, as in the
official SDK (`telnyx` 4.189.0, `telnyx.lib.webhook_verification.verify_webhook_signature` and
`client.webhooks.unwrap`). Where hookgate is stricter than that SDK: the timestamp must be plain
digits (the SDK's `int()` also takes `+1`, ` 1`, `1_0`), the signature strict base64 (the
SDK's `lib` helper drops characters outside the alphabet), and the body is verified as the
bytes received (the SDK decodes it as UTF-8 first, so it refuses bodies that are not).

Every body is `{"data": {"id", "event_type", "occurred_at", "payload", "record_type"},
"meta": {"attempt", "delivered_to"}}`: `data.id` (the event's id, signed) feeds the replay
guard, so a retry (a new `meta.attempt`, or the failover URL in `meta.delivered_to`: a new
body, signed again) is a duplicate; a body without `data.id` is keyed on its digest.
`data.event_type` is the event type (`data.record_type` for the few events without one, such
as link clicks). No handshake. The key is the account's and the URL is not signed: a delivery
Telnyx made to another URL of the account verifies here too (its signed `meta.delivered_to`,
published in the payload, names where Telnyx sent it). Telnyx's reference pages
call the headers "compatible with Standard Webhooks": the scheme is not Standard Webhooks
(other headers, `|`, Ed25519 with an account key), hence this module.
https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks
"""

from __future__ import annotations

import base64
import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hookgate.errors import BadSignature, ConfigurationError
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    require_header,
)
from hookgate.providers.schemes import b64decode, parse_unix_time, within_window
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

SIGNATURE_HEADER = "Telnyx-Signature-Ed25519"
TIMESTAMP_HEADER = "Telnyx-Timestamp"
_SIGNATURE_BYTES = 64


@lru_cache(maxsize=8)
def _public_key(text: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ConfigurationError("the public key must be 32 bytes, base64") from exc


def _signed(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("ascii") + b"|" + body


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature

    signature = b64decode(require_header(request, SIGNATURE_HEADER))
    if len(signature) != _SIGNATURE_BYTES:
        raise BadSignature()
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = parse_unix_time(timestamp)  # plain ASCII digits, or BadSignature
    signed = _signed(timestamp, request.body)
    for index, text in enumerate(secret.verification_keys()):
        try:
            _public_key(text).verify(signature, signed)
        except InvalidSignature:
            continue
        verification = Verification(scheme="ed25519", key_index=index, signature=signature)
        return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)
    raise BadSignature()


_EVENT_TYPE = json_field("data", "event_type")
_RECORD_TYPE = json_field("data", "record_type")


def event_type(request: Request, payload: Any) -> str | None:
    # Link clicks (`data.record_type: "link_clicked"`) carry no event type.
    return _EVENT_TYPE(request, payload) or _RECORD_TYPE(request, payload)


def _private_key(seed_base64: str) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_base64, validate=True))


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """`secret`: the signer's Ed25519 private key (32-byte seed), base64."""
    signature = _private_key(secret).sign(_signed(str(timestamp), body))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
        TIMESTAMP_HEADER: str(timestamp),
    }


def stored_secret(signing_secret: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = _private_key(signing_secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return json.dumps({"public_key": base64.b64encode(public).decode()})


def new_secret() -> str:
    """A fresh Ed25519 seed, base64 (what `sign` takes; the function stores its public half)."""
    return base64.b64encode(os.urandom(32)).decode()


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "data": {
            "event_type": event_type,
            "id": delivery_id,
            "occurred_at": "2026-01-15T20:16:07.588+00:00",
            "payload": {
                "direction": "inbound",
                "from": {"phone_number": "+13125550100", "carrier": "T-Mobile USA"},
                "id": "b0c7e8cb-6227-4c74-9f32-c7f80c30934b",
                "messaging_profile_id": "740572b6-099c-44a1-89b9-6c92163bc68d",
                "record_type": "message",
                "text": "Hello from Telnyx!",
                "to": [{"phone_number": "+13125550101", "status": "webhook_delivered"}],
                "type": "SMS",
            },
            "record_type": "event",
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"},
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="telnyx",
    verify=verify,
    delivery_id=json_field("data", "id"),
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`Telnyx-Timestamp`)"),
        id="body `data.id`",
        headers=(TIMESTAMP_HEADER,),
        captured="nothing: a resend is a duplicate, and stale after the window (one made to "
        "another URL of the account verifies here too: `meta.delivered_to` says where)",
    ),
    # Messaging expects an answer within 2 s before it retries (then the failover URL).
    timeout_s=2.0,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="message.received",
        stored_secret=stored_secret,
        new_secret=new_secret,
        # base64 of the 32 bytes "hookgate-local-dev-secret-telnyx": local only.
        dev_secret="aG9va2dhdGUtbG9jYWwtZGV2LXNlY3JldC10ZWxueXg=",
    ),
    deployment=Deployment(
        title="Telnyx",
        console=(
            "Telnyx (Mission Control > messaging profile, Call Control or TeXML application > "
            "Webhook URL)"
        ),
        secret=(
            "Telnyx account public key (base64, Mission Control > Keys & Credentials > Public "
            'Key): a plain string, or JSON {"public_key": [...]}.'
        ),
    ),
    docs=Docs(
        url="https://developers.telnyx.com/docs/messaging/messages/receiving-webhooks",
        # `\|`: a bare `|` would end the cell of the Markdown tables these are written into.
        summary="Ed25519 over `<timestamp>|<body>`",
        scheme="`<timestamp>|<body>` → Ed25519, signature base64, account public key base64",
        headers="`Telnyx-Signature-Ed25519`, `Telnyx-Timestamp`",
        event_type="body `data.event_type` (`message.received`, `call.initiated`, ...)",
        retries="up to 3 attempts per URL when not answered 2xx within 2 s, then the failover URL",
        oracle=(
            "the `telnyx` SDK's `client.webhooks.unwrap` and `verify_webhook_signature` accept "
            "hookgate's signatures; hookgate accepts signatures made with PyNaCl directly (the "
            "SDK only verifies)"
        ),
    ),
)
