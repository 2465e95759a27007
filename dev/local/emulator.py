"""The local AWS: a moto server over real HTTP, provisioned from template.yaml's own properties."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import boto3
import requests

from dev import template
from dev.local.samples import DEMO_ACCOUNTS
from hookgate.devtools import accounts
from hookgate.devtools.simulate import stored_dev_secret
from hookgate.providers.sns import LOCAL_TOPIC_ARN

REGION = "us-east-1"
STACK_NAME = "hookgate"
#: Credentials moto accepts; real AWS never sees them.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
TAIL_QUEUE = "hookgate-local-tail"


def local_client(service: str, endpoint: str) -> Any:
    """A boto3 client for an AWS emulator at `endpoint`, with credentials no AWS accepts."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def stop_process(process: subprocess.Popen[bytes] | None, *, grace_s: float = 10) -> None:
    """Terminate a child process, and kill it if it has not exited after `grace_s`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()


class MotoServer:
    """`moto_server` in a subprocess on loopback."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, timeout_s: float = 30) -> MotoServer:
        if not port_is_free(self.port):
            raise SystemExit(f"port {self.port} is already in use (set another with --aws-port)")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError("moto server exited at start")
            try:
                requests.get(f"{self.endpoint}/moto-api/", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("moto server did not start in time")

    def stop(self) -> None:
        stop_process(self._process)

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint)

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class LocalResources:
    """What `provision` created, and each function's environment as the template sets it."""

    endpoint: str
    table: str
    bus: str
    bucket: str
    queue_url: str
    secrets: dict[str, str]  # provider -> secret name
    function_env: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> env

    def env_for(self, logical_id: str) -> dict[str, str]:
        return {
            **self.function_env[logical_id],
            **FAKE_CREDENTIALS,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
        }


def local_refs() -> dict[str, str]:
    """What each `Ref` in template.yaml means in the local stack (fixed names, no AWS calls)."""
    refs = {
        "AWS::StackName": STACK_NAME,
        "AWS::Region": REGION,
        "AWS::URLSuffix": "amazonaws.com",
        "ReplayTable": f"{STACK_NAME}-replay",
        "PayloadBucket": f"{STACK_NAME}-payloads",
    }
    resolve = Resolver(refs)
    refs["EventBus"] = resolve(template.resource("EventBus")["Name"])
    for properties in template.functions().values():
        secret_ref = properties["Environment"]["Variables"]["HOOKGATE_SECRET_ID"]["Ref"]
        refs[secret_ref] = resolve(template.resource(secret_ref)["Name"])
    return refs


class Resolver:
    """Evaluates the few intrinsics the template's names and environment use."""

    def __init__(
        self,
        refs: dict[str, str],
        parameters: dict[str, str] | None = None,
        *,
        document: dict[str, Any] | None = None,
    ) -> None:
        """`document` is the template whose parameters and conditions count (template.yaml's
        by default; SAM's translation of it keeps both)."""
        self._refs = refs
        self._document = template.load() if document is None else document
        defaults = {
            name: str(spec.get("Default", ""))
            for name, spec in self._document.get("Parameters", {}).items()
        }
        self._parameters = {**defaults, **(parameters or {})}

    def __call__(self, value: Any) -> Any:
        """The value, resolved; None for AWS::NoValue."""
        if not isinstance(value, dict) or len(value) != 1:
            return value
        [(function, argument)] = value.items()
        if not (function == "Ref" or function.startswith("Fn::") or function == "Condition"):
            return value  # a property that happens to be alone in its mapping
        if function == "Ref":
            return None if argument == "AWS::NoValue" else self._ref(argument)
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._ref(m.group(1)), argument)
        if function == "Fn::If":
            condition, if_true, if_false = argument
            return self(if_true if self._condition(condition) else if_false)
        if function == "Fn::Equals":
            # CloudFormation compares strings: a Number parameter's "0" equals the YAML 0.
            return str(self(argument[0])) == str(self(argument[1]))
        if function == "Fn::Not":
            return not self(argument[0])
        if function == "Fn::GetAtt":
            return self._ref(argument if isinstance(argument, str) else ".".join(argument))
        if function == "Fn::Or":
            return any(self(item) for item in argument)
        if function in ("Condition", "Fn::Condition"):  # JSON, and the YAML tag as read
            return self._condition(argument)
        raise ValueError(f"{function} is not resolved locally")

    def deep(self, value: Any) -> Any:
        """`value` with every intrinsic in it resolved; AWS::NoValue removes what holds it."""
        value = self(value)
        if isinstance(value, dict):
            resolved = {key: self.deep(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not None}
        if isinstance(value, list):
            return [item for item in map(self.deep, value) if item is not None]
        return value

    def holds(self, condition: str | None) -> bool:
        """Whether a resource or output with this `Condition` exists."""
        return condition is None or self._condition(condition)

    def _ref(self, name: str) -> str:
        if name in self._refs:
            return self._refs[name]
        if name in self._parameters:
            return self._parameters[name]
        raise KeyError(f"cannot resolve {name} locally")

    def _condition(self, name: str) -> bool:
        return bool(self(self._document["Conditions"][name]))


def function_environments(parameters: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Each function's environment as the template sets it, with the local stack's names."""
    resolve = Resolver(local_refs(), parameters)
    environments = {}
    for logical_id, properties in template.functions().items():
        variables = {k: resolve(v) for k, v in properties["Environment"]["Variables"].items()}
        environments[logical_id] = {k: str(v) for k, v in variables.items() if v is not None}
    return environments


def provision(aws: MotoServer, dev_secrets: dict[str, str]) -> LocalResources:
    """Create the table, bus, secrets and an SQS tail of the bus, as template.yaml declares them
    (and the SNS topic the local SNS signer signs for)."""
    refs = local_refs()
    table = refs["ReplayTable"]
    spec = template.resource("ReplayTable")
    dynamodb = aws.client("dynamodb")
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=spec["AttributeDefinitions"],
        KeySchema=spec["KeySchema"],
        BillingMode=spec["BillingMode"],
    )
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification=spec["TimeToLiveSpecification"]
    )

    aws.client("s3").create_bucket(Bucket=refs["PayloadBucket"])

    events = aws.client("events")
    bus = refs["EventBus"]
    events.create_event_bus(Name=bus)
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=TAIL_QUEUE)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # The same pattern as the template's archive: every event hookgate publishes.
    pattern = template.resource("EventArchive")["EventPattern"]
    events.put_rule(Name="hookgate-local-tail", EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule="hookgate-local-tail", EventBusName=bus, Targets=[{"Id": "tail", "Arn": queue_arn}]
    )

    # The topic the local SNS signer signs for: its subscription is confirmed through the API.
    aws.client("sns").create_topic(Name=LOCAL_TOPIC_ARN.rsplit(":", 1)[1])

    secretsmanager = aws.client("secretsmanager")
    environments = function_environments()
    secrets: dict[str, str] = {}
    for variables in environments.values():
        provider, name = variables["HOOKGATE_PROVIDER"], variables["HOOKGATE_SECRET_ID"]
        created = secretsmanager.create_secret(Name=name, SecretString=dev_secrets[provider])
        secrets[provider] = name
        # What CloudFormation's `Ref` of a secret gives: its ARN, not its name.
        variables["HOOKGATE_SECRET_ID"] = created["ARN"]
    # The demo accounts, made as `hookgate account add --dev` makes them.
    for provider, names in DEMO_ACCOUNTS.items():
        for account in names:
            accounts.add(
                secretsmanager,
                stack=STACK_NAME,
                provider=provider,
                account=account,
                value=stored_dev_secret(provider, account),
            )
    return LocalResources(
        endpoint=aws.endpoint,
        table=table,
        bus=bus,
        bucket=refs["PayloadBucket"],
        queue_url=queue_url,
        secrets=secrets,
        function_env=environments,
    )


def receive_events(aws: MotoServer, queue_url: str, *, wait_s: int = 1) -> list[dict[str, Any]]:
    """Take the EventBridge events that reached the tail queue (parsed, deleted from the queue)."""
    sqs = aws.client("sqs")
    response = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_s
    )
    found = []
    for message in response.get("Messages", []):
        found.append(json.loads(message["Body"]))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def environ_without_aws() -> dict[str, str]:
    """This process's environment minus any real AWS settings, for child processes."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
