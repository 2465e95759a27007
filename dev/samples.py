"""Dev secrets and sample deliveries for the local stack."""

from __future__ import annotations

from hookgate.simulate import LOCAL_DEV_SECRETS, TestDelivery, make_delivery

#: The local stack's secrets (printed by `make run`). Local only: never deploy them.
DEV_SECRETS = LOCAL_DEV_SECRETS


def sample(
    provider: str, *, secret: str | None = None, timestamp: int | None = None
) -> TestDelivery:
    """A fresh, correctly signed example delivery for `provider`."""
    return make_delivery(provider, secret or DEV_SECRETS[provider], timestamp=timestamp)
