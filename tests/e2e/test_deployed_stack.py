"""template.yaml deployed with `sam build && sam deploy` into LocalStack, and driven over HTTP.

LocalStack's community core runs on this host (dev.localdeploy.stack, what `make deploy-local`
uses). It runs the SAM transform and CloudFormation, so the stack here is the one `sam deploy`
gives a user: API Gateway's stage and routes, each function's `live` alias in a Docker container
with the layer at /opt, the secrets, the replay table, the payload bucket and the bus. Every
delivery is signed with `hookgate sign`, sent to the deployed stage, and judged by what a rule
on the bus delivered to an SQS queue.

What this proves: the wiring (the bus, table, bucket and secrets each function is given are the
stack's; the layer is packaged and found; the handler paths; each route integrates with its
function's `live` alias; the custom domain's mapping and its URL reaching the functions as their
public URL; ToleranceSeconds, ReplayTtlSeconds and MaxEventBytes, deployed with values that are
not the code's defaults, reach the functions), the byte-exact body through API Gateway, replay
protection through the deployed table, and that every provider and cold-start mode creates.

What it does not prove, because LocalStack is not AWS here:

* Binary media types are ignored for requests: UTF-8 bodies reach the function as text
  (isBase64Encoded false); AWS, with binaryMediaTypes */*, base64-encodes every body. Only the
  bodies that are not UTF-8 take the base64 path here.
* IAM is not enforced: a missing permission passes (test_template's least-privilege checks
  guard the policies).
* AWS::Events::Archive is accepted and does nothing.
* PutEvents to a bus that does not exist succeeds: a 200 proves nothing on its own, which is
  why every assertion about publishing reads the bus's tap.
* A provider's condition cannot be flipped on an existing stack, so each variant is a fresh
  stack; SnapStart, reserved concurrency and the custom domain's disabled execute-api endpoint
  are accepted and not applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from dev.local.emulator import free_port
from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from dev.localdeploy import stack
from dev.localdeploy.stack import LocalStack
from dev.samlocal import setup as samlocal
from hookgate import providers
from hookgate.material import SecretMaterial

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

HOOKGATE = str(Path(sys.executable).parent / "hookgate")
#: Stripe and GitHub; Slack's and Discord's signed handshakes; Twilio signs the public URL;
#: Meta answers a GET handshake.
PROVIDERS = ("stripe", "github", "slack", "discord", "twilio", "meta")
DOMAIN = "webhooks.example.com"
#: Not the defaults, so that a parameter that does not reach the functions fails a test.
PARAMETERS = {"ToleranceSeconds": "120", "ReplayTtlSeconds": "172800", "MaxEventBytes": "262144"}
STACK = "hookgate-e2e"
#: Each run's Docker network ends with its PID, so that a killed run's can be found.
NETWORK_PREFIX = "hookgate-e2e-"
#: How long to watch the tap for an event that must not come.
SETTLE_S = 4.0


@dataclass
class Deployment:
    localstack: LocalStack
    outputs: dict[str, str]
    urls: dict[str, str]
    tap: str
    arrived: list[dict[str, Any]] = field(default_factory=list)

    def events(self, *, wait_s: float, until: int | None = None) -> list[dict[str, Any]]:
        """Everything that reaches the bus within `wait_s` (or once `until` events came)."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and (until is None or len(found) < until):
            left = deadline - time.monotonic()
            found += stack.tapped(self.localstack, self.tap, wait_s=min(left, 1.0))
        self.arrived += found
        return found


@pytest.fixture(scope="module")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    samlocal.ensure_docker()
    image = samlocal.ensure_base_image()
    stack.remove_abandoned_networks(NETWORK_PREFIX)
    running = LocalStack(
        home=tmp_path_factory.mktemp("localstack"),
        port=free_port(),
        network=f"{NETWORK_PREFIX}{os.getpid()}",
    )
    running.start(image)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def built() -> Path:
    return stack.build()


@pytest.fixture(scope="module")
def deployed(localstack: LocalStack, built: Path) -> Deployment:
    certificate = localstack.client("acm").request_certificate(DomainName=DOMAIN)
    outputs = stack.deploy(
        localstack, built, STACK, PROVIDERS,
        {**PARAMETERS, "DomainName": DOMAIN, "CertificateArn": certificate["CertificateArn"]},
    )  # fmt: skip
    stack.store_dev_secrets(localstack, outputs)
    tap = stack.tap_bus(localstack, outputs["EventBusName"], f"{STACK}-tap")
    urls = stack.local_urls(localstack, STACK)
    # Cold starts (container, layer copy, imports) and DynamoDB Local's first request, here
    # rather than inside a test's first delivery and its 10 s function timeout.
    localstack.client("dynamodb").describe_table(TableName=outputs["ReplayTableName"])
    for url in urls.values():
        assert requests.post(url, data=b"{}", timeout=60).status_code == 401
    return Deployment(localstack, outputs, urls, tap)


@pytest.fixture
def bus(deployed: Deployment) -> Deployment:
    """The deployment; nothing may still be arriving from an earlier test (a late duplicate)."""
    assert deployed.events(wait_s=0.5) == [], "an event reached the bus after its test ended"
    return deployed


def sign(
    provider: str, body: bytes, url: str, tmp_path: Path, *, timestamp: int | None = None
) -> dict[str, str]:
    """The headers `hookgate sign` gives this body for `url`, with the provider's dev secret."""
    body_file = tmp_path / f"{provider}-{uuid.uuid4().hex}.body"
    body_file.write_bytes(body)
    secret_file = tmp_path / f"{provider}.secret"
    secret_file.write_text(DEV_SECRETS[provider])
    printed = subprocess.run(
        [HOOKGATE, "sign", provider, "--secret-file", str(secret_file), "--body", f"@{body_file}",
         "--url", url, *(["--timestamp", str(timestamp)] if timestamp else [])],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(line.split(": ", 1) for line in printed.splitlines() if ": " in line)


def post(url: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(url, data=body, headers=headers, timeout=60)


def one_event(bus: Deployment) -> dict[str, Any]:
    arrived = bus.events(wait_s=30, until=1)
    assert arrived, "nothing reached the bus"
    arrived += bus.events(wait_s=SETTLE_S)
    assert len(arrived) == 1, f"{len(arrived)} events for one delivery"
    return arrived[0]


def test_the_stack_names_its_urls_on_the_custom_domain(deployed: Deployment) -> None:
    for provider in PROVIDERS:
        key = f"{stack.logical_name(provider)}WebhookUrl"
        assert deployed.outputs[key] == f"https://{DOMAIN}/webhooks/{provider}"
    assert set(deployed.urls) == set(PROVIDERS)
    api = stack.api_id(deployed.localstack, STACK)
    [mapping] = deployed.localstack.client("apigateway").get_base_path_mappings(domainName=DOMAIN)[
        "items"
    ]
    assert (mapping["restApiId"], mapping["stage"], mapping["basePath"]) == (api, "prod", "(none)")


def test_localstack_listens_on_loopback_and_its_network_gateway_only(
    localstack: LocalStack,
) -> None:
    """It binds 0.0.0.0 unless patched: an unauthenticated AWS on every interface."""
    addresses = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    gateway = subprocess.run(
        ["docker", "network", "inspect", localstack.network,
         "--format", "{{(index .IPAM.Config 0).Gateway}}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    others = [a for a in addresses if ":" not in a and a != gateway]
    assert others, "no other IPv4 address on this host to probe"

    def answers(address: str) -> bool:
        with socket.socket() as probe:
            probe.settimeout(2)
            return probe.connect_ex((address, localstack.port)) == 0

    assert answers("127.0.0.1")
    assert answers(gateway)
    assert not any(answers(address) for address in others)


def test_stripe_delivery_is_published_once_and_its_replay_and_tampering_are_not(
    bus: Deployment, tmp_path: Path
) -> None:
    delivery = f"evt_e2e_{uuid.uuid4().hex[:16]}"
    body = json.dumps(
        {"id": delivery, "object": "event", "type": "payment_intent.succeeded",
         "data": {"object": {"id": "pi_e2e", "object": "payment_intent", "amount": 4200}}}
    ).encode()  # fmt: skip
    url = bus.urls["stripe"]
    headers = sign("stripe", body, url, tmp_path)

    first = post(url, body, headers)
    event = one_event(bus)
    again = post(url, body, headers)
    tampered = post(url, body.replace(b"4200", b"9999"), headers)
    unsigned = post(url, body, {"Content-Type": "application/json"})
    fresh_body = body.replace(delivery.encode(), delivery.encode() + b"_stale")
    stale = post(
        url,
        fresh_body,
        sign("stripe", fresh_body, url, tmp_path, timestamp=int(time.time()) - 200),
    )
    fetched = requests.get(url, params={"id": delivery}, timeout=60)

    assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
    assert event["source"] == "hookgate.stripe"
    assert event["detail-type"] == "payment_intent.succeeded"
    assert event["detail"]["delivery_id"] == delivery
    assert event["detail"]["payload"] == json.loads(body)
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    records = bus.localstack.client("dynamodb").scan(TableName=bus.outputs["ReplayTableName"])
    expiries = [int(item["expiration"]["N"]) for item in records["Items"]]
    ttl = int(PARAMETERS["ReplayTtlSeconds"])
    assert any(abs(e - (time.time() + ttl)) < 300 for e in expiries), "ReplayTtlSeconds unused"
    assert (tampered.status_code, unsigned.status_code) == (401, 401)
    assert tampered.json() == {"message": "unauthorized"}
    assert stale.status_code == 401  # 200 s: over ToleranceSeconds, under its default
    assert fetched.status_code == 403  # API Gateway: no GET method on this route
    assert bus.events(wait_s=SETTLE_S) == []


def test_the_api_calls_each_functions_live_alias(deployed: Deployment) -> None:
    """ColdStartMode's warm environments and SnapStart apply to the alias, not $LATEST."""
    apigateway = deployed.localstack.client("apigateway")
    api = stack.api_id(deployed.localstack, STACK)
    resources = apigateway.get_resources(restApiId=api, limit=500)["items"]
    routes = {r["path"]: r["id"] for r in resources}

    for provider in PROVIDERS:
        integration = apigateway.get_integration(
            restApiId=api, resourceId=routes[f"/webhooks/{provider}"], httpMethod="POST"
        )
        assert integration["uri"].endswith(":live/invocations"), integration["uri"]


def test_github_bodies_arrive_byte_exact_as_text_and_as_binary(
    bus: Deployment, tmp_path: Path
) -> None:
    """Text with CRLF and trailing blanks, and bytes that are not UTF-8 (LocalStack's base64).

    GitHub's delivery header is not signed, so hookgate keys its replays on what is: the events
    are told apart by their payloads.
    """
    text = b"line one \r\nline two\t\r\n\r\n  trailing  "
    binary = b"\xff\xfe\x00raw\r\n\x80bytes\x00"
    url = bus.urls["github"]
    sent = []
    for content_type, body in (("text/plain", text), ("application/octet-stream", binary)):
        headers = sign("github", body, url, tmp_path) | {"Content-Type": content_type}
        assert headers["X-GitHub-Event"] == "push"
        assert post(url, body, headers).status_code == 200
        sent.append((body, headers))

    events = bus.events(wait_s=30, until=2)
    # Captured and sent again, with a new delivery header: still the same signed request.
    body, headers = sent[0]
    replayed = post(url, body, {**headers, "X-GitHub-Delivery": str(uuid.uuid4())})

    assert [(e["source"], e["detail-type"]) for e in events] == [("hookgate.github", "push")] * 2
    payloads = [e["detail"]["payload"] for e in events]
    assert {"text": text.decode()} in payloads
    assert binary in [base64.b64decode(p["base64"]) for p in payloads if "base64" in p]
    assert (replayed.status_code, replayed.json()) == (200, {"received": True, "duplicate": True})
    assert bus.events(wait_s=SETTLE_S) == []


def test_a_body_too_large_for_an_event_goes_to_the_bucket_unchanged(
    bus: Deployment, tmp_path: Path
) -> None:
    delivery = f"evt_e2e_large_{uuid.uuid4().hex[:12]}"
    filler = "x" * 300_000  # over MaxEventBytes (262,144), under its default
    body = json.dumps(
        {"id": delivery, "object": "event", "type": "invoice.created", "data": {"note": filler}},
        separators=(",", ":"),
    ).encode()
    url = bus.urls["stripe"]

    answer = post(url, body, sign("stripe", body, url, tmp_path))
    event = one_event(bus)

    assert answer.status_code == 200
    reference = event["detail"]["payload_ref"]
    assert "payload" not in event["detail"]
    assert (reference["size"], reference["sha256"]) == (len(body), hashlib.sha256(body).hexdigest())
    assert reference["bucket"] == bus.outputs["PayloadBucketName"]
    stored = bus.localstack.client("s3").get_object(
        Bucket=reference["bucket"], Key=reference["key"]
    )
    assert stored["Body"].read() == body


def test_slack_url_verification_is_answered_only_when_signed(
    bus: Deployment, tmp_path: Path
) -> None:
    challenge = uuid.uuid4().hex
    body = json.dumps({"token": "x", "challenge": challenge, "type": "url_verification"}).encode()
    url = bus.urls["slack"]
    headers = sign("slack", body, url, tmp_path)

    genuine = post(url, body, headers)
    forged = post(url, body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64})

    assert (genuine.status_code, genuine.json()) == (200, {"challenge": challenge})
    assert forged.status_code == 401
    assert challenge not in forged.text
    assert bus.events(wait_s=SETTLE_S) == []


def test_slack_event_is_published_under_its_inner_type(bus: Deployment, tmp_path: Path) -> None:
    event_id = "Ev" + uuid.uuid4().hex[:10].upper()
    body = json.dumps(
        {"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
         "event_id": event_id, "event_time": int(time.time()),
         "event": {"type": "app_mention", "user": "U1", "text": "hi", "ts": "1.0"}}
    ).encode()  # fmt: skip
    url = bus.urls["slack"]

    answer = post(url, body, sign("slack", body, url, tmp_path))
    event = one_event(bus)

    assert answer.status_code == 200
    assert (event["source"], event["detail-type"]) == ("hookgate.slack", "app_mention")
    assert event["detail"]["delivery_id"] == event_id
    assert event["detail"]["payload"] == json.loads(body)


def test_discord_ping_gets_pong_and_an_interaction_is_published_and_deferred(
    bus: Deployment, tmp_path: Path
) -> None:
    url = bus.urls["discord"]
    ping = b'{"type":1}'
    interaction_id = str(1_000_000_000_000_000_000 + uuid.uuid4().int % 10**18)
    command = json.dumps(
        {"id": interaction_id, "type": 2, "application_id": "11", "token": "interaction-token",
         "data": {"name": "hello"}}
    ).encode()  # fmt: skip

    pong = post(url, ping, sign("discord", ping, url, tmp_path))
    probe = post(
        url, ping, {**sign("discord", ping, url, tmp_path), "X-Signature-Ed25519": "00" * 64}
    )
    signed_command = sign("discord", command, url, tmp_path)
    deferred = post(url, command, signed_command)
    event = one_event(bus)
    replayed = post(url, command, signed_command)

    assert (pong.status_code, pong.json()) == (200, {"type": 1})
    assert probe.status_code == 401
    assert (deferred.status_code, deferred.json()) == (200, {"type": 5})
    assert (event["source"], event["detail-type"]) == ("hookgate.discord", "APPLICATION_COMMAND")
    assert event["detail"]["delivery_id"] == interaction_id
    assert replayed.status_code == 200
    assert bus.events(wait_s=SETTLE_S) == []


def test_twilio_is_verified_against_the_public_url_not_the_one_it_arrived_at(
    bus: Deployment, tmp_path: Path
) -> None:
    """The stack's DomainName reaches the function as its public URL: a request signed for the
    URL it actually arrived at here (what a Host or path an attacker chose would give) fails."""
    public = f"https://{DOMAIN}/webhooks/twilio"
    fields = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": "+15005550006", "Body": "hello"}
    body = urllib.parse.urlencode(fields).encode()
    local = bus.urls["twilio"]

    def signed_by_twilio(url: str) -> dict[str, str]:  # Twilio's SDK, not hookgate's signer
        signature = RequestValidator(DEV_SECRETS["twilio"]).compute_signature(url, fields)
        return {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip

    genuine = post(local, body, signed_by_twilio(public))
    event = one_event(bus)
    replayed = post(local, body, signed_by_twilio(public))
    for_local_url = post(local, body, signed_by_twilio(local))

    assert genuine.status_code == 200
    assert event["source"] == "hookgate.twilio"
    assert event["detail"]["payload"] == {"form": fields}
    assert replayed.status_code == 200  # a redelivery (new token, same signed request)
    assert for_local_url.status_code == 401
    assert bus.events(wait_s=SETTLE_S) == []


def test_meta_get_handshake_echoes_the_challenge_only_for_the_verify_token(
    bus: Deployment,
) -> None:
    token = SecretMaterial.parse(STORED_DEV_SECRETS["meta"]).verify_token
    assert token
    url = bus.urls["meta"]

    def subscribe(verify_token: str) -> requests.Response:
        query = {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                 "hub.verify_token": verify_token}  # fmt: skip
        return requests.get(url, params=query, timeout=60)

    genuine, wrong = subscribe(token), subscribe(token + "x")

    assert (genuine.status_code, genuine.text) == (200, "1158201444")
    assert genuine.headers["Content-Type"].startswith("text/plain")
    assert wrong.status_code == 401
    assert "1158201444" not in wrong.text
    assert bus.events(wait_s=SETTLE_S) == []


def test_meta_notification_is_published(bus: Deployment, tmp_path: Path) -> None:
    entry = uuid.uuid4().hex
    body = json.dumps(
        {"object": "whatsapp_business_account",
         "entry": [{"id": entry, "changes": [{"field": "messages", "value": {"n": 1}}]}]}
    ).encode()  # fmt: skip
    url = bus.urls["meta"]

    answer = post(url, body, sign("meta", body, url, tmp_path))
    event = one_event(bus)

    assert answer.status_code == 200
    assert event["source"] == "hookgate.meta"
    assert event["detail-type"] == "whatsapp_business_account.messages"
    assert event["detail"]["payload"] == json.loads(body)


def stack_status(localstack: LocalStack, name: str) -> str:
    [described] = localstack.client("cloudformation").describe_stacks(StackName=name)["Stacks"]
    return str(described["StackStatus"])


def test_every_provider_deploys_as_a_fresh_stack_with_snapstart(
    localstack: LocalStack, built: Path
) -> None:
    outputs = stack.deploy(localstack, built, "hookgate-e2e-all", providers.NAMES,
                           {"ColdStartMode": "snapstart"})  # fmt: skip

    assert stack_status(localstack, "hookgate-e2e-all") == "CREATE_COMPLETE"
    deployed = {key.removesuffix("WebhookUrl") for key in outputs if key.endswith("WebhookUrl")}
    assert deployed == {stack.logical_name(p) for p in providers.NAMES}


def test_provisioned_mode_deploys_with_an_initialized_live_alias(
    localstack: LocalStack, built: Path
) -> None:
    stack.deploy(localstack, built, "hookgate-e2e-provisioned", ["stripe"],
                 {"ColdStartMode": "provisioned"})  # fmt: skip
    function = localstack.client("cloudformation").describe_stack_resource(
        StackName="hookgate-e2e-provisioned", LogicalResourceId="StripeFunction"
    )["StackResourceDetail"]["PhysicalResourceId"]

    def status() -> str:
        config = localstack.client("lambda").get_provisioned_concurrency_config(
            FunctionName=function, Qualifier="live"
        )
        return str(config["Status"])

    deadline = time.monotonic() + 60
    while status() == "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(1)

    assert stack_status(localstack, "hookgate-e2e-provisioned") == "CREATE_COMPLETE"
    assert status() == "READY"
