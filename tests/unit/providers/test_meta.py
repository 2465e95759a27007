"""Meta against an independent HMAC from its documentation."""

from __future__ import annotations

from tests.support.oracles import hmac_digest, rejects, request_for


def test_github_style_hex_is_compared_exactly() -> None:
    # Meta, like GitHub's libraries: upper-case hex or a missing prefix does not verify.
    secret, body = "meta-secret", b"{}"
    digest = hmac_digest(secret, body).hex()
    for header in (digest, "sha256=" + digest.upper()):
        assert rejects("meta", request_for({"X-Hub-Signature-256": header}, body), secret)
