"""The provider's secret(s), from Secrets Manager, cached in memory for a bounded time: the
bare route's, and each account's (`<account prefix>/<account>`), read the first time it is
seen."""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from hookgate.errors import ConfigurationError, DownstreamError, UnknownAccount
from hookgate.material import SecretMaterial

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

__all__ = ["AccountSecrets", "SecretMissing", "SecretStore"]

_T = TypeVar("_T")


class SecretMissing(DownstreamError):
    """Secrets Manager has no such secret. For the bare route's secret (which the stack
    creates) it stays a 503, so the provider retries while an operator looks; for an account
    it means the account does not exist."""


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
        provider: SecretsProvider | None = None,
        max_age_s: int = 300,
        refresh_cooldown_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`provider`: a Powertools provider shared with other stores (each new one registers
        a handler on its client for good), else one of its own for `client`."""
        self._secret_id = secret_id
        self._provider = provider or SecretsProvider(boto3_client=client)
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
            if _is_not_found(exc):
                raise SecretMissing() from exc
            raise DownstreamError() from exc
        existing = SecretMaterial.parse(current.get("SecretString", ""))
        if existing.signing_secrets:
            # Forget the cached value: deliveries signed with this one may follow at once.
            self.forget()
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
        self.forget()
        self._raw, self._material = value, material
        return True

    def forget(self) -> None:
        """Drop this secret's value from the provider's cache (others' stay)."""
        cache = self._provider.store
        for key in [key for key in cache if key[0] == self._secret_id]:
            cache.pop(key, None)

    def _read(self, *, force: bool) -> SecretMaterial:
        if self._raw is None:
            # The first read is as fresh as a forced one: a miss right after it re-reads nothing.
            self._last_forced_at = self._clock()
        try:
            raw = self._provider.get(self._secret_id, max_age=self._max_age_s, force_fetch=force)
        except GetParameterError as exc:
            # Powertools re-raises every SDK error as GetParameterError; the SDK's own error is
            # the one it was raised while handling.
            if _is_not_found(exc.__context__):
                raise SecretMissing() from exc
            raise DownstreamError() from exc
        if not isinstance(raw, str):
            raise ConfigurationError("the secret must be a SecretString")
        if raw != self._raw or self._material is None:
            self._material = SecretMaterial.parse(raw)
            self._raw = raw
        return self._material


#: No such secret; one scheduled for deletion (`hookgate account remove`), which Secrets
#: Manager refuses to read with an InvalidRequestException; or one the function may not read
#: (IAM answers AccessDenied for a name outside its own prefix).
_MISSING_CODES = frozenset(
    {"ResourceNotFoundException", "InvalidRequestException", "AccessDeniedException"}
)


def _is_not_found(error: BaseException | None) -> bool:
    if not isinstance(error, ClientError):
        return False
    return error.response.get("Error", {}).get("Code") in _MISSING_CODES


class AccountSecrets:
    """The bare route's secret and every account's, each a `SecretStore` of its own.

    An account's secret is `<account_prefix>/<account>`, read the first time the account is
    seen (one `GetSecretValue`) and then kept like the bare route's, in an LRU of at most
    `capacity` accounts. An account without a secret is `UnknownAccount`.

    Made-up names must not become Secrets Manager calls, nor keep genuine accounts out:

    - a name found to have no secret is refused without a call for `unknown_for_s`;
    - after such a name, or a lookup that failed, other names not in the LRU are looked up
      for `unknown_for_s` only if the index holds them: a listing of the provider's account
      secrets (`ListSecrets`), renewed at most once per `index_max_age_s`, a page at a time
      across requests (a listing cut short by a request's deadline goes on with the next);
    - forced re-reads after a miss are at most one per `refresh_interval_s` across accounts,
      besides each store's own cooldown.

    A flood of random names thus costs one `GetSecretValue` per `unknown_for_s` and one listing
    per `index_max_age_s`, while every existing account is served; an account created during
    the flood is served once the listing names it.
    """

    def __init__(
        self,
        secret_id: str,
        *,
        account_prefix: str | None,
        client: SecretsManagerClient,
        max_age_s: int = 300,
        capacity: int,
        unknown_for_s: float,
        index_max_age_s: float,
        refresh_interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._prefix = account_prefix
        self._max_age_s = max_age_s
        self._capacity = capacity
        self._unknown_for_s = unknown_for_s
        self._refresh_interval_s = refresh_interval_s
        self._clock = clock
        # One Powertools provider for every store: a provider per store would register one
        # more handler on the client per account, never removed.
        self._provider = SecretsProvider(boto3_client=client)
        self._default = self._store(secret_id)
        self._accounts: OrderedDict[str, SecretStore] = OrderedDict()
        #: Names found to have no secret, until when they are refused without a call.
        self._missing: OrderedDict[str, float] = OrderedDict()
        self._paused_until = -math.inf
        self._next_refresh_at = -math.inf
        self._index = _AccountIndex(client, f"{account_prefix}/", max_age_s=index_max_age_s)

    def _store(self, secret_id: str) -> SecretStore:
        return SecretStore(
            secret_id, provider=self._provider, max_age_s=self._max_age_s, clock=self._clock
        )

    def current(self, account: str | None) -> SecretMaterial:
        """The secret of `account` (None: the bare route's).

        Raises:
            UnknownAccount: the account has no secret.
            DownstreamError: Secrets Manager could not be read.
            ConfigurationError: the secret value is malformed.
        """
        if account is None:
            return self._default.current()
        cached = self._accounts.get(account)
        if cached is not None:
            self._accounts.move_to_end(account)
            return self._guarded(account, cached.current)
        if self._prefix is None:
            raise UnknownAccount()  # accounts are not configured (HOOKGATE_ACCOUNT_SECRETS)
        now = self._clock()
        if self._missing.get(account, -math.inf) > now:
            raise UnknownAccount()
        if now < self._paused_until and account not in self._index.names(now):
            raise UnknownAccount()
        store = self._store(f"{self._prefix}/{account}")
        try:
            material = self._guarded(account, store.current)
        except DownstreamError:
            # Throttled or unreachable: made-up names must not go on costing a call each.
            self._paused_until = self._clock() + self._unknown_for_s
            raise
        except ConfigurationError:
            self._keep(account, store)  # the value read is cached: no call per request
            raise
        self._keep(account, store)
        return material

    def _keep(self, account: str, store: SecretStore) -> None:
        self._accounts[account] = store
        self._accounts.move_to_end(account)
        if len(self._accounts) > self._capacity:
            _, evicted = self._accounts.popitem(last=False)
            evicted.forget()

    def refreshed(self, account: str | None) -> SecretMaterial | None:
        """A fresh read of a known secret after a miss (see `SecretStore.refreshed`)."""
        store = self._known(account)
        if store is None:
            return None
        if account is not None:
            now = self._clock()
            if now < self._next_refresh_at:
                return None
            self._next_refresh_at = now + self._refresh_interval_s
        return self._guarded(account, store.refreshed)

    def store_first(self, account: str | None, value: str) -> bool:
        """`SecretStore.store_first` for a known account's secret (or the bare route's).

        Raises:
            UnknownAccount: the account has no secret.
            DownstreamError: Secrets Manager could not be read or written.
        """
        store = self._known(account)
        if store is None:
            self.current(account)  # raises UnknownAccount, or makes the account known
            store = self._known(account)
        assert store is not None
        return self._guarded(account, lambda: store.store_first(value))

    def _known(self, account: str | None) -> SecretStore | None:
        return self._default if account is None else self._accounts.get(account)

    def _guarded(self, account: str | None, read: Callable[[], _T]) -> _T:
        if account is None:
            return read()
        try:
            return read()
        except SecretMissing:
            # Never there, or deleted since (`hookgate account remove`).
            if (gone := self._accounts.pop(account, None)) is not None:
                gone.forget()
            self._paused_until = self._clock() + self._unknown_for_s
            self._missing[account] = self._paused_until
            self._missing.move_to_end(account)
            if len(self._missing) > self._capacity:
                self._missing.popitem(last=False)
            raise UnknownAccount() from None


class _AccountIndex:
    """The names of a provider's accounts, from `ListSecrets` on their name prefix.

    Listed a page at a time as requests ask, so that a listing too long for one request's
    deadline goes on with the next; the names listed so far count at once. A failed page is
    tried again after `retry_after_s`. A failure never reaches the request: an unlisted name
    is refused like any unknown one (a 401, never a 5xx for a request nobody authenticated).
    """

    def __init__(
        self, client: Any, prefix: str, *, max_age_s: float, retry_after_s: float = 1.0
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._max_age_s = max_age_s
        self._retry_after_s = retry_after_s
        self._listed: frozenset[str] = frozenset()
        self._listed_at = -math.inf
        #: A listing under way: the names so far and the token of the next page.
        self._partial: set[str] | None = None
        self._next_token: str | None = None
        self._next_try_at = -math.inf

    def names(self, now: float) -> frozenset[str] | set[str]:
        if self._partial is None and now - self._listed_at < self._max_age_s:
            return self._listed
        if now < self._next_try_at:
            return self._listed | (self._partial or set())
        if self._partial is None:
            self._partial, self._next_token = set(), None
        try:
            while True:
                page = self._client.list_secrets(
                    Filters=[{"Key": "name", "Values": [self._prefix]}],
                    MaxResults=100,
                    **({"NextToken": self._next_token} if self._next_token else {}),
                )
                for entry in page.get("SecretList", []):
                    name = entry.get("Name", "")
                    if name.startswith(self._prefix) and "DeletedDate" not in entry:
                        self._partial.add(name.removeprefix(self._prefix))
                self._next_token = page.get("NextToken")
                if not self._next_token:
                    break
        except (BotoCoreError, ClientError, DownstreamError) as exc:
            self._next_try_at = now + self._retry_after_s
            if isinstance(exc, ClientError):
                self._next_token = None  # a refused token: start over, keeping the names
            return self._listed | self._partial
        self._listed, self._listed_at = frozenset(self._partial), now
        self._partial = None
        return self._listed
