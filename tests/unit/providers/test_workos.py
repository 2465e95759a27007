"""WorkOS against its official `workos` SDK (`client.webhooks.verify_header`, which only
verifies), and an HMAC computed here as the SDK checks it."""

from __future__ import annotations

import pytest
from workos import WorkOSClient

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

SECRET = "workos-webhook-secret-0123"
BODY = b'{"id": "event_01HQ", "event": "user.created", "data": {"object": "user"}}'


def sdk() -> WorkOSClient:
    # No request is made: verification is local, but the client wants credentials.
    return WorkOSClient(api_key="sk_test_x", client_id="client_x")


def header_at(millis: int, body: bytes = BODY) -> dict[str, str]:
    digest = hmac_digest(SECRET, f"{millis}.".encode() + body).hex()
    return {"WorkOS-Signature": f"t={millis}, v1={digest}"}


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    ours = sign("workos", SECRET, BODY)["WorkOS-Signature"]

    sdk().webhooks.verify_header(event_body=BODY, event_signature=ours, secret=SECRET)
    with pytest.raises(ValueError, match="does not match"):
        sdk().webhooks.verify_header(event_body=BODY + b" ", event_signature=ours, secret=SECRET)


def test_a_signature_made_as_the_sdk_checks_it_verifies_in_milliseconds() -> None:
    verification = verify("workos", request_for(header_at(now() * 1000), BODY), SECRET)

    assert verification.signed_at_s == now() or verification.signed_at_s == now() - 1


def test_stale_duplicated_or_reordered_headers_are_refused() -> None:
    stale = header_at((now() - 3600) * 1000)
    with pytest.raises(ValueError, match="tolerance"):
        sdk().webhooks.verify_header(
            event_body=BODY, event_signature=stale["WorkOS-Signature"], secret=SECRET
        )
    assert rejects("workos", request_for(stale, BODY), SECRET)
    value = header_at(now() * 1000)["WorkOS-Signature"]
    t, v1 = value.split(", ")
    assert rejects("workos", request_for({"WorkOS-Signature": f"{v1}, {t}"}, BODY), SECRET)
    assert rejects("workos", request_for({"WorkOS-Signature": f"t=1, {value}"}, BODY), SECRET)
