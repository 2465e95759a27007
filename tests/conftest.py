"""Fixtures shared by every test layer."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from aws_lambda_powertools import Logger

from dev.emulator import LocalResources, MotoServer, provision
from dev.samples import DEV_SECRETS


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
    return provision(aws, DEV_SECRETS)


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
