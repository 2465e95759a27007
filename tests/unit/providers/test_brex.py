"""Brex against the `standardwebhooks` package (Brex publishes no SDK), both ways, with the
bare base64 secrets Brex's API returns."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

import pytest
import standardwebhooks.webhooks as standard_sdk

from tests.support.oracles import now, rejects, request_for, sign, verify

BODY = b'{"event_type": "TRANSFER_PROCESSED", "transfer_id": "dptx_1", "company_id": "c_1"}'


def test_a_bare_base64_secret_verifies_both_ways() -> None:
    bare = base64.b64encode(os.urandom(24)).decode()
    sdk = standard_sdk.Webhook(bare)
    by_sdk = sdk.sign("msg_b1", datetime.fromtimestamp(now(), UTC), BODY.decode())
    theirs = {"Webhook-Id": "msg_b1", "Webhook-Timestamp": str(now()), "Webhook-Signature": by_sdk}
    ours = sign("brex", bare, BODY, delivery_id="msg_b2")

    assert verify("brex", request_for(theirs, BODY), bare).key_index == 0
    sdk.verify(BODY, ours)
    with pytest.raises(standard_sdk.WebhookVerificationError):
        sdk.verify(BODY + b" ", ours)


def test_during_rotation_the_pending_revoke_secret_still_verifies() -> None:
    active, old = (base64.b64encode(os.urandom(24)).decode() for _ in range(2))
    ours = sign("brex", old, BODY, delivery_id="msg_b3")
    rotating = json.dumps({"signing_secrets": [active, old]})

    assert verify("brex", request_for(ours, BODY), rotating).key_index == 1
    assert rejects("brex", request_for(ours, BODY), active)
