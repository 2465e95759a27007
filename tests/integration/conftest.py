"""Integration fixtures: the real handler against the moto server, over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from dev.emulator import LocalResources, MotoServer, receive_events
from hookgate import Pipeline, build_pipeline

LOGICAL_IDS = {"stripe": "StripeFunction", "github": "GithubFunction"}


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

    def make(provider: str, **env_overrides: str) -> Pipeline:
        env = {**resources.env_for(LOGICAL_IDS[provider]), **env_overrides}
        clients = {s: aws.client(s) for s in ("secretsmanager", "dynamodb", "events")}
        return build_pipeline(provider, environ=env, clients=clients, clock=clock)

    return make


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


def replay_records(
    aws: MotoServer, resources: LocalResources, provider: str
) -> list[dict[str, Any]]:
    """The replay guard's records for a provider."""
    items = aws.client("dynamodb").scan(TableName=resources.table)["Items"]
    return [item for item in items if item["id"]["S"].startswith(f"{provider}#")]
