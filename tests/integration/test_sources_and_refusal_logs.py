"""Source-IP allow-lists before verification, and where every refusal came from in its log.

The address is the one AWS saw (API Gateway's `sourceIp`, the load balancer's own
`X-Forwarded-For` entry), never one a client wrote into a header.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dev.local.emulator import MotoServer
from dev.local.samples import DEV_SECRETS
from hookgate.sources import published
from tests.conftest import Bus, LambdaContext, LogSink
from tests.integration.conftest import PipelineFactory
from tests.integration.test_guard_and_observability import emf_metrics
from tests.support import shapes
from tests.support.deliveries import github_event, stripe_event

OUTSIDE = "203.0.113.7"  # TEST-NET-3: no provider sends from it


def _inside(provider: str) -> str:
    # An address inside the first range the provider publishes (the network's second one).
    import ipaddress

    network = ipaddress.ip_network(published(provider)[0])
    return str(next(iter(network.hosts())) if network.num_addresses > 1 else network[0])


def _from(event: dict[str, Any], address: str) -> dict[str, Any]:
    event["requestContext"]["identity"]["sourceIp"] = address
    return event


def _records(logs: LogSink, start: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.lines()[start:] if line.startswith("{")]


def test_delivery_from_a_published_range_is_verified_and_published(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("github", HOOKGATE_ALLOWED_SOURCES="published").handle_lambda
    event, _, delivery_id = github_event(DEV_SECRETS["github"])

    response = handler(_from(event, _inside("github")), lambda_context)

    assert response["statusCode"] == 200
    assert len(bus.events_for(delivery_id)) == 1


def test_genuine_delivery_from_outside_the_list_is_403_before_any_secret_is_read(
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a client that counts the function's Secrets Manager calls
    secretsmanager = aws.client("secretsmanager")
    calls: list[str] = []
    secretsmanager.meta.events.register("before-send", lambda **kw: calls.append("call"))
    handler = make_pipeline(
        "github", clients={"secretsmanager": secretsmanager}, HOOKGATE_ALLOWED_SOURCES="published"
    ).handle_lambda
    event, _, delivery_id = github_event(DEV_SECRETS["github"])

    response = handler(_from(event, OUTSIDE), lambda_context)

    assert response["statusCode"] == 403
    assert json.loads(response["body"]) == {"message": "forbidden"}
    assert calls == []
    assert bus.events_for(delivery_id, settle_s=0.3) == []
    reason = {"provider": "github", "reason": "ip_not_allowed"}
    assert ("WebhookRejected", reason) in emf_metrics(capsys.readouterr().out)


@pytest.mark.parametrize(
    "forwarded",
    [
        "{inside}",  # a header claiming an allowed address
        "{inside}, {outside}",  # ... before the entry the front door appended
    ],
)
def test_a_forwarded_for_header_naming_an_allowed_address_does_not_get_in(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext, forwarded: str
) -> None:
    handler = make_pipeline("github", HOOKGATE_ALLOWED_SOURCES="published").handle_lambda
    claimed = forwarded.format(inside=_inside("github"), outside=OUTSIDE)
    event, _, delivery_id = github_event(DEV_SECRETS["github"])
    event["multiValueHeaders"]["X-Forwarded-For"] = [claimed]
    event["headers"]["X-Forwarded-For"] = claimed

    assert handler(_from(event, OUTSIDE), lambda_context)["statusCode"] == 403
    assert bus.events_for(delivery_id, settle_s=0.3) == []


def test_behind_a_load_balancer_the_address_is_the_one_it_appended(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    # An ALB appends the address it saw to whatever X-Forwarded-For the client sent.
    handler = make_pipeline("github", HOOKGATE_ALLOWED_SOURCES="published").handle_lambda
    rest, body, _ = github_event(DEV_SECRETS["github"])
    headers = [(k, v) for k, values in rest["multiValueHeaders"].items() for v in values]
    spoofed = shapes.alb(
        headers=[*headers, ("X-Forwarded-For", f"{_inside('github')}, {OUTSIDE}")], body=body
    )
    genuine = shapes.alb(
        headers=[*headers, ("X-Forwarded-For", f"{OUTSIDE}, {_inside('github')}")], body=body
    )

    assert handler(spoofed, lambda_context)["statusCode"] == 403
    assert handler(genuine, lambda_context)["statusCode"] == 200


def test_an_allow_list_of_cidrs_is_honoured_for_any_provider(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline(
        "stripe", HOOKGATE_ALLOWED_SOURCES="198.51.100.0/24, 2001:db8::/32"
    ).handle_lambda

    inside_v4 = handler(
        _from(stripe_event(DEV_SECRETS["stripe"])[0], "198.51.100.9"), lambda_context
    )
    inside_v6 = handler(
        _from(stripe_event(DEV_SECRETS["stripe"])[0], "2001:db8::5"), lambda_context
    )
    outside = handler(_from(stripe_event(DEV_SECRETS["stripe"])[0], "198.51.101.9"), lambda_context)

    assert (inside_v4["statusCode"], inside_v6["statusCode"], outside["statusCode"]) == (
        200,
        200,
        403,
    )


@pytest.mark.parametrize(
    ("damage", "status", "reason"),
    [
        (
            lambda e: e["multiValueHeaders"].update({"Stripe-Signature": ["t=1,v1=00"]}),
            401,
            "bad_signature",
        ),
        (lambda e: e.update(httpMethod="DELETE"), 405, "method_not_allowed"),
        (lambda e: e.update(body="%%% not base64"), 400, "bad_request"),
        (lambda e: e.update(pathParameters={"account": "Not An Account"}), 404, "not_found"),
    ],
    ids=["refused by signature", "wrong method", "unparseable body", "bad account name"],
)
def test_every_refusal_is_logged_with_the_client_ip_and_path_but_no_header_value(
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    hookgate_logs: LogSink,
    damage: Any,
    status: int,
    reason: str,
) -> None:
    start = len(hookgate_logs.lines())
    event, _, _ = stripe_event(DEV_SECRETS["stripe"])
    event["requestContext"]["identity"]["sourceIp"] = "198.51.100.23"
    event["multiValueHeaders"]["X-Forwarded-For"] = ["192.0.2.99"]
    damage(event)

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    [record] = [r for r in _records(hookgate_logs, start) if r["message"] == "responded"]
    assert (response["statusCode"], record["reason"]) == (status, reason)
    assert record["client_ip"] == "198.51.100.23"
    assert record["path"] == event["requestContext"]["path"]
    assert "192.0.2.99" not in json.dumps(record)  # the client's own claim is not logged
    assert "t=1,v1=00" not in json.dumps(record)


def test_a_published_delivery_s_record_carries_no_client_ip(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext, hookgate_logs: LogSink
) -> None:
    start = len(hookgate_logs.lines())
    make_pipeline("stripe").handle_lambda(stripe_event(DEV_SECRETS["stripe"])[0], lambda_context)

    [record] = [r for r in _records(hookgate_logs, start) if r["message"] == "responded"]
    assert record["outcome"] == "published"
    assert "client_ip" not in record


@pytest.mark.parametrize(
    "damage",
    [
        lambda e: e.update(pathParameters={"account": "Not An Account"}),
        lambda e: e.update(body="%%% not base64"),
    ],
    ids=["bad account name", "unreadable body"],
)
def test_an_address_outside_the_list_is_refused_before_the_event_is_read(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext, damage: Any
) -> None:
    handler = make_pipeline("github", HOOKGATE_ALLOWED_SOURCES="published").handle_lambda
    event, _, _ = github_event(DEV_SECRETS["github"])
    damage(_from(event, OUTSIDE))

    assert handler(event, lambda_context)["statusCode"] == 403


@pytest.mark.parametrize(
    "headers",
    [{"x-forwarded-for": 5}, {"x-forwarded-for": "192.0.2.1"}, {"x-forwarded-for": ["not an ip"]}],
    ids=["a number", "a string, not a list", "not an address"],
)
def test_an_event_no_load_balancer_would_make_is_a_400_logged_without_an_address(
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    hookgate_logs: LogSink,
    headers: dict[str, Any],
) -> None:
    start = len(hookgate_logs.lines())
    event = shapes.alb(headers=[], body=b"{}")
    event["multiValueHeaders"] = headers

    response = make_pipeline("stripe").handle_lambda(event, lambda_context)

    [record] = [r for r in _records(hookgate_logs, start) if r["message"] == "responded"]
    assert response["statusCode"] in (400, 401)
    assert record.get("client_ip") is None  # (the logger leaves out a field that is None)
    assert record["path"] == "/webhooks/x"
