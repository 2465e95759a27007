"""Telnyx against its official SDK (`telnyx`: `client.webhooks.unwrap` and
`telnyx.lib.verify_webhook_signature`, which only verify), and an Ed25519 signature made here
with PyNaCl over `<timestamp>|<body>`, as Telnyx documents the scheme."""

from __future__ import annotations

import base64
import json

import nacl.signing
import pytest
from telnyx import Telnyx
from telnyx.lib import WebhookVerificationError, verify_webhook_signature

from hookgate import providers
from hookgate.payload import body_fields, parse_payload
from tests.support.oracles import now, rejects, request_for, sign, verify

BODY = (
    b'{"data":{"event_type":"message.received","id":"b301ed3f-1490-491f-995f-6e64e69674d4",'
    b'"occurred_at":"2026-01-15T20:16:07.588+00:00","payload":{"text":"Hello \xc3\xa9"},'
    b'"record_type":"event"},"meta":{"attempt":1,"delivered_to":"https://example.com/hooks"}}'
)


def _keys() -> tuple[nacl.signing.SigningKey, str, str]:
    """A signing key, its seed as `sign` takes it, and its public key as Telnyx shows it."""
    signing_key = nacl.signing.SigningKey.generate()
    seed = base64.b64encode(bytes(signing_key)).decode()
    public = base64.b64encode(signing_key.verify_key.encode()).decode()
    return signing_key, seed, public


def test_telnyx_sdk_accepts_our_signature_and_refuses_it_on_another_body() -> None:
    _, seed, public = _keys()
    ours = sign("telnyx", seed, BODY)
    client = Telnyx(api_key="KEY_unused", public_key=public)

    event = client.webhooks.unwrap(BODY.decode(), headers=ours)
    verify_webhook_signature(BODY, ours, public)

    assert getattr(event, "data").event_type == "message.received"  # noqa: B009 (typed union)
    assert json.loads(providers.get("telnyx").local.stored_secret(seed))["public_key"] == public
    # Importing `telnyx.lib` makes `unwrap` its Ed25519 helper, which raises its own error.
    with pytest.raises(WebhookVerificationError, match="does not match"):
        client.webhooks.unwrap(BODY.decode().replace("Hello", "HELLO"), headers=ours)
    with pytest.raises(WebhookVerificationError):
        verify_webhook_signature(BODY + b" ", ours, public)


def test_pynacl_signature_over_timestamp_bar_body_is_accepted() -> None:
    signing_key, _, public = _keys()
    timestamp = str(now())
    signature = signing_key.sign(timestamp.encode() + b"|" + BODY).signature
    headers = {
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": timestamp,
    }

    verification = verify("telnyx", request_for(headers, BODY), public)
    by_json = verify("telnyx", request_for(headers, BODY), json.dumps({"public_key": [public]}))

    assert (verification.scheme, verification.signed_at_s) == ("ed25519", int(timestamp))
    assert by_json.key_index == 0
    assert rejects("telnyx", request_for(headers, BODY.replace(b"Hello", b"HELLO")), public)
    assert rejects("telnyx", request_for({**headers, "telnyx-timestamp": "1"}, BODY), public)


@pytest.mark.parametrize(
    "near_miss",
    ["no separator", "dot separator", "hex signature", "timestamp with plus"],
)
def test_near_misses_of_the_scheme_are_refused(near_miss: str) -> None:
    signing_key, _, public = _keys()
    timestamp = str(now())
    separator = {"no separator": b"", "dot separator": b"."}.get(near_miss, b"|")
    sent_timestamp = "+" + timestamp if near_miss == "timestamp with plus" else timestamp
    signature = signing_key.sign(sent_timestamp.encode() + separator + BODY).signature
    encoded = signature.hex() if near_miss == "hex signature" else base64.b64encode(signature)
    headers = {
        "Telnyx-Signature-Ed25519": encoded if isinstance(encoded, str) else encoded.decode(),
        "Telnyx-Timestamp": sent_timestamp,
    }

    assert rejects("telnyx", request_for(headers, BODY), public)


def test_a_retry_to_the_failover_url_is_the_same_event() -> None:
    # Each attempt is a new body (`meta`), signed again: `data.id` keeps it one event.
    definition = providers.get("telnyx")
    retry = BODY.replace(b'"attempt":1', b'"attempt":2').replace(b"example.com", b"backup.test")
    keys = set()
    for body in (BODY, retry):
        request = request_for({"Content-Type": "application/json"}, body)
        fields = body_fields(request, parse_payload(request))
        keys.add(definition.replay_key(request, fields))
        assert definition.event_type(request, fields) == "message.received"

    assert keys == {"b301ed3f-1490-491f-995f-6e64e69674d4"}
