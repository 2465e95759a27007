"""Rotating a secret in Secrets Manager takes effect in a warm function, without a cold start."""

from __future__ import annotations

import json
import time
import uuid

from dev.local.emulator import MotoServer
from tests.conftest import LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support.deliveries import stripe_event

OLD = "whsec_rotation_old_secret"
NEW = "whsec_rotation_new_secret"
# The test waits this long for the cached secret to expire once the old secret is removed.
MAX_AGE_S = 1


def test_rotation_overlap_accepts_both_then_only_new(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext, clock: Clock
) -> None:
    secrets = aws.client("secretsmanager")
    name = f"hookgate/rotation-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString=OLD)
    handler = make_pipeline(
        "stripe", HOOKGATE_SECRET_ID=name, HOOKGATE_SECRET_MAX_AGE_SECONDS=str(MAX_AGE_S)
    ).handle_lambda

    def status(secret: str) -> int:
        clock.offset_s += 10  # past the forced re-read cooldown, as real deliveries would be
        event, _, _ = stripe_event(secret, timestamp=int(clock()))
        return int(handler(event, lambda_context)["statusCode"])

    # GIVEN a warm function that has cached the old secret
    assert status(OLD) == 200
    assert status(NEW) == 401

    # WHEN the new secret is added in front of the old one
    secrets.put_secret_value(
        SecretId=name, SecretString=json.dumps({"signing_secrets": [NEW, OLD]})
    )

    # THEN both verify, straight away (a miss re-reads the secret once)
    assert status(NEW) == 200
    assert status(OLD) == 200

    # WHEN the old secret is removed, and the cache's bounded age has passed
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps({"signing_secrets": [NEW]}))
    time.sleep(MAX_AGE_S + 0.2)

    # THEN only the new one verifies
    assert status(OLD) == 401
    assert status(NEW) == 200


def test_forged_requests_do_not_re_read_the_secret_each_time(
    aws: MotoServer, make_pipeline: PipelineFactory, lambda_context: LambdaContext, clock: Clock
) -> None:
    secrets = aws.client("secretsmanager")
    name = f"hookgate/cooldown-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString=OLD)
    handler = make_pipeline("stripe", HOOKGATE_SECRET_ID=name).handle_lambda
    assert handler(stripe_event(OLD)[0], lambda_context)["statusCode"] == 200

    # GIVEN the secret is rotated right after one forged request forced a re-read
    assert handler(stripe_event("whsec_forged")[0], lambda_context)["statusCode"] == 401
    secrets.put_secret_value(SecretId=name, SecretString=NEW)

    # THEN within the cooldown a miss does not re-read (new secret not yet seen) ...
    assert handler(stripe_event(NEW)[0], lambda_context)["statusCode"] == 401
    # ... and once the cooldown has passed, it does
    clock.offset_s += 10
    assert (
        handler(stripe_event(NEW, timestamp=int(clock()))[0], lambda_context)["statusCode"] == 200
    )
