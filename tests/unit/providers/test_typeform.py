"""Typeform: hookgate agrees with an HMAC computed here as Typeform documents it (Typeform
publishes no SDK that verifies webhooks), both ways."""

from __future__ import annotations

from tests.support.oracles import b64, hmac_digest, rejects, request_for, sign, verify

SECRET = "typeform-secret-0123"
#: A delivery shaped as Typeform's documentation shows one, whitespace and all.
BODY = (
    b'{"event_id": "01HQ5V2T9X", "event_type": "form_response", '
    b'"form_response": {"form_id": "lT4Z3j", "answers": []}}'
)
#: `sha256=` + base64 of HMAC-SHA256(secret, raw body): Typeform's documented signature.
HEADERS = {"Typeform-Signature": "sha256=" + b64(hmac_digest(SECRET, BODY))}


def test_a_delivery_signed_as_documented_verifies() -> None:
    assert verify("typeform", request_for(HEADERS, BODY), SECRET).key_index == 0


def test_the_delivery_changed_by_one_byte_is_refused() -> None:
    assert rejects("typeform", request_for(HEADERS, BODY.replace(b"01HQ", b"01HR")), SECRET)


def test_hex_instead_of_base64_is_refused() -> None:
    hexed = {"Typeform-Signature": "sha256=" + hmac_digest(SECRET, BODY).hex()}

    assert rejects("typeform", request_for(hexed, BODY), SECRET)


def test_hookgate_signs_as_typeform_does() -> None:
    assert sign("typeform", SECRET, BODY)["Typeform-Signature"] == HEADERS["Typeform-Signature"]
