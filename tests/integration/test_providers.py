"""Every provider through the real handler, against DynamoDB, EventBridge and Secrets Manager on
the local AWS emulator: genuine deliveries are published once, everything else is refused with
401 and nothing reaches the bus.

Deliveries are signed by hookgate's own signers, which the tests in `tests/unit/providers/`
prove against each provider's official SDK or published vector, both ways.
"""

from __future__ import annotations

import json
import uuid

import pytest

from dev.local.emulator import MotoServer
from hookgate import providers
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support.providers import (
    IN_PROCESS,
    delivery,
    event_of,
    other_signing_secret,
    rotation_secret,
    signed_digest,
)

# PayPal's and SNS's certificates must be served over TLS from an allowed host: see
# test_paypal.py and test_sns.py.
PROVIDERS = list(IN_PROCESS)
TIMESTAMPED = [name for name in PROVIDERS if providers.get(name).signed.timestamp]
# Graph's token and Mailgun's signature are in the body, Mailchimp's secret in the URL
# (tests/integration/test_mailchimp.py).
HEADER_SIGNED = [name for name in PROVIDERS if name not in ("msgraph", "mailgun", "mailchimp")]
BODY_SIGNED = [name for name in PROVIDERS if providers.get(name).signed.body]


def refused(response: dict[str, object], provider: str) -> bool:
    # Xero's intent to receive fails a refusal with a body: its are empty.
    body = "" if providers.get(provider).empty_refusals else '{"message":"unauthorized"}'
    return response["statusCode"] == 401 and response["body"] == body


@pytest.mark.parametrize("provider", PROVIDERS)
def test_genuine_delivery_is_published_once_with_its_type_and_id(
    provider: str, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    event_type = providers.get(provider).local.example_event_type
    given_id = str(uuid.uuid4())
    sent = delivery(provider, delivery_id=given_id, event_type=event_type)

    response = make_pipeline(provider).handle_lambda(event_of(sent), lambda_context)

    assert 200 <= response["statusCode"] < 300
    [published] = bus.events_for(sent.delivery_id)
    assert published["source"] == f"hookgate.{provider}"
    assert published["detail-type"] == event_type
    if providers.get(provider).signed.id is None:
        # No delivery id is signed: the key is a digest of what the signature covers.
        assert published["detail"]["delivery_id"] == signed_digest(provider, sent)
    else:  # the provider's own id, taken from what it sent
        assert sent.delivery_id in json.dumps(sent.headers) + sent.body.decode()
    # Never a secret or a signature in the event.
    assert providers.get(provider).signature_header.lower() not in published["detail"]["headers"]


@pytest.mark.parametrize("provider", BODY_SIGNED)
def test_tampered_body_is_refused(
    provider: str, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    sent = delivery(provider)
    tampered = sent.body.replace(b"e", b"E", 1) if b"e" in sent.body else sent.body + b" "

    response = make_pipeline(provider).handle_lambda(event_of(sent, body=tampered), lambda_context)

    assert refused(response, provider)
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_wrong_secret_is_refused(
    provider: str, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    sent = delivery(provider, secret=other_signing_secret(provider))

    response = make_pipeline(provider).handle_lambda(event_of(sent), lambda_context)

    assert refused(response, provider)
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize("provider", HEADER_SIGNED)
@pytest.mark.parametrize("damage", ["missing", "empty", "malformed", "duplicated-bad-first"])
def test_missing_or_malformed_signature_header_is_refused(
    provider: str,
    damage: str,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    sent = delivery(provider)
    header = providers.get(provider).signature_header
    headers = {k: v for k, v in sent.headers.items() if k.lower() != header.lower()}
    event = event_of(sent, headers=headers)
    if damage != "missing":
        value = {"empty": "", "malformed": "%%%not a signature%%%"}.get(damage, "garbage")
        event["multiValueHeaders"][header] = [value]
        event["headers"][header] = value
    if damage == "duplicated-bad-first":
        # Whatever the gateway keeps of a repeated header, a bad copy never verifies alone.
        event["multiValueHeaders"][header] = ["garbage", sent.headers[header]]
        event["headers"][header] = sent.headers[header]

    response = make_pipeline(provider).handle_lambda(event, lambda_context)

    if damage == "duplicated-bad-first" and 200 <= response["statusCode"] < 300:
        # Accepted only through the genuine copy: still exactly the genuine delivery.
        assert len(bus.events_for(sent.delivery_id)) == 1
        return
    assert refused(response, provider)
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize("provider", TIMESTAMPED)
@pytest.mark.parametrize("offset_s", [-361, 361], ids=["stale", "future"])
def test_timestamp_outside_the_window_is_refused(
    provider: str,
    offset_s: int,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    sent = delivery(provider, timestamp=int(clock()) + offset_s)

    response = make_pipeline(provider).handle_lambda(event_of(sent), lambda_context)

    assert refused(response, provider)
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_previous_secret_still_verifies_during_rotation(
    provider: str,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
) -> None:
    old, new = other_signing_secret(provider), other_signing_secret(provider)
    name = f"hookgate/rotating-{provider}-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=name, SecretString=rotation_secret(provider, new=new, old=old)
    )
    handler = make_pipeline(provider, HOOKGATE_SECRET_ID=name).handle_lambda
    by_old, by_new = delivery(provider, secret=old), delivery(provider, secret=new)
    stranger = delivery(provider, secret=other_signing_secret(provider))

    responses = [handler(event_of(d), lambda_context) for d in (by_old, by_new, stranger)]

    assert [200 <= r["statusCode"] < 300 for r in responses] == [True, True, False]
    [old_event] = bus.events_for(by_old.delivery_id)
    [new_event] = bus.events_for(by_new.delivery_id, settle_s=0)
    assert old_event["detail"]["verification"]["key_index"] == 1
    assert new_event["detail"]["verification"]["key_index"] == 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_redelivery_is_acknowledged_and_not_published_again(
    provider: str,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline(provider).handle_lambda
    given_id = str(uuid.uuid4())
    first = delivery(provider, delivery_id=given_id)
    # The provider's retry: the same delivery (same id, same body), signed again a bit later.
    retry = delivery(provider, delivery_id=given_id, body=first.body, timestamp=int(clock()) + 2)

    responses = [handler(event_of(d), lambda_context) for d in (first, retry)]

    assert all(200 <= r["statusCode"] < 300 for r in responses)
    assert retry.delivery_id == first.delivery_id
    assert len(bus.events_for(first.delivery_id)) == 1
