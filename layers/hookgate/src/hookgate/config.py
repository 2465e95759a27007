"""Per-function settings, read once per cold start from the environment set by template.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hookgate.errors import ConfigurationError

__all__ = [
    "ENV_ACCOUNT_CACHE_SIZE",
    "ENV_ACCOUNT_INDEX_SECONDS",
    "ENV_ACCOUNT_SECRETS",
    "ENV_ALLOWED_SOURCES",
    "ENV_EVENT_BUS",
    "ENV_MAX_BODY_BYTES",
    "ENV_MAX_EVENT_BYTES",
    "ENV_PAYLOAD_BUCKET",
    "ENV_PROVIDER",
    "ENV_PUBLIC_URL",
    "ENV_REPLAY_TABLE",
    "ENV_REPLAY_TTL_SECONDS",
    "ENV_SECRET_ID",
    "ENV_SECRET_MAX_AGE_SECONDS",
    "ENV_TOLERANCE_SECONDS",
    "ENV_UNKNOWN_ACCOUNT_SECONDS",
    "Settings",
]

ENV_PROVIDER = "HOOKGATE_PROVIDER"
ENV_SECRET_ID = "HOOKGATE_SECRET_ID"  # noqa: S105 (a variable name)
ENV_REPLAY_TABLE = "HOOKGATE_REPLAY_TABLE"
ENV_EVENT_BUS = "HOOKGATE_EVENT_BUS"
ENV_PAYLOAD_BUCKET = "HOOKGATE_PAYLOAD_BUCKET"
ENV_TOLERANCE_SECONDS = "HOOKGATE_TOLERANCE_SECONDS"
ENV_PUBLIC_URL = "HOOKGATE_PUBLIC_URL"
ENV_SECRET_MAX_AGE_SECONDS = "HOOKGATE_SECRET_MAX_AGE_SECONDS"  # noqa: S105
ENV_REPLAY_TTL_SECONDS = "HOOKGATE_REPLAY_TTL_SECONDS"
ENV_MAX_BODY_BYTES = "HOOKGATE_MAX_BODY_BYTES"
ENV_ACCOUNT_SECRETS = "HOOKGATE_ACCOUNT_SECRETS"
ENV_ACCOUNT_CACHE_SIZE = "HOOKGATE_ACCOUNT_CACHE_SIZE"
ENV_UNKNOWN_ACCOUNT_SECONDS = "HOOKGATE_UNKNOWN_ACCOUNT_SECONDS"
ENV_ACCOUNT_INDEX_SECONDS = "HOOKGATE_ACCOUNT_INDEX_SECONDS"
ENV_MAX_EVENT_BYTES = "HOOKGATE_MAX_EVENT_BYTES"
ENV_ALLOWED_SOURCES = "HOOKGATE_ALLOWED_SOURCES"

DEFAULT_TOLERANCE_S = 300
DEFAULT_SECRET_MAX_AGE_S = 300
# Longer than every supported provider's retry window (Stripe retries for up to 3 days).
DEFAULT_REPLAY_TTL_S = 7 * 24 * 3600
# API Gateway accepts 10 MB; Lambda's synchronous payload limit (6 MB, base64-inflated) is lower.
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
#: The largest event, as its targets receive it, published whole. EventBridge takes entries
#: "less than 1 MB" since January 2026 (256 KB before), without saying which megabyte; this is
#: under both. SQS messages and asynchronous Lambda payloads grew to 1 MiB with it. A larger
#: event goes to S3 and carries a reference instead.
DEFAULT_MAX_EVENT_BYTES = 1_000_000
#: Below this a claim-checked event, which carries no payload, might not fit either.
MIN_MAX_EVENT_BYTES = 4096
#: Accounts whose secrets one execution environment keeps (least recently used go first).
DEFAULT_ACCOUNT_CACHE_SIZE = 2048
#: After a made-up account name, names neither cached nor listed are refused this long...
DEFAULT_UNKNOWN_ACCOUNT_S = 10
#: ... and the listing of the provider's accounts that decides it is at most this old.
DEFAULT_ACCOUNT_INDEX_S = 60


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a function needs to know about its deployment."""

    provider: str
    secret_id: str
    replay_table: str
    event_bus: str
    payload_bucket: str | None = None
    public_url: str | None = None
    tolerance_s: int = DEFAULT_TOLERANCE_S
    secret_max_age_s: int = DEFAULT_SECRET_MAX_AGE_S
    replay_ttl_s: int = DEFAULT_REPLAY_TTL_S
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    #: The name prefix of the accounts' secrets (`<stack>/<provider>`); None: no accounts.
    account_secrets: str | None = None
    account_cache_size: int = DEFAULT_ACCOUNT_CACHE_SIZE
    unknown_account_s: int = DEFAULT_UNKNOWN_ACCOUNT_S
    account_index_s: int = DEFAULT_ACCOUNT_INDEX_S
    #: Where requests may come from: "any" (or unset), "published" or CIDRs (`hookgate.sources`).
    allowed_sources: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], *, provider: str | None = None) -> Settings:
        """Read settings; an explicit `provider` beats `HOOKGATE_PROVIDER`.

        Raises:
            ConfigurationError: a required variable is missing or a number is invalid.
        """
        name = provider or environ.get(ENV_PROVIDER, "")
        missing = [
            var
            for var, value in (
                (ENV_PROVIDER, name),
                (ENV_SECRET_ID, environ.get(ENV_SECRET_ID)),
                (ENV_REPLAY_TABLE, environ.get(ENV_REPLAY_TABLE)),
                (ENV_EVENT_BUS, environ.get(ENV_EVENT_BUS)),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            provider=name,
            secret_id=environ[ENV_SECRET_ID],
            replay_table=environ[ENV_REPLAY_TABLE],
            event_bus=environ[ENV_EVENT_BUS],
            payload_bucket=environ.get(ENV_PAYLOAD_BUCKET) or None,
            public_url=environ.get(ENV_PUBLIC_URL) or None,
            tolerance_s=_positive_int(environ, ENV_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_S),
            secret_max_age_s=_positive_int(
                environ, ENV_SECRET_MAX_AGE_SECONDS, DEFAULT_SECRET_MAX_AGE_S
            ),
            replay_ttl_s=_positive_int(environ, ENV_REPLAY_TTL_SECONDS, DEFAULT_REPLAY_TTL_S),
            max_body_bytes=_positive_int(environ, ENV_MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES),
            max_event_bytes=_max_event_bytes(environ),
            account_secrets=_account_secrets(environ),
            account_cache_size=_positive_int(
                environ, ENV_ACCOUNT_CACHE_SIZE, DEFAULT_ACCOUNT_CACHE_SIZE
            ),
            unknown_account_s=_positive_int(
                environ, ENV_UNKNOWN_ACCOUNT_SECONDS, DEFAULT_UNKNOWN_ACCOUNT_S
            ),
            account_index_s=_positive_int(
                environ, ENV_ACCOUNT_INDEX_SECONDS, DEFAULT_ACCOUNT_INDEX_S
            ),
            allowed_sources=environ.get(ENV_ALLOWED_SOURCES) or None,
        )


def _account_secrets(environ: Mapping[str, str]) -> str | None:
    # template.yaml sets the prefix; without it, a secret id that is a name is one (its
    # accounts are `<name>/<account>`), but an ARN, as CloudFormation's `Ref` gives, is not.
    prefix = environ.get(ENV_ACCOUNT_SECRETS, "").strip().rstrip("/")
    if prefix:
        return prefix
    secret_id = environ.get(ENV_SECRET_ID, "")
    return None if secret_id.startswith("arn:") else secret_id or None


def _max_event_bytes(environ: Mapping[str, str]) -> int:
    value = _positive_int(environ, ENV_MAX_EVENT_BYTES, DEFAULT_MAX_EVENT_BYTES)
    if not MIN_MAX_EVENT_BYTES <= value <= DEFAULT_MAX_EVENT_BYTES:
        raise ConfigurationError(
            f"{ENV_MAX_EVENT_BYTES} must be from {MIN_MAX_EVENT_BYTES} to {DEFAULT_MAX_EVENT_BYTES}"
        )
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive")
    return value
