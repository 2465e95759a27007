"""Linear: hookgate agrees with an HMAC computed here as Linear documents it (Linear publishes
no Python verifier), and refuses a body whose signed `webhookTimestamp` is stale or absent."""

from __future__ import annotations

import json

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

SECRET = "lin_wh_0123456789"


def body_at(millis: int | None) -> bytes:
    event: dict[str, object] = {"action": "create", "type": "Issue", "data": {"id": "i1"}}
    if millis is not None:
        event["webhookTimestamp"] = millis
    return json.dumps(event).encode()


def headers_for(body: bytes) -> dict[str, str]:
    return {"Linear-Signature": hmac_digest(SECRET, body).hex()}


def test_a_fresh_delivery_signed_as_documented_verifies() -> None:
    sent_at = now()
    body = body_at(sent_at * 1000 + 999)

    assert verify("linear", request_for(headers_for(body), body), SECRET).signed_at_s == sent_at


def test_a_stale_or_missing_signed_timestamp_is_refused() -> None:
    for body in (body_at((now() - 3600) * 1000), body_at(None), body_at(now() * 1000)[:-1]):
        assert rejects("linear", request_for(headers_for(body), body), SECRET)


def test_a_changed_body_or_uppercase_hex_is_refused() -> None:
    body = body_at(now() * 1000)
    upper = {"Linear-Signature": headers_for(body)["Linear-Signature"].upper()}

    assert rejects("linear", request_for(headers_for(body), body + b" "), SECRET)
    assert rejects("linear", request_for(upper, body), SECRET)


def test_hookgate_signs_as_linear_does() -> None:
    body = body_at(now() * 1000)

    assert sign("linear", SECRET, body) == headers_for(body)
