"""Dropbox: `X-Dropbox-Signature: <hex HMAC-SHA256 of the body>` with the app secret, and a
verification request `GET ?challenge=<c>` answered with `c` as text, with
`X-Content-Type-Options: nosniff` (Dropbox requires both headers).

Notifications say only which accounts changed; no delivery id exists, so the body's digest
feeds the replay guard.
https://www.dropbox.com/developers/reference/webhooks
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
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("X-Dropbox-Signature")


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    if request.method != "GET" or "challenge" not in request.query:
        return None
    return Reply(
        body=request.query["challenge"][0],
        content_type="text/plain",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def event_type(request: Request, payload: Any) -> str | None:
    # Dropbox names the kind of change by the top-level key ("list_folder", "delta").
    if isinstance(payload, dict) and payload:
        return str(next(iter(payload)))
    return None


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    return json.dumps({event_type: {"accounts": [f"dbid:{delivery_id[:16]}"]}}).encode()


PROVIDER = Provider(
    name="dropbox",
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
        example_event_type="list_folder",
    ),
    deployment=Deployment(
        title="Dropbox",
        console="Dropbox (App Console > Webhooks > Webhook URI)",
        secret=rotating("Dropbox app secret"),
    ),
    docs=Docs(
        url="https://www.dropbox.com/developers/reference/webhooks",
        summary="HMAC-SHA256 over the body",
        scheme="body → HMAC-SHA256 hex (app secret)",
        headers="`X-Dropbox-Signature`",
        event_type="top-level key (`list_folder`)",
        retries="retried, backing off, for a limited time",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake="`GET ?challenge=c` → `200 text/plain c` with `X-Content-Type-Options: nosniff`",
        answers="`challenge`",
    ),
)
