"""Svix against its official `svix` package (the published example and the agreement both
ways run in test_standardwebhooks.py, parametrized over both)."""

from __future__ import annotations

import svix.webhooks as svix_sdk

from tests.support.oracles import STANDARD_SECRET, request_for, sign, verify


def test_svix_accepts_the_unbranded_header_names_as_its_sdk_does() -> None:
    sdk = svix_sdk.Webhook(STANDARD_SECRET)
    body = b'{"type":"x"}'
    ours = sign("standardwebhooks", STANDARD_SECRET, body, delivery_id="msg_3")

    sdk.verify(body, ours)
    assert verify("svix", request_for(ours, body), STANDARD_SECRET)
