"""Replicate against its official `replicate` SDK (`replicate.webhooks.validate`, which only
verifies) and the vector of the SDK's own tests."""

from __future__ import annotations

import pytest
from replicate.webhook import InvalidSignatureError, Webhooks, WebhookSigningSecret

from tests.support.oracles import STANDARD_SECRET, rejects, request_for, sign, verify

BODY = b'{"id": "ufawqhfynnddngldkgtslldrkq", "status": "succeeded", "output": ["x"]}'


def sdk_validate(headers: dict[str, str], body: bytes) -> None:
    Webhooks.validate(
        headers=headers,
        body=body.decode(),
        secret=WebhookSigningSecret(key=STANDARD_SECRET),
        tolerance=300,
    )


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    ours = sign("replicate", STANDARD_SECRET, BODY, delivery_id="msg_rep1")

    sdk_validate(ours, BODY)
    with pytest.raises(InvalidSignatureError):
        sdk_validate(ours, BODY.replace(b"succeeded", b"failed"))


def test_the_sdks_published_vector_verifies() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'

    assert verify("replicate", request_for(headers, body), STANDARD_SECRET, at=1614265330)
    # Replicate's SDK checks no time unless asked; hookgate always does.
    assert rejects("replicate", request_for(headers, body), STANDARD_SECRET)
