"""Fixtures shared by every test layer."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from dev.local.emulator import LocalResources, MotoServer, provision, receive_events
from dev.local.samples import STORED_DEV_SECRETS
from tests.support.leaks import RESPONSES, leaked


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that hookgate and Powertools read."""

    function_name: str = "hookgate-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:hookgate-test"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/hookgate-test"
    log_stream_name: str = "stream"
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(scope="session")
def aws() -> Iterator[MotoServer]:
    """One moto server (real HTTP) for the whole session."""
    with MotoServer() as server:
        yield server


@pytest.fixture(scope="session")
def resources(aws: MotoServer) -> LocalResources:
    """The table, bus, secrets and SQS tail, created from template.yaml's properties."""
    return provision(aws, STORED_DEV_SECRETS)


class LogSink(io.StringIO):
    """Every line hookgate's logger writes during the session."""

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


LOGS = LogSink()


@pytest.fixture(scope="session", autouse=True)
def hookgate_logs() -> LogSink:
    """Route hookgate's Powertools logger to one sink for the whole session.

    Powertools configures the stdlib logger "hookgate" once; every pipeline built later in
    the session reuses this handler.
    """
    Logger(service="hookgate", logger_handler=logging.StreamHandler(LOGS))
    return LOGS


@pytest.fixture(autouse=True)
def no_leaks(hookgate_logs: LogSink) -> Iterator[None]:
    """Fail the test whose log lines or responses hold a secret or signature the suite used."""
    logged_from, answered_from = len(hookgate_logs.getvalue()), len(RESPONSES)
    yield
    found = leaked(hookgate_logs.getvalue()[logged_from:], RESPONSES[answered_from:])
    # Named by length only: the assertion message must not be a leak of its own.
    assert not found, f"{len(found)} secret(s) or signature(s) in this test's logs or responses"


class Bus:
    """What reached the bus, through the template's rule and the SQS tail queue."""

    def __init__(self, aws: MotoServer, resources: LocalResources) -> None:
        self._aws = aws
        self._queue_url = resources.queue_url
        self._seen: list[dict[str, Any]] = []

    def drain(self) -> None:
        while receive_events(self._aws, self._queue_url, wait_s=0):
            pass

    def seen(self, *, settle_s: float = 1.0) -> list[dict[str, Any]]:
        """Every event since the test began, after waiting `settle_s` for stragglers."""
        deadline = time.monotonic() + settle_s
        while True:
            self._seen.extend(receive_events(self._aws, self._queue_url, wait_s=0))
            if time.monotonic() >= deadline:
                return list(self._seen)
            time.sleep(0.1)

    def events_for(self, delivery_id: str, *, settle_s: float = 1.0) -> list[dict[str, Any]]:
        """Every event with this delivery id."""
        return [
            e for e in self.seen(settle_s=settle_s) if e["detail"]["delivery_id"] == delivery_id
        ]


@pytest.fixture
def bus(aws: MotoServer, resources: LocalResources) -> Bus:
    tail = Bus(aws, resources)
    tail.drain()
    return tail
