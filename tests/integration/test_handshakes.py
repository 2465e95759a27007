"""Handshakes and challenges through the real handler: exactly the status, content type and
bytes each provider expects (per its documentation), never published; and the special
acknowledgements some providers require."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest

from dev.local.emulator import MotoServer
from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from hookgate.material import SecretMaterial
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support import shapes
from tests.support.providers import delivery, event_of, other_signing_secret


def get(
    provider: str, query: list[tuple[str, str]], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return shapes.rest_v1(
        method="GET",
        path=f"/webhooks/{provider}",
        headers=list((headers or {}).items()),
        body=b"",
        query=query,
    )


def answered(response: dict[str, Any], status: int, content_type: str, body: str) -> bool:
    return bool(
        response["statusCode"] == status
        and response["headers"]["Content-Type"].split(";")[0] == content_type
        and response["body"] == body
    )


def refused(response: dict[str, Any]) -> bool:
    return bool(response["statusCode"] == 401 and response["body"] == '{"message":"unauthorized"}')


@pytest.fixture
def nothing_published(bus: Bus) -> Any:
    yield
    assert bus.seen(settle_s=0.3) == []


# --- Signed handshakes: verified first, then answered ---------------------------------------


@pytest.mark.usefixtures("nothing_published")
def test_slack_url_verification_answers_the_challenge(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    body = json.dumps(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    handler = make_pipeline("slack").handle_lambda

    genuine = handler(event_of(delivery("slack", body=body)), lambda_context)
    forged = handler(event_of(delivery("slack", body=body, secret="forger")), lambda_context)

    assert answered(
        genuine,
        200,
        "application/json",
        '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
    )
    assert refused(forged)


@pytest.mark.usefixtures("nothing_published")
def test_discord_ping_gets_pong_and_its_bad_signature_probe_gets_401(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    body = b'{"application_id":"1","id":"2","type":1,"token":"t","version":1}'
    handler = make_pipeline("discord").handle_lambda

    pong = handler(event_of(delivery("discord", body=body)), lambda_context)
    probe = handler(
        event_of(delivery("discord", body=body, secret=other_signing_secret("discord"))),
        lambda_context,
    )

    assert answered(pong, 200, "application/json", '{"type":1}')
    assert refused(probe)


@pytest.mark.usefixtures("nothing_published")
def test_discord_webhook_events_ping_gets_an_empty_204_and_its_bad_signature_probe_401(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    body = b'{"version":1,"application_id":"1234560123453231555","type":0}'
    handler = make_pipeline("discord").handle_lambda

    ping = handler(event_of(delivery("discord", body=body)), lambda_context)
    probe = handler(
        event_of(delivery("discord", body=body, secret=other_signing_secret("discord"))),
        lambda_context,
    )

    assert answered(ping, 204, "application/json", "")
    assert refused(probe)


@pytest.mark.usefixtures("nothing_published")
def test_zoom_url_validation_returns_the_token_and_its_hmac(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    plain = "qgg8vlvZRS6UYooatFL8Aw"
    body = json.dumps(
        {
            "payload": {"plainToken": plain},
            "event_ts": 1654503849680,
            "event": "endpoint.url_validation",
        },
        separators=(",", ":"),
    ).encode()

    response = make_pipeline("zoom").handle_lambda(
        event_of(delivery("zoom", body=body)), lambda_context
    )

    expected = hmac.new(DEV_SECRETS["zoom"].encode(), plain.encode(), hashlib.sha256).hexdigest()
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {"plainToken": plain, "encryptedToken": expected}


@pytest.mark.usefixtures("nothing_published")
def test_twitch_callback_verification_echoes_the_challenge_as_text(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    challenge = "pogchamp-kappa-360noscope-vohiyo"
    body = json.dumps({"challenge": challenge, "subscription": {"type": "channel.follow"}}).encode()
    sent = delivery("twitch", body=body, event_type="webhook_callback_verification")
    handler = make_pipeline("twitch").handle_lambda

    response = handler(event_of(sent), lambda_context)
    forged = handler(
        event_of(
            delivery(
                "twitch", body=body, event_type="webhook_callback_verification", secret="x" * 12
            )
        ),
        lambda_context,
    )

    assert answered(response, 200, "text/plain", challenge)
    assert refused(forged)


# --- Unsigned handshakes: what the provider lets us check, then answered --------------------


@pytest.mark.usefixtures("nothing_published")
def test_meta_subscription_echoes_the_challenge_only_for_the_right_token(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    token = SecretMaterial.parse(STORED_DEV_SECRETS["meta"]).verify_token
    assert token
    handler = make_pipeline("meta").handle_lambda

    def subscribe(mode: str, verify_token: str) -> dict[str, Any]:
        query = [
            ("hub.mode", mode),
            ("hub.challenge", "1158201444"),
            ("hub.verify_token", verify_token),
        ]
        return handler(get("meta", query), lambda_context)

    assert answered(subscribe("subscribe", token), 200, "text/plain", "1158201444")
    assert refused(subscribe("subscribe", token + "x"))
    assert refused(subscribe("unsubscribe", token))


@pytest.mark.usefixtures("nothing_published")
def test_twitter_crc_answers_with_the_hmac_of_the_token(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    crc_token = "Zjc0NjA2YjItYWUzNy00ZjQ0LWE3ZGItMzIxZmE1ODFiOWU0"

    response = make_pipeline("twitter").handle_lambda(
        get("twitter", [("crc_token", crc_token)]), lambda_context
    )

    digest = hmac.new(DEV_SECRETS["twitter"].encode(), crc_token.encode(), hashlib.sha256).digest()
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert json.loads(response["body"]) == {
        "response_token": "sha256=" + base64.b64encode(digest).decode()
    }


@pytest.mark.usefixtures("nothing_published")
def test_msgraph_validation_echoes_the_decoded_token_as_text(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    token = "Validation: Testing client application reachability for subscription Request-Id: 1"
    event = shapes.rest_v1(
        path="/webhooks/msgraph",
        headers=[("Content-Type", "text/plain; charset=utf-8")],
        body=b"",
        query=[("validationToken", token)],  # API Gateway hands it over decoded
    )

    response = make_pipeline("msgraph").handle_lambda(event, lambda_context)

    assert answered(response, 200, "text/plain", token)


@pytest.mark.usefixtures("nothing_published")
def test_dropbox_challenge_is_echoed_with_nosniff(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    response = make_pipeline("dropbox").handle_lambda(
        get("dropbox", [("challenge", "bWVzc2FnZQ")]), lambda_context
    )

    assert answered(response, 200, "text/plain", "bWVzc2FnZQ")
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


@pytest.mark.usefixtures("nothing_published")
def test_okta_verification_answered_only_with_the_authorization_secret(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("okta").handle_lambda
    challenge = {"X-Okta-Verification-Challenge": "rQUBK9gjd7eHP47q0wXTGPT_rQHmtgA-zhVSK-Ph"}

    genuine = handler(
        get("okta", [], {**challenge, "Authorization": DEV_SECRETS["okta"]}), lambda_context
    )
    anonymous = handler(get("okta", [], challenge), lambda_context)

    assert answered(
        genuine,
        200,
        "application/json",
        '{"verification":"rQUBK9gjd7eHP47q0wXTGPT_rQHmtgA-zhVSK-Ph"}',
    )
    assert refused(anonymous)


def test_asana_handshake_stores_the_secret_once_and_it_then_verifies(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, aws: MotoServer
) -> None:
    name = f"hookgate/asana-{uuid.uuid4().hex[:8]}"
    secrets = aws.client("secretsmanager")
    secrets.create_secret(Name=name, SecretString='{"signing_secrets": []}')
    handler = make_pipeline("asana", HOOKGATE_SECRET_ID=name).handle_lambda
    hook_secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"

    def handshake(value: str) -> dict[str, Any]:
        event = shapes.rest_v1(path="/webhooks/asana", headers=[("X-Hook-Secret", value)], body=b"")
        return handler(event, lambda_context)

    first = handshake(hook_secret)
    stored = secrets.get_secret_value(SecretId=name)["SecretString"]
    second = handshake("attacker-chosen-secret")
    event = delivery("asana", secret=hook_secret)
    published = handler(event_of(event), lambda_context)

    assert first["statusCode"] == 200
    assert first["headers"]["X-Hook-Secret"] == hook_secret
    assert SecretMaterial.parse(stored).signing_secrets == (hook_secret,)
    assert refused(second)
    assert secrets.get_secret_value(SecretId=name)["SecretString"] == stored
    assert published["statusCode"] == 200
    assert len(bus.events_for(event.delivery_id)) == 1


@pytest.mark.usefixtures("nothing_published")
def test_generic_challenge_echo_when_configured(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    configured = make_pipeline("generic", HOOKGATE_GENERIC_CHALLENGE_PARAMETER="challenge")
    plain = make_pipeline("generic")

    echoed = configured.handle_lambda(get("generic", [("challenge", "abc123")]), lambda_context)
    not_allowed = plain.handle_lambda(get("generic", [("challenge", "abc123")]), lambda_context)

    assert answered(echoed, 200, "text/plain", "abc123")
    assert not_allowed["statusCode"] == 405


# --- Acknowledgements a provider requires ----------------------------------------------------


@pytest.mark.parametrize(
    ("interaction_type", "expected"),
    [
        ("APPLICATION_COMMAND", {"type": 5}),
        ("MESSAGE_COMPONENT", {"type": 6}),
        ("MODAL_SUBMIT", {"type": 5}),
    ],
)
def test_discord_interactions_are_published_and_deferred(
    interaction_type: str,
    expected: dict[str, int],
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    sent = delivery("discord", event_type=interaction_type)
    handler = make_pipeline("discord").handle_lambda

    first = handler(event_of(sent), lambda_context)
    again = handler(event_of(sent), lambda_context)

    for response in (first, again):
        assert response["statusCode"] == 200
        assert json.loads(response["body"]) == expected
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail-type"] == interaction_type


@pytest.mark.parametrize("event_type", ["APPLICATION_AUTHORIZED", "ENTITLEMENT_CREATE"])
def test_discord_webhook_events_are_published_once_and_answered_an_empty_204(
    event_type: str,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    sent = delivery("discord", event_type=event_type)
    # Discord's retry: the same body, signed again a little later.
    retry = delivery("discord", body=sent.body, timestamp=int(clock()) + 2)
    handler = make_pipeline("discord").handle_lambda

    responses = [handler(event_of(d), lambda_context) for d in (sent, retry)]

    for response in responses:
        assert answered(response, 204, "application/json", "")
    assert json.loads(sent.body)["type"] == 1
    assert sent.delivery_id == retry.delivery_id == hashlib.sha256(sent.body).hexdigest()[:32]
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail-type"] == event_type
    assert published["detail"]["payload"]["event"]["type"] == event_type


def test_slack_slash_command_is_acknowledged_with_an_empty_200(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    body = (
        b"command=%2Fdeploy&text=prod&trigger_id=13345224609.738474920.8088930838d88f008e0"
        b"&user_id=U1"
    )
    sent = delivery("slack", body=body)
    headers = {**sent.headers, "Content-Type": "application/x-www-form-urlencoded"}

    response = make_pipeline("slack").handle_lambda(event_of(sent, headers=headers), lambda_context)

    assert (response["statusCode"], response["body"]) == (200, "")
    [published] = bus.events_for(hashlib.sha256(body).hexdigest()[:32])
    assert published["detail-type"] == "slash_command"
    assert published["detail"]["payload"] == {
        "form": {
            "command": "/deploy",
            "text": "prod",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "user_id": "U1",
        }
    }


def test_msgraph_notifications_are_accepted_with_202(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    sent = delivery("msgraph")

    response = make_pipeline("msgraph").handle_lambda(event_of(sent), lambda_context)

    assert (response["statusCode"], response["body"]) == (202, "")
    assert len(bus.events_for(sent.delivery_id)) == 1


def test_msgraph_notification_without_client_state_is_refused(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    sent = delivery("msgraph")
    body = json.loads(sent.body)
    del body["value"][0]["clientState"]

    response = make_pipeline("msgraph").handle_lambda(
        event_of(sent, body=json.dumps(body).encode()), lambda_context
    )

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


def test_twitch_revocation_is_published_as_revocation(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    body = json.dumps(
        {
            "subscription": {
                "id": "f1c2a387",
                "status": "authorization_revoked",
                "type": "channel.follow",
            }
        }
    ).encode()
    sent = delivery("twitch", body=body, event_type="revocation")

    response = make_pipeline("twitch").handle_lambda(event_of(sent), lambda_context)

    assert response["statusCode"] == 200
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail-type"] == "revocation"
    assert published["detail"]["headers"]["twitch-eventsub-message-type"] == "revocation"


#: Xero's intent-to-receive body, as its "Configuring your server" page shows it.
XERO_INTENT = (
    b'{"events": [], "lastEventSequence": 0, "firstEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}'
)


def _xero_signed(
    body: bytes, secret: str = DEV_SECRETS["xero"], *, signing: bytes | None = None
) -> dict[str, Any]:
    # An independent HMAC, as Xero documents it: base64 HMAC-SHA256 of the body.
    signed = body if signing is None else signing
    signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    headers = [("Content-Type", "application/json"), ("x-xero-signature", signature.decode())]
    return shapes.rest_v1(path="/webhooks/xero", headers=headers, body=body)


@pytest.mark.usefixtures("nothing_published")
def test_xero_intent_to_receive_gets_empty_200s_and_empty_401s(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("xero").handle_lambda
    unsigned = _xero_signed(XERO_INTENT)
    del unsigned["headers"]["x-xero-signature"]
    del unsigned["multiValueHeaders"]["x-xero-signature"]

    correct = [handler(_xero_signed(XERO_INTENT), lambda_context) for _ in range(2)]
    incorrect = [
        handler(_xero_signed(XERO_INTENT, secret="not-the-webhook-key"), lambda_context),
        handler(_xero_signed(XERO_INTENT + b" ", signing=XERO_INTENT), lambda_context),
        handler(unsigned, lambda_context),
    ]

    for response in correct:
        assert (response["statusCode"], response["body"]) == (200, "")
        assert "Set-Cookie" not in response["headers"]
    for response in incorrect:
        assert (response["statusCode"], response["body"]) == (401, "")
        assert "Set-Cookie" not in response["headers"]


def test_xero_events_are_published_once_and_every_answer_is_empty(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    events = [
        {
            "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc",
            "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",
            "eventDateUtc": "2017-06-21T01:15:39.902",
            "eventType": kind,
            "eventCategory": "CONTACT",
            "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
            "tenantType": "ORGANISATION",
        }
        for kind in ("UPDATE", "CREATE")
    ]
    body = json.dumps(
        {"events": events, "lastEventSequence": 2, "firstEventSequence": 1, "entropy": "X1"}
    ).encode()
    handler = make_pipeline("xero").handle_lambda

    first, again = (handler(_xero_signed(body), lambda_context) for _ in range(2))

    assert [(r["statusCode"], r["body"]) for r in (first, again)] == [(200, ""), (200, "")]
    [published] = bus.events_for(hashlib.sha256(body).hexdigest()[:32])
    assert published["detail-type"] == "webhook"  # a mixed batch: one event, both inside
    assert published["detail"]["payload"]["events"] == events
