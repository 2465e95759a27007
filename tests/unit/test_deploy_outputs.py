"""`make deploy` relies on the template's outputs: one URL and one secret per provider."""

from __future__ import annotations

import shlex

from dev import template
from dev.deployed import instructions, stack_name_from_samconfig
from hookgate import providers


def test_template_outputs_give_every_provider_a_url_and_secret_command() -> None:
    # GIVEN outputs as CloudFormation would return them for the template's Outputs section
    outputs = [
        {"OutputKey": key, "OutputValue": f"value-of-{key}"} for key in template.load()["Outputs"]
    ]

    lines = instructions(outputs)

    for logical_id, properties in template.functions().items():
        name = logical_id.removesuffix("Function")
        assert f"{name}: point the provider's webhook at value-of-{name}WebhookUrl" in lines
        [command] = [line for line in lines if f"value-of-{name}SecretArn" in line]
        argv = shlex.split(command.split(": ", 1)[1])
        assert argv[:3] == ["aws", "secretsmanager", "put-secret-value"]
        assert argv[argv.index("--secret-id") + 1] == f"value-of-{name}SecretArn"
        assert properties["Environment"]["Variables"]["HOOKGATE_PROVIDER"] in providers.NAMES
    assert len([line for line in lines if "point the provider" in line]) == len(providers.NAMES)


def test_outputs_of_disabled_providers_are_conditional() -> None:
    outputs = template.load()["Outputs"]

    for logical_id in template.functions():
        name = logical_id.removesuffix("Function")
        condition = template.load()["Resources"][logical_id]["Condition"]
        assert outputs[f"{name}WebhookUrl"]["Condition"] == condition
        assert outputs[f"{name}SecretArn"]["Condition"] == condition


def test_stack_name_comes_from_samconfig() -> None:
    assert stack_name_from_samconfig() == "hookgate"
