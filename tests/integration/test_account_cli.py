"""`hookgate account add|list|remove`, run as a subprocess against Secrets Manager on the local
AWS emulator (through `AWS_ENDPOINT_URL`, as against `make run`'s): the secrets it makes are the
ones the real handler verifies an account's deliveries with, and it never prints a value."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from dev.local.emulator import FAKE_CREDENTIALS, REGION, MotoServer
from hookgate import providers
from hookgate.devtools.simulate import stored_dev_secret
from tests.conftest import LambdaContext
from tests.integration.conftest import PipelineFactory
from tests.support.deliveries import stripe_event
from tests.support.leaks import remember_secret

pytestmark = pytest.mark.slow


@pytest.fixture
def account_cli(aws: MotoServer) -> Any:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HOOKGATE_"))},
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": aws.endpoint,
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hookgate", "account", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )

    return run


def fresh_name() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}"


def test_add_list_remove_make_the_secret_the_handler_verifies_with(
    account_cli: Any,
    aws: MotoServer,
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    tmp_path: Path,
) -> None:
    account = fresh_name()
    value = "whsec_cli_" + uuid.uuid4().hex
    remember_secret(value)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(value + "\n")
    endpoint = "https://abc.execute-api.us-east-1.amazonaws.com/prod/webhooks/stripe"

    added = account_cli(
        "add", "stripe", account, "--secret-file", str(secret_file), "--endpoint", endpoint
    )
    again = account_cli("add", "stripe", account, "--secret-file", str(secret_file))
    listed = account_cli("list", "stripe", "--endpoint", endpoint)
    handler = make_pipeline("stripe").handle_lambda
    event, _, _ = stripe_event(value, path="/webhooks/stripe", account=account)
    verified = handler(event, lambda_context)
    removed = account_cli("remove", "stripe", account, "--now")
    listed_after = account_cli("list", "stripe")
    removed_again = account_cli("remove", "stripe", account, "--now")

    assert added.returncode == 0, added.stderr
    assert f"{endpoint}/{account}" in added.stdout
    assert f"secret hookgate/stripe/{account}" in added.stdout
    assert (again.returncode, "exists already" in again.stderr) == (2, True)
    assert f"{account}  {endpoint}/{account}" in listed.stdout.splitlines()
    assert verified["statusCode"] == 200
    assert removed.returncode == 0, removed.stderr
    assert account not in listed_after.stdout
    assert (removed_again.returncode, "no account" in removed_again.stderr) == (2, True)
    for result in (added, again, listed, removed, listed_after, removed_again):
        assert value not in result.stdout + result.stderr


def test_add_without_a_value_stores_what_the_template_gives_a_new_secret(
    account_cli: Any, aws: MotoServer
) -> None:
    secrets = aws.client("secretsmanager")
    stripe_account, asana_account = fresh_name(), fresh_name()

    stripe = account_cli("add", "stripe", stripe_account)
    asana = account_cli("add", "asana", asana_account)

    placeholder = secrets.get_secret_value(SecretId=f"hookgate/stripe/{stripe_account}")
    awaiting = secrets.get_secret_value(SecretId=f"hookgate/asana/{asana_account}")
    assert stripe.returncode == 0
    assert "placeholder" in stripe.stdout
    assert placeholder["SecretString"] not in stripe.stdout + stripe.stderr
    assert len(placeholder["SecretString"]) >= 32
    assert asana.returncode == 0
    assert "placeholder" not in asana.stdout
    assert awaiting["SecretString"] == providers.get("asana").deployment.initial_secret


def test_add_dev_stores_the_account_s_dev_secret(account_cli: Any, aws: MotoServer) -> None:
    account = fresh_name()

    added = account_cli("add", "github", account, "--dev")

    stored = aws.client("secretsmanager").get_secret_value(SecretId=f"hookgate/github/{account}")
    assert added.returncode == 0, added.stderr
    assert stored["SecretString"] == stored_dev_secret("github", account)
    assert stored["SecretString"] not in added.stdout


@pytest.mark.parametrize("name", ["Acme", "a.b", "a_b", "a" * 64])
def test_a_name_that_is_not_an_account_name_is_refused_before_any_call(
    name: str, account_cli: Any, aws: MotoServer
) -> None:
    before = aws.client("secretsmanager").list_secrets()["SecretList"]

    result = account_cli("add", "stripe", name)

    assert result.returncode == 2
    assert "not an account name" in result.stderr
    assert aws.client("secretsmanager").list_secrets()["SecretList"] == before


def test_an_unknown_provider_is_a_usage_error(account_cli: Any) -> None:
    result = account_cli("list", "nosuchprovider")

    assert result.returncode == 2
    assert "unknown provider" in result.stderr


@pytest.mark.parametrize(
    "secrets_manager_endpoint",
    [None, "https://secretsmanager.us-east-1.amazonaws.com"],
    ids=["no endpoint set", "Secrets Manager's own endpoint elsewhere"],
)
def test_add_dev_is_refused_unless_the_client_s_endpoint_is_local(
    secrets_manager_endpoint: str | None, aws: MotoServer
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HOOKGATE_"))},
        **FAKE_CREDENTIALS,
        "AWS_DEFAULT_REGION": REGION,
    }
    if secrets_manager_endpoint is not None:
        # The general setting local, the service's own (which boto3 prefers) not.
        env |= {
            "AWS_ENDPOINT_URL": aws.endpoint,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": secrets_manager_endpoint,
        }

    result = subprocess.run(
        [sys.executable, "-m", "hookgate", "account", "add", "stripe", fresh_name(), "--dev"],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip

    assert result.returncode == 2
    assert "only with AWS_ENDPOINT_URL" in result.stderr


@pytest.mark.parametrize("provider", ["sns", "discord", "paypal"])
def test_add_without_a_value_is_refused_where_a_placeholder_is_no_secret_of_the_kind(
    provider: str, account_cli: Any, aws: MotoServer
) -> None:
    account = fresh_name()

    result = account_cli("add", provider, account)

    assert result.returncode == 2
    assert "--secret-file" in result.stderr
    names = [s["Name"] for s in aws.client("secretsmanager").list_secrets()["SecretList"]]
    assert f"hookgate/{provider}/{account}" not in names


def test_add_refuses_a_malformed_secret_file(
    account_cli: Any, aws: MotoServer, tmp_path: Path
) -> None:
    account = fresh_name()
    secret_file = tmp_path / "secret.json"
    secret_file.write_text('{"signing_secrets": [1]}')

    result = account_cli("add", "stripe", account, "--secret-file", str(secret_file))

    assert result.returncode == 2
    assert "malformed" in result.stderr
    names = [s["Name"] for s in aws.client("secretsmanager").list_secrets()["SecretList"]]
    assert f"hookgate/stripe/{account}" not in names
