"""Xero: hookgate agrees with an HMAC computed here as Xero documents it (base64 HMAC-SHA256 of
the body with the webhook key; Xero's SDKs have no verifier), both ways; its intent-to-receive
request, exactly as Xero's page shows it, gets an empty 200 and is not published."""

from __future__ import annotations

import json

from hookgate import providers
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from tests.support.oracles import b64, hmac_digest, rejects, request_for, sign, verify

#: Shaped as Xero's webhook keys are (88 base64 characters), and used as that text.
KEY = "hookgateXeroTestKey0123456789+/" * 2 + "hookgateXeroTestKey01234=="
MATERIAL = SecretMaterial.parse(KEY)
#: Xero's intent-to-receive body (its "Configuring your server" page).
INTENT = (
    b'{"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}'
)
EVENT = {
    "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc",
    "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
    "eventDateUtc": "2017-06-21T01:15:39.902",
    "eventType": "UPDATE",
    "eventCategory": "CONTACT",
    "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
    "tenantType": "ORGANISATION",
}


def signed(body: bytes, key: str = KEY) -> dict[str, str]:
    return {"x-xero-signature": b64(hmac_digest(key, body))}


def body_of(*events: dict[str, str]) -> bytes:
    payload = {"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events)}
    return json.dumps({**payload, "entropy": "QWERTY"}).encode()


def test_the_intent_to_receive_signed_with_the_key_verifies_and_others_do_not() -> None:
    assert verify("xero", request_for(signed(INTENT), INTENT), KEY).key_index == 0
    assert rejects("xero", request_for(signed(INTENT, "another-key"), INTENT), KEY)
    assert rejects("xero", request_for(signed(INTENT), INTENT.replace(b"0", b"1", 1)), KEY)
    hexed = {"x-xero-signature": hmac_digest(KEY, INTENT).hex()}
    assert rejects("xero", request_for(hexed, INTENT), KEY)


def test_the_intent_to_receive_is_answered_200_with_no_body() -> None:
    definition = providers.get("xero")
    request = request_for(signed(INTENT), INTENT)
    verification = verify("xero", request, KEY)
    assert definition.handshake is not None

    reply = definition.handshake(request, MATERIAL, verification)

    assert reply is not None
    response = reply.to_lambda()
    assert (response["statusCode"], response["body"]) == (200, "")
    assert not any(name.lower() == "set-cookie" for name in response["headers"])


def test_events_are_not_a_handshake_and_are_acknowledged_with_no_body() -> None:
    definition = providers.get("xero")
    body = body_of(EVENT)
    request = request_for(signed(body), body)
    assert definition.handshake is not None
    assert definition.acknowledge is not None

    assert definition.handshake(request, MATERIAL, verify("xero", request, KEY)) is None
    ack = definition.acknowledge(request, {})
    assert ack is not None
    assert (ack.to_lambda()["statusCode"], ack.to_lambda()["body"]) == (200, "")
    assert definition.empty_refusals


def _type(body: bytes) -> str | None:
    request = request_for(signed(body), body)
    return providers.get("xero").event_type(request, body_fields(request, parse_payload(request)))


def test_a_batch_has_its_shared_type_and_a_mixed_one_none() -> None:
    created = {**EVENT, "eventType": "CREATE"}

    assert _type(body_of(EVENT, EVENT)) == "CONTACT.UPDATE"
    assert _type(body_of(EVENT, created)) is None
    assert _type(body_of({**EVENT, "eventType": ["UPDATE"]})) is None  # type: ignore[dict-item]
    assert _type(INTENT) is None


def test_hookgate_signs_as_xero_does() -> None:
    assert sign("xero", KEY, INTENT) == signed(INTENT)
