"""The provider registry: each provider is one small module with a `PROVIDER` definition."""

from __future__ import annotations

import importlib

from hookgate.errors import ConfigurationError
from hookgate.providers.base import Provider, Verification

__all__ = ["NAMES", "Provider", "Verification", "get"]

#: Every supported provider; the name is a public contract (function folder, route, `Source`).
NAMES = (
    "asana",
    "discord",
    "dropbox",
    "generic",
    "github",
    "gitlab",
    "meta",
    "msgraph",
    "okta",
    "paypal",
    "sendgrid",
    "shopify",
    "slack",
    "square",
    "standardwebhooks",
    "stripe",
    "svix",
    "twilio",
    "twitch",
    "twitter",
    "zoom",
)


def get(name: str) -> Provider:
    """The definition of provider `name` (imported on demand, so a function loads only its own).

    Raises:
        ConfigurationError: no such provider.
    """
    if name not in NAMES:
        raise ConfigurationError(f"unknown provider {name!r}")
    module = importlib.import_module(f"hookgate.providers.{name}")
    provider: Provider = module.PROVIDER
    return provider
