"""The provider's secret(s), from Secrets Manager, cached in memory for a bounded time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from hookgate.errors import ConfigurationError, DownstreamError
from hookgate.material import SecretMaterial

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["SecretStore"]

#: Names the version a handshake's secret is stored as, derived from the version it replaces.
_FIRST_SECRET_NAMESPACE = uuid.UUID("6f0b7f0e-3c1d-4b8a-9d3e-2a1f4c5b6d7e")


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
