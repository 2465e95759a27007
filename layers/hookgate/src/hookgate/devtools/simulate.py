"""Genuine-looking test deliveries: what a provider would send, signed with a given secret.

Used by the `hookgate` CLI and the local stack; the deployed functions never import it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from functools import cache

from hookgate import providers
from hookgate.devtools.lambda_events import rest_event
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request

__all__ = [
    "TestDelivery",
    "local_dev_secret",
    "make_delivery",
    "stored_dev_secret",
]


def _paypal_signer() -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return json.dumps(
        {
            "private_key": pem,
            "cert_url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-hookgate-local",
            "webhook_id": "WH-HOOKGATE-LOCAL",
        }
    )


@cache
def local_dev_secret(provider: str) -> str:
    """The signing side of `provider`'s local secret (`make run`): what `sign` is given. For
    shared secrets it is also the stored secret; for asymmetric schemes it is the private key,
    and the function's secret holds the public half (`Local.stored_secret`). Local only.

    Raises:
        ConfigurationError: unknown provider.
    """
    local = providers.get(provider).local
    if provider == "paypal":
        return _paypal_signer()
    return local.dev_secret or f"hookgate-local-dev-secret-{provider}"


def stored_dev_secret(provider: str) -> str:
    """What the local stack stores in Secrets Manager for `provider`."""
    return providers.get(provider).local.stored_secret(local_dev_secret(provider))


@dataclass(frozen=True)
class TestDelivery:
    """A request as the provider would send it, and the id and type hookgate will read from it."""

    __test__ = False  # not a pytest test class

    provider: str
    headers: dict[str, str]
    body: bytes = field(repr=False)
    delivery_id: str
    event_type: str


def make_delivery(
    provider: str,
    secret: str,
    *,
    body: bytes | None = None,
    event_type: str | None = None,
    timestamp: int | None = None,
    url: str = "https://localhost/",
    delivery_id: str | None = None,
) -> TestDelivery:
    """A delivery signed with `secret`; an example body when `body` is None.

    Raises:
        ConfigurationError: unknown provider.
    """
    definition = providers.get(provider)
    timestamp = int(time.time()) if timestamp is None else timestamp
    local = definition.local
    event_type = event_type or local.example_event_type
    delivery_id = delivery_id or str(uuid.uuid4())
    if body is None:
        body = local.example_body(
            delivery_id=delivery_id, event_type=event_type, timestamp=timestamp, secret=secret
        )
    headers = {
        "Content-Type": local.content_type,
        **local.sign(
            secret,
            body,
            timestamp=timestamp,
            delivery_id=delivery_id,
            event_type=event_type,
            url=url,
        ),
    }
    # Read the id and type back the way the function will, so what is reported is what counts.
    request = Request.from_event(rest_event("POST", url, headers.items(), body))
    parsed = body_fields(request, parse_payload(request))
    return TestDelivery(
        provider=provider,
        headers=headers,
        body=body,
        delivery_id=definition.replay_key(request, parsed),
        event_type=definition.event_type(request, parsed) or event_type,
    )
