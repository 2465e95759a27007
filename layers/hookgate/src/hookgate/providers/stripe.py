"""Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`.

The signed content is `f"{t}.{body}"`, HMAC-SHA256 with the endpoint secret (`whsec_...`,
used as a literal string), lowercase hex. Several `v1` entries appear while Stripe rolls a
secret; any may match. Other schemes (`v0`) are ignored.
https://docs.stripe.com/webhooks#verify-manually
"""

from __future__ import annotations

import json

from hookgate.crypto import check_timestamp, hmac_digest, match_any
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    SenderRanges,
    Signed,
    Verification,
    json_field,
    require_header,
    rotating,
)
from hookgate.providers.schemes import parse_timestamped_signatures
from hookgate.request import Request

SIGNATURE_HEADER = "Stripe-Signature"


def _signed_prefix(timestamp: int) -> bytes:
    # The signed content is this prefix followed by the body.
    return b"%d." % timestamp


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    header = require_header(request, SIGNATURE_HEADER)
    timestamp, signatures = parse_timestamped_signatures(header)
    prefix, body = _signed_prefix(timestamp), request.body
    offered = [s.encode("utf-8", "replace") for s in signatures]
    match = match_any(
        secret.signing_keys(),
        offered,
        lambda key: hmac_digest("sha256", key, prefix, body).hex().encode(),
    )
    # Checked only after the signature: an attacker must not learn which part was wrong first,
    # and the timestamp is meaningless until it is known to be signed.
    check_timestamp(timestamp, now_s=now_s, tolerance_s=tolerance_s)
    return Verification(
        scheme="hmac-sha256",
        key_index=match.key_index,
        signature=match.signature,
        signed_at_s=timestamp,
    )


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    # Stripe carries the event id and type in the body, not in headers.
    digest = hmac_digest("sha256", secret.encode("utf-8"), _signed_prefix(timestamp), body)
    return {SIGNATURE_HEADER: f"t={timestamp},v1={digest.hex()}"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "id": "evt_" + delivery_id.replace("-", "")[:24],
        "object": "event",
        "api_version": "2024-06-20",
        "created": timestamp,
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": {"id": "pi_3Example", "object": "payment_intent", "amount": 2000}},
    }
    return json.dumps(event, indent=2).encode()


PROVIDER = Provider(
    name="stripe",
    verify=verify,
    delivery_id=json_field("id"),
    event_type=json_field("type"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`t` in `Stripe-Signature`)"),
        id="body `id`",
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="payment_intent.succeeded",
        dev_secret="whsec_hookgate_local_dev_secret_stripe",
    ),
    deployment=Deployment(
        title="Stripe",
        console="Stripe (Developers > Webhooks > Add endpoint)",
        secret=rotating("Stripe endpoint signing secret (whsec_...)"),
        enabled=True,
        sender_ranges=SenderRanges(
            url="https://stripe.com/files/ips/ips_webhooks.json",
            query="WEBHOOKS",
            docs="https://docs.stripe.com/ips#webhook-notifications",
        ),
    ),
    docs=Docs(
        url="https://docs.stripe.com/webhooks#verify-manually",
        summary="HMAC-SHA256 over `t.body`, timestamp window",
        scheme='`"<t>." + body` → HMAC-SHA256 hex; `whsec_…` used as a literal string',
        headers=("`Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]` (any `v1` may match; `v0` ignored)"),
        event_type="body `type`",
        retries="non-2xx retried for up to 3 days",
        oracle=(
            "`stripe` SDK: signs and judges; hookgate agrees on every case but future timestamps"
        ),
    ),
)
