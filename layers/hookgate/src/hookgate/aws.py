"""boto3 clients with timeouts and retries that fit inside a provider's delivery timeout."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

__all__ = ["CLIENT_CONFIG", "client_for"]

# Providers give up after 3 s (Slack) to 30 s; a hung connection must not eat that budget.
# Two attempts in "standard" mode retry throttling and 5xx once, with jitter.
# Client-side parameter validation is off: hookgate's requests have fixed shapes, exercised by
# the integration tests against the emulator, and validating them costs about 0.1 ms a request
# (measured by `make bench`); AWS still validates every request on its side.
CLIENT_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"max_attempts": 2, "mode": "standard"},
    tcp_keepalive=True,
    parameter_validation=False,
)


def client_for(service: str) -> Any:
    """A client for `service` (honours `AWS_ENDPOINT_URL*` and the region of the function)."""
    return boto3.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
