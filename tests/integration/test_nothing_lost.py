"""Nothing lost, nothing twice: every genuine delivery ends on the bus exactly once, whatever
the order of deliveries, duplicates, concurrent copies, forgeries, AWS faults and provider
retries; a forged delivery never does.

Concurrent copies run in separate processes, as separate Lambda execution environments do.
"""

from __future__ import annotations

import json
import multiprocessing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev import template
from dev.local.emulator import LocalResources, MotoServer
from dev.local.faults import Fault, FaultProxy
from hookgate import build_pipeline
from tests.conftest import Bus, LambdaContext
from tests.integration.test_faults import lambda_clients
from tests.support.leaks import recording
from tests.support.providers import delivery, event_of

PROVIDERS = ("github", "stripe", "slack")
#: Faults that AWS (or the network) can produce before a request takes effect, at most twice
#: in a row (see docs/security.md for what three failures in a row after a publish mean).
FAULTS = [
    Fault("dynamodb:PutItem", "throttle", times=2),
    Fault("dynamodb:PutItem", "reset"),
    Fault("dynamodb:PutItem", "slow", times=2),
    Fault("dynamodb:UpdateItem", "error", times=2),
    Fault("events:PutEvents", "error", times=2),
    Fault("events:PutEvents", "failed_entries"),
    Fault("events:PutEvents", "reset", times=2),
    Fault("secretsmanager:GetSecretValue", "unavailable", times=2),
]


@dataclass(frozen=True)
class Send:
    index: int
    forged: bool = False
    copies: int = 1  # > 1: concurrent copies, each in its own process
    fault: int | None = None  # index into FAULTS, armed before this send


def _handle_in_child(args: tuple[str, dict[str, str], str, dict[str, Any]]) -> int:
    provider, env, endpoint, event = args
    pipeline = build_pipeline(provider, environ=env, clients=lambda_clients(endpoint))
    status: int = pipeline.handle_lambda(event, LambdaContext())["statusCode"]
    return status


@pytest.fixture(scope="module")
def proxy(aws: MotoServer) -> Iterator[FaultProxy]:
    faults = FaultProxy(aws.endpoint).start()
    yield faults
    faults.stop()


def send_concurrently(
    provider: str, env: dict[str, str], endpoint: str, event: dict[str, Any], copies: int
) -> list[int]:
    with multiprocessing.get_context("fork").Pool(copies) as pool:
        return pool.map(_handle_in_child, [(provider, env, endpoint, event)] * copies)


sends = st.builds(
    Send,
    index=st.integers(0, 2),
    forged=st.booleans(),
    copies=st.sampled_from([1, 1, 1, 2, 3]),
    fault=st.none() | st.integers(0, len(FAULTS) - 1),
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(provider=st.sampled_from(PROVIDERS), schedule=st.lists(sends, min_size=1, max_size=7))
def test_any_interleaving_publishes_each_genuine_delivery_exactly_once(
    provider: str,
    schedule: list[Send],
    proxy: FaultProxy,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    bus = Bus(aws, resources)
    bus.drain()
    env = resources.env_for(template.function_for(provider))
    handler = build_pipeline(provider, environ=env, clients=lambda_clients(proxy.endpoint))
    handler.handle_lambda = recording(handler.handle_lambda)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    genuine = [delivery(provider, delivery_id=i) for i in ids]
    # Forgeries: the same deliveries with another body, signed with another secret.
    forged = [
        delivery(provider, delivery_id=i, body=g.body.replace(b"{", b'{"forged": true, ', 1),
                 secret="not-the-secret-0123456789")
        for i, g in zip(ids, genuine, strict=True)
    ]  # fmt: skip

    for step in schedule:
        proxy.clear()
        if step.fault is not None:
            fault = FAULTS[step.fault]
            proxy.inject(Fault(fault.operation, fault.kind, fault.times, fault.delay_s))
        sent = (forged if step.forged else genuine)[step.index]
        if step.copies == 1:
            statuses = [handler.handle_lambda(event_of(sent), LambdaContext())["statusCode"]]
        else:
            statuses = send_concurrently(provider, env, proxy.endpoint, event_of(sent), step.copies)
        for status in statuses:
            assert status in ((401, 503) if step.forged else (200, 503))
    proxy.clear()

    # The provider retries each genuine delivery until it is acknowledged.
    for sent in genuine:
        statuses = [handler.handle_lambda(event_of(sent), LambdaContext())["statusCode"]]
        assert statuses == [200]

    published = bus.seen(settle_s=0.5)
    for sent in genuine:
        assert len([e for e in published if e["detail"]["delivery_id"] == sent.delivery_id]) == 1
    assert not any(json.dumps(e["detail"].get("payload")).find('"forged"') >= 0 for e in published)


def test_same_delivery_from_many_parallel_clients_is_published_once(
    proxy: FaultProxy, resources: LocalResources, bus: Bus
) -> None:
    env = resources.env_for(template.function_for("github"))
    sent = delivery("github")

    statuses = send_concurrently("github", env, proxy.endpoint, event_of(sent), 12)
    pending = statuses.count(503)
    retried = [
        build_pipeline("github", environ=env, clients=lambda_clients(proxy.endpoint)).handle_lambda(
            event_of(sent), LambdaContext()
        )["statusCode"]
        for _ in range(pending)
    ]

    assert set(statuses) <= {200, 503}
    assert 200 in statuses
    assert retried == [200] * pending
    assert len(bus.events_for(sent.delivery_id)) == 1
