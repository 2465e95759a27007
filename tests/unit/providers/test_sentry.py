"""Sentry: hookgate agrees with an HMAC computed here as Sentry's server builds it (hex
HMAC-SHA256 of the compact JSON body with the client secret), both ways."""

from __future__ import annotations

import json

from hookgate import providers
from tests.support.oracles import hmac_digest, rejects, request_for, sign, verify

SECRET = "sentry-client-secret-0123"
BODY = json.dumps(
    {"action": "created", "data": {"issue": {"id": "1117"}}}, separators=(",", ":")
).encode()
HEADERS = {
    "Sentry-Hook-Signature": hmac_digest(SECRET, BODY).hex(),
    "Sentry-Hook-Resource": "issue",
    "Request-ID": "0c0a8d5e2f3a4f2b9f8a7f3f0b1c2d3e",
}


def test_a_delivery_signed_as_sentry_signs_verifies_and_a_changed_one_does_not() -> None:
    assert verify("sentry", request_for(HEADERS, BODY), SECRET).key_index == 0
    assert rejects("sentry", request_for(HEADERS, BODY.replace(b"1117", b"1118")), SECRET)


def test_the_event_type_header_is_read_but_marked_unsigned() -> None:
    definition = providers.get("sentry")

    assert definition.event_type(request_for(HEADERS, BODY), {}) == "issue"
    assert "event_type" in definition.unsigned_fields
    assert {"request-id", "sentry-hook-resource"} <= definition.unsigned_headers


def test_hookgate_signs_as_sentry_does() -> None:
    ours = sign("sentry", SECRET, BODY)

    assert ours["Sentry-Hook-Signature"] == HEADERS["Sentry-Hook-Signature"]
