"""After `sam deploy`: print each provider's webhook URL and the command that sets its secret.

Reads the stack's outputs (`<Name>WebhookUrl`, `<Name>SecretArn`; see template.yaml).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tomllib
from collections.abc import Iterable, Mapping

from dev import template

URL_SUFFIX = "WebhookUrl"
SECRET_SUFFIX = "SecretArn"  # noqa: S105 (an output name)


def stack_name_from_samconfig() -> str:
    with (template.ROOT / "samconfig.toml").open("rb") as handle:
        config = tomllib.load(handle)
    name: str = config["default"]["global"]["parameters"]["stack_name"]
    return name


def instructions(outputs: Iterable[Mapping[str, str]]) -> list[str]:
    """Lines telling the user where to point each provider and how to set its secret."""
    values = {o["OutputKey"]: o["OutputValue"] for o in outputs}
    lines = []
    for key in sorted(k for k in values if k.endswith(URL_SUFFIX)):
        name = key.removesuffix(URL_SUFFIX)
        lines.append(f"{name}: point the provider's webhook at {values[key]}")
        secret = values.get(f"{name}{SECRET_SUFFIX}")
        if secret:
            command = [
                "aws", "secretsmanager", "put-secret-value", "--secret-id", secret,
                "--secret-string", "<the provider's signing secret>",
            ]  # fmt: skip
            lines.append(f"  then set its secret: {shlex.join(command)}")
    if "EventBusName" in values:
        lines.append(f"Events are published on the bus {values['EventBusName']}.")
    lines.append(
        "More accounts of a provider, each with its own secret and URL: "
        "hookgate account add <provider> <account> --stack <stack> --endpoint <its URL above>"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make deploy", description=__doc__)
    parser.add_argument("--stack-name", default=None)
    args = parser.parse_args(argv)
    import boto3

    stack = args.stack_name or stack_name_from_samconfig()
    described = boto3.client("cloudformation").describe_stacks(StackName=stack)
    outputs = [
        {"OutputKey": o.get("OutputKey", ""), "OutputValue": o.get("OutputValue", "")}
        for o in described["Stacks"][0].get("Outputs", [])
    ]
    for line in instructions(outputs):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
