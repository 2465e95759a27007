"""Clerk against the `svix` package (Clerk delivers through Svix; its Python SDK has no
verifier), both ways."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import svix.webhooks as svix_sdk

from tests.support.oracles import STANDARD_SECRET, now, rejects, request_for, sign, verify

BODY = b'{"data": {"id": "user_29w83sxmDNGwOuEth"}, "object": "event", "type": "user.created"}'


def test_svix_accepts_hookgates_signature_and_hookgate_accepts_svixs() -> None:
    sdk = svix_sdk.Webhook(STANDARD_SECRET)
    ours = sign("clerk", STANDARD_SECRET, BODY, delivery_id="msg_2a")
    by_sdk = sdk.sign("msg_2b", datetime.fromtimestamp(now(), UTC), BODY.decode())
    theirs = {"svix-id": "msg_2b", "svix-timestamp": str(now()), "svix-signature": by_sdk}

    sdk.verify(BODY, ours)
    assert verify("clerk", request_for(theirs, BODY), STANDARD_SECRET).scheme == "hmac-sha256"
    with pytest.raises(svix_sdk.WebhookVerificationError):
        sdk.verify(BODY + b" ", ours)
    assert rejects("clerk", request_for(theirs, BODY + b" "), STANDARD_SECRET)


def test_clerk_reads_the_svix_headers_only() -> None:
    ours = sign("clerk", STANDARD_SECRET, BODY, delivery_id="msg_2c")
    unbranded = {name.replace("svix-", "webhook-"): value for name, value in ours.items()}

    assert set(ours) == {"svix-id", "svix-timestamp", "svix-signature"}
    assert rejects("clerk", request_for(unbranded, BODY), STANDARD_SECRET)
