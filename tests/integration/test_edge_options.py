"""The template's edge options, read from SAM's translation as a stack would resolve it.

AWS WAF, API Gateway custom domains and CloudWatch alarms cannot run here: what is checked is
that each option creates exactly what its parameters say, and nothing when it is off.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from dev import template
from hookgate import providers
from tests.support.translation import Stack

WAF_ON = {"RateLimitPerIp": "100", "RateLimitWindowSeconds": "600", "BlockBadReputationIps": "true"}
DOMAIN = {
    "DomainName": "webhooks.example.com",
    "CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
}


@pytest.fixture(scope="module")
def default_stack() -> Stack:
    return Stack()


@pytest.fixture(scope="module")
def edge_stack() -> Stack:
    everything = {f"Enable{name.capitalize()}": "true" for name in providers.NAMES}
    return Stack({**everything, **WAF_ON, **DOMAIN})


def _rules(stack: Stack) -> dict[str, dict[str, Any]]:
    [acl] = stack.names("AWS::WAFv2::WebACL")
    return {rule["Name"]: rule for rule in stack.properties(acl)["Rules"]}


def test_by_default_there_is_no_web_acl_no_domain_and_the_execute_api_url(
    default_stack: Stack,
) -> None:
    assert default_stack.names("AWS::WAFv2::WebACL") == []
    assert default_stack.names("AWS::WAFv2::WebACLAssociation") == []
    assert default_stack.names("AWS::ApiGateway::DomainName") == []
    assert default_stack.names("AWS::ApiGateway::BasePathMapping") == []
    assert default_stack.output("StripeWebhookUrl") == (
        "https://api1234567.execute-api.eu-west-1.amazonaws.com/prod/webhooks/stripe"
    )
    function = default_stack.properties("StripeFunction")
    assert "HOOKGATE_PUBLIC_URL" not in function["Environment"]["Variables"]
    api = default_stack.properties("WebhookApi")
    assert api["Body"]["x-amazon-apigateway-endpoint-configuration"] == {
        "disableExecuteApiEndpoint": False
    }


def test_rate_limit_is_per_client_ip_with_the_parameters_and_a_generic_429(
    edge_stack: Stack,
) -> None:
    rule = _rules(edge_stack)["RateLimitPerIp"]
    [acl] = edge_stack.names("AWS::WAFv2::WebACL")
    bodies = edge_stack.properties(acl)["CustomResponseBodies"]

    assert rule["Statement"] == {
        "RateBasedStatement": {
            "AggregateKeyType": "IP",
            "Limit": "100",
            "EvaluationWindowSec": "600",
        }
    }
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    body = bodies[response["CustomResponseBodyKey"]]
    assert body["ContentType"] == "APPLICATION_JSON"
    assert json.loads(body["Content"]) == {"message": "too many requests"}
    assert {"Name": "Retry-After", "Value": "600"} in response["ResponseHeaders"]


def test_ip_reputation_is_the_aws_managed_group_and_blocks_before_the_rate_rule(
    edge_stack: Stack,
) -> None:
    rules = _rules(edge_stack)
    reputation = rules["IpReputation"]

    assert reputation["Statement"] == {
        "ManagedRuleGroupStatement": {
            "VendorName": "AWS",
            "Name": "AWSManagedRulesAmazonIpReputationList",
        }
    }
    assert reputation["OverrideAction"] == {"None": {}}  # the group's own Block actions stand
    assert reputation["Priority"] < rules["RateLimitPerIp"]["Priority"]


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"RateLimitPerIp": "100"}, {"RateLimitPerIp"}),
        ({"BlockBadReputationIps": "true"}, {"IpReputation"}),
    ],
)
def test_each_waf_option_alone_makes_a_web_acl_with_only_its_rule(
    parameters: dict[str, str], expected: set[str]
) -> None:
    assert set(_rules(Stack(parameters))) == expected


def test_web_acl_is_regional_and_guards_the_api_stage(edge_stack: Stack) -> None:
    [acl] = edge_stack.names("AWS::WAFv2::WebACL")
    [association] = edge_stack.names("AWS::WAFv2::WebACLAssociation")
    properties = edge_stack.properties(association)

    assert edge_stack.properties(acl)["Scope"] == "REGIONAL"
    assert edge_stack.properties(acl)["DefaultAction"] == {"Allow": {}}
    assert properties["WebACLArn"].startswith("arn:aws:wafv2:")
    # The stage SAM creates (WebhookApiStage) of the webhook API: its ARN has no account.
    assert (
        properties["ResourceArn"]
        == "arn:aws:apigateway:eu-west-1::/restapis/api1234567/stages/prod"
    )
    assert "WebhookApiStage" in json.dumps(edge_stack.template["Resources"][association])


def test_custom_domain_maps_the_stage_at_its_root_and_moves_every_url_onto_it(
    edge_stack: Stack,
) -> None:
    [domain] = edge_stack.names("AWS::ApiGateway::DomainName")
    [mapping] = edge_stack.names("AWS::ApiGateway::BasePathMapping")

    assert edge_stack.properties(domain) == {
        "DomainName": "webhooks.example.com",
        "RegionalCertificateArn": DOMAIN["CertificateArn"],
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "SecurityPolicy": "TLS_1_2",
    }
    assert edge_stack.properties(mapping) == {
        "DomainName": "webhooks.example.com",
        "RestApiId": "api1234567",
        "Stage": "prod",
    }  # no BasePath: the URLs are https://<domain>/webhooks/<provider>
    api = edge_stack.properties("WebhookApi")
    assert api["Body"]["x-amazon-apigateway-endpoint-configuration"] == {
        "disableExecuteApiEndpoint": True
    }
    for name in providers.NAMES:
        logical = name.capitalize()
        url = f"https://webhooks.example.com/webhooks/{name}"
        assert edge_stack.output(f"{logical}WebhookUrl") == url
        variables = edge_stack.properties(f"{logical}Function")["Environment"]["Variables"]
        assert variables["HOOKGATE_PUBLIC_URL"] == url


def test_providers_publishing_their_ranges_can_be_restricted_to_them() -> None:
    publishing = [n for n in providers.NAMES if providers.get(n).deployment.sender_ranges]
    parameters = {f"Enable{n.capitalize()}": "true" for n in publishing}
    restricted = Stack(
        {**parameters, **{f"{n.capitalize()}SourceIps": "published" for n in publishing}}
    )
    open_ = Stack(parameters)

    assert len(publishing) >= 2
    for name in publishing:
        function = f"{name.capitalize()}Function"
        variables = restricted.properties(function)["Environment"]["Variables"]
        assert variables["HOOKGATE_ALLOWED_SOURCES"] == "published"
        variables = open_.properties(function)["Environment"]["Variables"]
        assert variables["HOOKGATE_ALLOWED_SOURCES"] == "any"
    others = set(providers.NAMES) - set(publishing)
    assert not {f"{n.capitalize()}SourceIps" for n in others} & set(template.load()["Parameters"])


def test_max_event_bytes_reaches_every_function(default_stack: Stack) -> None:
    small = Stack({"MaxEventBytes": "262144"})
    for function in default_stack.names("AWS::Lambda::Function"):
        assert (
            default_stack.properties(function)["Environment"]["Variables"][
                "HOOKGATE_MAX_EVENT_BYTES"
            ]
            == "1000000"
        )
        assert (
            small.properties(function)["Environment"]["Variables"]["HOOKGATE_MAX_EVENT_BYTES"]
            == "262144"
        )


@pytest.mark.parametrize(
    ("parameter", "accepted", "refused"),
    [
        ("RateLimitPerIp", ["0", "10", "100", "2000000000"], ["5", "9", "010", "-1", "1e3"]),
        (
            "DomainName",
            ["", "webhooks.example.com", "a.b-c.example.org"],
            ["https://webhooks.example.com", "webhooks.example.com/x", "Webhooks.Example.com", "x"],
        ),
        (
            "CertificateArn",
            ["", DOMAIN["CertificateArn"]],
            ["abc", "arn:aws:iam::123456789012:role/x"],
        ),
    ],
)
def test_parameters_refuse_values_the_deploy_would_fail_on_late(
    parameter: str, accepted: list[str], refused: list[str]
) -> None:
    # CloudFormation matches AllowedPattern against the whole value.
    pattern = re.compile(template.load()["Parameters"][parameter]["AllowedPattern"])
    assert [v for v in accepted if not pattern.fullmatch(v)] == []
    assert [v for v in refused if pattern.fullmatch(v)] == []


def test_a_domain_without_a_certificate_is_refused_before_anything_is_created() -> None:
    [rule] = template.load()["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]}
    [assertion] = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]}


def test_every_deploy_makes_a_new_api_deployment() -> None:
    # SAM names the deployment after the template, conditions unresolved: without this, a
    # provider enabled on a running stack would have no route until some later change.
    first = Stack().names("AWS::ApiGateway::Deployment")
    time.sleep(1.1)  # SAM's name for it changes with the second
    second = Stack().names("AWS::ApiGateway::Deployment")

    assert len(first) == len(second) == 1
    assert first != second
