"""The provider's secret(s), from Secrets Manager, cached in memory for a bounded time."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from hookgate.errors import ConfigurationError, DownstreamError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["SecretMaterial", "SecretStore"]

# Fields of the JSON secret format (DESIGN.md "Secret value"); anything else is kept in `extra`.
_KNOWN_FIELDS = ("signing_secrets", "verify_token", "public_key", "webhook_id", "notification_url")
_LIST_FIELDS = ("signing_secrets", "public_key")
#: Names the version a handshake's secret is stored as, derived from the version it replaces.
_FIRST_SECRET_NAMESPACE = uuid.UUID("6f0b7f0e-3c1d-4b8a-9d3e-2a1f4c5b6d7e")


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


class SecretStore:
    """Reads one secret through Powertools Parameters, cached for `max_age_s`.

    `refreshed()` re-reads it ahead of time when a signature did not verify, so a rotation
    takes effect warm. Forced re-reads are at most one per `refresh_cooldown_s`: otherwise every
    forged request would cost a Secrets Manager call.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        client: SecretsManagerClient | None = None,
        max_age_s: int = 300,
        refresh_cooldown_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._secret_id = secret_id
        self._provider = SecretsProvider(boto3_client=client)
        self._client = self._provider.client
        self._max_age_s = max_age_s
        self._refresh_cooldown_s = refresh_cooldown_s
        self._clock = clock
        self._last_forced_at: float | None = None
        self._raw: str | None = None
        self._material: SecretMaterial | None = None

    def current(self) -> SecretMaterial:
        """The cached secret, read again once it is older than `max_age_s`.

        Raises:
            DownstreamError: Secrets Manager could not be read (the provider must retry).
            ConfigurationError: the secret value is malformed.
        """
        return self._read(force=False)

    def refreshed(self) -> SecretMaterial | None:
        """A fresh read when the cooldown allows and the value changed; else None."""
        now = self._clock()
        if (
            self._last_forced_at is not None
            and now - self._last_forced_at < self._refresh_cooldown_s
        ):
            return None
        self._last_forced_at = now
        before = self._raw
        material = self._read(force=True)
        return None if self._raw == before else material

    def store_first(self, value: str) -> bool:
        """Store `value` (a secret a handshake delivered) only if the secret holds no signing
        secret yet, across every instance of the function; whether `value` is the secret now.

        A cached "awaiting" value proves nothing (another instance may have stored the genuine
        secret since), so the secret is read again first. Secrets Manager has no compare-and-
        set, but a version id can be created only once: each instance names the new version
        after the awaiting version it read, so of two concurrent handshakes only the first
        one's secret is ever stored; the other's write fails (`ResourceExistsException`). A
        provider repeating the same handshake stores the same value again, which is allowed.

        Raises:
            DownstreamError: Secrets Manager could not be read or written (retry).
        """
        material = SecretMaterial.parse(value)
        try:
            current = self._client.get_secret_value(SecretId=self._secret_id)
        except (BotoCoreError, ClientError) as exc:
            raise DownstreamError() from exc
        existing = SecretMaterial.parse(current.get("SecretString", ""))
        if existing.signing_secrets:
            # Forget the cached value: deliveries signed with this one may follow at once.
            self._provider.clear_cache()  # type: ignore[no-untyped-call]
            return existing.signing_secrets == material.signing_secrets
        version = uuid.uuid5(_FIRST_SECRET_NAMESPACE, str(current["VersionId"]))
        try:
            self._client.put_secret_value(
                SecretId=self._secret_id, SecretString=value, ClientRequestToken=str(version)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceExistsException":
                return False  # another handshake stored its secret first
            raise DownstreamError() from exc
        except BotoCoreError as exc:
            raise DownstreamError() from exc
        self._provider.clear_cache()  # type: ignore[no-untyped-call]
        self._raw, self._material = value, material
        return True

    def _read(self, *, force: bool) -> SecretMaterial:
        try:
            raw = self._provider.get(self._secret_id, max_age=self._max_age_s, force_fetch=force)
        except GetParameterError as exc:
            raise DownstreamError() from exc
        if not isinstance(raw, str):
            raise ConfigurationError("the secret must be a SecretString")
        if raw != self._raw or self._material is None:
            self._material = SecretMaterial.parse(raw)
            self._raw = raw
        return self._material
