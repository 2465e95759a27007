"""The real handler against DynamoDB, EventBridge and Secrets Manager on the moto server.

Every published event is observed where a consumer would see it: through an EventBridge rule on
the custom bus into an SQS queue.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import botocore
import pytest

import hookgate
from dev import template
from dev.local.emulator import LocalResources, MotoServer
from dev.local.samples import DEV_SECRETS
from hookgate.aws.clients import client_for
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory, replay_records
from tests.support.deliveries import github_event, stripe_event

STRIPE_SECRET = DEV_SECRETS["stripe"]
GITHUB_SECRET = DEV_SECRETS["github"]


def body_of(response: dict[str, object]) -> dict[str, object]:
    assert isinstance(response["body"], str)
    parsed: dict[str, object] = json.loads(response["body"])
    return parsed


def test_stripe_delivery_reaches_bus_with_contract_fields(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, clock: Clock
) -> None:
    handler = make_pipeline("stripe").handle_lambda
    signed_at = int(clock()) - 5
    event, body, event_id = stripe_event(STRIPE_SECRET, timestamp=signed_at)

    response = handler(event, lambda_context)

    assert response["statusCode"] == 200
    assert body_of(response) == {"received": True, "duplicate": False}
    [published] = bus.events_for(event_id)
    assert published["source"] == "hookgate.stripe"
    assert published["detail-type"] == "payment_intent.succeeded"
    detail = published["detail"]
    assert set(detail) == {
        "provider", "delivery_id", "event_type", "received_at", "verification", "headers",
        "payload",
    }  # fmt: skip
    assert detail["provider"] == "stripe"
    assert detail["delivery_id"] == event_id
    assert detail["event_type"] == "payment_intent.succeeded"
    received_at = datetime.fromisoformat(detail["received_at"])
    assert received_at.tzinfo is not None
    assert abs((datetime.now(UTC) - received_at).total_seconds()) < 60
    assert detail["verification"] == {
        "scheme": "hmac-sha256",
        "key_index": 0,
        "signed_at": datetime.fromtimestamp(signed_at, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        # Stripe signs the body and its time, not the headers hookgate passes on.
        "unsigned": ["headers.content-type", "headers.user-agent"],
    }
    assert detail["headers"] == {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }
    assert detail["payload"] == json.loads(body)


def test_github_push_and_ping_reach_bus(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("github").handle_lambda
    push, push_body, push_id = github_event(GITHUB_SECRET, event_type="push")
    ping, _, ping_id = github_event(GITHUB_SECRET, event_type="ping")

    assert handler(push, lambda_context)["statusCode"] == 200
    assert handler(ping, lambda_context)["statusCode"] == 200

    [pushed] = bus.events_for(push_id)
    [pinged] = bus.events_for(ping_id, settle_s=0)
    assert (pushed["source"], pushed["detail-type"]) == ("hookgate.github", "push")
    assert (pinged["source"], pinged["detail-type"]) == ("hookgate.github", "ping")
    assert pushed["detail"]["payload"] == json.loads(push_body)
    assert pushed["detail"]["verification"]["signed_at"] is None
    assert pushed["detail"]["headers"]["x-github-delivery"] == push["headers"]["X-GitHub-Delivery"]
    assert "event_type" in pushed["detail"]["verification"]["unsigned"]
    assert "headers.x-github-delivery" in pushed["detail"]["verification"]["unsigned"]
    assert pushed["detail"]["headers"]["x-github-hook-id"] == "292430182"
    assert "x-hub-signature-256" not in pushed["detail"]["headers"]


def test_duplicate_delivery_is_acknowledged_and_published_once(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, clock: Clock
) -> None:
    handler = make_pipeline("stripe").handle_lambda
    first, _, event_id = stripe_event(STRIPE_SECRET)
    # Stripe's retry of the same event: same id, new timestamp, new signature.
    retry, _, _ = stripe_event(STRIPE_SECRET, event_id=event_id, timestamp=int(clock()) + 1)

    responses = [handler(first, lambda_context), handler(retry, lambda_context)]

    assert [r["statusCode"] for r in responses] == [200, 200]
    assert [body_of(r)["duplicate"] for r in responses] == [False, True]
    assert len(bus.events_for(event_id)) == 1


def test_forged_delivery_is_401_and_never_stored_or_published(
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    handler = make_pipeline("github").handle_lambda
    before = replay_records(aws, resources, "github")
    forged, _, delivery_id = github_event("not-the-secret")

    response = handler(forged, lambda_context)

    assert response["statusCode"] == 401
    assert body_of(response) == {"message": "unauthorized"}
    assert bus.events_for(delivery_id) == []
    assert replay_records(aws, resources, "github") == before


def test_publish_failure_removes_record_returns_5xx_and_retry_publishes_once(
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    # GIVEN a function whose bus does not exist, so PutEvents fails for real
    broken = make_pipeline("stripe", HOOKGATE_EVENT_BUS="no-such-bus").handle_lambda
    healthy = make_pipeline("stripe").handle_lambda
    event, _, event_id = stripe_event(STRIPE_SECRET)
    records_before = replay_records(aws, resources, "stripe")

    # WHEN the delivery fails to publish
    failed = broken(event, lambda_context)

    # THEN the provider is told to retry, and the replay record is gone
    assert failed["statusCode"] == 503
    assert body_of(failed) == {"message": "temporarily unavailable"}
    assert replay_records(aws, resources, "stripe") == records_before
    assert bus.events_for(event_id, settle_s=0.3) == []

    # WHEN the provider retries (twice, as providers may)
    retried = [healthy(event, lambda_context), healthy(event, lambda_context)]

    # THEN it is published exactly once
    assert [r["statusCode"] for r in retried] == [200, 200]
    assert len(bus.events_for(event_id)) == 1


def test_secrets_manager_unavailable_is_5xx_not_401(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("stripe", HOOKGATE_SECRET_ID="hookgate/missing-secret").handle_lambda
    event, _, event_id = stripe_event(STRIPE_SECRET)

    response = handler(event, lambda_context)

    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"]
    assert bus.events_for(event_id, settle_s=0.3) == []


def test_method_not_allowed_is_405(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    event, _, _ = stripe_event(STRIPE_SECRET, method="GET")

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    assert response["statusCode"] == 405
    assert response["headers"]["Allow"] == "POST"


def test_body_over_limit_is_413(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    event, _, _ = stripe_event(STRIPE_SECRET)

    response = make_pipeline("stripe", HOOKGATE_MAX_BODY_BYTES="64").handle_lambda(
        event, lambda_context
    )

    assert response["statusCode"] == 413
    assert body_of(response) == {"message": "payload too large"}


def test_undecodable_body_is_400(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    event, _, _ = stripe_event(STRIPE_SECRET)
    event["body"] = "%%% not base64 %%%"

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    assert response["statusCode"] == 400
    assert body_of(response) == {"message": "bad request"}


def test_stale_stripe_delivery_is_401(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, clock: Clock
) -> None:
    event, _, event_id = stripe_event(STRIPE_SECRET, timestamp=int(clock()) - 301)

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    assert response["statusCode"] == 401
    assert bus.events_for(event_id, settle_s=0.3) == []


def test_payload_over_eventbridge_limit_goes_to_s3_and_event_carries_reference(
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    # GIVEN a genuine 2 MB delivery, twice what EventBridge takes in one event
    event_id = f"evt_big_{uuid.uuid4().hex}"
    body = json.dumps(
        {"id": event_id, "type": "invoice.created", "lines": ["x" * 1000] * 2048}
    ).encode()
    assert len(body) > 2_000_000
    event, _, _ = stripe_event(STRIPE_SECRET, body=body)

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    # THEN it is published, with a reference to the exact bytes in the encrypted bucket
    assert response["statusCode"] == 200
    [published] = bus.events_for(event_id)
    detail = published["detail"]
    assert "payload" not in detail
    reference = detail["payload_ref"]
    assert reference["bucket"] == resources.bucket
    assert reference["size"] == len(body)
    assert reference["sha256"] == hashlib.sha256(body).hexdigest()
    stored = aws.client("s3").get_object(Bucket=reference["bucket"], Key=reference["key"])
    assert stored["Body"].read() == body


def _padded(padding: int) -> tuple[str, bytes]:
    event_id = f"evt_{uuid.uuid4().hex[:24]}"  # always 28 characters: only `padding` varies
    return event_id, json.dumps({"id": event_id, "type": "big", "pad": "x" * padding}).encode()


def _event_size(event: dict[str, Any]) -> int:
    # The event as JSON, as EventBridge hands it to SQS and Lambda targets.
    return len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())


@pytest.mark.parametrize("limit", [None, 262_144], ids=["default 1 MB", "configured 256 KiB"])
def test_events_up_to_the_limit_carry_their_payload_and_one_byte_more_goes_to_s3(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, limit: int | None
) -> None:
    # EventBridge takes entries "less than 1 MB" since January 2026; SQS messages and
    # asynchronous Lambda payloads are 1 MiB. Below both: 1,000,000 bytes, unless configured.
    max_bytes = limit or 1_000_000
    overrides = {"HOOKGATE_MAX_EVENT_BYTES": str(limit)} if limit else {}
    handler = make_pipeline("stripe", **overrides).handle_lambda

    def publish(padding: int) -> dict[str, Any]:
        event_id, body = _padded(padding)
        assert (
            handler(stripe_event(STRIPE_SECRET, body=body)[0], lambda_context)["statusCode"] == 200
        )
        [published] = bus.events_for(event_id)
        return published

    # GIVEN how large an event is around a small delivery (the event grows with the body)
    small = publish(1000)
    overhead = _event_size(small) - 1000

    # WHEN deliveries make events just under the limit, and one byte over it
    under = publish(max_bytes - overhead - 100)
    over = publish(max_bytes - overhead + 1)

    # THEN the first carries its payload, within what targets accept; the second a reference
    assert max_bytes - 100 - 64 < _event_size(under) <= max_bytes
    assert "payload" in under["detail"]
    assert "payload_ref" not in under["detail"]
    assert "payload" not in over["detail"]
    assert over["detail"]["payload_ref"]["size"] > max_bytes - overhead


def test_functions_clients_send_hookgates_user_agent(
    aws: MotoServer, resources: LocalResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The clients a deployed function creates (not the tests' own): CloudTrail names hookgate,
    # and botocore sends the fixed string instead of rebuilding its own on every request.
    for name, value in resources.env_for(template.function_for("github")).items():
        monkeypatch.setenv(name, value)
    # bytes once signed with awscrt (this venv), str with botocore's own signer (Lambda)
    sent: list[str | bytes] = []
    client = client_for("events")
    client.meta.events.register(
        "before-send", lambda request, **_: sent.append(request.headers["User-Agent"])
    )

    client.list_event_buses()
    client.list_event_buses()

    expected = f"hookgate/{hookgate.__version__} Botocore/{botocore.__version__} Python/"
    assert len(sent) == 2
    assert all(_text(agent).startswith(expected) for agent in sent), sent


def _text(header: str | bytes) -> str:
    return header.decode() if isinstance(header, bytes) else header


@pytest.mark.parametrize(
    "event_type", ["\ud800", "x" * 5000, "line\nbreak"], ids=["lone surrogate", "huge", "control"]
)
def test_a_signed_event_type_that_cannot_be_a_detail_type_is_published_as_the_default(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, event_type: str
) -> None:
    # GIVEN a genuine delivery whose signed body names an event type EventBridge cannot carry
    event_id = f"evt_{uuid.uuid4().hex[:24]}"
    body = json.dumps({"id": event_id, "type": event_type}).encode()

    response = make_pipeline("stripe").handle_lambda(
        stripe_event(STRIPE_SECRET, body=body)[0], lambda_context
    )

    # THEN it is published (not failed on every retry), the type kept in its payload
    assert response["statusCode"] == 200
    [published] = bus.events_for(event_id)
    assert published["detail-type"] == "webhook"
    assert published["detail"]["event_type"] == "webhook"
    assert published["detail"]["payload"]["type"] == event_type
