"""boto3 clients whose calls fit inside a provider's delivery timeout and the Lambda timeout."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from hookgate.version import VERSION

__all__ = [
    "CALL_MARGIN_S",
    "CLIENT_CONFIG",
    "ENV_READ_TIMEOUT",
    "USER_AGENT",
    "DeadlineExceeded",
    "client_for",
    "deadline_for",
    "guarded",
    "set_deadline",
]

# DynamoDB, EventBridge, S3 and Secrets Manager answer in milliseconds; a connection that takes
# longer than this is better abandoned while the provider still waits. Two attempts in all, in
# "standard" mode retry throttling, 5xx and timeouts once, with jitter.
# Client-side parameter validation is off: hookgate's requests have fixed shapes, exercised by
# the integration tests against the emulator, and validating them costs about 0.1 ms a request
# (measured by `make bench`); AWS still validates every request on its side.
# A fixed User-Agent names hookgate in CloudTrail, and botocore then sends it as it is: its
# default one is rebuilt from some twenty sanitized parts twice per request, which cost more
# than everything else botocore does for a call (about 0.2 ms a call here, `make bench`).
USER_AGENT = (
    f"hookgate/{VERSION} Botocore/{botocore.__version__} "
    f"Python/{sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro}"
)
CLIENT_CONFIG = Config(
    connect_timeout=0.5,
    read_timeout=1.0,
    retries={"total_max_attempts": 2, "mode": "standard"},
    tcp_keepalive=True,
    parameter_validation=False,
    user_agent=USER_AGENT,
)
ENV_READ_TIMEOUT = "HOOKGATE_AWS_READ_TIMEOUT_SECONDS"
#: How long one attempt may take at worst: no call starts later than this before the answer
#: is due.
CALL_MARGIN_S = 1.5

_deadline: ContextVar[float | None] = ContextVar("hookgate_aws_deadline", default=None)


class DeadlineExceeded(BotoCoreError):
    """No AWS call is started once the answer is almost due: better a prompt 503 (the provider
    retries) than an answer the provider, or Lambda, no longer waits for."""

    fmt = "no time left for an AWS call"


def deadline_for(provider_timeout_s: float, context: Any) -> float:
    """The monotonic time after which no AWS call starts: the provider's timeout or the
    Lambda's remaining time, whichever ends first, less one call's worst case."""
    budget_s = provider_timeout_s
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        budget_s = min(budget_s, remaining() / 1000)
    return time.monotonic() + budget_s - CALL_MARGIN_S


def set_deadline(deadline: float | None) -> None:
    """Set (or clear, with None) the deadline of the request being handled."""
    _deadline.set(deadline)


#: The replay guard's writes that settle a record, made whatever the time: DeleteItem releases
#: it after a failure (the provider's retry goes through at once); UpdateItem marks it
#: COMPLETED once the event is on the bus (without it, the in-progress record would expire and
#: a redelivery would be published again). Each is one call, within the margin.
SETTLING_OPERATIONS = (".DeleteItem", ".UpdateItem")


def _refuse_after_deadline(event_name: str = "", **_: Any) -> None:
    if event_name.endswith(SETTLING_OPERATIONS):
        return
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise DeadlineExceeded()


def guarded(client: Any) -> Any:
    """`client`, refusing to send (first attempts and retries alike) after the deadline."""
    client.meta.events.register("before-send", _refuse_after_deadline)
    return client


def client_for(
    service: str, environ: Mapping[str, str] | None = None, *, region: str | None = None
) -> Any:
    """A client for `service` (honours `AWS_ENDPOINT_URL*`), in `region` or the function's.

    `HOOKGATE_AWS_READ_TIMEOUT_SECONDS` lengthens the read timeout, for an AWS emulator that
    answers far slower than AWS under load (`make load`); deployed functions leave it unset.
    """
    config = CLIENT_CONFIG
    read_timeout = (environ if environ is not None else os.environ).get(ENV_READ_TIMEOUT)
    if read_timeout:
        config = config.merge(Config(read_timeout=float(read_timeout)))
    return boto3.client(service, config=config, region_name=region)  # type: ignore[call-overload]
