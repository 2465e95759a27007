"""The `hookgate` CLI, run as a subprocess: what it signs is accepted by the real handler behind
the Lambda runtime emulator, and what it verifies it explains without printing secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dev import template
from dev.local.certificates import local_certificate_hosts
from dev.local.emulator import LocalResources, MotoServer, free_port
from dev.local.gateway import Gateway
from dev.local.samples import DEMO_ACCOUNTS, DEV_SECRETS, STORED_DEV_SECRETS
from dev.runtime.rie import LambdaFunction
from hookgate import providers
from hookgate.devtools.simulate import local_dev_secret
from tests.conftest import Bus
from tests.support.providers import KEY_DOWNLOADED

pytestmark = pytest.mark.slow
ROOT = template.ROOT
ENV = {k: v for k, v in os.environ.items() if k != "HOOKGATE_SECRET"}


def hookgate(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hookgate", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
        check=False,
    )


@pytest.fixture(scope="module")
def functions(aws: MotoServer, resources: LocalResources) -> Iterator[dict[str, LambdaFunction]]:
    """One runtime emulator per provider, with the template's environment (and for PayPal and
    SNS, the local stack's certificate hosts, as `make run` gives them)."""
    hosts = local_certificate_hosts()
    for host in hosts.values():
        host.start()
    started = {}
    for logical_id, properties in template.functions().items():
        env = resources.env_for(logical_id)
        provider = env["HOOKGATE_PROVIDER"]
        if provider in hosts:
            env |= hosts[provider].environment()
        started[provider] = LambdaFunction(
            ROOT / properties["CodeUri"], env, name=logical_id
        ).start()
    yield started
    for function in started.values():
        function.stop()
    for host in hosts.values():
        host.stop()


@pytest.fixture(scope="module")
def gateway_url(functions: dict[str, LambdaFunction]) -> Iterator[str]:
    routes = {
        ("POST", f"/webhooks/{p}{route}"): f.invoke
        for p, f in functions.items()
        for route in ("", "/{account}")
    }
    gateway = Gateway(("127.0.0.1", free_port()), routes)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{gateway.server_address[1]}"
    gateway.shutdown()


LOCAL_PROVIDERS = providers.NAMES


@pytest.mark.parametrize("shape", ["rest", "http", "url"])
@pytest.mark.parametrize("provider", LOCAL_PROVIDERS)
def test_sign_event_round_trips_through_the_handler(
    provider: str, shape: str, functions: dict[str, LambdaFunction], bus: Bus
) -> None:
    signed = hookgate(
        "sign", provider, "--secret", DEV_SECRETS[provider], "--format", "event", "--shape", shape
    )
    assert signed.returncode == 0, signed.stderr

    result = functions[provider].invoke(json.loads(signed.stdout))

    assert 200 <= result["statusCode"] < 300, result
    [published] = bus.seen()
    assert published["source"] == f"hookgate.{provider}"


@pytest.mark.parametrize("provider", LOCAL_PROVIDERS)
def test_send_posts_a_delivery_that_lands_on_the_bus(
    provider: str, gateway_url: str, bus: Bus
) -> None:
    sent = hookgate("send", provider, "--url", f"{gateway_url}/webhooks/{provider}")

    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "-> 20" in sent.stdout
    delivery_id = sent.stdout.split(f"{provider} delivery ")[1].split()[0]
    assert len(bus.events_for(delivery_id)) == 1
    assert DEV_SECRETS[provider] not in sent.stdout


@pytest.mark.parametrize("account", DEMO_ACCOUNTS["stripe"])
def test_send_to_an_account_signs_with_its_dev_secret_and_lands_attributed(
    account: str, gateway_url: str, bus: Bus
) -> None:
    sent = hookgate(
        "send", "stripe", "--account", account, "--url", f"{gateway_url}/webhooks/stripe"
    )

    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert f"POST {gateway_url}/webhooks/stripe/{account} -> 200" in sent.stdout
    delivery_id = sent.stdout.split("stripe delivery ")[1].split()[0]
    [event] = bus.events_for(delivery_id)
    assert event["detail"]["account"] == account


def test_send_to_an_account_with_another_account_s_secret_is_refused(
    gateway_url: str, bus: Bus
) -> None:
    acme, globex = DEMO_ACCOUNTS["stripe"]
    url = f"{gateway_url}/webhooks/stripe"
    secret = local_dev_secret("stripe", acme)

    sent = hookgate("send", "stripe", "--account", globex, "--url", url, "--secret", secret)

    assert sent.returncode == 1
    assert "-> 401" in sent.stdout
    assert bus.seen(settle_s=0.5) == []


def test_send_with_wrong_secret_exits_1(gateway_url: str, bus: Bus) -> None:
    sent = hookgate(
        "send", "stripe", "--secret", "whsec_wrong", "--url", f"{gateway_url}/webhooks/stripe"
    )

    assert sent.returncode == 1
    assert "-> 401" in sent.stdout
    assert bus.seen(settle_s=0.5) == []


def test_sign_curl_command_is_accepted(gateway_url: str, bus: Bus) -> None:
    body = b'{"id": "evt_curl_1", "object": "event", "type": "charge.refunded"}'
    signed = hookgate(
        "sign", "stripe", "--secret", DEV_SECRETS["stripe"], "--body", "-", "--format", "curl",
        "--url", f"{gateway_url}/webhooks/stripe", stdin=body,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr

    ran = subprocess.run(
        ["bash", "-c", signed.stdout], capture_output=True, text=True, timeout=30, check=True
    )

    assert json.loads(ran.stdout) == {"received": True, "duplicate": False}
    [published] = bus.events_for("evt_curl_1")
    assert published["detail-type"] == "charge.refunded"


# Graph's client state and Mailgun's signature travel in the body, which `sign --body` does
# not rewrite, Mailchimp's secret in the URL, which `sign` does not print; `verify` runs here,
# where PayPal's and SNS's certificates and Plaid's keys are only on their own hosts (the
# local stack's functions reach dev ones).
UNPRINTED = ("mailchimp", "mailgun", "msgraph", *KEY_DOWNLOADED)


@pytest.mark.parametrize("provider", [p for p in LOCAL_PROVIDERS if p not in UNPRINTED])
def test_verify_accepts_what_sign_printed_and_explains_tampering(
    provider: str, tmp_path: Path
) -> None:
    secret, stored = DEV_SECRETS[provider], STORED_DEV_SECRETS[provider]
    body = tmp_path / "body.json"
    # `webhookTimestamp`: Linear's freshness is in its signed body (milliseconds).
    body.write_text(
        f'{{"id": "evt_verify", "type": "ping", "webhookTimestamp": {int(time.time() * 1000)}, '
        '"zen": "Anything added dilutes"}'
    )
    headers = tmp_path / "headers.txt"
    signed = hookgate("sign", provider, "--secret", secret, "--body", f"@{body}")
    headers.write_text(signed.stdout)

    ok = hookgate("verify", provider, "--secret", stored, "--headers", str(headers),
                  "--body", f"@{body}")  # fmt: skip
    body.write_bytes(body.read_bytes().replace(b"dilutes", b"Dilutes"))
    tampered = hookgate("verify", provider, "--secret", stored, "--headers", str(headers),
                        "--body", f"@{body}")  # fmt: skip

    assert (ok.returncode, ok.stdout.split(":")[0]) == (0, "verified")
    if providers.get(provider).signed.body:
        assert tampered.returncode == 1
        assert "the body was changed after signing" in tampered.stdout
    else:  # a shared token proves the sender, not the body
        assert tampered.returncode == 0
    # A token scheme's request carries the token itself, so only `sign` may print it.
    for result in (signed, ok, tampered) if providers.get(provider).signed.body else (ok, tampered):
        assert secret not in result.stdout + result.stderr


def test_verify_explains_a_stale_delivery_and_a_missing_header(tmp_path: Path) -> None:
    secret = DEV_SECRETS["stripe"]
    body = tmp_path / "body"
    body.write_bytes(b'{"id": "evt_old"}')
    headers = tmp_path / "headers.json"
    signed = hookgate("sign", "stripe", "--secret", secret, "--body", f"@{body}",
                      "--timestamp", "1600000000")  # fmt: skip
    name, _, value = signed.stdout.splitlines()[-1].partition(": ")
    headers.write_text(json.dumps({name: value}))

    stale = hookgate("verify", "stripe", "--secret", secret, "--headers", str(headers),
                     "--body", f"@{body}")  # fmt: skip
    headers.write_text("Content-Type: application/json\n")
    missing = hookgate("verify", "stripe", "--secret", secret, "--headers", str(headers),
                       "--body", f"@{body}")  # fmt: skip

    assert stale.returncode == 1
    assert "outside the tolerance window" in stale.stdout
    assert missing.returncode == 1
    assert "missing" in missing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sign", "acme", "--secret", "x"], "unknown provider 'acme'"),
        (["sign", "stripe", "--secret", "x", "--body", "@/nonexistent/body"], "cannot read"),
        (["sign", "stripe"], "missing secret"),
        (["sign", "stripe", "--secret-file", "/nonexistent/secret"], "cannot read"),
        (["verify", "stripe", "--secret", "x", "--headers", "/nonexistent", "--body", "b"],
         "cannot read"),
        (["send", "stripe", "--url", "http://127.0.0.1:9/webhooks/stripe"], "cannot reach"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_error_with_exit_2(args: list[str], message: str) -> None:
    result = hookgate(*args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_console_script_and_module_agree() -> None:
    script = Path(sys.executable).parent / "hookgate"
    args = ["sign", "github", "--secret", "s", "--body", "{}", "--event-type", "ping"]

    by_script = subprocess.run([str(script), *args], capture_output=True, text=True, check=True)
    by_module = hookgate(*args)

    signature = [line for line in by_script.stdout.splitlines() if "Signature-256" in line]
    assert signature
    assert signature == [line for line in by_module.stdout.splitlines() if "Signature-256" in line]
