"""The secret format and settings contracts."""

from __future__ import annotations

import json

import pytest

from hookgate.config import Settings
from hookgate.errors import ConfigurationError
from hookgate.material import SecretMaterial

REQUIRED_ENV = {
    "HOOKGATE_SECRET_ID": "hookgate/stripe",
    "HOOKGATE_REPLAY_TABLE": "replay",
    "HOOKGATE_EVENT_BUS": "bus",
}


def test_parse_plain_string_is_one_secret() -> None:
    assert SecretMaterial.parse("  whsec_abc\n").signing_secrets == ("whsec_abc",)


def test_parse_json_keeps_order_and_fields() -> None:
    value = json.dumps(
        {
            "signing_secrets": ["new", "old"],
            "verify_token": "vt",
            "webhook_id": "WH-1",
            "custom": {"a": 1},
        }
    )

    material = SecretMaterial.parse(value)

    assert material.signing_secrets == ("new", "old")
    assert material.verify_token == "vt"
    assert material.webhook_id == "WH-1"
    assert material.extra == {"custom": {"a": 1}}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "{not json",
        '{"signing_secrets": [""]}',
        '{"signing_secrets": [1]}',
        '{"signing_secrets": ["a"], "verify_token": 5}',
    ],
)
def test_parse_malformed_is_configuration_error(value: str) -> None:
    with pytest.raises(ConfigurationError):
        SecretMaterial.parse(value)


def test_signing_keys_without_secrets_is_configuration_error() -> None:
    material = SecretMaterial.parse('{"verify_token": "only"}')

    with pytest.raises(ConfigurationError):
        material.signing_keys()


def test_repr_hides_secret_values() -> None:
    material = SecretMaterial.parse('{"signing_secrets": ["s3cr3t-value"], "verify_token": "tok"}')

    assert "s3cr3t-value" not in repr(material)
    assert "tok" not in repr(material)


def test_settings_from_env_reads_contract_variables() -> None:
    settings = Settings.from_env(
        {**REQUIRED_ENV, "HOOKGATE_PROVIDER": "github", "HOOKGATE_TOLERANCE_SECONDS": "120"}
    )

    assert settings.provider == "github"
    assert settings.tolerance_s == 120
    assert settings.replay_ttl_s == 7 * 24 * 3600


def test_settings_explicit_provider_beats_environment() -> None:
    settings = Settings.from_env({**REQUIRED_ENV, "HOOKGATE_PROVIDER": "github"}, provider="stripe")

    assert settings.provider == "stripe"


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENV))
def test_settings_missing_variable_is_named(missing: str) -> None:
    env = {k: v for k, v in REQUIRED_ENV.items() if k != missing}

    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(env, provider="stripe")


@pytest.mark.parametrize("value", ["abc", "0", "-5"])
def test_settings_bad_number_is_configuration_error(value: str) -> None:
    with pytest.raises(ConfigurationError, match="HOOKGATE_TOLERANCE_SECONDS"):
        Settings.from_env({**REQUIRED_ENV, "HOOKGATE_TOLERANCE_SECONDS": value}, provider="x")


@pytest.mark.parametrize(
    ("secret_id", "prefix", "expected"),
    [
        # CloudFormation's Ref of a secret is its ARN: accounts need the template's prefix.
        ("arn:aws:secretsmanager:us-east-1:1:secret:prod/stripe-AbC12x", "", None),
        (
            "arn:aws:secretsmanager:us-east-1:1:secret:prod/stripe-AbC12x",
            "prod/stripe",
            "prod/stripe",
        ),
        ("prod/stripe", "", "prod/stripe"),
        ("prod/stripe", "other/stripe/", "other/stripe"),
    ],
)
def test_settings_account_secrets_prefix(secret_id: str, prefix: str, expected: str | None) -> None:
    env = {**REQUIRED_ENV, "HOOKGATE_SECRET_ID": secret_id, "HOOKGATE_ACCOUNT_SECRETS": prefix}

    assert Settings.from_env(env, provider="stripe").account_secrets == expected
