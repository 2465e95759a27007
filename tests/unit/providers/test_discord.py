"""Discord: Ed25519 signed and verified with PyNaCl; interactions and Webhook Events told
apart by their signed body, and each answered as Discord documents."""

from __future__ import annotations

import json
from hashlib import sha256
from typing import Any

import nacl.signing
import pytest

from hookgate import providers
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request
from tests.support.oracles import now, rejects, request_for, sign, verify
from tests.support.providers import ed25519_seed_hex


def test_discord_pynacl_signature_accepted_and_ours_verified_by_pynacl() -> None:
    seed = bytes.fromhex(ed25519_seed_hex())
    signing_key = nacl.signing.SigningKey(seed)
    stored = signing_key.verify_key.encode().hex()
    body = b'{"type":2,"id":"1","data":{"name":"hello"}}'
    by_nacl = signing_key.sign(str(now()).encode() + body).signature
    headers = {"X-Signature-Ed25519": by_nacl.hex(), "X-Signature-Timestamp": str(now())}
    ours = sign("discord", seed.hex(), body)

    assert verify("discord", request_for(headers, body), stored).scheme == "ed25519"
    signing_key.verify_key.verify(
        str(now()).encode() + body, bytes.fromhex(ours["X-Signature-Ed25519"])
    )
    assert (
        json.loads(providers.get("discord").local.stored_secret(seed.hex()))["public_key"] == stored
    )
    assert rejects("discord", request_for(headers, body.replace(b"hello", b"HELLO")), stored)


# Webhook Events: the documented examples (`user` left empty where the docs elide it).
WEBHOOK_PING = b'{"version":1,"application_id":"1234560123453231555","type":0}'
AUTHORIZED = json.dumps(
    {
        "version": 1,
        "application_id": "1234560123453231555",
        "type": 1,
        "event": {
            "type": "APPLICATION_AUTHORIZED",
            "timestamp": "2024-10-18T14:42:53.064834",
            "data": {"integration_type": 1, "scopes": ["applications.commands"], "user": {}},
        },
    }
).encode()
INTERACTION_PING = b'{"application_id":"1","id":"2","type":1,"token":"t","version":1}'


def _signed_by_nacl(body: bytes) -> tuple[Request, str]:
    signing_key = nacl.signing.SigningKey(bytes.fromhex(ed25519_seed_hex()))
    signature = signing_key.sign(str(now()).encode() + body).signature
    headers = {"X-Signature-Ed25519": signature.hex(), "X-Signature-Timestamp": str(now())}
    return request_for(headers, body), signing_key.verify_key.encode().hex()


def _fields(request: Request) -> Any:
    return body_fields(request, parse_payload(request))


def test_discord_webhook_event_signed_by_pynacl_is_published_as_its_event_type() -> None:
    discord = providers.get("discord")
    request, stored = _signed_by_nacl(AUTHORIZED)

    assert verify("discord", request, stored).scheme == "ed25519"
    assert discord.handshake is not None
    assert discord.acknowledge is not None
    assert discord.handshake(request, SecretMaterial.parse(stored), None) is None  # published
    assert discord.event_type(request, _fields(request)) == "APPLICATION_AUTHORIZED"
    # No id: the replay key is the signed body's digest.
    assert discord.delivery_id(request, _fields(request)) is None
    assert discord.replay_key(request, _fields(request)) == sha256(AUTHORIZED).hexdigest()[:32]
    reply = discord.acknowledge(request, _fields(request))
    assert reply is not None
    assert (reply.status, reply.body) == (204, "")
    assert rejects("discord", request_for(dict(request.headers), AUTHORIZED + b" "), stored)


def test_discord_webhook_ping_gets_an_empty_204_and_an_interaction_ping_a_pong() -> None:
    discord = providers.get("discord")
    assert discord.handshake is not None
    answers = {}
    for body in (WEBHOOK_PING, INTERACTION_PING):
        request, stored = _signed_by_nacl(body)
        reply = discord.handshake(request, SecretMaterial.parse(stored), None)
        assert reply is not None
        answers[body] = (reply.status, reply.body)

    assert answers == {WEBHOOK_PING: (204, ""), INTERACTION_PING: (200, '{"type":1}')}


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"type":1,"id":"5","token":"t"}', "PING"),  # interaction PING: no `event`
        (b'{"type":1,"event":"APPLICATION_AUTHORIZED"}', "PING"),  # not an event object
        (b'{"type":2,"id":"5","event":{"type":"X"}}', "APPLICATION_COMMAND"),
        (b'{"type":1,"event":{"type":"ENTITLEMENT_CREATE"}}', "ENTITLEMENT_CREATE"),
        (b'{"type":true,"event":{"type":"X"}}', None),
    ],
)
def test_discord_kind_is_read_from_the_body_shape(body: bytes, kind: str | None) -> None:
    request = request_for({}, body)

    assert providers.get("discord").event_type(request, _fields(request)) == kind
