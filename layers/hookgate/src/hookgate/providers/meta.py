"""Meta (Facebook, Instagram, WhatsApp): `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
body>` with the app secret, and a subscription handshake:
`GET ?hub.mode=subscribe&hub.verify_token=<yours>&hub.challenge=<c>`, answered with `c` when
the token equals the configured `verify_token` (compared in constant time).

Meta signs the bytes it sends (with `\\uXXXX` and `\\/` escapes), so only the raw body verifies.
No delivery id exists: the body's digest feeds the replay guard.
https://developers.facebook.com/docs/graph-api/webhooks/getting-started
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from hookgate.errors import BadSignature
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
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("X-Hub-Signature-256", prefix="sha256=")


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    query = request.query
    if request.method != "GET" or "hub.challenge" not in query:
        return None
    token = query.get("hub.verify_token", ("",))[0].encode("utf-8", "replace")
    expected = (secret.verify_token or "").encode("utf-8")
    if query.get("hub.mode", ("",))[0] != "subscribe" or not expected:
        raise BadSignature()
    if not hmac.compare_digest(token, expected):
        raise BadSignature()
    return Reply(body=query["hub.challenge"][0])


def event_type(request: Request, payload: Any) -> str | None:
    # "whatsapp_business_account.messages": the object, and the field of its first change.
    if not isinstance(payload, dict) or not isinstance(payload.get("object"), str):
        return None
    entries = payload.get("entry")
    first = entries[0] if isinstance(entries, list) and entries else {}
    changes = first.get("changes") if isinstance(first, dict) else None
    change = changes[0] if isinstance(changes, list) and changes else {}
    field = change.get("field") if isinstance(change, dict) else None
    return f"{payload['object']}.{field}" if isinstance(field, str) else payload["object"]


def stored_secret(signing_secret: str) -> str:
    return json.dumps(
        {"signing_secrets": [signing_secret], "verify_token": f"{signing_secret}-verify-token"}
    )


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    obj, _, field = event_type.partition(".")
    change = {"field": field or "messages", "value": {"messaging_product": "whatsapp"}}
    event = {"object": obj, "entry": [{"id": delivery_id, "time": timestamp, "changes": [change]}]}
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="meta",
    verify=SIGNATURE.verify_body,
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
        example_event_type="whatsapp_business_account.messages",
        stored_secret=stored_secret,
    ),
    deployment=Deployment(
        title="Meta",
        console="Meta (App Dashboard > Webhooks > Callback URL)",
        secret=(
            'Meta app secret and your verify token: JSON {"signing_secrets": ["app secret"], '
            '"verify_token": "..."}.'
        ),
    ),
    docs=Docs(
        url="https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
        summary="HMAC-SHA256 over the body",
        scheme="body → HMAC-SHA256 hex (app secret)",
        headers="`X-Hub-Signature-256: sha256=<hex>`",
        event_type=(
            "`<object>.<first change field>` (`whatsapp_business_account.messages`), else `object`"
        ),
        retries="retried with decreasing frequency up to 36 hours",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            "`GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=c` → `200 text/plain c` "
            "when the token matches `verify_token` (constant time), else 401"
        ),
        answers="`hub.challenge` (verify token)",
    ),
)
