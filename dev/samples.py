"""Dev secrets and sample deliveries, signed the way each provider signs them."""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass

from hookgate import providers

#: The local stack's secrets (printed by `make run`). Local only: never deploy them.
DEV_SECRETS = {
    "stripe": "whsec_hookgate_local_dev_secret_stripe",
    "github": "hookgate-local-dev-secret-github",
}


@dataclass(frozen=True)
class Delivery:
    """A request as the provider would send it."""

    provider: str
    headers: dict[str, str]
    body: bytes
    delivery_id: str
    event_type: str


def sample(provider: str, *, secret: str | None = None, timestamp: int | None = None) -> Delivery:
    """A fresh, correctly signed sample delivery for `provider`."""
    secret = secret or DEV_SECRETS[provider]
    timestamp = int(time.time()) if timestamp is None else timestamp
    if provider == "stripe":
        delivery_id = f"evt_{secrets.token_hex(12)}"
        event_type = "payment_intent.succeeded"
        body = json.dumps(
            {
                "id": delivery_id,
                "object": "event",
                "api_version": "2024-06-20",
                "created": timestamp,
                "type": event_type,
                "livemode": False,
                "data": {"object": {"id": "pi_123", "object": "payment_intent", "amount": 2000}},
            },
            indent=2,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0"}
    elif provider == "github":
        delivery_id = str(uuid.uuid4())
        event_type = "push"
        body = json.dumps(
            {"ref": "refs/heads/main", "repository": {"full_name": "octo/hello"}, "commits": []}
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/abc123",
            "X-GitHub-Event": event_type,
            "X-GitHub-Delivery": delivery_id,
            "X-GitHub-Hook-ID": "123456",
        }
    else:
        raise ValueError(f"no sample for {provider}")
    headers.update(providers.get(provider).sign(secret, body, timestamp=timestamp))
    return Delivery(provider, headers, body, delivery_id, event_type)
