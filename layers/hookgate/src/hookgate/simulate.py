"""Genuine-looking test deliveries: what a provider would send, signed with a given secret.

Used by the `hookgate` CLI and the local stack; the deployed functions never import it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from hookgate import providers
from hookgate.lambda_events import rest_event
from hookgate.payload import parse_payload
from hookgate.request import Request

__all__ = ["LOCAL_DEV_SECRETS", "TestDelivery", "make_delivery"]

#: The secrets of the local stack (`make run`): local only, never deploy them.
LOCAL_DEV_SECRETS = {
    "stripe": "whsec_hookgate_local_dev_secret_stripe",
    "github": "hookgate-local-dev-secret-github",
}


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
) -> TestDelivery:
    """A delivery signed with `secret`; an example body when `body` is None.

    Raises:
        ConfigurationError: unknown provider.
    """
    definition = providers.get(provider)
    timestamp = int(time.time()) if timestamp is None else timestamp
    event_type = event_type or definition.example_event_type
    delivery_id = str(uuid.uuid4())
    if body is None:
        body = definition.example_body(
            delivery_id=delivery_id, event_type=event_type, timestamp=timestamp
        )
    headers = {
        "Content-Type": definition.content_type,
        **definition.sign(
            secret, body, timestamp=timestamp, delivery_id=delivery_id, event_type=event_type
        ),
    }
    # Read the id and type back the way the function will, so what is reported is what counts.
    request = Request.from_event(rest_event("POST", "https://localhost/", headers.items(), body))
    parsed = parse_payload(request).json
    return TestDelivery(
        provider=provider,
        headers=headers,
        body=body,
        delivery_id=definition.delivery_id(request, parsed) or delivery_id,
        event_type=definition.event_type(request, parsed) or event_type,
    )
