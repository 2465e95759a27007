"""Dev secrets and sample deliveries for the local stack."""

from __future__ import annotations

from hookgate import providers
from hookgate.devtools.simulate import (
    TestDelivery,
    local_dev_secret,
    make_delivery,
    stored_dev_secret,
)

#: What signs the local stack's deliveries (printed by `make run`). Local only: never deploy.
DEV_SECRETS = {name: local_dev_secret(name) for name in providers.NAMES}
#: What the local stack's Secrets Manager holds (the public half, for asymmetric schemes).
STORED_DEV_SECRETS = {name: stored_dev_secret(name) for name in providers.NAMES}
#: The accounts `make run` creates (at `/webhooks/<provider>/<account>`, with the accounts' dev
#: secrets: `hookgate send stripe --account acme`).
DEMO_ACCOUNTS = {"stripe": ("acme", "globex")}


def sample(
    provider: str,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    url: str = "https://localhost/",
) -> TestDelivery:
    """A fresh, correctly signed example delivery for `provider`, sent to `url`."""
    return make_delivery(provider, secret or DEV_SECRETS[provider], timestamp=timestamp, url=url)
