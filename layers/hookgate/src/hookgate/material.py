"""A provider's secret value as hookgate reads it: one plain secret or the JSON format."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hookgate.errors import ConfigurationError

__all__ = ["SecretMaterial"]

# Fields of the JSON secret format (DESIGN.md "Secret value"); anything else is kept in `extra`.
_KNOWN_FIELDS = ("signing_secrets", "verify_token", "public_key", "webhook_id", "notification_url")
_LIST_FIELDS = ("signing_secrets", "public_key")


@dataclass(frozen=True, slots=True)
class SecretMaterial:
    """A parsed secret value. `signing_secrets` is newest first; all are accepted."""

    signing_secrets: tuple[str, ...] = field(repr=False)
    verify_token: str | None = field(default=None, repr=False)
    #: Public keys of asymmetric schemes, newest first (JSON `public_key`: a string or a list).
    public_keys: tuple[str, ...] = ()
    webhook_id: str | None = None
    notification_url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    _keys: tuple[bytes, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Encoded once per secret read, not once per request.
        keys = tuple(s.encode("utf-8") for s in self.signing_secrets)
        object.__setattr__(self, "_keys", keys)

    @classmethod
    def parse(cls, value: str) -> SecretMaterial:
        """Parse a `SecretString`: one plain secret, or the JSON object of the contract.

        Raises:
            ConfigurationError: the value is empty, or JSON of the wrong shape.
        """
        text = value.strip()
        if not text:
            raise ConfigurationError("the secret is empty")
        if not text.startswith("{"):
            return cls(signing_secrets=(text,))
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigurationError("the secret is not valid JSON") from None
        secrets = data.get("signing_secrets", [])
        if isinstance(secrets, str):
            secrets = [secrets]
        if not isinstance(secrets, list) or not all(isinstance(s, str) and s for s in secrets):
            raise ConfigurationError("signing_secrets must be a list of non-empty strings")
        public_keys = data.get("public_key", [])
        if isinstance(public_keys, str):
            public_keys = [public_keys]
        if not isinstance(public_keys, list) or not all(
            isinstance(k, str) and k for k in public_keys
        ):
            raise ConfigurationError("public_key must be a string or a list of strings")
        optional = {name: data.get(name) for name in _KNOWN_FIELDS if name not in _LIST_FIELDS}
        if any(v is not None and not isinstance(v, str) for v in optional.values()):
            raise ConfigurationError("secret fields must be strings")
        return cls(
            signing_secrets=tuple(secrets),
            public_keys=tuple(public_keys),
            extra={k: v for k, v in data.items() if k not in _KNOWN_FIELDS},
            **optional,
        )

    def signing_keys(self) -> tuple[bytes, ...]:
        """The signing secrets as UTF-8 bytes, newest first.

        Raises:
            ConfigurationError: no signing secret is configured.
        """
        if not self._keys:
            raise ConfigurationError("no signing secret is configured")
        return self._keys

    def verification_keys(self) -> tuple[str, ...]:
        """The public keys of an asymmetric scheme, newest first; a plain-string secret counts
        as one public key.

        Raises:
            ConfigurationError: no public key is configured.
        """
        keys = self.public_keys or self.signing_secrets
        if not keys:
            raise ConfigurationError("no public key is configured")
        return keys
