"""hookgate: verify provider webhooks, drop replays, publish them to Amazon EventBridge.

A function's whole code is::

    import hookgate
    lambda_handler = hookgate.handler("stripe")

Anywhere else (a web app, a queue consumer verifying again later), one call checks a delivery,
without AWS::

    verified = hookgate.verify("stripe", body=body, headers=headers, secret=secret)

Importing hookgate imports neither boto3 nor Powertools: only `handler` and `build_pipeline` do.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hookgate.config import Settings
from hookgate.errors import (
    BadRequest,
    BadSignature,
    ConfigurationError,
    DownstreamError,
    HookgateError,
    MissingSignature,
    PayloadTooLarge,
    StaleTimestamp,
    Unauthorized,
)
from hookgate.verify import Verified, verify
from hookgate.version import VERSION as __version__

if TYPE_CHECKING:
    from hookgate.pipeline import Pipeline

__all__ = [
    "BadRequest",
    "BadSignature",
    "ConfigurationError",
    "DownstreamError",
    "HookgateError",
    "MissingSignature",
    "PayloadTooLarge",
    "Settings",
    "StaleTimestamp",
    "Unauthorized",
    "Verified",
    "__version__",
    "build_pipeline",
    "handler",
    "verify",
]


LambdaHandler = Callable[[Mapping[str, Any], Any], dict[str, Any]]


def build_pipeline(
    provider: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    clients: Mapping[str, Any] | None = None,
    clock: Callable[[], float] = time.time,
) -> Pipeline:
    """Build a provider's pipeline from the environment (once per cold start).

    Args:
        provider: the provider name; defaults to `HOOKGATE_PROVIDER`.
        environ: settings source; defaults to `os.environ`.
        clients: boto3 clients by service name ("secretsmanager", "dynamodb", "events", "s3",
            "sns"),
            for tests; others are created with hookgate's timeouts and retries.
        clock: wall-clock seconds, for tests.

    Raises:
        ConfigurationError: a setting is missing or the provider is unknown.
    """
    from aws_lambda_powertools import Logger, Metrics

    from hookgate import providers
    from hookgate.aws.clients import client_for, guarded
    from hookgate.aws.publish import EventPublisher, PayloadStore
    from hookgate.aws.replay import ReplayGuard
    from hookgate.aws.secrets import AccountSecrets
    from hookgate.aws.subscriptions import SubscriptionConfirmer
    from hookgate.pipeline import METRICS_NAMESPACE, Pipeline
    from hookgate.sources import allow_list

    environ = os.environ if environ is None else environ
    settings = Settings.from_env(environ, provider=provider)
    definition = providers.get(settings.provider).configured(environ)
    given = dict(clients or {})

    def client(service: str, region: str | None = None) -> Any:
        if service in given:
            return guarded(given[service])
        return guarded(client_for(service, environ, region=region))

    logger = Logger(service="hookgate")
    logger.append_keys(provider=definition.name)
    metrics = Metrics(namespace=METRICS_NAMESPACE)
    metrics.set_default_dimensions(provider=definition.name)
    return Pipeline(
        definition,
        settings,
        secrets=AccountSecrets(
            settings.secret_id,
            account_prefix=settings.account_secrets,
            client=client("secretsmanager"),
            max_age_s=settings.secret_max_age_s,
            capacity=settings.account_cache_size,
            unknown_for_s=settings.unknown_account_s,
            index_max_age_s=settings.account_index_s,
            clock=clock,
        ),
        guard=ReplayGuard(
            settings.replay_table,
            client=client("dynamodb"),
            ttl_s=settings.replay_ttl_s,
            key_prefix=definition.name,
        ),
        publisher=EventPublisher(
            settings.event_bus,
            client=client("events"),
            payload_store=(
                PayloadStore(settings.payload_bucket, client=client("s3"))
                if settings.payload_bucket
                else None
            ),
            max_event_bytes=settings.max_event_bytes,
        ),
        subscriptions=SubscriptionConfirmer(lambda region: client("sns", region)),
        logger=logger,
        metrics=metrics,
        sources=allow_list(settings.allowed_sources, definition.name),
        clock=clock,
    )


def handler(provider: str | None = None) -> LambdaHandler:
    """The Lambda handler for `provider`, built now (at cold start) from the environment."""
    pipeline = build_pipeline(provider)
    return pipeline.handle_lambda
