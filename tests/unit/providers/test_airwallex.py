"""Airwallex: hookgate agrees with an HMAC computed here as Airwallex documents it
(`x-timestamp` + body, hex; Airwallex publishes no Python SDK), both ways."""

from __future__ import annotations

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

SECRET = "whsec_airwallex-0123"
BODY = b'{"id": "evt_hkdmr7v9rg1j58ky8re", "name": "payment_intent.succeeded", "data": {}}'


def headers_at(millis: int, body: bytes = BODY) -> dict[str, str]:
    digest = hmac_digest(SECRET, str(millis).encode() + body).hex()
    return {"x-timestamp": str(millis), "x-signature": digest}


def test_a_delivery_signed_as_documented_verifies_in_milliseconds() -> None:
    millis = now() * 1000 + 123

    assert verify("airwallex", request_for(headers_at(millis), BODY), SECRET).signed_at_s == (
        millis // 1000
    )


def test_a_changed_body_a_stale_time_or_seconds_for_milliseconds_is_refused() -> None:
    assert rejects("airwallex", request_for(headers_at(now() * 1000), BODY + b" "), SECRET)
    assert rejects("airwallex", request_for(headers_at((now() - 3600) * 1000), BODY), SECRET)
    assert rejects("airwallex", request_for(headers_at(now()), BODY), SECRET)


def test_hookgate_signs_as_airwallex_does() -> None:
    ours = sign("airwallex", SECRET, BODY)

    assert ours == headers_at(int(ours["x-timestamp"]))
    assert int(ours["x-timestamp"]) // 1000 in (now(), now() - 1)
