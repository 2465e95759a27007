"""Mailchimp through the real handler: its URL check (a `GET` to the registered URL) is
answered 200 with an empty body and never published, a delivery is published once, and the
secret in the query appears in no log line, response or event (`tests/conftest.py` checks the
logs and responses of every test)."""

from __future__ import annotations

import json

from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import PipelineFactory
from tests.support import shapes
from tests.support.providers import delivery, event_of, query_of


def test_the_url_check_is_answered_only_with_the_secret_and_never_published(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("mailchimp").handle_lambda
    sent = delivery("mailchimp")
    path = "/webhooks/mailchimp"

    checked = handler(
        shapes.rest_v1(method="GET", path=path, headers=[], body=b"", query=query_of(sent)),
        lambda_context,
    )
    refused = handler(shapes.rest_v1(method="GET", path=path, headers=[], body=b""), lambda_context)

    assert (checked["statusCode"], checked["body"]) == (200, "")
    assert refused["statusCode"] == 401
    assert bus.seen(settle_s=0.3) == []


def test_a_delivery_is_published_once_without_its_secret(
    make_pipeline: PipelineFactory, bus: Bus, lambda_context: LambdaContext
) -> None:
    handler = make_pipeline("mailchimp").handle_lambda
    sent = delivery("mailchimp")
    [(_, secret)] = query_of(sent)

    responses = [handler(event_of(sent), lambda_context) for _ in range(2)]
    bare = event_of(sent) | {"queryStringParameters": None, "multiValueQueryStringParameters": None}
    without = handler(bare, lambda_context)

    assert [r["statusCode"] for r in responses] == [200, 200]
    assert without["statusCode"] == 401
    [published] = bus.events_for(sent.delivery_id)
    assert published["detail-type"] == "subscribe"
    assert secret not in json.dumps(published)
