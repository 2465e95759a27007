"""`hookgate.verify`: the one-call verifier that runs anywhere, judged against the providers'
own SDKs, and free of AWS (importing it imports neither boto3 nor Powertools)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks.webhooks as standard_sdk
import stripe

import hookgate
from hookgate.errors import BadSignature, ConfigurationError, MissingSignature, StaleTimestamp

STRIPE_SECRET = "whsec_" + "a" * 32


def stripe_delivery(body: bytes, *, at: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if at is None else at
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), STRIPE_SECRET, timestamp
    )
    return {"Stripe-Signature": header, "Content-Type": "application/json"}


def test_importing_hookgate_and_verifying_loads_no_aws_code() -> None:
    script = (
        "import sys, hookgate\n"
        "try:\n"
        "    hookgate.verify('github', body=b'{}', headers={}, secret='s')\n"
        "except hookgate.Unauthorized:\n"
        "    pass\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules}"
        " & {'boto3', 'botocore', 'aws_lambda_powertools'})\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == ""


def test_a_delivery_signed_by_stripes_sdk_verifies_and_says_what_it_is() -> None:
    body = json.dumps({"id": "evt_123", "type": "invoice.paid", "object": "event"}).encode()
    signed_at = int(time.time())

    verified = hookgate.verify(
        "stripe", body=body, headers=stripe_delivery(body, at=signed_at), secret=STRIPE_SECRET
    )

    assert verified.provider == "stripe"
    assert verified.scheme == "hmac-sha256"
    assert verified.key_index == 0
    assert verified.signed_at == datetime.fromtimestamp(signed_at, tz=UTC)
    assert verified.delivery_id == "evt_123"
    assert verified.event_type == "invoice.paid"
    assert verified.unsigned == ("headers.content-type",)  # published, never signed


def test_rotation_reports_which_secret_verified() -> None:
    body = b'{"id": "evt_1", "type": "invoice.paid"}'
    secret = json.dumps({"signing_secrets": ["whsec_newer", STRIPE_SECRET]})

    verified = hookgate.verify("stripe", body=body, headers=stripe_delivery(body), secret=secret)

    assert verified.key_index == 1


def test_refusals_are_hookgates_errors() -> None:
    body = b'{"id": "evt_1", "type": "invoice.paid"}'
    headers = stripe_delivery(body)

    with pytest.raises(BadSignature):
        hookgate.verify("stripe", body=body + b" ", headers=headers, secret=STRIPE_SECRET)
    with pytest.raises(MissingSignature):
        hookgate.verify("stripe", body=body, headers={}, secret=STRIPE_SECRET)
    with pytest.raises(StaleTimestamp):
        hookgate.verify(
            "stripe", body=body, headers=headers, secret=STRIPE_SECRET, now=time.time() + 3600
        )
    with pytest.raises(ConfigurationError):
        hookgate.verify("no-such-provider", body=body, headers=headers, secret=STRIPE_SECRET)


def test_a_queue_consumer_can_verify_again_later_as_of_the_time_received() -> None:
    body = b'{"id": "evt_9", "type": "charge.refunded"}'
    received_at = int(time.time()) - 86_400
    headers = stripe_delivery(body, at=received_at)

    verified = hookgate.verify(
        "stripe", body=body, headers=headers, secret=STRIPE_SECRET, now=received_at + 5
    )

    assert verified.delivery_id == "evt_9"


def test_a_standard_webhooks_delivery_from_its_sdk_is_keyed_on_its_signed_id() -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    body = '{"type": "user.created", "data": {}}'
    timestamp = datetime.now(tz=UTC)
    signature = standard_sdk.Webhook(secret).sign("msg_2Kq", timestamp, body)
    headers = [
        ("webhook-id", "msg_2Kq"),
        ("webhook-timestamp", str(int(timestamp.timestamp()))),
        ("webhook-signature", signature),
    ]

    verified = hookgate.verify("standardwebhooks", body=body, headers=headers, secret=secret)

    assert (verified.delivery_id, verified.event_type) == ("msg_2Kq", "user.created")


def test_what_the_signature_does_not_cover_is_named() -> None:
    import hashlib
    import hmac

    body = b'{"zen": "Keep it logically awesome."}'
    digest = hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    headers = {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": "72d3162e",
    }

    verified = hookgate.verify("github", body=body, headers=headers, secret="gh-secret")

    assert verified.event_type == "ping"
    assert "event_type" in verified.unsigned
    assert "headers.x-github-delivery" in verified.unsigned
    assert verified.delivery_id == hashlib.sha256(body).hexdigest()[:32]


def test_a_url_signing_provider_is_verified_against_the_url_given() -> None:
    from urllib.parse import urlencode

    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

    token = "twilio-auth-token-0123"
    url = "https://hooks.example.com/webhooks/twilio"
    fields = {"MessageSid": "SM123", "MessageStatus": "delivered", "To": "+15005550006"}
    signature = RequestValidator(token).compute_signature(url, fields)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    body = urlencode(fields)

    verified = hookgate.verify("twilio", body=body, headers=headers, secret=token, url=url)

    assert verified.event_type == "delivered"
    with pytest.raises(BadSignature):
        hookgate.verify(
            "twilio", body=body, headers=headers, secret=token, url=url.replace("hooks", "other")
        )
