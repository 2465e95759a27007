"""Helpers for the SDK-oracle tests in tests/unit/providers: requests as each provider sends
them, hookgate's verifier and signer called as the handler calls them, and an independent HMAC
for providers that publish no Python SDK."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.material import SecretMaterial
from hookgate.providers.base import Verification
from hookgate.request import Request
from tests.support import shapes

#: The secret of the Standard Webhooks published example (Svix uses the same format).
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def now() -> int:
    """Now, when the test runs (the SDKs check the time themselves)."""
    return int(time.time())


def request_for(
    headers: dict[str, str] | list[tuple[str, str]],
    body: bytes,
    *,
    url: str = "",
    method: str = "POST",
) -> Request:
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    public_url, _, query = url.partition("?")
    event = shapes.rest_v1(
        method=method,
        headers=pairs,
        body=body,
        query=[tuple(p.split("=", 1)) for p in query.split("&")] if query else [],  # type: ignore[misc]
    )
    return Request.from_event(event, public_url=public_url or None)


def verify(
    provider: str, request: Request, stored: str, *, at: float | None = None
) -> Verification:
    material = SecretMaterial.parse(stored)
    return providers.get(provider).verify(
        request, material, now_s=now() if at is None else at, tolerance_s=300
    )


def sign(
    provider: str, secret: str, body: bytes, *, url: str = "", delivery_id: str = "d-1"
) -> dict[str, str]:
    return providers.get(provider).local.sign(
        secret, body, timestamp=now(), delivery_id=delivery_id, event_type="e", url=url
    )


def rejects(provider: str, request: Request, stored: str) -> bool:
    try:
        verify(provider, request, stored)
    except Unauthorized:
        return True
    return False


def hmac_digest(key: str, message: bytes, algorithm: str = "sha256") -> bytes:
    """An HMAC computed here, independently of hookgate, as the provider documents it."""
    return hmac.new(key.encode(), message, getattr(hashlib, algorithm)).digest()


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()
