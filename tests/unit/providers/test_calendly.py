"""Calendly: hookgate agrees with an HMAC computed here as Calendly documents it
(`t=<ts>,v1=<hex of HMAC("<t>." + body)>`; Calendly publishes no Python SDK), both ways."""

from __future__ import annotations

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

KEY = "calendly-signing-key-0123"
BODY = b'{"event": "invitee.created", "payload": {"uri": "https://api.calendly.com/x/1"}}'


def header_at(timestamp: int, body: bytes = BODY) -> dict[str, str]:
    digest = hmac_digest(KEY, f"{timestamp}.".encode() + body).hex()
    return {"Calendly-Webhook-Signature": f"t={timestamp},v1={digest}"}


def test_a_delivery_signed_as_documented_verifies() -> None:
    sent_at = now()

    assert verify("calendly", request_for(header_at(sent_at), BODY), KEY).signed_at_s == sent_at


def test_a_changed_body_or_a_stale_time_is_refused() -> None:
    assert rejects("calendly", request_for(header_at(now()), BODY + b" "), KEY)
    assert rejects("calendly", request_for(header_at(now() - 3600), BODY), KEY)


def test_hookgate_signs_as_calendly_does() -> None:
    ours = sign("calendly", KEY, BODY)
    signed_at = int(ours["Calendly-Webhook-Signature"].split(",")[0].removeprefix("t="))

    assert ours == header_at(signed_at)
