"""Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): see `standard`."""

from __future__ import annotations

from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "standardwebhooks",
    "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
    [STANDARD],
)
