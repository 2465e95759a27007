"""Standard Webhooks against its official `standardwebhooks` package and published example;
the tests parametrized over both also run Svix against `svix`."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import nacl.signing
import pytest
import standardwebhooks.webhooks as standard_sdk
import svix.webhooks as svix_sdk

from tests.support.oracles import STANDARD_SECRET, now, rejects, request_for, sign, verify

STANDARD_HEADERS = {
    "standardwebhooks": ("webhook-id", "webhook-timestamp", "webhook-signature"),
    "svix": ("svix-id", "svix-timestamp", "svix-signature"),
}
SDKS: dict[str, Any] = {"standardwebhooks": standard_sdk.Webhook, "svix": svix_sdk.Webhook}


@pytest.mark.parametrize("provider", ["standardwebhooks", "svix"])
def test_standard_webhooks_published_vector(provider: str) -> None:
    id_header, ts_header, sig_header = STANDARD_HEADERS[provider]
    headers = {
        id_header: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        ts_header: "1614265330",
        sig_header: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'

    assert verify(provider, request_for(headers, body), STANDARD_SECRET, at=1614265330)


@pytest.mark.parametrize("provider", ["standardwebhooks", "svix"])
def test_standard_webhooks_sdk_agreement_both_ways(provider: str) -> None:
    id_header, ts_header, sig_header = STANDARD_HEADERS[provider]
    sdk = SDKS[provider](STANDARD_SECRET)
    body = b'{"type":"invoice.paid","data":{"id":"in_1"}}'
    by_sdk = sdk.sign("msg_1", datetime.fromtimestamp(now(), UTC), body.decode())
    headers = {id_header: "msg_1", ts_header: str(now()), sig_header: f"v1,bogus= {by_sdk} v2,x"}
    ours = sign(provider, STANDARD_SECRET, body, delivery_id="msg_2")

    assert verify(provider, request_for(headers, body), STANDARD_SECRET).scheme == "hmac-sha256"
    sdk.verify(body, ours)  # raises if it does not verify
    with pytest.raises(Exception, match=r"(?i)signature"):
        sdk.verify(body + b" ", ours)


def test_standard_webhooks_v1a_ed25519_signed_with_pynacl() -> None:
    signing_key = nacl.signing.SigningKey.generate()
    public = "whpk_" + base64.b64encode(signing_key.verify_key.encode()).decode()
    stored = json.dumps({"public_key": public})
    body = b'{"type":"user.created"}'
    signature = signing_key.sign(f"msg_9.{now()}.".encode() + body).signature
    headers = {
        "webhook-id": "msg_9",
        "webhook-timestamp": str(now()),
        "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
    }
    seed = "whsk_" + base64.b64encode(bytes(signing_key)).decode()
    ours = sign("standardwebhooks", seed, body, delivery_id="msg_9")

    assert verify("standardwebhooks", request_for(headers, body), stored).scheme == "ed25519"
    assert ours["webhook-signature"] == headers["webhook-signature"]  # Ed25519 is deterministic
    assert rejects("standardwebhooks", request_for(headers, body + b" "), stored)
