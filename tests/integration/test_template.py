"""template.yaml: least privilege, the replay table the code expects, and a real `sam build`."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dev import template
from dev.runtime import python as lambda_python
from hookgate import providers
from hookgate.aws.replay import TABLE_KEY, TABLE_TTL_ATTRIBUTE
from hookgate.errors import SourceNotAllowed, Unauthorized
from tests.conftest import LambdaContext
from tests.integration.conftest import PipelineFactory
from tests.support.providers import delivery, event_of
from tests.support.translation import translate

ROOT = template.ROOT
REPLAY_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
}
ELF_MACHINE_AARCH64 = 183


def provider_of(properties: dict[str, Any]) -> str:
    name: str = properties["Environment"]["Variables"]["HOOKGATE_PROVIDER"]
    return name


def test_functions_run_arm64_on_python_313_or_newer() -> None:
    assert template.load()["Parameters"]["Architecture"]["Default"] == "arm64"
    for properties in template.functions().values():
        assert properties["Architectures"] == [{"Ref": "Architecture"}]
        major, minor = properties["Runtime"].removeprefix("python").split(".")
        assert (int(major), int(minor)) >= (3, 13)


def _listed(action: str | list[str]) -> list[str]:
    return [action] if isinstance(action, str) else action


def test_no_function_is_given_a_proxy_or_another_ca_bundle() -> None:
    # `make run` gives its PayPal and SNS functions these (dev/local/certificates.py).
    # Deployed, their certificates come from the providers, over TLS the runtime checks.
    local_only = {"https_proxy", "http_proxy", "all_proxy", "ssl_cert_file", "ssl_cert_dir"}

    given = {
        logical_id: found
        for logical_id, p in template.functions().items()
        if (found := [n for n in p["Environment"]["Variables"] if n.lower() in local_only])
    }

    assert given == {}


def test_function_policies_are_least_privilege() -> None:
    for logical_id, properties in template.functions().items():
        secret_ref = properties["Environment"]["Variables"]["HOOKGATE_SECRET_ID"]["Ref"]
        kinds: dict[str, Any] = {}
        for policy in properties["Policies"]:
            assert isinstance(policy, dict), f"{logical_id}: managed policy names are too broad"
            kinds.update(policy)
        assert set(kinds) == {"EventBridgePutEventsPolicy", "Statement"}
        # Its own secret only (written only by a function whose handshake delivers it), the
        # stack's bus only.
        own_secret, replay, claim_check, *others = kinds["Statement"]
        # The bare route's secret, and its accounts' (`<stack>/<provider>/<account>`).
        account_arns = (
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
            f"${{AWS::StackName}}/{provider_of(properties)}/*"
        )
        assert own_secret["Resource"] == [{"Ref": secret_ref}, {"Fn::Sub": account_arns}]
        # Only Asana's handshake delivers a secret to store.
        writes = provider_of(properties) == "asana"
        expected_secret_actions = {"secretsmanager:GetSecretValue"} | (
            {"secretsmanager:PutSecretValue"} if writes else set()
        )
        assert set(_listed(own_secret["Action"])) == expected_secret_actions
        assert kinds["EventBridgePutEventsPolicy"] == {"EventBusName": {"Ref": "EventBus"}}
        assert set(replay["Action"]) == REPLAY_ACTIONS
        assert replay["Resource"] == {"Fn::GetAtt": "ReplayTable.Arn"}
        assert "*" not in str(replay)
        # Objects of the stack's own bucket only, and only writing them.
        assert claim_check["Action"] == "s3:PutObject"
        assert claim_check["Resource"] == {"Fn::Sub": "${PayloadBucket.Arn}/*"}
        # Only SNS's handshake confirms a subscription, and that is all it may do with SNS.
        confirms = [{"Sid": "ConfirmSnsSubscriptions", "Effect": "Allow",
                     "Action": "sns:ConfirmSubscription",
                     "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}}]  # fmt: skip
        list_accounts = {"Sid": "ListAccounts", "Effect": "Allow",
                         "Action": "secretsmanager:ListSecrets", "Resource": "*"}  # fmt: skip
        assert others == [list_accounts, *(confirms if provider_of(properties) == "sns" else [])]
        assert properties["Environment"]["Variables"]["HOOKGATE_ACCOUNT_SECRETS"] == {
            "Fn::Sub": f"${{AWS::StackName}}/{provider_of(properties)}"
        }


def test_account_secret_prefix_reaches_no_other_provider_s_secrets() -> None:
    # IAM's `*` matches across `/`; secret ARNs end in `-` and six random characters.
    def arn(name: str) -> str:
        return f"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/{name}-AbC12x"

    for provider in providers.NAMES:
        pattern = arn(f"{provider}/*").removesuffix("-AbC12x")
        reaches = [
            other
            for other in providers.NAMES
            for name in (other, f"{other}/acme", f"{other}/a/b")
            if fnmatch.fnmatchcase(arn(name), pattern)
        ]
        # Its own accounts only: not its bare secret (granted by reference), not another's.
        assert set(reaches) == {provider}, provider
        assert not fnmatch.fnmatchcase(arn(provider), pattern)
        assert not fnmatch.fnmatchcase(arn(f"{provider}x/acme"), pattern)


def test_replay_table_matches_what_the_replay_guard_writes() -> None:
    table = template.resource("ReplayTable")

    assert table["KeySchema"] == [{"AttributeName": TABLE_KEY, "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": TABLE_TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_api_delivers_every_body_as_exact_bytes() -> None:
    api = template.resource("WebhookApi")

    # "*/*" (escaped as "*~1*") makes API Gateway base64-encode every body, whatever its type.
    assert api["BinaryMediaTypes"] == ["*~1*"]


@pytest.mark.slow
def test_sam_build_without_docker_or_python313_gives_aarch64_layer(tmp_path: Path) -> None:
    venv_bin = Path(sys.executable).parent
    path = os.pathsep.join([str(venv_bin), "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    assert shutil.which("python3.13", path=path) is None
    env = {
        **os.environ,
        "PATH": path,
        "SAM_CLI_TELEMETRY": "0",
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    build_dir = tmp_path / "build"

    subprocess.run(
        [
            str(venv_bin / "sam"), "build", "--template-file", str(ROOT / "template.yaml"),
            "--build-dir", str(build_dir), "--cache-dir", str(tmp_path / "cache"),
        ],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=900,
    )  # fmt: skip

    layer = build_dir / "HookgateLayer" / "python"
    assert (layer / "hookgate" / "__init__.py").read_text() == (
        ROOT / "layers/hookgate/src/hookgate/__init__.py"
    ).read_text()
    assert (layer / "hookgate" / "providers" / "stripe.py").exists()
    assert (layer / "hookgate" / "aws" / "publish.py").exists()
    # Developer tooling (CLI, test deliveries and their dev keys, event builders) stays home.
    assert not (layer / "hookgate" / "devtools").exists()
    assert (layer / "aws_lambda_powertools").is_dir()
    native = list(layer.rglob("*.so"))
    assert any(p.name.startswith("_rust") for p in native)  # cryptography's compiled core
    assert {_elf_machine(p) for p in native} == {ELF_MACHINE_AARCH64}
    assert not list(layer.rglob("__pycache__"))
    for provider in providers.NAMES:
        built = build_dir / template.function_for(provider)
        assert sorted(p.name for p in built.iterdir()) == ["app.py"]
    # The layer fits Lambda's limits with room to spare (250 MB unzipped, 50 MB zipped).
    archive = tmp_path / "layer.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in layer.rglob("*"):
            zipped.write(file, file.relative_to(layer.parent))
    assert archive.stat().st_size < 50 * 1024 * 1024


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    return int.from_bytes(header[18:20], "little")


@pytest.mark.parametrize("mode", ["on-demand", "snapstart", "provisioned"])
def test_cold_start_modes_translate_with_sam_and_default_to_on_demand(mode: str) -> None:
    document = template.load()
    assert document["Parameters"]["ColdStartMode"]["Default"] == "on-demand"

    translated = translate({"ColdStartMode": mode})["Resources"]

    for logical_id in template.functions():
        function = translated[logical_id]["Properties"]
        assert function["SnapStart"] == {
            "ApplyOn": {"Fn::If": ["UsesSnapStart", "PublishedVersions", "None"]}
        }
        [alias] = [
            body for name, body in translated.items()
            if body["Type"] == "AWS::Lambda::Alias" and name.startswith(logical_id)
        ]  # fmt: skip
        assert alias["Properties"]["ProvisionedConcurrencyConfig"]["Fn::If"][0] == (
            "UsesProvisionedConcurrency"
        )
    conditions = document["Conditions"]
    assert conditions["UsesSnapStart"] == {"Fn::Equals": [{"Ref": "ColdStartMode"}, "snapstart"]}
    assert conditions["UsesProvisionedConcurrency"] == {
        "Fn::Equals": [{"Ref": "ColdStartMode"}, "provisioned"]
    }


def test_no_generated_region_marker_is_part_of_a_value() -> None:
    # A marker at the end of a folded description was in the parameter's text.
    assert "<<<" not in json.dumps(template.load())


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = [
        (name, skip)
        for name, body in template.load()["Resources"].items()
        for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]

    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV_"), name
        assert len(skip.get("comment", "")) > 20, f"{name} skips {skip['id']} without a reason"


def _subclasses(base: type[Unauthorized]) -> set[type[Unauthorized]]:
    found = {base}
    for sub in base.__subclasses__():
        found |= _subclasses(sub)
    return found


def test_every_refusal_reason_has_its_own_alarm_over_every_provider() -> None:
    resources = template.load()["Resources"]
    alarms = {
        name: body["Properties"]
        for name, body in resources.items()
        if body["Type"] == "AWS::CloudWatch::Alarm"
    }
    queries = {
        name: metric["Expression"]
        for name, properties in alarms.items()
        for metric in properties.get("Metrics", [])
    }
    by_reason = {
        found.group(1): name
        for name, query in queries.items()
        if (found := re.search(r"WHERE reason = '(\w+)'", query))
    }

    # Every reason hookgate reports for a delivery not proven genuine, or refused by source.
    expected = {error.reason for error in _subclasses(Unauthorized) if error is not Unauthorized}
    assert set(by_reason) == expected | {SourceNotAllowed.reason}
    for reason, name in by_reason.items():
        assert reason in alarms[name]["AlarmDescription"]  # the notification names it
        # each provider a contributor of its own, as the dashboard breaks them down
        assert queries[name] == (
            "SELECT SUM(WebhookRejected) FROM SCHEMA(Hookgate, provider, reason) "  # noqa: S608
            f"WHERE reason = '{reason}' GROUP BY provider ORDER BY SUM() DESC"
        )
    assert "FROM SCHEMA(Hookgate, provider) GROUP BY provider" in queries["PublishFailedAlarm"]
    assert "SUM(WebhookPublishFailed)" in queries["PublishFailedAlarm"]
    # Requests refused by AWS WAF's rate rule never reach a function: its own metric.
    rate = alarms["RateLimitedAlarm"]
    assert resources["RateLimitedAlarm"]["Condition"] == "LimitsRatePerIp"
    assert (rate["Namespace"], rate["MetricName"]) == ("AWS/WAFV2", "BlockedRequests")
    [rule_metric] = [d["Value"] for d in rate["Dimensions"] if d["Name"] == "Rule"]
    rules = json.dumps(resources["WebAcl"]["Properties"]["Rules"])
    assert f'"MetricName": "{rule_metric}"' in rules
    assert resources["Api5xxAlarm"]["Properties"]["MetricName"] == "5XXError"


def test_every_provider_enabled_translates_within_cloudformation_limits() -> None:
    document = template.load()
    everything = {f"Enable{name.capitalize()}": "true" for name in providers.NAMES}
    assert set(everything) <= set(document["Parameters"])

    stack = translate(everything)
    translated = stack["Resources"]

    # CloudFormation counts every resource a template declares, its condition true or not, so
    # the stack holds all providers or none: the README's N is all of them.
    assert len(translated) < 500  # resources per stack
    assert len(json.dumps(stack, separators=(",", ":"))) < 1_000_000  # template body, from S3
    [stated] = re.findall(r"at once \(N = (\d+)\)", (ROOT / "README.md").read_text())
    assert int(stated) == len(providers.NAMES) >= 30
    [api] = [body for body in translated.values() if body["Type"] == "AWS::ApiGateway::RestApi"]
    paths = api["Properties"]["Body"]["paths"]
    for name in providers.NAMES:
        # Conditional functions make conditional routes: the "enabled" branch.
        for path in (f"/webhooks/{name}", f"/webhooks/{name}/{{account}}"):
            route = paths[path]
            methods = {m.upper() for m in route.get("Fn::If", [None, route])[1]}
            assert methods == set(providers.get(name).methods), path


#: The layer's packages whose modules a delivery imports (boto3 comes with the runtime).
LAYER_PACKAGES = ("hookgate", "aws_lambda_powertools", "jmespath", "typing_extensions")


def _layer_relative(module_file: str) -> Path | None:
    path = Path(module_file)
    for root in (ROOT / "layers/hookgate/src", *map(Path, sys.path)):
        if (
            path.is_relative_to(root)
            and path.relative_to(root).parts[0].removesuffix(".py") in LAYER_PACKAGES
        ):
            return path.relative_to(root)
    return None


@pytest.mark.slow
def test_layer_carries_runtime_bytecode_for_every_module_a_delivery_imports(
    tmp_path: Path, make_pipeline: PipelineFactory, lambda_context: LambdaContext
) -> None:
    # GIVEN deliveries handled here (HMAC, Ed25519 and ECDSA), importing what they need
    for provider in ("stripe", "discord", "sendgrid"):
        response = make_pipeline(provider).handle_lambda(
            event_of(delivery(provider)), lambda_context
        )
        assert response["statusCode"] == 200
    imported = {
        relative
        for module in list(sys.modules.values())
        if (file := getattr(module, "__file__", None)) and file.endswith(".py")
        if (relative := _layer_relative(file)) is not None
        # The tests' own delivery makers; no function imports them (import-linter's contract).
        if relative.parts[:2] != ("hookgate", "devtools")
    }
    assert any(p.parts[0] == "aws_lambda_powertools" for p in imported)

    # WHEN the layer is built with the runtime's Python, as `make build` does
    runtime = lambda_python.command()
    runtime_python, runtime_env = runtime
    subprocess.run(
        [
            str(Path(sys.executable).parent / "sam"), "build", "HookgateLayer",
            "--build-dir", str(tmp_path / "build"), "--cache-dir", str(tmp_path / "cache"),
        ],
        cwd=ROOT, check=True, capture_output=True, timeout=900,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0",
             "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
             "LAMBDA_PYTHON": lambda_python.shell_command(runtime)},
    )  # fmt: skip

    # THEN each of those modules has bytecode of that Python, used without checking the source
    # (Lambda cannot write bytecode to /opt, so a missing one is compiled at every cold start)
    magic = subprocess.run(
        [*runtime_python, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        env={**os.environ, **runtime_env}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    tag = "cpython-" + lambda_python.lambda_python_version().replace(".", "")
    layer = tmp_path / "build" / "HookgateLayer" / "python"
    for relative in imported:
        pyc = layer / relative.parent / "__pycache__" / f"{relative.stem}.{tag}.pyc"
        assert pyc.exists(), relative
        header = pyc.read_bytes()[:8]
        assert header[:4].hex() == magic
        assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source unchecked
