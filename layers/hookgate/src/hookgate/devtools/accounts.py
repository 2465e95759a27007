"""Accounts of a provider behind one deployment: each is a Secrets Manager secret named
`<stack>/<provider>/<account>`, answered at `/webhooks/<provider>/<account>`.

Used by `hookgate account add|list|remove` and by the local stack's demo accounts. Nothing
here returns or prints a secret's value.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from hookgate import providers
from hookgate.request import ACCOUNT_NAME

__all__ = [
    "Account",
    "AccountError",
    "account_url",
    "add",
    "list_accounts",
    "remove",
    "secret_name",
]


class AccountError(Exception):
    """An account could not be added or removed; the message says why, in plain words."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    secret_name: str
    #: Whether the stored value is a placeholder that verifies nothing yet.
    placeholder: bool = False


def checked_name(account: str) -> str:
    """`account` if it is an account name (what the `{account}` route accepts)."""
    if not ACCOUNT_NAME.fullmatch(account):
        raise AccountError(
            f"{account!r} is not an account name: 1 to 63 of a-z, 0-9 and '-', not starting "
            "with '-'"
        )
    return account


def secret_name(stack: str, provider: str, account: str) -> str:
    return f"{stack}/{provider}/{checked_name(account)}"


def account_url(endpoint: str, account: str) -> str:
    """The URL to give the provider: the bare route's, one segment longer."""
    return f"{endpoint.rstrip('/')}/{checked_name(account)}"


def add(
    client: Any, *, stack: str, provider: str, account: str, value: str | None = None
) -> Account:
    """Create the account's secret holding `value`, or, without one, what the template gives a
    new provider secret: the awaiting value of a provider whose handshake delivers its secret
    (Asana), else a random placeholder that verifies nothing until the real secret is put.

    Raises:
        AccountError: the name is not an account name, or the secret exists already.
    """
    definition = providers.get(provider)
    deployment = definition.deployment
    name = secret_name(stack, provider, account)
    placeholder = value is None and deployment.initial_secret is None
    if placeholder and definition.local.stored_secret is not str:
        # A random string is no key, topic list or JSON of this provider's kind: requests
        # would then fail as a misconfiguration rather than as a wrong signature.
        raise AccountError(
            f"a {deployment.title} secret is not a plain string: give it with --secret-file "
            "(docs/providers.md says what it holds)"
        )
    if value is None:
        value = deployment.initial_secret or secrets.token_urlsafe(36)
    try:
        client.create_secret(
            Name=name,
            SecretString=value,
            Description=f"hookgate: {deployment.title} account {account}",
            Tags=[
                {"Key": "hookgate:provider", "Value": provider},
                {"Key": "hookgate:account", "Value": account},
            ],
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceExistsException":
            raise AccountError(f"{provider} account {account!r} exists already") from None
        raise
    return Account(account, name, placeholder=placeholder)


def list_accounts(client: Any, *, stack: str, provider: str) -> list[Account]:
    """The provider's accounts, by name (secrets scheduled for deletion left out)."""
    prefix = f"{stack}/{provider}/"
    found = []
    for page in client.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}]
    ):
        for entry in page.get("SecretList", []):
            name = entry.get("Name", "")
            account = name.removeprefix(prefix)
            # The name filter matches prefixes of words, not only of the whole name.
            listed = name.startswith(prefix) and ACCOUNT_NAME.fullmatch(account)
            if listed and "DeletedDate" not in entry:
                found.append(Account(account, name))
    return sorted(found, key=lambda a: a.name)


def remove(
    client: Any, *, stack: str, provider: str, account: str, recovery_days: int | None = 7
) -> Account:
    """Delete the account's secret: after `recovery_days` (restorable until then), or at once
    with None. Warm functions stop accepting the account once their cached copy expires.

    Raises:
        AccountError: there is no such account.
    """
    name = secret_name(stack, provider, account)
    options: dict[str, Any] = (
        {"ForceDeleteWithoutRecovery": True}
        if recovery_days is None
        else {"RecoveryWindowInDays": recovery_days}
    )
    # Asked first: a forced DeleteSecret succeeds whether or not the secret exists.
    try:
        described = client.describe_secret(SecretId=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise AccountError(f"{provider} has no account {account!r}") from None
        raise
    if "DeletedDate" in described and recovery_days is not None:
        raise AccountError(f"{provider} account {account!r} is already being deleted")
    client.delete_secret(SecretId=name, **options)
    return Account(account, name)
