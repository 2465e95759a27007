"""Discord: Ed25519 signed and verified with PyNaCl."""

from __future__ import annotations

import json

import nacl.signing

from hookgate import providers
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
