"""Intercom: hookgate agrees with an HMAC-SHA1 computed here as Intercom documents it
(`sha1=` + hex; Intercom's Python SDK has no webhook verifier), both ways."""

from __future__ import annotations

import hashlib

from hookgate import providers
from hookgate.payload import body_fields, parse_payload
from tests.support.oracles import hmac_digest, rejects, request_for, sign, verify

SECRET = "intercom-client-secret-0123"
PING = b'{"type": "notification_event", "id": null, "topic": "ping", "data": {"item": {}}}'


def headers_for(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature": "sha1=" + hmac_digest(SECRET, body, "sha1").hex()}


def test_a_delivery_signed_as_documented_verifies_and_a_changed_one_does_not() -> None:
    body = b'{"type": "notification_event", "id": "notif_1", "topic": "contact.created"}'

    assert verify("intercom", request_for(headers_for(body), body), SECRET).key_index == 0
    assert rejects("intercom", request_for(headers_for(body), body + b" "), SECRET)
    assert rejects("intercom", request_for({"X-Hub-Signature": "sha1=00"}, body), SECRET)


def test_the_ping_with_a_null_id_is_keyed_on_the_body_digest() -> None:
    request = request_for(headers_for(PING), PING)
    definition = providers.get("intercom")
    fields = body_fields(request, parse_payload(request))

    assert verify("intercom", request, SECRET)
    assert definition.replay_key(request, fields) == hashlib.sha256(PING).hexdigest()[:32]
    assert definition.event_type(request, fields) == "ping"


def test_hookgate_signs_as_intercom_does() -> None:
    assert sign("intercom", SECRET, PING) == headers_for(PING)
