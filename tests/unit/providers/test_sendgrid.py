"""SendGrid against `sendgrid.helpers.eventwebhook.EventWebhook`, and an ECDSA signature
made here with `cryptography`, as SendGrid documents the scheme."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
)
from sendgrid.helpers.eventwebhook import EventWebhook  # type: ignore[import-untyped]

from hookgate import providers
from tests.support.oracles import now, rejects, request_for, sign, verify
from tests.support.providers import other_signing_secret


def test_sendgrid_our_signature_accepted_by_sdk_and_independent_signature_accepted() -> None:
    private = other_signing_secret("sendgrid")
    stored = providers.get("sendgrid").local.stored_secret(private)
    public_key = json.loads(stored)["public_key"]
    body = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"x"}]\r\n'
    ours = sign("sendgrid", private, body)
    sdk = EventWebhook(public_key)

    assert sdk.verify_signature(
        body.decode(),
        ours["X-Twilio-Email-Event-Webhook-Signature"],
        ours["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    assert not sdk.verify_signature(
        body.decode() + " ",
        ours["X-Twilio-Email-Event-Webhook-Signature"],
        ours["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    # Signed independently (cryptography directly, as SendGrid documents the scheme).
    key = load_der_private_key(base64.b64decode(private), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(str(now()).encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": str(now()),
    }
    assert verify("sendgrid", request_for(headers, body), stored).scheme == "ecdsa-p256-sha256"
    assert rejects("sendgrid", request_for(headers, body + b" "), stored)
