"""Lithic against its official `lithic` SDK (`client.webhooks.verify_signature`, which only
verifies); its event type is the body's `event_type`."""

from __future__ import annotations

import lithic
import pytest
import standardwebhooks.webhooks as standard_sdk

from hookgate import providers
from tests.support.oracles import request_for, sign, verify

#: The secret in Lithic's own SDK tests.
SECRET = "whsec_zlFsbBZ8Xcodlpcu6NDTdSzZRLSdhkst"
BODY = b'{"event_type": "card.created", "card_token": "7ef7d65c-9023-4da3-b113-3b8583fd7951"}'


def client() -> lithic.Lithic:
    # No request is made: verification is local, but the client wants an API key.
    return lithic.Lithic(api_key="test", webhook_secret=SECRET)


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    ours = sign("lithic", SECRET, BODY, delivery_id="msg_l1")

    client().webhooks.verify_signature(BODY.decode(), ours)
    with pytest.raises(standard_sdk.WebhookVerificationError):
        client().webhooks.verify_signature(BODY.decode().replace("created", "closed"), ours)


def test_the_event_type_is_read_from_event_type() -> None:
    ours = sign("lithic", SECRET, BODY, delivery_id="msg_l2")
    request = request_for(ours, BODY)

    assert verify("lithic", request, SECRET).key_index == 0
    assert providers.get("lithic").event_type(request, {"event_type": "card.created"}) == (
        "card.created"
    )
