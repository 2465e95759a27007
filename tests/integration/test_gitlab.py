"""GitLab's signing token through the real handler (the matrix in test_providers.py runs its
secret-token deliveries): a signed delivery is published once under its signed `webhook-id`,
a signature that fails is refused whatever token rides with it, and a secret holding only the
signing token refuses token-only deliveries."""

from __future__ import annotations

import json
import uuid
from typing import Any

from dev.local.emulator import MotoServer
from hookgate.providers.standard import new_secret
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support.providers import delivery, event_of, other_signing_secret, signed_digest

TOKEN = other_signing_secret("gitlab")
SIGNING = new_secret()


def _secret(aws: MotoServer, *values: str) -> str:
    name = f"hookgate/gitlab-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(
        Name=name, SecretString=json.dumps({"signing_secrets": list(values)})
    )
    return name


def _status(response: dict[str, Any]) -> int:
    return int(response["statusCode"])


def test_signed_delivery_is_published_once_under_its_webhook_id(
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
    clock: Clock,
) -> None:
    handler = make_pipeline("gitlab", HOOKGATE_SECRET_ID=_secret(aws, SIGNING, TOKEN)).handle_lambda
    sent = delivery("gitlab", secret=SIGNING, delivery_id=str(uuid.uuid4()))
    # GitLab's retry, signed again later, and with the token too; then a capture resent with
    # fresh unsigned ids.
    retry = delivery(
        "gitlab",
        secret=SIGNING,
        delivery_id=sent.delivery_id,
        body=sent.body,
        timestamp=int(clock()) + 2,
    )
    resent = {**sent.headers, "Idempotency-Key": "fresh", "X-Gitlab-Event-UUID": "fresh"}

    responses = [
        handler(event_of(sent), lambda_context),
        handler(
            event_of(retry, headers={**retry.headers, "X-Gitlab-Token": TOKEN}), lambda_context
        ),
        handler(event_of(sent, headers=resent), lambda_context),
    ]

    assert [_status(r) for r in responses] == [200, 200, 200]
    assert [json.loads(str(r["body"]))["duplicate"] for r in responses] == [False, True, True]
    [published] = bus.events_for(sent.delivery_id)
    assert sent.delivery_id == sent.headers["webhook-id"]
    assert published["detail-type"] == "Push Hook"
    assert published["detail"]["verification"]["scheme"] == "hmac-sha256"
    assert published["detail"]["verification"]["key_index"] == 0
    assert published["detail"]["verification"]["signed_at"] is not None


def test_failing_signature_is_refused_though_its_token_is_right(
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    aws: MotoServer,
    clock: Clock,
) -> None:
    handler = make_pipeline("gitlab", HOOKGATE_SECRET_ID=_secret(aws, SIGNING, TOKEN)).handle_lambda
    sent = delivery("gitlab", secret=SIGNING)
    with_token = {**sent.headers, "X-Gitlab-Token": TOKEN}
    stale = delivery("gitlab", secret=SIGNING, timestamp=int(clock()) - 361)
    by_stranger = delivery("gitlab", secret=new_secret())

    responses = [
        handler(event_of(sent, headers=with_token, body=sent.body + b" "), lambda_context),
        handler(
            event_of(stale, headers={**stale.headers, "X-Gitlab-Token": TOKEN}), lambda_context
        ),
        handler(
            event_of(by_stranger, headers={**by_stranger.headers, "X-Gitlab-Token": TOKEN}),
            lambda_context,
        ),
    ]

    assert [_status(r) for r in responses] == [401, 401, 401]
    assert bus.seen(settle_s=0.3) == []


def test_token_only_delivery_verifies_only_while_a_secret_token_is_stored(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, aws: MotoServer
) -> None:
    both = make_pipeline("gitlab", HOOKGATE_SECRET_ID=_secret(aws, SIGNING, TOKEN)).handle_lambda
    signing_only = make_pipeline("gitlab", HOOKGATE_SECRET_ID=_secret(aws, SIGNING)).handle_lambda
    sent = delivery("gitlab", secret=TOKEN)

    refused = signing_only(event_of(sent), lambda_context)
    accepted = both(event_of(sent), lambda_context)

    assert (_status(refused), _status(accepted)) == (401, 200)
    [published] = bus.events_for(signed_digest("gitlab", sent))
    assert published["detail"]["verification"]["scheme"] == "token"
    assert published["detail"]["verification"]["key_index"] == 1
