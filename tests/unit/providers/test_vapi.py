"""Vapi: hookgate agrees with an HMAC computed here as Vapi's `HMACAuthenticationPlan` defines it
with its defaults (`x-signature` = hex HMAC-SHA256 of `"{timestamp}.{body}"`, the time in
`x-timestamp`), both ways. Neither Vapi SDK verifies webhooks and Vapi publishes no signed
example; it leaves the time's unit unsaid, so both seconds and milliseconds are checked."""

from __future__ import annotations

import json

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

SECRET_KEY = "vapi-hmac-credential-secret-0123"
BODY = json.dumps(
    {
        "message": {
            "type": "status-update",
            "status": "in-progress",
            "timestamp": 1767225600123,
            "call": {"id": "8a3b7f0e-3c1d-4f5e-9a2b-6c7d8e9f0a1b"},
        }
    }
).encode()


def headers_at(timestamp: str, body: bytes = BODY) -> dict[str, str]:
    digest = hmac_digest(SECRET_KEY, f"{timestamp}.".encode() + body).hex()
    return {"x-signature": digest, "x-timestamp": timestamp}


def test_a_delivery_signed_as_the_plan_defines_verifies_in_seconds_or_milliseconds() -> None:
    sent_at = now()
    for timestamp in (str(sent_at), str(sent_at * 1000 + 999)):
        request = request_for(headers_at(timestamp), BODY)
        assert verify("vapi", request, SECRET_KEY).signed_at_s == sent_at


def test_a_changed_body_or_time_or_a_stale_time_is_refused() -> None:
    signed = headers_at(str(now()))

    assert rejects("vapi", request_for(signed, BODY + b" "), SECRET_KEY)
    assert rejects("vapi", request_for({**signed, "x-timestamp": str(now() + 1)}, BODY), SECRET_KEY)
    assert rejects("vapi", request_for(headers_at(str(now() - 3600)), BODY), SECRET_KEY)
    assert rejects("vapi", request_for(headers_at(str((now() + 3600) * 1000)), BODY), SECRET_KEY)


def test_other_settings_of_the_plan_are_refused() -> None:
    timestamp = str(now())
    body_only = {"x-signature": hmac_digest(SECRET_KEY, BODY).hex()}  # includeTimestamp false
    prefixed = {
        **headers_at(timestamp),
        "x-signature": "sha256=" + headers_at(timestamp)["x-signature"],
    }
    sha512 = {
        **headers_at(timestamp),
        "x-signature": hmac_digest(SECRET_KEY, f"{timestamp}.".encode() + BODY, "sha512").hex(),
    }
    legacy = {"x-vapi-signature": SECRET_KEY, "x-vapi-secret": SECRET_KEY}

    for headers in (body_only, {**body_only, "x-timestamp": timestamp}, prefixed, sha512, legacy):
        assert rejects("vapi", request_for(headers, BODY), SECRET_KEY)


def test_hookgate_signs_as_vapi_does() -> None:
    ours = sign("vapi", SECRET_KEY, BODY)

    assert ours == headers_at(ours["x-timestamp"])
    assert abs(int(ours["x-timestamp"]) // 1000 - now()) <= 1
