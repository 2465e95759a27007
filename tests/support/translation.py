"""template.yaml as AWS SAM translates it for CloudFormation, and as a stack would resolve it."""

from __future__ import annotations

import os
from typing import Any

from dev import template
from dev.local.emulator import Resolver

#: What the stack's own names resolve to in these tests: placeholders, as only their use counts.
STACK_REFS = {
    "AWS::StackName": "hooks",
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com",
    "WebhookApi": "api1234567",
    "WebhookApiStage": "prod",
    "WebAcl.Arn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/hooks-webhooks/1",
    "WebhookDomain": "webhooks.example.com",
}


def translate(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template SAM makes of template.yaml (code locations made up)."""
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    document = template.load()
    resources = {
        name: {**body, "Properties": {**body.get("Properties", {})}}
        for name, body in document["Resources"].items()
    }
    for body in resources.values():
        for key in ("CodeUri", "ContentUri"):
            if key in body["Properties"]:
                body["Properties"][key] = "s3://bucket/code.zip"
    translated: dict[str, Any] = transform(
        {**document, "Resources": resources}, parameters or {}, NoManagedPolicies()
    )
    return translated


class _Resolver(Resolver):
    # Whatever the tests do not name (a role's ARN, a function's) stays a visible placeholder.
    def _ref(self, name: str) -> str:
        try:
            return super()._ref(name)
        except KeyError:
            return f"<{name}>"


class Stack:
    """What a stack of the translated template holds with these parameters: its resources and
    outputs whose conditions hold, each resolved when asked for."""

    def __init__(self, parameters: dict[str, str] | None = None) -> None:
        self.template = translate(parameters)
        self._resolve = _Resolver(dict(STACK_REFS), parameters, document=self.template)

    def names(self, resource_type: str) -> list[str]:
        """The logical ids of the resources of this type that exist."""
        return [
            name
            for name, body in self.template["Resources"].items()
            if body["Type"] == resource_type and self._resolve.holds(body.get("Condition"))
        ]

    def properties(self, name: str) -> dict[str, Any]:
        """A resource's properties, resolved (KeyError when it does not exist)."""
        body = self.template["Resources"][name]
        if not self._resolve.holds(body.get("Condition")):
            raise KeyError(name)
        properties: dict[str, Any] = self._resolve.deep(body.get("Properties", {}))
        return properties

    def output(self, name: str) -> Any:
        body = self.template["Outputs"][name]
        if not self._resolve.holds(body.get("Condition")):
            raise KeyError(name)
        return self._resolve.deep(body["Value"])
