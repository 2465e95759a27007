"""OpenAI against its official `openai` SDK (`client.webhooks.verify_signature`, which only
verifies) and the Standard Webhooks published example."""

from __future__ import annotations

import openai
import pytest

from hookgate import providers
from tests.support.oracles import STANDARD_SECRET, rejects, request_for, sign, verify

BODY = b'{"object": "event", "id": "evt_1", "type": "response.completed", "data": {"id": "r"}}'


def client() -> openai.OpenAI:
    # No request is made: verification is local, but the client wants some credential.
    return openai.OpenAI(api_key="sk-test", webhook_secret=STANDARD_SECRET)


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    ours = sign("openai", STANDARD_SECRET, BODY, delivery_id="wh_1")

    client().webhooks.verify_signature(BODY, ours)
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client().webhooks.verify_signature(BODY.replace(b"evt_1", b"evt_2"), ours)


def test_the_published_example_verifies_and_a_changed_one_does_not() -> None:
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'

    assert verify("openai", request_for(headers, body), STANDARD_SECRET, at=1614265330)
    assert rejects("openai", request_for(headers, body + b" "), STANDARD_SECRET)


def test_openais_headers_are_the_unbranded_ones_only() -> None:
    ours = sign("openai", STANDARD_SECRET, BODY, delivery_id="wh_2")
    svix_named = {name.replace("webhook-", "svix-"): value for name, value in ours.items()}

    assert rejects("openai", request_for(svix_named, BODY), STANDARD_SECRET)
    assert providers.get("openai").event_type(request_for(ours, BODY), {"type": "x"}) == "x"
