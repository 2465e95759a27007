"""GitLab: the signing token against the official `standardwebhooks` package both ways; the
secret token (a plain string GitLab sends as is: test_independent_hmac.py); and how the two
meet in one request, as an attacker would combine them."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest
import standardwebhooks.webhooks as standard_sdk

from hookgate import providers
from hookgate.errors import StaleTimestamp
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request
from tests.support.oracles import now, rejects, request_for, sign, verify

#: A signing token as GitLab makes them: `whsec_` and the base64 of 32 random bytes.
SIGNING = "whsec_" + base64.b64encode(bytes(range(32))).decode()
TOKEN = "gitlab-secret-token-0123456789"
BOTH = json.dumps({"signing_secrets": [SIGNING, TOKEN]})
BODY = b'{"object_kind":"push","ref":"refs/heads/main","project_id":15,"commits":[]}'


def _signed_by_sdk(msg_id: str = "3c4b2b0c-5d4e-4f6a-9b8c-7d6e5f4a3b2c") -> dict[str, str]:
    sdk = standard_sdk.Webhook(SIGNING)
    signature = sdk.sign(msg_id, datetime.fromtimestamp(now(), UTC), BODY.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(now()),
        "webhook-signature": signature,
        "Idempotency-Key": msg_id,
        "X-Gitlab-Event": "Push Hook",
    }


def _replay_key(request: Request) -> str:
    definition = providers.get("gitlab")
    return definition.replay_key(request, body_fields(request, parse_payload(request)))


def test_gitlab_signing_token_sdk_signature_accepted_and_ours_verified_by_sdk() -> None:
    headers = _signed_by_sdk()
    ours = sign("gitlab", SIGNING, BODY, delivery_id="0b9c8d7e-6f5a-4b3c-2d1e-0f9a8b7c6d5e")

    verification = verify("gitlab", request_for(headers, BODY), SIGNING)
    assert (verification.scheme, verification.signed_at_s) == ("hmac-sha256", now())
    standard_sdk.Webhook(SIGNING).verify(BODY, ours)  # raises if it does not verify
    assert ours["webhook-id"] == ours["Idempotency-Key"]  # as GitLab sends them
    assert "X-Gitlab-Token" not in ours
    with pytest.raises(standard_sdk.WebhookVerificationError):
        standard_sdk.Webhook(SIGNING).verify(BODY + b" ", ours)
    assert rejects("gitlab", request_for(headers, BODY.replace(b"main", b"mains")), SIGNING)


def test_gitlab_signed_delivery_is_keyed_on_its_signed_webhook_id() -> None:
    headers = _signed_by_sdk("msg-signed-1")
    resent = {**headers, "Idempotency-Key": "fresh", "X-Gitlab-Event-UUID": "fresh"}

    assert verify("gitlab", request_for(resent, BODY), BOTH)
    assert _replay_key(request_for(headers, BODY)) == "msg-signed-1"
    assert _replay_key(request_for(resent, BODY)) == "msg-signed-1"


def test_gitlab_signature_that_fails_is_refused_whatever_token_it_carries() -> None:
    # A captured delivery with both, its body changed: the token still matches, the signature
    # does not, and the weaker check must not decide.
    headers = {**_signed_by_sdk(), "X-Gitlab-Token": TOKEN}
    assert verify("gitlab", request_for(headers, BODY), BOTH).scheme == "hmac-sha256"

    for forged in (
        {**headers, "webhook-signature": "v1,AAAA"},
        {**headers, "webhook-signature": ""},
        {k: v for k, v in headers.items() if k != "webhook-timestamp"},
    ):
        assert rejects("gitlab", request_for(forged, BODY), BOTH)
    assert rejects("gitlab", request_for(headers, BODY + b" "), BOTH)
    stale = {**_signed_by_sdk(), "X-Gitlab-Token": TOKEN}
    for at in (now() + 301, now() - 301):
        with pytest.raises(StaleTimestamp):
            verify("gitlab", request_for(stale, BODY), BOTH, at=at)


def test_gitlab_signed_delivery_is_refused_without_a_signing_token_stored() -> None:
    headers = {**_signed_by_sdk(), "X-Gitlab-Token": TOKEN}

    assert rejects("gitlab", request_for(headers, BODY), TOKEN)


def test_gitlab_token_only_delivery_verifies_only_where_a_secret_token_is_stored() -> None:
    headers = {"X-Gitlab-Token": TOKEN, "X-Gitlab-Event": "Push Hook"}

    assert verify("gitlab", request_for(headers, BODY), BOTH).key_index == 1  # its position
    assert verify("gitlab", request_for(headers, BODY), TOKEN).scheme == "token"
    # A signing token alone: only signed deliveries verify.
    assert rejects("gitlab", request_for(headers, BODY), SIGNING)
    # And the signing token is never a secret token.
    assert rejects("gitlab", request_for({"X-Gitlab-Token": SIGNING}, BODY), BOTH)
    assert rejects("gitlab", request_for({"X-Gitlab-Event": "Push Hook"}, BODY), BOTH)


def test_gitlab_token_only_delivery_is_keyed_on_its_body_whatever_ids_it_carries() -> None:
    plain = {"X-Gitlab-Token": TOKEN, "Idempotency-Key": "a"}
    # An unsigned `webhook-id` (no signature beside it) is not the key either.
    renamed = {"X-Gitlab-Token": TOKEN, "Idempotency-Key": "b", "webhook-id": "attacker"}

    assert verify("gitlab", request_for(renamed, BODY), BOTH)
    digest = hashlib.sha256(BODY).hexdigest()[:32]
    assert _replay_key(request_for(plain, BODY)) == digest
    assert _replay_key(request_for(renamed, BODY)) == digest


def test_gitlab_rotation_reports_the_position_of_the_key_that_verified() -> None:
    old = "whsec_" + base64.b64encode(b"o" * 32).decode()
    stored = json.dumps({"signing_secrets": ["old-token", SIGNING, TOKEN, old]})
    by_old = standard_sdk.Webhook(old).sign("m-1", datetime.fromtimestamp(now(), UTC), "{}")
    headers = {"webhook-id": "m-1", "webhook-timestamp": str(now()), "webhook-signature": by_old}

    assert verify("gitlab", request_for(headers, b"{}"), stored).key_index == 3
    assert verify("gitlab", request_for(_signed_by_sdk(), BODY), stored).key_index == 1
    assert verify("gitlab", request_for({"X-Gitlab-Token": TOKEN}, BODY), stored).key_index == 2
    assert SecretMaterial.parse(stored).signing_secrets[0] == "old-token"
