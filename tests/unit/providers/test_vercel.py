"""Vercel: hookgate agrees with an HMAC-SHA1 computed here as Vercel documents it (Vercel's
SDK has no webhook verifier), both ways."""

from __future__ import annotations

from tests.support.oracles import hmac_digest, rejects, request_for, sign, verify

SECRET = "vercel-webhook-secret-0123"
BODY = b'{"id": "uev_2Yy9", "type": "deployment.created", "createdAt": 1767225600000}'
HEADERS = {"x-vercel-signature": hmac_digest(SECRET, BODY, "sha1").hex()}


def test_a_delivery_signed_as_documented_verifies() -> None:
    assert verify("vercel", request_for(HEADERS, BODY), SECRET).scheme == "hmac-sha1"


def test_a_changed_body_or_a_sha256_signature_is_refused() -> None:
    sha256 = {"x-vercel-signature": hmac_digest(SECRET, BODY).hex()}

    assert rejects("vercel", request_for(HEADERS, BODY.replace(b"2Yy9", b"2Yy8")), SECRET)
    assert rejects("vercel", request_for(sha256, BODY), SECRET)


def test_hookgate_signs_as_vercel_does() -> None:
    assert sign("vercel", SECRET, BODY) == HEADERS
