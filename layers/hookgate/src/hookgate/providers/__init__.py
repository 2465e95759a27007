"""The provider registry: each provider is one module with a `PROVIDER` definition."""

from __future__ import annotations

import importlib
import pkgutil

from hookgate.errors import ConfigurationError
from hookgate.providers.base import Provider, Verification

__all__ = ["NAMES", "Provider", "Verification", "get"]

#: The provider kit's own modules; every other module here defines one provider.
_KIT = frozenset({"base", "certificates", "schemes", "standard"})
#: Every supported provider, found by module (adding one is adding its module). The name is a
#: public contract: function folder, route, event `Source`.
NAMES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _KIT))


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
