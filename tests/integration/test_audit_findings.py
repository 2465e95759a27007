"""The outside audit's findings (issue 13), each reproduced as the attacker did it: through the
real handler, against the local AWS emulator, with nothing but what an attacker can see or
build (a captured delivery, a GET, a handshake's answer). Each test failed on the code the audit
broke. PayPal's findings, which need its certificate served, are in `test_paypal.py`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from dev.local.emulator import MotoServer
from dev.local.samples import DEV_SECRETS
from hookgate.devtools.simulate import make_delivery
from hookgate.providers.asana import AWAITING_HANDSHAKE
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import PipelineFactory
from tests.support import shapes
from tests.support.providers import delivery, event_of, url_for

FORM = "application/x-www-form-urlencoded"


def refused(response: dict[str, Any]) -> bool:
    return bool(response["statusCode"] == 401 and response["body"] == '{"message":"unauthorized"}')


def acknowledged(response: dict[str, Any], *, duplicate: bool) -> bool:
    body: dict[str, bool] = json.loads(response["body"])
    return response["statusCode"] == 200 and body == {"received": True, "duplicate": duplicate}


def get(provider: str, query: list[tuple[str, str]]) -> dict[str, Any]:
    return shapes.rest_v1(
        method="GET", path=f"/webhooks/{provider}", headers=[], body=b"", query=query
    )


def post(provider: str, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    return shapes.rest_v1(path=f"/webhooks/{provider}", headers=headers, body=body)


# --- 1. X's CRC was a signing oracle ----------------------------------------------------------


def test_x_crc_answer_cannot_sign_a_delivery(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("twitter").handle_lambda
    wanted = json.dumps({"for_user_id": "1", "tweet_create_events": [{"text": "forged"}]})

    # GIVEN an attacker who asks for the CRC of the body they want published
    asked = handler(get("twitter", [("crc_token", wanted)]), lambda_context)
    # AND one who asks for the CRC of a token X could have sent, to use the token as a body
    token = "M2RkODJkZmMtYjlkYi00NmQ4LTk0MGUtM2JjYzkwM2Q4MjQ0"
    answer = handler(get("twitter", [("crc_token", token)]), lambda_context)
    signature = json.loads(answer["body"])["response_token"]
    as_body = post(
        "twitter",
        [("Content-Type", "application/json"), ("x-twitter-webhooks-signature", signature)],
        token.encode(),
    )

    # THEN the first gets no answer and the second's delivery is refused
    assert asked["statusCode"] == 400
    assert "response_token" not in asked["body"]
    assert answer["statusCode"] == 200
    assert refused(handler(as_body, lambda_context))
    assert bus.seen(settle_s=0.3) == []


# --- 3. Twilio: a body nobody signed ------------------------------------------------------------


def test_twilio_post_signed_over_its_url_alone_is_refused(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    validator = RequestValidator(DEV_SECRETS["twilio"])
    url = url_for("twilio")
    # What Twilio signs for a GET of the URL (the URL alone), per its own SDK.
    signature = validator.compute_signature(url, {})
    forged = json.dumps({"MessageStatus": "delivered", "Body": "forged"}).encode()

    response = make_pipeline("twilio").handle_lambda(
        post(
            "twilio",
            [("Content-Type", "application/json"), ("X-Twilio-Signature", signature)],
            forged,
        ),
        lambda_context,
    )

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


def test_twilio_form_fields_moved_into_a_function_url_path_are_refused(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # GIVEN a captured form POST to a function URL (which routes any path to the function)
    domain = "abcdefghijklmnop.lambda-url.eu-west-1.on.aws"
    url = f"https://{domain}/webhooks/twilio"
    fields = {"AccountSid": "AC" + "0" * 32, "MessageStatus": "delivered", "To": "+14155550199"}
    signature = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(url, fields)
    # WHEN the fields' signed text is moved into the path and the body is the attacker's
    moved = "".join(name + fields[name] for name in sorted(fields))
    event = shapes.function_url(
        path="/webhooks/twilio" + moved,
        headers=[("Content-Type", "application/json"), ("X-Twilio-Signature", signature)],
        body=b'{"Body": "forged"}',
    )

    response = make_pipeline("twilio").handle_lambda(event, lambda_context)

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


# --- 4 and 5. Replays under a fresh, unsigned id ------------------------------------------------

#: Per provider, what a resend of a captured delivery changes that the signature does not cover.
UNSIGNED_CHANGES = {
    "github": {"X-GitHub-Delivery": str(uuid.uuid4()), "X-GitHub-Event": "release"},
    "shopify": {
        "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        "X-Shopify-Topic": "orders/cancelled",
        "X-Shopify-Shop-Domain": "another-shop.myshopify.com",
    },
    "twilio": {"I-Twilio-Idempotency-Token": str(uuid.uuid4())},
    "gitlab": {
        "Idempotency-Key": str(uuid.uuid4()),
        "X-Gitlab-Event-UUID": str(uuid.uuid4()),
        "X-Gitlab-Event": "Tag Push Hook",
    },
}


@pytest.mark.parametrize("provider", sorted(UNSIGNED_CHANGES))
def test_captured_delivery_resent_under_a_fresh_unsigned_id_is_a_duplicate(
    provider: str, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline(provider).handle_lambda
    sent = delivery(provider)
    resent = {**sent.headers, **UNSIGNED_CHANGES[provider]}

    first = handler(event_of(sent), lambda_context)
    again = handler(event_of(sent, headers=resent), lambda_context)

    assert acknowledged(first, duplicate=False)
    assert acknowledged(again, duplicate=True)
    [published] = bus.seen()
    unsigned = published["detail"]["verification"]["unsigned"]
    if provider != "twilio":  # Twilio's event type is read from its signed fields
        assert "event_type" in unsigned


def test_generic_unsigned_id_header_is_metadata_not_the_replay_key(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("generic", HOOKGATE_GENERIC_ID_HEADER="X-Webhook-Id").handle_lambda
    sent = delivery("generic")

    first = handler(event_of(sent, headers={**sent.headers, "X-Webhook-Id": "a"}), lambda_context)
    again = handler(event_of(sent, headers={**sent.headers, "X-Webhook-Id": "b"}), lambda_context)

    assert acknowledged(first, duplicate=False)
    assert acknowledged(again, duplicate=True)
    [published] = bus.seen()
    assert published["detail"]["headers"]["x-webhook-id"] == "a"
    assert "headers.x-webhook-id" in published["detail"]["verification"]["unsigned"]


def test_svix_keys_on_the_id_of_the_header_style_that_verified(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # GIVEN a delivery to the Svix endpoint signed with the un-branded `webhook-*` headers
    sent = make_delivery("standardwebhooks", DEV_SECRETS["svix"], url=url_for("svix"))
    handler = make_pipeline("svix").handle_lambda

    # WHEN it is sent, and resent, with an unsigned `svix-id` of the attacker's choosing
    responses = [
        handler(event_of(sent, headers={**sent.headers, "svix-id": fresh}), lambda_context)
        for fresh in ("attacker-1", "attacker-2")
    ]

    assert acknowledged(responses[0], duplicate=False)
    assert acknowledged(responses[1], duplicate=True)
    [published] = bus.seen()
    assert published["detail"]["delivery_id"] == sent.headers["webhook-id"]


# --- 6. Asana: trust on first use across instances ----------------------------------------------


def test_asana_first_secret_wins_across_instances(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, aws: MotoServer
) -> None:
    name = f"hookgate/asana-tofu-{uuid.uuid4().hex[:8]}"
    secrets = aws.client("secretsmanager")
    secrets.create_secret(Name=name, SecretString=AWAITING_HANDSHAKE)
    first_instance = make_pipeline("asana", HOOKGATE_SECRET_ID=name).handle_lambda
    other_instance = make_pipeline("asana", HOOKGATE_SECRET_ID=name).handle_lambda
    genuine, forged = "genuine-hook-secret-" + uuid.uuid4().hex, "forged-" + uuid.uuid4().hex

    def handshake(secret: str) -> dict[str, Any]:
        return post("asana", [("X-Hook-Secret", secret)], b"")

    # GIVEN the other instance has cached the awaiting secret (a signed-looking POST: 401)
    early = other_instance(event_of(delivery("asana", secret=forged)), lambda_context)
    # WHEN the genuine handshake reaches one instance and a forged one the other
    answered = first_instance(handshake(genuine), lambda_context)
    hijack = other_instance(handshake(forged), lambda_context)

    assert refused(early)
    assert answered["statusCode"] == 200
    assert answered["headers"]["X-Hook-Secret"] == genuine
    assert refused(hijack)
    stored = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
    assert stored == {"signing_secrets": [genuine]}
    # AND the instance that saw the forgery verifies the genuine secret's deliveries at once
    later = other_instance(event_of(delivery("asana", secret=genuine)), lambda_context)
    assert acknowledged(later, duplicate=False)
    assert len(bus.seen()) == 1


# --- 7. The signed URL chosen through Host or X-Forwarded-Port ----------------------------------


def test_host_header_cannot_choose_the_url_twilio_is_verified_against(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # GIVEN a genuine Twilio delivery to another endpoint of the same account, captured
    fields = {"AccountSid": "AC" + "0" * 32, "MessageStatus": "delivered"}
    signature = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(
        "https://voice.example.com/incoming", fields
    )
    headers = [("Content-Type", FORM), ("X-Twilio-Signature", signature)]
    body = urlencode(fields).encode()
    # WHEN it is sent to hookgate behind an ALB with a Host holding that URL's path
    behind_alb = shapes.alb(path="/webhooks/twilio", headers=headers, body=body)
    behind_alb["multiValueHeaders"]["host"] = ["voice.example.com/incoming"]
    # OR through API Gateway with an X-Forwarded-Port holding a path
    behind_api = post("twilio", [*headers, ("X-Forwarded-Port", "443/incoming")], body)
    signature_for_api = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(
        f"https://{shapes.HOST}/incoming", fields
    )
    behind_api["multiValueHeaders"]["X-Twilio-Signature"] = [signature_for_api]

    handler = make_pipeline("twilio").handle_lambda
    responses = [handler(behind_alb, lambda_context), handler(behind_api, lambda_context)]

    assert [r["statusCode"] for r in responses] == [400, 400]
    assert bus.seen(settle_s=0.3) == []


# --- 8. Unauthenticated 500s -------------------------------------------------------------------


def test_unauthenticated_pathological_requests_get_no_5xx(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    deep = b"[" * 50_000 + b"]" * 50_000
    cases = [
        # Graph parses its body for the client state before anything is verified.
        ("msgraph", post("msgraph", [("Content-Type", "application/json")], deep)),
        # A lone surrogate in a header that is signed (Twitch's message id).
        (
            "twitch",
            post(
                "twitch",
                [*delivery("twitch").headers.items(), ("Twitch-Eventsub-Message-Id", "\ud800")],
                b"{}",
            ),
        ),
    ]

    statuses = [make_pipeline(p).handle_lambda(e, lambda_context)["statusCode"] for p, e in cases]

    assert statuses == [401, 400]
    assert bus.seen(settle_s=0.3) == []


# --- 9. Signed but pathological bodies ----------------------------------------------------------


def _slack_form_with_deep_payload() -> bytes:
    return urlencode({"payload": "[" * 50_000 + "]" * 50_000}).encode()


SIGNED_PATHOLOGICAL = {
    "stripe": b'{"id": "evt_deep", "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "slack": _slack_form_with_deep_payload(),
    "twitch": b'{"challenge": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    "sendgrid": json.dumps([{"event": ["delivered"], "sg_event_id": "x"}]).encode(),
    "okta": json.dumps({"eventId": "e", "data": {"events": [{"eventType": ["a"]}]}}).encode(),
}


@pytest.mark.parametrize("provider", sorted(SIGNED_PATHOLOGICAL))
def test_signed_pathological_body_is_published_not_a_500(
    provider: str, make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    body = SIGNED_PATHOLOGICAL[provider]
    sent = delivery(provider, body=body, event_type="webhook_callback_verification")
    headers = dict(sent.headers)
    if provider == "slack":
        headers["Content-Type"] = FORM

    response = make_pipeline(provider).handle_lambda(
        event_of(sent, headers=headers), lambda_context
    )

    assert 200 <= response["statusCode"] < 300
    [published] = bus.seen()
    assert published["detail"]["delivery_id"] == sent.delivery_id


# --- 10. Smaller ones -------------------------------------------------------------------------


def test_square_query_moved_into_the_body_is_refused(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # GIVEN a genuine Square delivery to a function URL whose notification URL has a query
    domain = "abcdefghijklmnop.lambda-url.eu-west-1.on.aws"
    body = json.dumps({"event_id": str(uuid.uuid4()), "type": "payment.updated"}).encode()
    url = f"https://{domain}/webhooks/square?tenant=1"
    # Square's documented scheme: base64 HMAC-SHA256 of the notification URL followed by the body
    digest = hmac.new(DEV_SECRETS["square"].encode(), url.encode() + body, hashlib.sha256)
    signature = base64.b64encode(digest.digest()).decode()
    headers = [("Content-Type", "application/json"), ("x-square-hmacsha256-signature", signature)]

    # WHEN the query's last character moves into the body (same signed text)
    forged = shapes.function_url(
        path="/webhooks/square", headers=headers, body=b"1" + body, query=[("tenant", "")]
    )
    response = make_pipeline("square").handle_lambda(forged, lambda_context)

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


def test_standard_webhooks_public_key_among_signing_secrets_is_a_configuration_error(
    make_pipeline: PipelineFactory, aws: MotoServer, bus: Bus, lambda_context: LambdaContext
) -> None:
    # A whpk_ key where an HMAC secret belongs: its bytes are public, so it must never key one.
    public = "whpk_" + base64.b64encode(b"\x01" * 32).decode()
    name = f"hookgate/stdwh-pk-{uuid.uuid4().hex[:8]}"
    aws.client("secretsmanager").create_secret(Name=name, SecretString=public)
    sent = delivery("standardwebhooks")

    response = make_pipeline("standardwebhooks", HOOKGATE_SECRET_ID=name).handle_lambda(
        event_of(sent), lambda_context
    )

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "configuration error"}
    assert bus.seen(settle_s=0.3) == []


@pytest.mark.parametrize(
    ("provider", "event", "env"),
    [
        (
            "msgraph",
            shapes.rest_v1(
                path="/webhooks/msgraph", headers=[], body=b"", query=[("validationToken", "t")]
            ),
            {},
        ),
        ("generic", get("generic", [("challenge", "t")]), {"challenge": "challenge"}),
    ],
)
def test_unauthenticated_echoes_are_never_sniffed(
    provider: str,
    event: dict[str, Any],
    env: dict[str, str],
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
) -> None:
    overrides = {f"HOOKGATE_GENERIC_{name.upper()}_PARAMETER": v for name, v in env.items()}
    response = make_pipeline(provider, **overrides).handle_lambda(event, lambda_context)

    assert (response["statusCode"], response["body"]) == (200, "t")
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


def test_twilio_resend_with_fields_reordered_is_a_duplicate(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # Twilio signs the sorted fields: their order in the body is not signed.
    sent = delivery("twilio")
    reordered = urlencode(sorted(parse_qsl(sent.body.decode()), reverse=True)).encode()
    handler = make_pipeline("twilio").handle_lambda

    first = handler(event_of(sent), lambda_context)
    again = handler(event_of(sent, body=reordered), lambda_context)

    assert acknowledged(first, duplicate=False)
    assert acknowledged(again, duplicate=True)
    assert len(bus.seen()) == 1


# --- Found by the adversarial review of the fixes ---------------------------------------------


@pytest.mark.parametrize("provider", ["stripe", "square", "slack", "discord"])
@pytest.mark.parametrize("content_type", ["text/plain", FORM])
def test_resend_under_another_content_type_is_a_duplicate(
    provider: str,
    content_type: str,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    # The Content-Type is not signed but decides how the body is parsed: it once made a body
    # id unreadable, and the key fell back to a digest nobody had claimed yet.
    handler = make_pipeline(provider).handle_lambda
    sent = delivery(provider)
    resent = {**sent.headers, "Content-Type": content_type}

    first = handler(event_of(sent), lambda_context)
    again = handler(event_of(sent, headers=resent), lambda_context)

    assert 200 <= first["statusCode"] < 300
    assert 200 <= again["statusCode"] < 300
    assert len(bus.seen()) == 1


def test_slack_url_verification_sent_as_a_form_is_answered_not_published(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
    sent = delivery("slack", body=body)

    response = make_pipeline("slack").handle_lambda(
        event_of(sent, headers={**sent.headers, "Content-Type": FORM}), lambda_context
    )

    assert (response["statusCode"], json.loads(response["body"])) == (200, {"challenge": "c"})
    assert bus.seen(settle_s=0.3) == []


def test_twilio_behind_an_alb_is_a_duplicate_whatever_port_the_host_names(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # Behind an ALB the client's Host names the host; Twilio's port-less variant verifies.
    fields = {"AccountSid": "AC" + "0" * 32, "MessageSid": "SM" + uuid.uuid4().hex}
    signature = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(
        "https://hooks.example.com/webhooks/twilio", fields
    )
    handler = make_pipeline("twilio").handle_lambda
    responses = []
    for host in ("hooks.example.com", "hooks.example.com:1", "HOOKS.example.com:2"):
        event = shapes.alb(
            path="/webhooks/twilio",
            headers=[("Content-Type", FORM), ("X-Twilio-Signature", signature)],
            body=urlencode(fields).encode(),
        )
        event["multiValueHeaders"]["host"] = [host]
        responses.append(handler(event, lambda_context))

    assert [r["statusCode"] for r in responses] == [200, 200, 200]
    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True, True]
    assert len(bus.seen()) == 1


def test_twilio_form_with_more_fields_than_twilio_sends_is_refused(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    fields = [(f"f{i}", "x") for i in range(5000)]
    signature = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(
        url_for("twilio"), dict(fields)
    )
    event = post(
        "twilio",
        [("Content-Type", FORM), ("X-Twilio-Signature", signature)],
        urlencode(fields).encode(),
    )

    assert refused(make_pipeline("twilio").handle_lambda(event, lambda_context))
    assert bus.seen(settle_s=0.3) == []
