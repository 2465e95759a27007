"""Resend against its official `resend` SDK (`resend.Webhooks.verify`, which only verifies)."""

from __future__ import annotations

import pytest
import resend

from tests.support.oracles import STANDARD_SECRET, sign

BODY = b'{"type": "email.delivered", "created_at": "2026-01-01T00:00:00Z", "data": {}}'


def sdk_verify(headers: dict[str, str], body: bytes) -> None:
    resend.Webhooks.verify(
        {
            "payload": body.decode(),  # the SDK formats a str into what it signs
            "headers": {
                "id": headers["svix-id"],
                "timestamp": headers["svix-timestamp"],
                "signature": headers["svix-signature"],
            },
            "webhook_secret": STANDARD_SECRET,
        }
    )


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    ours = sign("resend", STANDARD_SECRET, BODY, delivery_id="msg_r1")

    sdk_verify(ours, BODY)
    with pytest.raises(ValueError, match=r"(?i)signature|verif"):
        sdk_verify(ours, BODY.replace(b"delivered", b"bounced"))
