"""Providers without a Python SDK: an independent HMAC (or token) written here from each
provider's documentation is the oracle. Shopify's and Meta's other tests are in their own files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.oracles import b64, hmac_digest, now, rejects, request_for, sign, verify

INDEPENDENT: dict[str, Any] = {
    # provider: (headers the provider sends, given secret, body and now)
    "shopify": lambda s, b: {"X-Shopify-Hmac-Sha256": b64(hmac_digest(s, b))},
    "meta": lambda s, b: {"X-Hub-Signature-256": "sha256=" + hmac_digest(s, b).hex()},
    "dropbox": lambda s, b: {"X-Dropbox-Signature": hmac_digest(s, b).hex()},
    "asana": lambda s, b: {"X-Hook-Signature": hmac_digest(s, b).hex()},
    "twitter": lambda s, b: {"x-twitter-webhooks-signature": "sha256=" + b64(hmac_digest(s, b))},
    "zoom": lambda s, b: {
        "x-zm-request-timestamp": str(now()),
        "x-zm-signature": "v0=" + hmac_digest(s, f"v0:{now()}:".encode() + b).hex(),
    },
    "twitch": lambda s, b: {
        "Twitch-Eventsub-Message-Id": "m-1",
        "Twitch-Eventsub-Message-Timestamp": _rfc3339_nanos(now()),
        "Twitch-Eventsub-Message-Signature": "sha256="
        + hmac_digest(s, b"m-1" + _rfc3339_nanos(now()).encode() + b).hex(),
    },
    "gitlab": lambda s, b: {"X-Gitlab-Token": s},
    "okta": lambda s, b: {"Authorization": s},
}


def _rfc3339_nanos(unix: int) -> str:
    # Twitch sends nanoseconds, which Python's datetime cannot represent.
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")


@pytest.mark.parametrize("provider", sorted(INDEPENDENT))
def test_independent_hmac_accepted_and_ours_equal_to_it(provider: str) -> None:
    secret, body = f"{provider}-secret-0123456789", b'{"object":"page","events":[],"n":1}'
    headers = INDEPENDENT[provider](secret, body)
    ours = sign(provider, secret, body, delivery_id="m-1")

    assert verify(provider, request_for(headers, body), secret).key_index == 0
    if provider == "twitch":  # ours sends microseconds: the independent HMAC over our time
        sent_at = ours["Twitch-Eventsub-Message-Timestamp"]
        expected = "sha256=" + hmac_digest(secret, b"m-1" + sent_at.encode() + body).hex()
        assert ours["Twitch-Eventsub-Message-Signature"] == expected
    else:
        assert {name: ours.get(name) for name in headers} == headers
    assert rejects(provider, request_for(headers, body), "another-secret-0123456789")
