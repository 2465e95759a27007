"""Shopify against an independent HMAC from its documentation."""

from __future__ import annotations

from tests.support.oracles import b64, hmac_digest, rejects, request_for, verify


def test_shopify_new_header_style_wins_like_its_library() -> None:
    secret, body = "shopify-secret", b'{"id":1}'
    good = b64(hmac_digest(secret, body))
    headers = [("shopify-hmac-sha256", good), ("X-Shopify-Hmac-Sha256", "bad")]

    assert verify("shopify", request_for(headers, body), secret)
    assert rejects(
        "shopify",
        request_for(
            list(reversed([("shopify-hmac-sha256", "bad"), ("X-Shopify-Hmac-Sha256", good)])), body
        ),
        secret,
    )
