"""Integration fixtures: the real handler against the moto server, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from dev import template
from dev.local.emulator import LocalResources, MotoServer
from hookgate import build_pipeline
from hookgate.pipeline import Pipeline
from tests.support.leaks import recording

#: The AWS services a function uses.
SERVICES = ("secretsmanager", "dynamodb", "events", "s3")


class Clock:
    """Wall-clock seconds that a test can move forward."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset_s


PipelineFactory = Callable[..., Pipeline]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_pipeline(aws: MotoServer, resources: LocalResources, clock: Clock) -> PipelineFactory:
    """Build a provider's pipeline as a cold start would, with the template's environment."""

    def make(
        provider: str, clients: dict[str, Any] | None = None, **env_overrides: str
    ) -> Pipeline:
        """`clients` replaces the emulator's client for a service (to inject faults)."""
        env = {**resources.env_for(template.function_for(provider)), **env_overrides}
        all_clients = {s: aws.client(s) for s in SERVICES} | (clients or {})
        pipeline = build_pipeline(provider, environ=env, clients=all_clients, clock=clock)
        pipeline.handle_lambda = recording(pipeline.handle_lambda)
        return pipeline

    return make


def replay_records(
    aws: MotoServer, resources: LocalResources, provider: str
) -> list[dict[str, Any]]:
    """The replay guard's records for a provider."""
    items = aws.client("dynamodb").scan(TableName=resources.table)["Items"]
    return [item for item in items if item["id"]["S"].startswith(f"{provider}#")]
