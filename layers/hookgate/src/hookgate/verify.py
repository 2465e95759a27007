"""One call that verifies a delivery anywhere: no Lambda event, no AWS.

For a web app receiving webhooks itself, a queue consumer checking a stored delivery again, or
the CLI's `verify`. It judges exactly as the deployed function does, without the replay guard,
the handshakes and the publishing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hookgate import providers
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request

__all__ = ["DEFAULT_EVENT_TYPE", "Verified", "verify"]

#: The event type of a delivery whose provider names none.
DEFAULT_EVENT_TYPE = "webhook"


@dataclass(frozen=True, slots=True)
class Verified:
    """What proved a delivery genuine, and what hookgate reads from it."""

    provider: str
    #: The scheme that verified ("hmac-sha256", "ed25519", ...).
    scheme: str
    #: Which of the secret's signing secrets (or public keys) verified, newest first from 0.
    key_index: int
    #: The signed time, for schemes that sign one.
    signed_at: datetime | None
    #: The replay key: the provider's id where the signature covers it, else a digest of
    #: the signed content (what the deployed function publishes as `detail.delivery_id`).
    delivery_id: str
    event_type: str
    #: What was read from material the signature does not cover (`event_type`, `payload`).
    unsigned: tuple[str, ...]


def verify(
    provider: str,
    *,
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    secret: str,
    url: str | None = None,
    method: str = "POST",
    now: float | None = None,
    tolerance_s: int = 300,
    environ: Mapping[str, str] | None = None,
) -> Verified:
    """Verify one delivery of `provider` the way its deployed function would.

    Args:
        body: the body exactly as received (text is encoded as UTF-8).
        headers: the request's headers (names in any case; pairs for repeated headers).
        secret: the Secrets Manager value: a plain secret or the JSON format, rotation lists
            included.
        url: the URL the provider called; URL-signing providers (Twilio, Square) sign it, and
            need it. Others ignore it.
        now: judge timestamps as of this Unix time (default: now).
        environ: settings of a configurable provider (the generic provider's
            `HOOKGATE_GENERIC_*`).

    Raises:
        ConfigurationError: unknown provider, or a malformed secret.
        MissingSignature, BadSignature, StaleTimestamp (all `Unauthorized`): not genuine.
        BadRequest: the request cannot be read.
    """
    definition = providers.get(provider).configured(environ or {})
    request = Request.of(
        method,
        url or "https://localhost/",
        headers,
        body.encode() if isinstance(body, str) else body,
    )
    verification = definition.verify(
        request,
        SecretMaterial.parse(secret),
        now_s=time.time() if now is None else now,
        tolerance_s=tolerance_s,
    )
    parsed = body_fields(request, parse_payload(request, json_body=definition.json_body))
    return Verified(
        provider=definition.name,
        scheme=verification.scheme,
        key_index=verification.key_index,
        signed_at=verification.signed_at,
        delivery_id=definition.replay_key(request, parsed),
        event_type=definition.event_type(request, parsed) or DEFAULT_EVENT_TYPE,
        unsigned=(
            *definition.unsigned_fields,
            *(f"headers.{h}" for h in sorted(definition.unsigned_headers) if h in request.headers),
        ),
    )
