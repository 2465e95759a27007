"""Replay records, EventBridge partial failures, in-flight duplicates, metrics and logs.

Faults are injected at the AWS boundary only: botocore event hooks on real clients talking to
the moto server, never by replacing hookgate code.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from typing import Any

import pytest

from dev.local.emulator import LocalResources, MotoServer
from dev.local.samples import DEV_SECRETS
from tests.conftest import Bus, LambdaContext, LogSink
from tests.integration.conftest import (
    Clock,
    PipelineFactory,
    replay_records,
)
from tests.support.deliveries import github_event, stripe_event
from tests.support.translation import Stack

STRIPE_SECRET = DEV_SECRETS["stripe"]


def emf_metrics(*outputs: str) -> list[tuple[str, dict[str, str]]]:
    """(metric name, dimensions) for every CloudWatch EMF record in `outputs` (stdout and the
    log records, which share stdout on Lambda): any JSON line with an `_aws` member at its
    root, as CloudWatch reads them."""
    found: list[tuple[str, dict[str, str]]] = []
    for line in "\n".join(outputs).splitlines():
        record = json.loads(line) if line.startswith("{") else {}
        if "_aws" not in record:
            continue
        for directive in record["_aws"]["CloudWatchMetrics"]:
            names = [d for group in directive["Dimensions"] for d in group]
            dims = {name: record[name] for name in names}
            found.extend((m["Name"], dims) for m in directive["Metrics"])
    return found


def refusing_events(aws: MotoServer) -> Any:
    """An EventBridge client whose requests EventBridge refuses entry by entry (HTTP 200 with
    FailedEntryCount = 1), as it does for throttled or malformed entries."""
    events = aws.client("events")

    def corrupt_detail(params: dict[str, Any], **_: Any) -> None:
        for entry in params["Entries"]:
            entry["Detail"] = "not json"

    events.meta.events.register("before-parameter-build.events.PutEvents", corrupt_detail)
    return events


def deliver_genuine_twice_and_forged(handler: Any, lambda_context: LambdaContext) -> None:
    """A published Stripe delivery, its duplicate, and a forgery."""
    event, _, _ = stripe_event(STRIPE_SECRET)
    handler(event, lambda_context)
    handler(event, lambda_context)
    handler(stripe_event("whsec_wrong")[0], lambda_context)


def test_published_delivery_leaves_completed_record_with_ttl(
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    aws: MotoServer,
    resources: LocalResources,
) -> None:
    before = {r["id"]["S"] for r in replay_records(aws, resources, "github")}
    event, _, _ = github_event(DEV_SECRETS["github"])

    assert make_pipeline("github").handle_lambda(event, lambda_context)["statusCode"] == 200

    [record] = [r for r in replay_records(aws, resources, "github") if r["id"]["S"] not in before]
    assert record["status"]["S"] == "COMPLETED"
    expires_in_s = int(record["expiration"]["N"]) - time.time()
    assert 7 * 24 * 3600 - 60 < expires_in_s <= 7 * 24 * 3600


def test_failed_entry_count_is_a_publish_failure_and_retry_publishes_once(
    aws: MotoServer,
    resources: LocalResources,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    capsys: pytest.CaptureFixture[str],
    hookgate_logs: LogSink,
) -> None:
    # GIVEN an EventBridge client whose request EventBridge refuses entry by entry
    refusing = make_pipeline("stripe", clients={"events": refusing_events(aws)})
    event, _, event_id = stripe_event(STRIPE_SECRET)
    records_before = replay_records(aws, resources, "stripe")
    logged_before = len(hookgate_logs.lines())

    failed = refusing.handle_lambda(event, lambda_context)

    assert failed["statusCode"] == 503
    assert replay_records(aws, resources, "stripe") == records_before
    printed = capsys.readouterr().out
    logged = "\n".join(hookgate_logs.lines()[logged_before:])
    assert ("WebhookPublishFailed", {"provider": "stripe"}) in emf_metrics(printed, logged)

    retried = make_pipeline("stripe").handle_lambda(event, lambda_context)

    assert retried["statusCode"] == 200
    assert len(bus.events_for(event_id)) == 1


def test_same_delivery_in_flight_gets_503_then_retry_is_a_duplicate(
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
) -> None:
    # GIVEN a first invocation held inside PutEvents
    entered, release = threading.Event(), threading.Event()
    events = aws.client("events")

    def hold(**_: Any) -> None:
        entered.set()
        release.wait(10)

    events.meta.events.register("before-send.events.PutEvents", hold)
    slow = make_pipeline("stripe", clients={"events": events})
    event, _, event_id = stripe_event(STRIPE_SECRET)
    results: list[dict[str, Any]] = []
    first = threading.Thread(
        target=lambda: results.append(slow.handle_lambda(event, lambda_context))
    )
    first.start()
    assert entered.wait(10)

    # WHEN the provider delivers the same event again meanwhile
    concurrent = make_pipeline("stripe").handle_lambda(event, lambda_context)

    # THEN that one is told to retry, and nothing is published twice
    assert concurrent["statusCode"] == 503
    release.set()
    first.join(10)
    assert results[0]["statusCode"] == 200
    later = make_pipeline("stripe").handle_lambda(event, lambda_context)
    assert json.loads(later["body"]) == {"received": True, "duplicate": True}
    assert len(bus.events_for(event_id)) == 1


def test_metrics_count_verified_duplicates_and_rejections_by_reason(
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    hookgate_logs: LogSink,
) -> None:
    logged_before = len(hookgate_logs.lines())
    handler = make_pipeline("stripe").handle_lambda
    deliver_genuine_twice_and_forged(handler, lambda_context)
    handler(stripe_event(STRIPE_SECRET, timestamp=int(clock()) - 1000)[0], lambda_context)
    missing, _, _ = stripe_event(STRIPE_SECRET)
    del missing["multiValueHeaders"]["Stripe-Signature"]
    handler(missing, lambda_context)

    logged = "\n".join(hookgate_logs.lines()[logged_before:])
    metrics = emf_metrics(capsys.readouterr().out, logged)

    stripe = {"provider": "stripe"}
    assert metrics.count(("WebhookVerified", stripe)) == 2
    assert metrics.count(("WebhookDuplicate", stripe)) == 1
    for reason in ("bad_signature", "stale_timestamp", "missing_signature"):
        assert metrics.count(("WebhookRejected", {**stripe, "reason": reason})) == 1


def test_logs_are_structured_correlated_and_free_of_secrets(
    make_pipeline: PipelineFactory, lambda_context: LambdaContext, hookgate_logs: LogSink
) -> None:
    start = len(hookgate_logs.lines())
    handler = make_pipeline("stripe").handle_lambda
    event, _, event_id = stripe_event(STRIPE_SECRET)
    forged, _, _ = stripe_event("whsec_attacker_secret")

    handler(event, lambda_context)
    handler(forged, lambda_context)

    lines = hookgate_logs.lines()[start:]
    records = [json.loads(line) for line in lines]
    published, rejected = (r for r in records if r["message"] == "responded")
    assert (published["level"], published["outcome"]) == ("INFO", "published")
    assert published["correlation_id"] == event_id
    assert published["provider"] == "stripe"
    assert published["function_request_id"] == lambda_context.aws_request_id
    assert (rejected["level"], rejected["outcome"]) == ("WARNING", "rejected")
    assert rejected["reason"] == "bad_signature"
    assert len(records) == 2  # one record per request
    assert "correlation_id" not in rejected or rejected["correlation_id"] != event_id
    text = "\n".join(lines)
    for request in (event, forged):
        signature = request["headers"]["Stripe-Signature"]
        assert signature.split("v1=")[1] not in text
    assert STRIPE_SECRET not in text
    assert "whsec_attacker_secret" not in text


def test_metrics_are_printed_on_their_own_when_the_log_level_drops_the_record(
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    capsys: pytest.CaptureFixture[str],
    hookgate_logs: LogSink,
) -> None:
    # Metrics normally ride on the request's log record; a level that filters the record out
    # (POWERTOOLS_LOG_LEVEL=WARNING) must not take the metrics with it.
    handler = make_pipeline("stripe").handle_lambda
    stdlib_logger = logging.getLogger("hookgate")
    level = stdlib_logger.level
    stdlib_logger.setLevel(logging.WARNING)
    try:
        logged_before = len(hookgate_logs.lines())
        response = handler(stripe_event(STRIPE_SECRET)[0], lambda_context)
        logged = hookgate_logs.lines()[logged_before:]
    finally:
        stdlib_logger.setLevel(level)

    assert response["statusCode"] == 200
    assert logged == []
    assert ("WebhookVerified", {"provider": "stripe"}) in emf_metrics(capsys.readouterr().out)


_SEARCH = re.compile(r"SEARCH\('\{([^,}]+),([^}]+)\} (.*)', '(\w+)', (\d+)\)")


def test_dashboard_shows_only_metrics_the_functions_emit_with_their_dimensions(
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    hookgate_logs: LogSink,
) -> None:
    # GIVEN deliveries of every outcome the dashboard shows: published, duplicate, refused,
    # and one EventBridge refuses
    logged_before = len(hookgate_logs.lines())
    deliver_genuine_twice_and_forged(make_pipeline("stripe").handle_lambda, lambda_context)
    make_pipeline("stripe", clients={"events": refusing_events(aws)}).handle_lambda(
        stripe_event(STRIPE_SECRET)[0], lambda_context
    )
    logged = "\n".join(hookgate_logs.lines()[logged_before:])
    emitted = {
        (name, frozenset(dimensions))
        for name, dimensions in emf_metrics(capsys.readouterr().out, logged)
    }

    # WHEN the dashboard is rendered as the stack would create it
    stack = Stack()
    body = json.loads(stack.properties("Dashboard")["DashboardBody"])
    searches = [
        _SEARCH.fullmatch(metric["expression"])
        for widget in body["widgets"]
        for line in widget["properties"]["metrics"]
        for metric in line
    ]

    # THEN every metric of hookgate's it searches is one a function emitted, with exactly the
    # dimensions emitted (SEARCH matches a dimension set exactly), and AWS WAF's is the web ACL's
    assert all(searches)
    assert body["widgets"]
    shown: set[tuple[str, str]] = set()
    for found in searches:
        assert found is not None
        namespace, dimensions, terms, stat, _ = found.groups()
        names = dict(re.findall(r'(\w+)="([^"]+)"', terms))
        keys = frozenset(dimensions.split(","))
        if namespace == "Hookgate":
            assert (names["MetricName"], keys) in emitted
            shown.add((names["MetricName"], stat))
        else:
            assert namespace == "AWS/WAFV2"
            assert names["MetricName"] == "BlockedRequests"
            assert names["WebACL"] == stack.template["Resources"]["WebAcl"]["Properties"]["Name"][
                "Fn::Sub"
            ].replace("${AWS::StackName}", "hooks")
            assert keys == {"Region", "Rule", "WebACL"}
    assert {name for name, _ in shown} == {
        "WebhookVerified",
        "WebhookDuplicate",
        "WebhookRejected",
        "WebhookPublishFailed",
        "WebhookLatency",
    }
    assert {("WebhookLatency", "p50"), ("WebhookLatency", "p99")} <= shown
    assert {widget["properties"]["region"] for widget in body["widgets"]} == {"eu-west-1"}
