"""The only module that knows all the others: normalize, verify, guard, publish, respond."""

from __future__ import annotations

import json
import logging
import secrets
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from hookgate.aws.clients import deadline_for, set_deadline
from hookgate.aws.publish import EventPublisher, source_for
from hookgate.aws.replay import ReplayGuard
from hookgate.aws.secrets import AccountSecrets
from hookgate.aws.subscriptions import SubscriptionConfirmer
from hookgate.config import Settings
from hookgate.errors import (
    BadSignature,
    ConfigurationError,
    DownstreamError,
    HookgateError,
    MethodNotAllowed,
    SourceNotAllowed,
    UnknownAccount,
)
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.providers.base import Provider, Reply, Verification
from hookgate.request import Request, caller_of
from hookgate.sources import SourceAllowList
from hookgate.verify import DEFAULT_EVENT_TYPE

__all__ = ["METRICS_NAMESPACE", "Pipeline", "json_response"]

METRICS_NAMESPACE = "Hookgate"
#: What a handshake answered before verification is given for an unknown account: a signing
#: secret nobody knows (made afresh by each execution environment) and no token, so that X's
#: CRC answer looks as it would for an account and Meta's token is wrong.
UNKNOWN_ACCOUNT_SECRET = SecretMaterial(signing_secrets=(secrets.token_urlsafe(32),))


def json_response(status: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """A Lambda proxy response (valid for REST, HTTP API, function URLs and ALB)."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", "X-Content-Type-Options": "nosniff"},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _error_response(error: HookgateError, *, allow: str) -> dict[str, Any]:
    # The class's fixed text: an instance's own message (a configuration error's) is for
    # operators, and says what is missing.
    response = json_response(error.status, {"message": type(error).message})
    if error.status == 503:
        response["headers"]["Retry-After"] = "5"
    if isinstance(error, MethodNotAllowed):
        response["headers"]["Allow"] = allow
    return response


class Pipeline:
    """One provider's Lambda handler. Build once per cold start; call once per request."""

    def __init__(
        self,
        provider: Provider,
        settings: Settings,
        *,
        secrets: AccountSecrets,
        guard: ReplayGuard,
        publisher: EventPublisher,
        subscriptions: SubscriptionConfirmer,
        logger: Logger,
        metrics: Metrics,
        sources: SourceAllowList | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self._secrets = secrets
        self._guard = guard
        self._publisher = publisher
        self._subscriptions = subscriptions
        self._logger = logger
        self._metrics = metrics
        self._sources = sources
        self._clock = clock
        #: The Lambda entry point: `__call__` with the Lambda context added to every log line.
        self.handle_lambda: Callable[[Mapping[str, Any], Any], dict[str, Any]] = (
            logger.inject_lambda_context(self.__call__)
        )
        self._forwarded = provider.published_headers
        # What the event publishes that the signature does not cover, so consumers can tell.
        self._unsigned_headers = provider.unsigned_headers
        self._unsigned_fields = provider.unsigned_fields
        self._allow = ", ".join(sorted(provider.methods))

    def __call__(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        started = time.perf_counter()
        set_deadline(deadline_for(self.provider.timeout_s, context))
        self._logger.remove_keys(["correlation_id", "delivery_id", "event_type", "account"])
        # One log record per request (each costs tens of microseconds): the outcome, and for
        # rejections the reason, at a level that follows the status.
        fields: dict[str, Any]
        try:
            response, fields = self._handle(event, context)
        except HookgateError as error:
            response, fields = self._reject(error)
        except Exception as error:
            # The one broad catch: anything unforeseen is a 500, so the provider retries.
            # Logged by type and place only: an exception's message may quote the input.
            response, fields = self._reject(HookgateError(), reason="unexpected")
            fields["error_type"] = type(error).__name__
            fields["where"] = [
                f"{Path(f.filename).name}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(error.__traceback__)
            ]
        finally:
            set_deadline(None)
        status = response["statusCode"]
        fields["status"] = status
        fields["latency_ms"] = latency_ms = round((time.perf_counter() - started) * 1000, 2)
        if status < 400:  # how long genuine deliveries take, not how fast refusals are
            self._metrics.add_metric(
                name="WebhookLatency", unit=MetricUnit.Milliseconds, value=latency_ms
            )
        else:  # where a refusal came from (the address AWS saw) and what it called
            fields["client_ip"], fields["path"] = caller_of(event)
        logger = self._logger
        level, log = (
            (logging.INFO, logger.info)
            if status < 400
            else (logging.WARNING, logger.warning)
            if status < 500
            else (logging.ERROR, logger.error)
        )
        if self._metrics.metric_set:
            if logger.log_level <= level:
                # The request's metrics ride on its log record: CloudWatch reads embedded
                # metric format from any JSON log line, and one line is cheaper than two.
                fields.update(self._metrics.serialize_metric_set())
                self._metrics.clear_metrics()
            else:  # the record is filtered out by the log level; the metrics must not be
                self._metrics.flush_metrics()
        log("responded", extra=fields)
        return response

    def _handle(
        self, event: Mapping[str, Any], context: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if self._sources is not None and not self._sources.allows(caller_of(event)[0]):
            raise SourceNotAllowed()  # before the event is read any further
        request = Request.from_event(
            event,
            public_url=self.settings.public_url,
            max_body_bytes=self.settings.max_body_bytes,
        )
        provider = self.provider
        account = request.account
        if account is not None:
            # The route's claim, until the signature verifies with this account's secret.
            self._logger.append_keys(account=account)
        if request.method not in provider.methods:
            raise MethodNotAllowed()
        if provider.handshake is not None and provider.handshake_before_verify:
            reply = self._handshake_before_verify(request)
            if reply is not None:
                return self._answer_handshake(reply, account)
        verification, secret = self._verify(request)
        if provider.handshake is not None and not provider.handshake_before_verify:
            reply = provider.handshake(request, secret, verification)
            if reply is not None:
                return self._answer_handshake(reply, account)
        self._metrics.add_metric(name="WebhookVerified", unit=MetricUnit.Count, value=1)

        payload = parse_payload(request, json_body=provider.json_body)
        parsed = body_fields(request, payload)
        delivery_id = provider.replay_key(request, parsed)
        replay_keys = [delivery_id]
        if provider.also_once_per is not None and (also := provider.also_once_per(request, parsed)):
            replay_keys.append(f"also:{also}")
        event_type = _publishable(provider.event_type(request, parsed))
        self._logger.set_correlation_id(delivery_id)
        self._logger.append_keys(delivery_id=delivery_id, event_type=event_type)

        headers = {
            name: request.headers[name] for name in self._forwarded if name in request.headers
        }
        unsigned = [
            *self._unsigned_fields,
            *(f"headers.{name}" for name in headers if name in self._unsigned_headers),
        ]
        detail: dict[str, Any] = {"provider": self.provider.name}
        if account is not None:  # absent for the bare route, as before accounts existed
            detail["account"] = account
        detail |= {
            "delivery_id": delivery_id,
            "event_type": event_type,
            "received_at": _rfc3339(datetime.fromtimestamp(self._clock(), tz=UTC)),
            "verification": {
                "scheme": verification.scheme,
                "key_index": verification.key_index,
                "signed_at": _rfc3339(signed_at) if (signed_at := verification.signed_at) else None,
                "unsigned": unsigned,
            },
            "headers": headers,
        }

        def publish() -> str:
            try:
                return self._publisher.publish(
                    source=source_for(self.provider.name),
                    detail_type=event_type,
                    detail=detail,
                    payload_json=payload.event_json,
                    body=request.body,
                )
            except DownstreamError:
                self._metrics.add_metric(
                    name="WebhookPublishFailed", unit=MetricUnit.Count, value=1
                )
                raise

        outcome = self._guard.run_once(replay_keys, publish, account=account, context=context)
        if outcome.duplicate:
            self._metrics.add_metric(name="WebhookDuplicate", unit=MetricUnit.Count, value=1)
            fields = {"outcome": "duplicate"}
        else:
            fields = {"outcome": "published", "event_id": outcome.event_id}
        reply = provider.acknowledge(request, parsed) if provider.acknowledge else None
        if reply is not None:
            return reply.to_lambda(), fields
        return json_response(200, {"received": True, "duplicate": outcome.duplicate}), fields

    def _answer_handshake(
        self, reply: Reply, account: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if reply.store_secret is not None and not self._secrets.store_first(
            account, reply.store_secret
        ):
            raise BadSignature()  # a secret is already in place: the handshake is not ours
        if reply.confirm is not None:
            self._subscriptions.confirm(reply.confirm)
        return reply.to_lambda(), {"outcome": "handshake"}

    def _handshake_before_verify(self, request: Request) -> Reply | None:
        """The provider's answer to a handshake that comes unsigned (None: not one).

        For an unknown account it is given a secret nobody knows: a handshake that needs no
        secret (Dropbox's echo) is answered as for any account, one that checks a token is
        refused as a wrong token, and X's CRC gets an answer of the right form, so that none
        tells which account names exist.
        """
        assert self.provider.handshake is not None
        try:
            secret = self._secrets.current(request.account)
        except UnknownAccount:
            try:
                return self.provider.handshake(request, UNKNOWN_ACCOUNT_SECRET, None)
            except ConfigurationError:  # it needs a secret, which the account does not have
                raise UnknownAccount() from None
        return self.provider.handshake(request, secret, None)

    def _verify(self, request: Request) -> tuple[Verification, SecretMaterial]:
        """How `request` verified, and with which secret value (its account's)."""

        def attempt(secret: SecretMaterial) -> tuple[Verification, SecretMaterial]:
            verification = self.provider.verify(
                request, secret, now_s=self._clock(), tolerance_s=self.settings.tolerance_s
            )
            return verification, secret

        try:
            return attempt(self._secrets.current(request.account))
        except BadSignature:
            # Maybe the secret was rotated since we cached it: read it again, once.
            fresh = self._secrets.refreshed(request.account)
            if fresh is None:
                raise
            return attempt(fresh)

    def _reject(
        self, error: HookgateError, *, reason: str | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        reason = reason or error.reason
        fields: dict[str, Any] = {"outcome": "rejected", "reason": reason}
        if isinstance(error, ConfigurationError):
            fields["problem"] = error.message  # hookgate's own words, never input
        if error.status >= 500 and error.__cause__ is not None:
            # For operators: which dependency failed and how, by type and AWS error code only;
            # exception messages are never logged, as they may quote input.
            fields["cause"] = _describe_cause(error.__cause__)
        with single_metric(
            name="WebhookRejected",
            unit=MetricUnit.Count,
            value=1,
            namespace=METRICS_NAMESPACE,
            default_dimensions={"provider": self.provider.name},
        ) as metric:
            metric.add_dimension(name="reason", value=reason)
        response = _error_response(error, allow=self._allow)
        if self.provider.empty_refusals:
            response["body"] = ""
            response["headers"]["Content-Type"] = "text/plain; charset=utf-8"
        return response, fields


#: Longer than this, a provider's event type is not used as the event's detail type.
MAX_EVENT_TYPE_CHARS = 256


def _publishable(event_type: str | None) -> str:
    # An event type comes from the signed body, where it can be anything JSON holds: one that
    # is not short printable text (a lone surrogate cannot even be sent) would fail the publish
    # on every retry. The payload still carries it.
    if event_type and len(event_type) <= MAX_EVENT_TYPE_CHARS and event_type.isprintable():
        return event_type
    return DEFAULT_EVENT_TYPE


def _describe_cause(cause: BaseException) -> str:
    # botocore's ClientError carries a response dict; its connection errors may carry None.
    response = getattr(cause, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    nested = cause.__cause__ or cause.__context__
    name = type(cause).__name__
    if code:
        return f"{name}:{code}"
    return f"{name}<-{type(nested).__name__}" if nested is not None else name


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
