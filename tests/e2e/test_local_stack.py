"""End to end: HTTP request -> gateway -> Lambda runtime emulator -> handler -> EventBridge -> SQS.

The handler runs in its own process behind the runtime interface emulator from the aws-sam-cli
wheel, as `python -m awslambdaric app.lambda_handler`: the interface Lambda itself drives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from dev import template
from dev.local.emulator import LocalResources, MotoServer, free_port
from dev.local.gateway import Gateway
from dev.local.samples import DEMO_ACCOUNTS, DEV_SECRETS, sample
from dev.local.stack import start_functions
from dev.runtime.rie import LambdaFunction
from dev.samlocal.events import write_events
from hookgate import providers
from hookgate.devtools.simulate import local_dev_secret, make_delivery
from hookgate.providers import github
from tests.conftest import Bus

pytestmark = pytest.mark.slow
ROOT = template.ROOT


@pytest.fixture(scope="module")
def stack(
    aws: MotoServer, resources: LocalResources, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """`make run`'s functions (behind the runtime emulator, PayPal's certificate host included)
    and its gateway; yields (base URL, log dir)."""
    log_dir = tmp_path_factory.mktemp("function-logs")
    cleanups: list[Callable[[], None]] = []
    try:
        routes = start_functions(resources, log_dir, cleanups)
        gateway = Gateway(("127.0.0.1", free_port()), routes)
        cleanups.append(gateway.shutdown)
        threading.Thread(target=gateway.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{gateway.server_address[1]}", log_dir
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


@pytest.mark.parametrize("provider", ["stripe", "github"])
def test_signed_delivery_over_http_lands_on_bus_once(
    stack: tuple[str, Path], bus: Bus, provider: str
) -> None:
    base_url, _ = stack
    delivery = sample(provider)
    url = f"{base_url}/webhooks/{provider}"

    first = requests.post(url, data=delivery.body, headers=delivery.headers, timeout=30)
    again = requests.post(url, data=delivery.body, headers=delivery.headers, timeout=30)

    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    [event] = bus.events_for(delivery.delivery_id, settle_s=1.5)
    assert event["source"] == f"hookgate.{provider}"
    assert event["detail-type"] == delivery.event_type
    assert event["detail"]["provider"] == provider


def test_every_provider_signed_as_the_cli_signs_reaches_the_bus(
    stack: tuple[str, Path], bus: Bus
) -> None:
    # GIVEN a delivery for each provider, made as `hookgate send` makes it (PayPal's certificate
    # is served by the stack's dev host, at the allow-listed URL the dev signer names)
    base_url, _ = stack
    sent = {}
    for provider in providers.NAMES:
        url = f"{base_url}/webhooks/{provider}"
        delivery = make_delivery(provider, local_dev_secret(provider), url=url)
        # WHEN each is POSTed to the stack's gateway
        response = requests.post(
            delivery.url, data=delivery.body, headers=delivery.headers, timeout=30
        )
        sent[provider] = (response.status_code, delivery.delivery_id)

    # THEN each is accepted, and its event is on the bus once, from its provider, under its id
    assert {p: status for p, (status, _) in sent.items() if not 200 <= status < 300} == {}
    wanted = {delivery_id: f"hookgate.{p}" for p, (_, delivery_id) in sent.items()}
    deadline = time.monotonic() + 15
    events = bus.seen(settle_s=0.5)
    while len(events) < len(wanted) and time.monotonic() < deadline:
        events = bus.seen(settle_s=0.5)
    assert {e["detail"]["delivery_id"]: e["source"] for e in events} == wanted
    assert len(events) == len(wanted)


def test_generated_events_are_judged_right_by_the_function_behind_the_emulator(
    aws: MotoServer, resources: LocalResources, bus: Bus, tmp_path: Path
) -> None:
    # GIVEN the events `make events` writes for `sam local invoke`
    written = write_events(["stripe", "github"], out_dir=tmp_path)
    statuses = {}

    for path in written:
        event = json.loads(path.read_text())
        provider = path.parent.name
        logical_id = template.function_for(provider)
        function_dir = ROOT / template.functions()[logical_id]["CodeUri"]
        # WHEN each is invoked through the runtime interface emulator
        with LambdaFunction(function_dir, resources.env_for(logical_id), name=logical_id) as fn:
            statuses[f"{provider}/{path.stem}"] = fn.invoke(event)["statusCode"]

    # THEN the valid ones verify and are published; the tampered ones are refused
    assert statuses == {
        "stripe/valid": 200, "stripe/tampered": 401, "github/valid": 200, "github/tampered": 401,
    }  # fmt: skip
    assert sorted(e["source"] for e in bus.seen()) == ["hookgate.github", "hookgate.stripe"]


def test_forged_delivery_over_http_is_401_and_not_published(
    stack: tuple[str, Path], bus: Bus
) -> None:
    base_url, _ = stack
    delivery = sample("stripe", secret="whsec_attacker")

    response = requests.post(
        f"{base_url}/webhooks/stripe", data=delivery.body, headers=delivery.headers, timeout=30
    )

    assert (response.status_code, response.json()) == (401, {"message": "unauthorized"})
    assert bus.events_for(delivery.delivery_id, settle_s=0.5) == []


def test_non_utf8_body_over_http_verifies(stack: tuple[str, Path], bus: Bus) -> None:
    base_url, _ = stack
    body = b"\xff\xfe\x00\x01 not text \xc3\x28"
    delivery = sample("github")
    headers = {
        **delivery.headers,
        "Content-Type": "application/octet-stream",
        **github.sign(
            DEV_SECRETS["github"],
            body,
            timestamp=0,
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            url="",
        ),
    }

    response = requests.post(f"{base_url}/webhooks/github", data=body, headers=headers, timeout=30)

    assert response.status_code == 200
    # GitHub signs no delivery id: the delivery is keyed on the body's digest.
    [event] = bus.events_for(hashlib.sha256(body).hexdigest()[:32])
    assert event["detail"]["payload"] == {"base64": base64.b64encode(body).decode()}


def test_function_logs_hold_no_secret_or_signature(stack: tuple[str, Path], bus: Bus) -> None:
    base_url, log_dir = stack
    sent = [sample("stripe"), sample("github"), sample("stripe", secret="whsec_attacker")]
    for delivery in sent:
        requests.post(
            f"{base_url}/webhooks/{delivery.provider}",
            data=delivery.body,
            headers=delivery.headers,
            timeout=30,
        )

    logs = "".join(p.read_text() for p in log_dir.glob("*.log"))

    assert '"outcome":"published"' in logs
    assert '"outcome":"rejected"' in logs
    for secret in DEV_SECRETS.values():
        assert secret not in logs
    for delivery in sent:
        for name, value in delivery.headers.items():
            if "signature" in name.lower():
                assert value not in logs
                assert value.split("=")[-1] not in logs


def test_make_run_stack_prints_each_event_and_stops_on_ctrl_c() -> None:
    port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "dev.local.stack", "--port", str(port), "--aws-port", str(aws_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        _wait_for(lambda: any("Ctrl-C stops everything" in line for line in lines), 60)
        banner = "".join(lines)
        assert f"POST http://127.0.0.1:{port}/webhooks/stripe" in banner
        assert DEV_SECRETS["stripe"] in banner  # dev secrets are printed for the user
        for account in DEMO_ACCOUNTS["stripe"]:
            assert f"account {account}: http://127.0.0.1:{port}/webhooks/stripe/{account}" in banner

        # `make send`, another process: PayPal's, SNS's and Plaid's dev signers and the
        # stack's certificates and key endpoint agree.
        for provider, event_type in [
            ("stripe", "payment_intent.succeeded"),
            ("paypal", "PAYMENT.CAPTURE.COMPLETED"),
            ("sns", "Notification"),
            ("plaid", "TRANSACTIONS.SYNC_UPDATES_AVAILABLE"),
        ]:
            sent = subprocess.run(
                [sys.executable, "-m", "hookgate", "send", provider, "--url",
                 f"http://127.0.0.1:{port}/webhooks/{provider}"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert sent.returncode == 0, sent.stdout + sent.stderr
            delivery_id = sent.stdout.split(f"{provider} delivery ")[1].split()[0]

            _wait_for(_a_line_with(lines, f"on the bus: hookgate.{provider} ", delivery_id), 30)
            # ... and the delivery's own line: provider, type, id, outcome, status
            _wait_for(_a_line_with(lines, delivery_id, event_type, "published (200"), 10)

        # `make send P=stripe A=acme`: the demo account, signed with its own dev secret.
        sent = subprocess.run(
            [sys.executable, "-m", "hookgate", "send", "stripe", "--account", "acme", "--url",
             f"http://127.0.0.1:{port}/webhooks/stripe"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        delivery_id = sent.stdout.split("stripe delivery ")[1].split()[0]
        _wait_for(
            _a_line_with(lines, "on the bus: hookgate.stripe", delivery_id, "account=acme"), 30
        )
        _wait_for(_a_line_with(lines, "stripe/acme", delivery_id, "published (200"), 10)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
        reader.join(timeout=5)
    assert code == 0
    assert "stopped" in lines[-1]


def test_make_run_refuses_a_port_in_use_with_a_clear_message() -> None:
    port = free_port()
    with Gateway(("127.0.0.1", port), {}):
        result = subprocess.run(
            [sys.executable, "-m", "dev.local.stack", "--port", str(port)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert result.returncode == 1
    assert f"port {port} is already in use" in result.stdout


def _a_line_with(lines: list[str], *parts: str) -> Callable[[], bool]:
    """Whether one of `lines` holds all of `parts`."""
    return lambda: any(all(part in line for part in parts) for line in lines)


def _wait_for(condition: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


@pytest.mark.parametrize(
    ("event", "exit_code", "status", "published"),
    # A failed recipe makes `make` itself exit with 2.
    [("valid", 0, 200, True), ("tampered", 2, 401, False)],
)
def test_make_invoke_regenerates_and_invokes_through_the_emulator(
    tmp_path: Path, event: str, exit_code: int, status: int, published: bool
) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "invoke", "P=github", f"E={event}",
         f"EVENTS_DIR={tmp_path}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == exit_code, result.stdout + result.stderr
    assert (tmp_path / "github" / f"{event}.json").exists()
    response_text = result.stdout.split("response: ", 1)[1].split("published: ", 1)[0]
    assert json.loads(response_text)["statusCode"] == status
    published_text = result.stdout.split("published: ", 1)[1].strip()
    if published:
        [on_bus] = json.loads(published_text)
        assert on_bus["source"] == "hookgate.github"
    else:
        assert published_text == "nothing"
