"""Amazon SNS through the real handler, its certificate served for real (a test CA, a TLS
server standing in for `sns.us-east-1.amazonaws.com`, reached through an HTTPS proxy:
`dev/local/certificates.py`, which `make run` uses too), and subscriptions confirmed through the
AWS emulator's SNS API.

The messages here are built and signed by this file, from AWS's documentation of the signed
fields and their order ("Verifying the signatures of Amazon SNS messages"), not by hookgate:
AWS publishes no Python verifier, and its published example messages are signed by
certificates that have long expired. The proxy records every connection, which is how
"refused without any network call" is observed.
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from dev.local.certificates import CertificateHost, DevCA, issue, new_key, pem
from dev.local.emulator import MotoServer
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support import shapes

HOST = "sns.us-east-1.amazonaws.com"
CERT_PATH = "/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
#: The topic the local stack's SNS secret allows (`dev/local/emulator.py` creates it).
TOPIC = "arn:aws:sns:us-east-1:123456789012:hookgate-local"
OTHER_TOPIC = "arn:aws:sns:us-east-1:999999999999:someone-elses-topic"

# AWS's documentation: the fields each message type signs, in this order, as "Name\nValue\n".
NOTIFICATION_FIELDS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_FIELDS = [
    "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
]  # fmt: skip


def aws_string_to_sign(message: dict[str, str]) -> bytes:
    fields = NOTIFICATION_FIELDS if message["Type"] == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{n}\n{message[n]}\n" for n in fields if n in message).encode()


def sns_message(
    key: rsa.RSAPrivateKey,
    *,
    at: float,
    kind: str = "Notification",
    topic: str = TOPIC,
    version: str = "1",
    cert_url: str = f"https://{HOST}{CERT_PATH}",
    subject: str | None = "Order shipped",
) -> dict[str, str]:
    """A message as SNS sends it, signed here."""
    message = {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Timestamp": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
    }
    if kind == "Notification":
        message["Message"] = '{"order": "1001", "status": "shipped"}'
        if subject is not None:
            message["Subject"] = subject
        message["UnsubscribeURL"] = f"https://{HOST}/?Action=Unsubscribe&SubscriptionArn={topic}:1"
    else:
        message["Token"] = "2336412f37fb687f5d51e6e2425c464de" + uuid.uuid4().hex
        message["Message"] = f"You have chosen to subscribe to the topic {topic}."
        message["SubscribeURL"] = (
            f"https://{HOST}/?Action=ConfirmSubscription&TopicArn={topic}&Token={message['Token']}"
        )
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = key.sign(aws_string_to_sign(message), padding.PKCS1v15(), algorithm)
    message["Signature"] = base64.b64encode(signature).decode()
    return message


def sns_event(message: dict[str, Any] | bytes) -> dict[str, Any]:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    kind = "" if isinstance(message, bytes) else str(message.get("Type", ""))
    headers = [
        ("Content-Type", "text/plain; charset=UTF-8"),
        ("x-amz-sns-message-type", kind),
        ("User-Agent", "Amazon Simple Notification Service Agent"),
    ]
    return shapes.rest_v1(headers=headers, body=body, path="/webhooks/sns")


@dataclass(frozen=True)
class PKI:
    ca: DevCA
    signer_key: rsa.RSAPrivateKey
    served: dict[str, bytes]


@pytest.fixture(scope="module")
def pki() -> PKI:
    ca, signer_key, other_key = DevCA.create(), new_key(), new_key()
    served = {
        # As SNS serves it: the signing certificate alone, without its intermediate.
        CERT_PATH: pem(ca.leaf(signer_key, dns="sns.amazonaws.com")),
        "/SimpleNotificationService-00000000000000000000000000000001.pem": pem(
            ca.leaf(signer_key, dns="sns.example.com")
        ),
        "/SimpleNotificationService-00000000000000000000000000000002.pem": pem(
            ca.leaf(signer_key, dns="sns.amazonaws.com", days=-1, start_days_ago=30)
        ),
        "/SimpleNotificationService-00000000000000000000000000000003.pem": b"not a certificate",
        "/SimpleNotificationService-00000000000000000000000000000004.pem": pem(
            issue("sns.amazonaws.com", other_key, None, dns="sns.amazonaws.com")
        ),
    }
    return PKI(ca, signer_key, served)


@pytest.fixture
def sns_host(pki: PKI, monkeypatch: pytest.MonkeyPatch) -> Iterator[CertificateHost]:
    from hookgate.providers import sns as module

    with CertificateHost(pki.ca, pki.served, host=HOST) as host:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name, value in host.environment().items():
            monkeypatch.setenv(name, value)
        module._certificates.clear()  # each test starts with the certificate not yet fetched
        yield host
        module._certificates.clear()


@pytest.fixture
def confirmations(aws: MotoServer) -> tuple[Any, list[dict[str, Any]]]:
    """The emulator's SNS client the function is given, and each ConfirmSubscription sent."""
    client = aws.client("sns")
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.sns.ConfirmSubscription",
        lambda params, **_: sent.append(dict(params)),
    )
    client.create_topic(Name=TOPIC.rsplit(":", 1)[1])
    return client, sent


def refused(response: dict[str, Any]) -> bool:
    return bool(response["statusCode"] == 401)


@pytest.mark.parametrize("version", ["1", "2"])
def test_notification_published_once_as_json_and_the_certificate_fetched_once(
    version: str,
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("sns").handle_lambda
    message = sns_message(pki.signer_key, at=clock(), version=version)
    untouched = sns_message(pki.signer_key, at=clock(), version=version, subject=None)

    responses = [handler(sns_event(m), lambda_context) for m in (message, message, untouched)]

    assert [r["statusCode"] for r in responses] == [200, 200, 200]
    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True, False]
    [published] = bus.events_for(message["MessageId"])
    assert published["detail-type"] == "Notification"
    assert published["source"] == "hookgate.sns"
    assert published["detail"]["payload"] == message  # JSON, though sent as text/plain
    assert (
        published["detail"]["verification"]["scheme"]
        == f"rsa-sha{'1' if version == '1' else '256'}"
    )
    assert bus.events_for(untouched["MessageId"])
    assert sns_host.connections == [f"{HOST}:443"]
    assert sns_host.downloads == [CERT_PATH]


@pytest.mark.parametrize(
    "damage",
    [
        "message changed",
        "subject removed",
        "type changed",
        "other key",
        "another account's topic",
        "signature removed",
        "unknown signature version",
        "version 1 signature called version 2",
        "older than SNS retries",
        "future",
        "not json",
        "subject folded into the message id",
        "a signed field given twice",
        "a signed field not text",
    ],
)
def test_forgeries_are_refused(
    damage: str,
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    at = clock() + {"older than SNS retries": -3600 - 330, "future": 330}.get(damage, 0)
    key = new_key() if damage == "other key" else pki.signer_key
    topic = OTHER_TOPIC if damage == "another account's topic" else TOPIC
    message: dict[str, Any] = sns_message(key, at=at, topic=topic)
    if damage == "message changed":
        message["Message"] = '{"order": "1001", "status": "refunded"}'
    if damage == "subject removed":
        del message["Subject"]
    if damage == "type changed":
        message["Type"] = "UnsubscribeConfirmation"
    if damage == "signature removed":
        del message["Signature"]
    if damage == "unknown signature version":
        message["SignatureVersion"] = "3"
    if damage == "version 1 signature called version 2":
        message["SignatureVersion"] = "2"

    if damage == "subject folded into the message id":
        # Audit finding: the same signed bytes as the genuine message, under another replay key.
        message["MessageId"] += "\nSubject\n" + message.pop("Subject")
    if damage == "a signed field not text":
        message["Subject"] = None

    body = b"Message=hello" if damage == "not json" else json.dumps(message).encode()
    if damage == "a signed field given twice":
        body = body[:-1] + b', "Subject": "Order refunded"}'
    response = make_pipeline("sns").handle_lambda(sns_event(body), lambda_context)

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []


def test_a_message_within_snss_hour_of_retries_is_accepted(
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    message = sns_message(pki.signer_key, at=clock() - 3500)

    response = make_pipeline("sns").handle_lambda(sns_event(message), lambda_context)

    assert response["statusCode"] == 200
    assert bus.events_for(message["MessageId"])


def test_unsigned_fields_changed_on_a_captured_message_do_not_make_it_new(
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("sns").handle_lambda
    genuine = sns_message(pki.signer_key, at=clock())
    forged = {
        **genuine,
        "UnsubscribeURL": "https://evil.example.com/",
        "MessageAttributes": {"role": {"Type": "String", "Value": "admin"}},
    }

    responses = [handler(sns_event(m), lambda_context) for m in (genuine, forged)]

    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True]
    [published] = bus.seen()
    assert "MessageAttributes" not in published["detail"]["payload"]
    assert "payload" in published["detail"]["verification"]["unsigned"]


@pytest.mark.parametrize(
    "cert_url",
    [
        f"http://{HOST}{CERT_PATH}",
        f"https://{HOST}.evil.example.com{CERT_PATH}",
        f"https://evil.example.com{CERT_PATH}",
        f"https://sns.us-east-1.amazonaws.com.evil.example.com{CERT_PATH}",
        f"https://{HOST}:8443{CERT_PATH}",
        f"https://user@{HOST}{CERT_PATH}",
        f"https://{HOST}/SimpleNotificationService-x.pem",
        f"https://{HOST}/other/SimpleNotificationService-9c6465fa7f48f5ca.pem",
        f"https://{HOST}{CERT_PATH}?x=1",
        f"https://{HOST}/%2e%2e{CERT_PATH}",
        f"https://s3.amazonaws.com/bucket{CERT_PATH}",
        "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
        f"https://{HOST}{CERT_PATH} x",
        # Audit finding: another region's host (a made-up one failed DNS: a 503 for anyone).
        f"https://sns.zz-nowhere-9.amazonaws.com{CERT_PATH}",
        f"https://sns.eu-west-1.amazonaws.com{CERT_PATH}",
    ],
)
def test_certificate_url_outside_the_allow_list_is_refused_without_any_connection(
    cert_url: str,
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    message = sns_message(pki.signer_key, at=clock(), cert_url=cert_url)

    response = make_pipeline("sns").handle_lambda(sns_event(message), lambda_context)

    assert refused(response)
    assert sns_host.connections == []
    assert bus.seen(settle_s=0.3) == []


def test_another_accounts_topic_is_refused_before_any_download(
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    # SNS signs every topic's messages: the signature proves SNS, the allow-list the topic.
    message = sns_message(pki.signer_key, at=clock(), topic=OTHER_TOPIC)

    response = make_pipeline("sns").handle_lambda(sns_event(message), lambda_context)

    assert refused(response)
    assert sns_host.connections == []


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("00000000000000000000000000000001", "names another host"),
        ("00000000000000000000000000000002", "expired"),
        ("00000000000000000000000000000003", "not a certificate"),
        ("00000000000000000000000000000004", "another key"),
        ("0000000000000000000000000000000f", "absent"),
    ],
)
def test_certificates_that_do_not_check_are_refused(
    path: str,
    why: str,
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    cert_url = f"https://{HOST}/SimpleNotificationService-{path}.pem"
    message = sns_message(pki.signer_key, at=clock(), cert_url=cert_url)

    response = make_pipeline("sns").handle_lambda(sns_event(message), lambda_context)

    assert refused(response), why
    assert sns_host.downloads == [f"/SimpleNotificationService-{path}.pem"]
    assert bus.seen(settle_s=0.3) == []


def test_sns_unreachable_is_503_so_sns_retries(
    sns_host: CertificateHost,
    pki: PKI,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
    message = sns_message(pki.signer_key, at=clock())

    response = make_pipeline("sns").handle_lambda(sns_event(message), lambda_context)

    assert response["statusCode"] == 503
    assert bus.seen(settle_s=0.3) == []


def test_subscription_confirmation_is_confirmed_through_the_sns_api(
    sns_host: CertificateHost,
    pki: PKI,
    confirmations: tuple[Any, list[dict[str, Any]]],
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    client, sent = confirmations
    message = sns_message(pki.signer_key, at=clock(), kind="SubscriptionConfirmation")

    response = make_pipeline("sns", clients={"sns": client}).handle_lambda(
        sns_event(message), lambda_context
    )

    assert (response["statusCode"], response["body"]) == (200, "")
    assert sent == [{"TopicArn": TOPIC, "Token": message["Token"]}]
    assert bus.seen(settle_s=0.3) == []  # a handshake, not an event
    assert sns_host.downloads == [CERT_PATH]  # the SubscribeURL is never fetched


@pytest.mark.parametrize("damage", ["token changed", "another account's topic", "other key"])
def test_forged_subscription_confirmations_confirm_nothing(
    damage: str,
    sns_host: CertificateHost,
    pki: PKI,
    confirmations: tuple[Any, list[dict[str, Any]]],
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    client, sent = confirmations
    key = new_key() if damage == "other key" else pki.signer_key
    topic = OTHER_TOPIC if damage == "another account's topic" else TOPIC
    message = sns_message(key, at=clock(), kind="SubscriptionConfirmation", topic=topic)
    if damage == "token changed":
        message["Token"] = "attacker-chosen"

    response = make_pipeline("sns", clients={"sns": client}).handle_lambda(
        sns_event(message), lambda_context
    )

    assert refused(response)
    assert sent == []
    assert bus.seen(settle_s=0.3) == []


def test_a_confirmation_sns_cannot_take_is_503_so_sns_sends_it_again(
    sns_host: CertificateHost,
    pki: PKI,
    confirmations: tuple[Any, list[dict[str, Any]]],
    make_pipeline: PipelineFactory,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    client, sent = confirmations
    client.delete_topic(TopicArn=TOPIC)  # SNS answers NotFound
    message = sns_message(pki.signer_key, at=clock(), kind="SubscriptionConfirmation")

    response = make_pipeline("sns", clients={"sns": client}).handle_lambda(
        sns_event(message), lambda_context
    )

    assert response["statusCode"] == 503
    assert len(sent) == 1


def test_unsubscribe_confirmation_is_published_for_operators_to_see(
    sns_host: CertificateHost,
    pki: PKI,
    confirmations: tuple[Any, list[dict[str, Any]]],
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    client, sent = confirmations
    message = sns_message(pki.signer_key, at=clock(), kind="UnsubscribeConfirmation")

    response = make_pipeline("sns", clients={"sns": client}).handle_lambda(
        sns_event(message), lambda_context
    )

    assert response["statusCode"] == 200
    [published] = bus.events_for(message["MessageId"])
    assert published["detail-type"] == "UnsubscribeConfirmation"
    assert sent == []  # never re-subscribed
