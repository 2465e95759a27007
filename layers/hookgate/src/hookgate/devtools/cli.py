"""`hookgate sign | send | verify | account | new-provider`: make and check deliveries as the
providers send them, manage a provider's accounts, and scaffold a new provider.

Exit codes: 0 success, 1 a delivery did not verify or was not accepted, 2 bad usage or input.
Secrets are read from --secret, --secret-file or $HOOKGATE_SECRET and never printed.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shlex
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from hookgate import providers
from hookgate.devtools import accounts
from hookgate.devtools.lambda_events import SHAPES
from hookgate.devtools.scaffold import repository_root, scaffold
from hookgate.devtools.simulate import (
    TestDelivery,
    local_dev_secret,
    make_delivery,
    stored_dev_secret,
)
from hookgate.errors import (
    BadRequest,
    BadSignature,
    ConfigurationError,
    HookgateError,
    MissingSignature,
    StaleTimestamp,
)
from hookgate.material import SecretMaterial
from hookgate.verify import verify

__all__ = ["main"]

SECRET_ENV = "HOOKGATE_SECRET"  # noqa: S105 (a variable name)
STACK_ENV = "HOOKGATE_STACK"
#: The local stack's name: its secrets are `hookgate/<provider>[/<account>]`.
LOCAL_STACK = "hookgate"
LOCAL_ENDPOINT = "http://127.0.0.1:3000/webhooks/{provider}"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2

# Why a delivery did not verify, in plain words (never with the values involved).
_EXPLANATIONS: dict[type[HookgateError], str] = {
    MissingSignature: "the signature header (or another header the provider always sends) is "
    "missing or empty",
    StaleTimestamp: "the signature is genuine but its timestamp is outside the tolerance "
    "window: the delivery is too old (or dated in the future); send a fresh one",
    BadSignature: "the signature does not match: the body was changed after signing, or it "
    "was signed with a different secret, or the signature header is malformed",
    BadRequest: "the request cannot be decoded",
}


class UsageError(Exception):
    """Bad command-line input: reported in one line, exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except UsageError as error:
        print(f"hookgate: {error}", file=sys.stderr)
        return EXIT_USAGE
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hookgate", description="Sign, send and verify webhook deliveries."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def common(command: argparse.ArgumentParser, *, body_required: bool) -> None:
        command.add_argument("provider", help=f"one of: {', '.join(providers.NAMES)}")
        secret = command.add_mutually_exclusive_group()
        secret.add_argument("--secret", help=f"the signing secret (default: ${SECRET_ENV})")
        secret.add_argument("--secret-file", type=Path, help="read the secret from this file")
        command.add_argument(
            "--body",
            required=body_required,
            help="@FILE, - for standard input, or the body itself"
            + ("" if body_required else " (default: an example event)"),
        )

    sign = commands.add_parser("sign", help="print what a provider would send")
    common(sign, body_required=False)
    _delivery_options(sign)
    sign.add_argument(
        "--format",
        choices=["headers", "curl", "event"],
        default="headers",
        help="headers (default), a curl command, or a Lambda event",
    )
    sign.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="rest",
        help="with --format event: rest (API Gateway REST, default), http (HTTP API), url "
        "(function URL)",
    )
    sign.set_defaults(run=_sign)

    send = commands.add_parser("send", help="sign and POST a delivery (default: to `make run`)")
    common(send, body_required=False)
    _delivery_options(send)
    send.set_defaults(run=_send)

    verify = commands.add_parser("verify", help="verify a captured request and say why not")
    common(verify, body_required=True)
    verify.add_argument(
        "--headers",
        required=True,
        type=Path,
        help="file of headers: 'Name: value' lines, or a JSON object",
    )
    verify.add_argument(
        "--url", help="the URL the provider called (URL-signing providers; default as `sign`)"
    )
    verify.add_argument("--tolerance", type=int, default=300, help="seconds (default 300)")
    verify.add_argument("--now", type=int, help="judge as of this Unix time (default: now)")
    verify.set_defaults(run=_verify)

    account = commands.add_parser(
        "account",
        help="add, list or remove a provider's accounts (their secrets in Secrets Manager)",
        description="Each account is a secret <stack>/<provider>/<account>, answered at "
        "/webhooks/<provider>/<account>. Uses the AWS credentials and region of the "
        "environment; AWS_ENDPOINT_URL points it at an emulator (`make run` prints how).",
    )
    account.add_argument("action", choices=["add", "list", "remove"])
    account.add_argument("provider", help=f"one of: {', '.join(providers.NAMES)}")
    account.add_argument("account", nargs="?", help="the account's name (add, remove)")
    account.add_argument(
        "--stack",
        default=os.environ.get(STACK_ENV, LOCAL_STACK),
        help=f"the stack's name (default: ${STACK_ENV}, else {LOCAL_STACK!r}: `make run`)",
    )
    account.add_argument(
        "--endpoint",
        help="the provider's webhook URL (the stack's <Provider>WebhookUrl output), to print "
        "the account's (default: the local stack's)",
    )
    value = account.add_mutually_exclusive_group()
    value.add_argument("--secret-file", type=Path, help="add: the secret to store")
    value.add_argument(
        "--dev", action="store_true", help="add: store the account's local dev secret"
    )
    account.add_argument(
        "--now", action="store_true", help="remove: delete at once, without a recovery window"
    )
    account.set_defaults(run=_account, secret=None)

    new = commands.add_parser(
        "new-provider", help="scaffold a provider: its module, function folder and test file"
    )
    new.add_argument("name", help="the provider's name: lower-case letters and digits")
    new.add_argument("--like", help="start from this provider's module (default: a body HMAC)")
    new.set_defaults(run=_new_provider)
    return parser


def _delivery_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--url", help="the endpoint (default: the local stack's)")
    command.add_argument(
        "--account",
        help="send to this account's route (/<account> is added to the URL), signed with its "
        "dev secret unless a secret is given",
    )
    command.add_argument("--event-type", help="the event type, where the provider sends one")
    command.add_argument("--timestamp", type=int, help="Unix time to sign with (default: now)")


def _provider(name: str) -> str:
    try:
        providers.get(name)
    except ConfigurationError:
        raise UsageError(
            f"unknown provider {name!r}; known: {', '.join(providers.NAMES)}"
        ) from None
    return name


def _secret(args: argparse.Namespace, *, local_default: bool) -> str:
    value: str
    if args.secret_file is not None:
        try:
            value = args.secret_file.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise UsageError(f"cannot read {args.secret_file}: {error.strerror}") from None
    else:
        value = args.secret or os.environ.get(SECRET_ENV, "")
    if not value and local_default:
        try:
            value = local_dev_secret(args.provider, getattr(args, "account", None))
        except ConfigurationError as error:
            raise UsageError(str(error)) from None
    if not value:
        raise UsageError(f"missing secret: pass --secret or --secret-file, or set ${SECRET_ENV}")
    return value


def _read(spec: str | Path) -> bytes:
    if isinstance(spec, str) and spec == "-":
        return sys.stdin.buffer.read()
    if isinstance(spec, str) and not spec.startswith("@"):
        return spec.encode("utf-8")
    path = Path(spec[1:]) if isinstance(spec, str) else spec
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _delivery(args: argparse.Namespace, *, local_default: bool) -> TestDelivery:
    provider = _provider(args.provider)
    secret = _secret(args, local_default=local_default)
    body = _read(args.body) if args.body is not None else None
    return make_delivery(
        provider,
        secret,
        body=body,
        event_type=args.event_type,
        timestamp=args.timestamp,
        url=_endpoint(args),
    )


def _endpoint(args: argparse.Namespace) -> str:
    url: str = args.url or LOCAL_ENDPOINT.format(provider=args.provider)
    if getattr(args, "account", None):
        try:
            url = accounts.account_url(url, args.account)
        except accounts.AccountError as error:
            raise UsageError(str(error)) from None
    return url


def _sign(args: argparse.Namespace) -> int:
    delivery = _delivery(args, local_default=False)
    if args.format == "headers":
        for name, value in delivery.headers.items():
            print(f"{name}: {value}")
    elif args.format == "curl":
        parts = ["curl", "-sS", "-X", "POST", delivery.url]
        for name, value in delivery.headers.items():
            parts += ["-H", f"{name}: {value}"]
        parts += ["--data-binary", delivery.body.decode("utf-8", "replace")]
        print(" ".join(shlex.quote(p) for p in parts))
    else:
        event = SHAPES[args.shape]("POST", delivery.url, delivery.headers.items(), delivery.body)
        print(json.dumps(event, indent=2))
    return EXIT_OK


def _send(args: argparse.Namespace) -> int:
    delivery = _delivery(args, local_default=True)
    url = _endpoint(args)
    request = urllib.request.Request(  # noqa: S310 (the user chooses the URL)
        delivery.url, data=delivery.body, headers=delivery.headers, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, text = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UsageError(f"cannot reach {url} ({reason}); is `make run` running?") from None
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"POST {url} -> {status} {text.strip()} ({elapsed_ms:.0f} ms)")
    print(f"{delivery.provider} delivery {delivery.delivery_id} ({delivery.event_type})")
    return EXIT_OK if 200 <= status < 300 else EXIT_REJECTED


def _verify(args: argparse.Namespace) -> int:
    provider = _provider(args.provider)
    secret = _secret(args, local_default=False)
    try:
        verified = verify(
            provider,
            body=_read(args.body),
            headers=_parse_headers(_read(args.headers).decode("utf-8", "replace")),
            secret=secret,
            url=_endpoint(args),
            now=args.now,
            tolerance_s=args.tolerance,
        )
    except ConfigurationError:
        raise UsageError("the secret is malformed (empty, or JSON of the wrong shape)") from None
    except HookgateError as error:
        explanation = _EXPLANATIONS.get(type(error), error.message)
        print(f"rejected: {explanation}")
        return EXIT_REJECTED
    count = len(SecretMaterial.parse(secret).signing_secrets)
    details = f"secret #{verified.key_index} of {count}"
    if verified.signed_at:
        details += f", signed at {verified.signed_at.isoformat()}"
    print(f"verified: {verified.provider} ({verified.scheme}, {details})")
    print(f"delivery {verified.delivery_id} ({verified.event_type})")
    return EXIT_OK


def _account(args: argparse.Namespace) -> int:
    provider = _provider(args.provider)
    if args.action != "list" and not args.account:
        raise UsageError(f"account {args.action} needs the account's name")
    endpoint = args.endpoint or LOCAL_ENDPOINT.format(provider=provider)
    try:
        client = _secrets_client()
        if args.action == "list":
            for found in accounts.list_accounts(client, stack=args.stack, provider=provider):
                print(f"{found.name}  {accounts.account_url(endpoint, found.name)}")
            return EXIT_OK
        if args.action == "remove":
            removed = accounts.remove(
                client,
                stack=args.stack,
                provider=provider,
                account=args.account,
                recovery_days=None if args.now else 7,
            )
            when = "now" if args.now else "in 7 days (restorable until then)"
            print(
                f"removed {provider} account {removed.name}: secret {removed.secret_name} "
                f"is deleted {when}; warm functions refuse it once their copy expires"
            )
            return EXIT_OK
        value = None
        if args.secret_file is not None:
            value = _secret(args, local_default=False)
            try:
                SecretMaterial.parse(value)
            except ConfigurationError:
                raise UsageError(
                    "the secret is malformed (empty, or JSON of the wrong shape)"
                ) from None
        elif args.dev:
            _require_local_endpoint(client)
            value = _local_stored_secret(provider, args.account)
        added = accounts.add(
            client, stack=args.stack, provider=provider, account=args.account, value=value
        )
    except accounts.AccountError as error:
        raise UsageError(str(error)) from None
    except (BotoCoreError, ClientError) as error:
        raise UsageError(f"Secrets Manager: {_aws_problem(error)}") from None
    print(f"added {provider} account {added.name}: secret {added.secret_name}")
    print(f"  webhook URL to give {providers.get(provider).deployment.title}: "
          f"{accounts.account_url(endpoint, added.name)}")  # fmt: skip
    if added.placeholder:
        print(f"  it holds a placeholder: put the real secret with\n"
              f"  aws secretsmanager put-secret-value --secret-id {added.secret_name} "
              f"--secret-string file://secret.txt")  # fmt: skip
    return EXIT_OK


def _secrets_client() -> Any:
    import boto3

    try:
        return boto3.client("secretsmanager")
    except NoRegionError:
        raise UsageError("no AWS region: set AWS_DEFAULT_REGION") from None


def _aws_problem(error: Exception) -> str:
    # The error code only: a message may quote a request, and a request may carry a secret.
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "error"))
    return type(error).__name__


def _require_local_endpoint(client: Any) -> None:
    # A dev secret is in hookgate's source: stored in a real account, anyone could sign for it.
    # The client's own endpoint, whichever setting chose it.
    host = urlsplit(client.meta.endpoint_url).hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise UsageError("--dev stores a published dev secret: only with AWS_ENDPOINT_URL set "
                         "to a local emulator (such as make run's)")  # fmt: skip


def _local_stored_secret(provider: str, account: str) -> str:
    try:
        return stored_dev_secret(provider, accounts.checked_name(account))
    except ConfigurationError as error:
        raise UsageError(str(error)) from None


def _new_provider(args: argparse.Namespace) -> int:
    try:
        root = repository_root(Path.cwd())
        made = scaffold(root, args.name, like=args.like and _provider(args.like))
    except ValueError as error:
        raise UsageError(str(error)) from None
    for path in made.files:
        print(f"wrote {path}")
    print(
        "next: fill in every TODO(new-provider), run `make template` (template.yaml, docs, "
        "events), then `make test`; see docs/adding-a-provider.md"
    )
    return EXIT_OK


def _parse_headers(text: str) -> list[tuple[str, str]]:
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data: Any = json.loads(stripped)
        except ValueError:
            raise UsageError("the headers file is not valid JSON") from None
        return [(str(k), str(v)) for k, v in data.items()]
    pairs = []
    for line in stripped.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"not a header line: {line[:40]!r}")
        pairs.append((name.strip(), value.strip()))
    return pairs
