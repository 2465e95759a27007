"""Postmark: nothing is signed. Postmark protects a webhook with HTTP Basic authentication: the
user name and password put in the webhook URL (`https://user:pass@host/webhooks/postmark`)
or in the webhook's `HttpAuth`, sent as `Authorization: Basic base64(user:pass)`. The decoded
`user:pass` is compared in constant time with every configured secret (`user:pass` as
entered in Postmark, not percent-encoded; a JSON list while rotating: add the new pair, change
the URL, then remove the old one). The header is never logged or published.
https://postmarkapp.com/developer/webhooks/webhooks-overview#protecting-your-webhook

What that proves, and its limits: the request came from someone who knows the credentials
(Postmark, over TLS), not what it carries: the body is not bound to anything. So nothing is a
signed id: `MessageID` names the message (its opens, clicks and bounces share it) and
`RecordType` the kind, neither the delivery, and both are the sender's word. The replay key is
the body's digest: Postmark's retries repeat the body, so they are duplicates, and so is an
exact resend. Anyone who has seen one delivery's headers has the credentials and can send any
body at all; the replay guard does not and cannot stop that, and no timestamp bounds it.
Postmark's IP ranges (its support pages) are a second check to put in front, at the gateway
or a WAF. The event type is the body's `RecordType` (`Delivery`, `Bounce`, `Open`...;
`Inbound` for inbound messages, which carry none), unsigned like everything else.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from hookgate.errors import BadSignature
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
)
from hookgate.providers.schemes import b64decode
from hookgate.request import Request

HEADER = "Authorization"
#: Basic credentials are a user name and a password: more than this is no genuine header.
MAX_HEADER = 1024


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    """Raises: MissingSignature (no header), BadSignature (not Basic, or no secret equals it)."""
    value = require_header(request, HEADER)
    if len(value) > MAX_HEADER:
        raise BadSignature()
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":  # the scheme name is case-insensitive (RFC 9110)
        raise BadSignature()
    offered = b64decode(token.strip())
    for index, key in enumerate(secret.signing_keys()):
        if hmac.compare_digest(key, offered):
            return Verification(scheme="basic", key_index=index, signature=offered)
    raise BadSignature()


def event_type(request: Request, payload: Any) -> str | None:
    kind = json_field("RecordType")(request, payload)
    if kind is None and isinstance(payload, dict) and payload.get("MessageStream") == "inbound":
        return "Inbound"
    return kind


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {HEADER: "Basic " + base64.b64encode(secret.encode("utf-8")).decode("ascii")}


def new_credentials() -> str:
    return f"hookgate-{secrets.token_hex(4)}:{secrets.token_urlsafe(24)}"


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    record = {
        "RecordType": event_type,
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": delivery_id,
        "Recipient": "john@example.com",
        "Tag": "welcome-email",
        "DeliveredAt": datetime.fromtimestamp(timestamp, UTC).isoformat(),
        "Details": "Test delivery webhook details",
        "Metadata": {"a_key": "a_value"},
    }
    return json.dumps(record).encode()


PROVIDER = Provider(
    name="postmark",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=HEADER,
    signed=Signed(
        body=False,
        covers=("nothing: `Authorization: Basic` must carry the user name and password",),
        event_type=False,
        captured="everything: the credentials it carries let anyone send any delivery",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="Delivery",
        dev_secret="hookgate:local-dev-password-postmark",
        new_secret=new_credentials,
    ),
    deployment=Deployment(
        title="Postmark",
        console="Postmark (server > stream > Webhooks > Add webhook, with "
        "https://user:password@ before the host)",
        secret=(
            "The webhook's Basic credentials as user:password (not percent-encoded), or JSON "
            '{"signing_secrets": ["user:new", "user:old"]} while rotating.'
        ),
    ),
    docs=Docs(
        url="https://postmarkapp.com/developer/webhooks/webhooks-overview",
        summary="HTTP Basic credentials (constant time); nothing signed",
        scheme="nothing signed: `Authorization: Basic` must decode to a configured "
        "`user:password` (constant time)",
        headers="`Authorization: Basic <base64(user:password)>` (from the webhook URL)",
        event_type="body `RecordType` (`Delivery`, `Bounce`, `Open`); `Inbound`",
        retries="retried on a non-200 answer, 10 times over about 10.5 hours; a 403 stops "
        "the retries",
        oracle="an independent `Authorization: Basic` header written in the test from "
        "RFC 7617 and Postmark's documentation (Postmark signs nothing)",
    ),
)
