"""Asana: a handshake, then signed events.

When a webhook is created, Asana POSTs `X-Hook-Secret: <s>` and expects it echoed back in the
same header; from then on every delivery carries `X-Hook-Signature: <hex HMAC-SHA256 of the
body>` keyed with `s`. hookgate stores `s` in the function's secret, but only while that secret
holds no signing secret yet (`{"signing_secrets": []}`): once set, a forged handshake cannot
replace it, whichever instance of the function it reaches (`SecretStore.store_first` re-reads
the secret and writes conditionally, so only the first secret ever stored wins). To register a
new webhook, reset the secret to that value first. Until the handshake, every delivery is a
401: nothing can be signed with a secret nobody has yet.

Trust on first use: whoever completes the first handshake after the secret is reset owns the
endpoint, so create the webhook right after resetting it (docs/security.md).

Heartbeats (`{"events": []}`) are published like any delivery. No delivery id exists: the body's
digest feeds the replay guard.
https://developers.asana.com/docs/webhooks-guide
"""

from __future__ import annotations

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

SIGNATURE = HmacHeader("X-Hook-Signature")
HANDSHAKE_HEADER = "X-Hook-Secret"
#: The secret value of a function awaiting its handshake (the template's initial value).
AWAITING_HANDSHAKE = json.dumps({"signing_secrets": []})


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    offered = request.headers.get(HANDSHAKE_HEADER)
    if offered is None:
        return None
    if secret.signing_secrets or not offered:
        # Trust on first use only: a secret already in place is never replaced by a request.
        raise BadSignature()
    return Reply(
        headers={HANDSHAKE_HEADER: offered},
        store_secret=json.dumps({"signing_secrets": [offered]}),
    )


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    if not secret.signing_secrets:  # awaiting the handshake
        raise BadSignature()
    return SIGNATURE.verify(request, secret, request.body)


def event_type(request: Request, payload: Any) -> str | None:
    # "task.changed": the first event's resource type and action; "heartbeat" for none.
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return None
    if not events:
        return "heartbeat"
    first = events[0] if isinstance(events[0], dict) else {}
    resource = first.get("resource")
    kind = resource.get("resource_type") if isinstance(resource, dict) else None
    action = first.get("action")
    return f"{kind}.{action}" if isinstance(kind, str) and isinstance(action, str) else None


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    kind, _, action = event_type.partition(".")
    event = {
        "user": {"gid": "12345", "resource_type": "user"},
        "created_at": "2026-01-01T00:00:00.000Z",
        "action": action or "changed",
        "resource": {"gid": delivery_id[:16], "resource_type": kind},
    }
    return json.dumps({"events": [event]}).encode()


PROVIDER = Provider(
    name="asana",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",)),
    handshake=handshake,
    handshake_before_verify=True,
    local=Local(
        sign=SIGNATURE.sign_body,
        example_body=example_body,
        example_event_type="task.changed",
    ),
    deployment=Deployment(
        title="Asana",
        console="Asana (POST /webhooks with this URL as target)",
        secret=(
            "Set by Asana's handshake while it holds no signing secret; reset to "
            '{"signing_secrets": []} before registering a new webhook.'
        ),
        initial_secret='{"signing_secrets": []}',
        writes_secret=True,
    ),
    docs=Docs(
        url="https://developers.asana.com/docs/webhooks-guide",
        summary="HMAC-SHA256 with the handshake's secret",
        scheme="body → HMAC-SHA256 hex, keyed with the secret from the handshake",
        headers="`X-Hook-Signature`",
        event_type="`<resource_type>.<action>` of the first event; `heartbeat` for none",
        retries="retried for 24 hours",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake=(
            "`POST` with `X-Hook-Secret: s` → `200` echoing `X-Hook-Secret: s`; `s` is stored as "
            'the signing secret **only while none is set** (`{"signing_secrets": []}`, the '
            "template's initial value), so a forged handshake cannot replace it"
        ),
        answers="`X-Hook-Secret` (stored once)",
    ),
)
