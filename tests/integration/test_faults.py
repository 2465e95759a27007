"""Faults injected on the wire between the real handler and the local AWS emulator.

The handler's clients are configured exactly as in Lambda (`hookgate.aws.CLIENT_CONFIG`:
timeouts, retries, the deadline guard) and talk to `dev.local.faults.FaultProxy`, which throttles,
fails, resets or stalls chosen AWS operations. Every fault ends in a prompt 2xx (botocore's
retry absorbed it) or a 5xx the provider retries, never a 401; and the provider's retry is
published exactly once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from dev.local.emulator import FAKE_CREDENTIALS, REGION, MotoServer
from dev.local.faults import Fault, FaultProxy
from hookgate.aws.clients import CLIENT_CONFIG
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import SERVICES, PipelineFactory
from tests.support.providers import delivery, event_of

#: Every fault injected in this module, for the closing report.
INJECTED: list[tuple[str, str]] = []


@pytest.fixture
def proxy(aws: MotoServer) -> Iterator[FaultProxy]:
    faults = FaultProxy(aws.endpoint).start()
    yield faults
    INJECTED.extend(faults.injected())
    faults.stop()


def lambda_clients(endpoint: str) -> dict[str, Any]:
    """Clients configured as the functions configure theirs, pointed at `endpoint`."""
    return {
        service: boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=endpoint,
            region_name=REGION,
            config=CLIENT_CONFIG,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
        )
        for service in SERVICES
    }


SCENARIOS = {
    # name: (faults, what the first attempt gets: "2xx" = botocore's retry absorbed it)
    "dynamodb throttled once": ([Fault("dynamodb:PutItem", "throttle")], "2xx"),
    "dynamodb throttled twice": ([Fault("dynamodb:PutItem", "throttle", times=2)], "5xx"),
    "dynamodb 500 twice": ([Fault("dynamodb:PutItem", "error", times=2)], "5xx"),
    "dynamodb connection reset twice": ([Fault("dynamodb:PutItem", "reset", times=2)], "5xx"),
    "dynamodb slow past the timeout twice": ([Fault("dynamodb:PutItem", "slow", times=2)], "5xx"),
    "dynamodb slow once": ([Fault("dynamodb:PutItem", "slow")], "2xx"),
    "dynamodb completion write fails": ([Fault("dynamodb:UpdateItem", "error", times=2)], "2xx"),
    "eventbridge failed entry": ([Fault("events:PutEvents", "failed_entries")], "5xx"),
    "eventbridge 500 twice": ([Fault("events:PutEvents", "error", times=2)], "5xx"),
    "eventbridge throttled once": ([Fault("events:PutEvents", "throttle")], "2xx"),
    "eventbridge reset twice": ([Fault("events:PutEvents", "reset", times=2)], "5xx"),
    "eventbridge timeout before reaching it, twice": (
        [Fault("events:PutEvents", "slow", times=2)],
        "5xx",
    ),
    "secrets manager unavailable": (
        [Fault("secretsmanager:GetSecretValue", "unavailable", times=2)],
        "5xx",
    ),
    "secrets manager reset": ([Fault("secretsmanager:GetSecretValue", "reset", times=2)], "5xx"),
    "publish and cleanup both fail": (
        [
            Fault("events:PutEvents", "error", times=2),
            Fault("dynamodb:DeleteItem", "error", times=2),
        ],
        "5xx",
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_fault_then_provider_retry_publishes_exactly_once(
    scenario: str,
    proxy: FaultProxy,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    faults, first_outcome = SCENARIOS[scenario]
    handler = make_pipeline("github", clients=lambda_clients(proxy.endpoint)).handle_lambda
    sent = delivery("github")
    proxy.inject(*faults)

    held = scenario == "publish and cleanup both fail"
    # Lambda's remaining time bounds how long an unreleased record blocks the retry.
    first = handler(event_of(sent), LambdaContext(remaining_ms=3000) if held else lambda_context)
    proxy.clear()
    if held:
        blocked = handler(event_of(sent), lambda_context)
        assert blocked["statusCode"] == 503  # the record is still held: the provider waits
        time.sleep(3.1)  # until the failed invocation would have timed out
    retries = [handler(event_of(sent), lambda_context) for _ in range(3)]

    assert proxy.injected(), "the fault was not injected"
    if first_outcome == "2xx":
        assert first["statusCode"] == 200
    else:
        assert first["statusCode"] == 503
        assert json.loads(first["body"]) == {"message": "temporarily unavailable"}
        assert first["headers"]["Retry-After"]
    assert [r["statusCode"] for r in retries] == [200, 200, 200]
    assert [json.loads(r["body"])["duplicate"] for r in retries] == (
        [True, True, True] if first["statusCode"] == 200 else [False, True, True]
    )
    assert len(bus.events_for(sent.delivery_id, settle_s=0.5)) == 1


def test_large_payload_s3_failure_then_retry_publishes_once(
    proxy: FaultProxy, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("github", clients=lambda_clients(proxy.endpoint)).handle_lambda
    body = json.dumps({"zen": "x" * 1_100_000, "hook_id": 1}).encode()
    sent = delivery("github", body=body)
    proxy.inject(Fault("s3:PUT", "error", times=2))

    first = handler(event_of(sent), lambda_context)
    proxy.clear()
    retry = handler(event_of(sent), lambda_context)

    assert first["statusCode"] == 503
    assert retry["statusCode"] == 200
    [published] = bus.events_for(sent.delivery_id)
    assert "payload_ref" in published["detail"]


def test_no_aws_call_starts_once_the_answer_is_due(
    proxy: FaultProxy, make_pipeline: PipelineFactory, bus: Bus
) -> None:
    # Lambda has 1.4 s left, less than one call's worst case: nothing is attempted, the
    # provider gets a prompt 503 and retries.
    handler = make_pipeline("github", clients=lambda_clients(proxy.endpoint)).handle_lambda
    sent = delivery("github")

    response = handler(event_of(sent), LambdaContext(remaining_ms=1400))

    assert response["statusCode"] == 503
    assert proxy.log == []
    assert bus.seen(settle_s=0.3) == []


def test_slow_dependencies_on_a_3_second_provider_get_503_not_a_late_answer(
    proxy: FaultProxy, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # Slack waits 3 s. Secrets Manager and DynamoDB each stalled 0.8 s (within the read
    # timeout) leave too little time for PutEvents to be sure of finishing: it is not started,
    # the record is released, and the provider's retry goes through.
    handler = make_pipeline("slack", clients=lambda_clients(proxy.endpoint)).handle_lambda
    sent = delivery("slack")
    proxy.inject(
        Fault("secretsmanager:GetSecretValue", "slow", delay_s=0.8),
        Fault("dynamodb:PutItem", "slow", delay_s=0.8),
    )

    first = handler(event_of(sent), lambda_context)
    retry = handler(event_of(delivery("slack", body=sent.body)), lambda_context)

    assert first["statusCode"] == 503
    assert "events:PutEvents" not in [operation for operation, _ in proxy.log[:3]]
    assert ("dynamodb:DeleteItem", "forwarded") in proxy.log
    assert retry["statusCode"] == 200
    assert len(bus.events_for(sent.delivery_id)) == 1


def test_a_published_delivery_is_recorded_complete_even_after_the_deadline(
    proxy: FaultProxy, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # Slack waits 3 s, so no call starts 1.5 s in. Here the conditional write and PutEvents
    # stall long enough (each within the read timeout) that the deadline passes while the
    # event goes on the bus. The write recording it as published must still be made: otherwise
    # the in-progress record expires and a redelivery is published a second time.
    handler = make_pipeline("slack", clients=lambda_clients(proxy.endpoint)).handle_lambda
    sent = delivery("slack")
    proxy.inject(
        Fault("dynamodb:PutItem", "slow", delay_s=0.75),
        Fault("events:PutEvents", "slow", delay_s=0.85),
    )

    first = handler(event_of(sent), LambdaContext(remaining_ms=3000))
    first_calls = list(proxy.log)
    proxy.clear()
    time.sleep(3.1)  # past the in-progress record's expiry
    redelivery = handler(event_of(delivery("slack", body=sent.body)), lambda_context)

    assert first["statusCode"] == 200
    assert first_calls[-1] == ("dynamodb:UpdateItem", "forwarded"), first_calls
    assert redelivery["statusCode"] == 200
    assert json.loads(redelivery["body"])["duplicate"] is True
    assert len(bus.events_for(sent.delivery_id)) == 1
