"""Amazon SNS (HTTPS subscriptions): each message is a JSON body signed with RSA by SNS's
certificate, `SignatureVersion` 1 (SHA1withRSA) or 2 (SHA256withRSA).

The signed string is `Name\\nValue\\n` for a fixed list of the message's fields, in this order:
a `Notification` signs `Message`, `MessageId`, `Subject` (only when present), `Timestamp`,
`TopicArn`, `Type`; a `SubscriptionConfirmation` or `UnsubscribeConfirmation` signs
`Message`, `MessageId`, `SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type`. Nothing
else is signed: not `MessageAttributes`, not `UnsubscribeURL`, not the `x-amz-sns-*` headers.
https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html

An SNS signature proves that SNS sent the message, not that it came from your topic: anyone
can create a topic in their own account and subscribe this endpoint to it. So the topic must be
one the secret allows (`{"topic_arns": [...]}`), checked before anything is downloaded.

`SigningCertURL` comes from the body, so it is the one place a caller chooses where hookgate
connects: it must be `https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-
<hex>.pem`, or the message is refused without any network call. SNS serves the certificate
alone, without its intermediate (so the certificate itself cannot be chained to a root here);
what authenticates it is the verified TLS connection to that AWS host, whose chain and name
are checked against the runtime's CA bundle. The certificate must then name
`sns.amazonaws.com` (or the host it came from), be valid now and hold an RSA key. Checked
certificates are cached per URL.

The signed `Timestamp` is when SNS accepted the message, and SNS's retries keep it: its
delivery policy for HTTP/S endpoints retries for at most an hour, so a message is refused
when older than that (plus the window) or ahead of now by more than the window. `MessageId`
is the replay key (signed; retries keep it).

A signed `SubscriptionConfirmation` from an allowed topic is confirmed with the SNS API
(`ConfirmSubscription` with the message's topic and token, by the function's role; the
`SubscribeURL` is never fetched) and answered 200 with an empty body. `Notification`s and
`UnsubscribeConfirmation`s (someone removed the subscription: worth an alarm) are published.
Raw message delivery must stay off for this subscription: its messages carry no signature.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hookgate.errors import BadSignature, ConfigurationError, MissingSignature, StaleTimestamp
from hookgate.material import SecretMaterial
from hookgate.payload import loads_unique
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Subscription,
    Verification,
    json_field,
)
from hookgate.providers.certificates import CertificateCache
from hookgate.providers.schemes import parse_iso_time
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
#: The signed fields of each message type, in the order SNS signs them.
SIGNED_FIELDS = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_FIELDS[UNSUBSCRIBE_CONFIRMATION] = SIGNED_FIELDS[SUBSCRIPTION_CONFIRMATION]
#: Fields that may be absent from a signed message (and are then left out of the string).
OPTIONAL_FIELDS = frozenset({"Subject"})
#: The one signed field whose value may hold a line break. In any other, one could carry a
#: whole `\nName\nValue` pair: `"MessageId": "<id>\nSubject\n<subject>"` without `Subject`
#: signs the very bytes of the message with its subject, under another replay key.
MULTILINE_FIELDS = frozenset({"Message"})
HASHES = {"1": "SHA1", "2": "SHA256"}
#: SNS retries an HTTP/S delivery for at most an hour (its delivery policy's limit), keeping
#: the message's signed `Timestamp`.
RETRY_SPAN_S = 3600
SIGNER_NAME = "sns.amazonaws.com"
#: The whole URL, checked as text before any parser sees it: no credentials, port, query,
#: percent-encoding or other path passes.
_CERT_URL = re.compile(
    r"https://(?P<host>sns\.[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}\.amazonaws\.com(?:\.cn)?)"
    r"/SimpleNotificationService-[0-9a-f]{16,64}\.pem",
    re.ASCII,
)
_TOPIC_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:sns:[a-z0-9-]{1,32}:[0-9]{12}:[A-Za-z0-9_.-]{1,256}")
_MAX_TOPICS = 100


def is_allowed_cert_url(url: str, topic_arn: str) -> bool:
    """Whether `url` may be fetched: an SNS signing certificate on the SNS host of the topic's
    own region (so a made-up region's host, which no DNS answers, is never tried)."""
    found = _CERT_URL.fullmatch(url)
    region = topic_arn.split(":")[3] if topic_arn.count(":") == 5 else None
    return (
        found is not None
        and urlsplit(url).hostname == found["host"]
        and found["host"].split(".")[1] == region
    )


def _checked_certificate(data: bytes, url: str, now: datetime) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    try:
        certificate = x509.load_pem_x509_certificates(data)[0]
        names = {
            attribute.value
            for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        }
        try:
            alternatives = certificate.extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            )
        except x509.ExtensionNotFound:
            pass
        else:
            names.update(alternatives.value.get_values_for_type(x509.DNSName))
    except ValueError as exc:
        raise BadSignature() from exc
    if not names & {SIGNER_NAME, urlsplit(url).hostname}:
        raise BadSignature()
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise BadSignature()
    return certificate


_certificates = CertificateCache(_checked_certificate)


def allowed_topics(secret: SecretMaterial) -> frozenset[str]:
    """The topics whose messages this endpoint takes (the secret's `topic_arns`).

    Raises:
        ConfigurationError: none are configured, or not as topic ARNs.
    """
    topics = secret.extra.get("topic_arns")
    if isinstance(topics, str):
        topics = [topics]
    if (
        not isinstance(topics, list)
        or not 0 < len(topics) <= _MAX_TOPICS
        or not all(isinstance(t, str) and _TOPIC_ARN.fullmatch(t) for t in topics)
    ):
        raise ConfigurationError("the secret's topic_arns must list SNS topic ARNs")
    return frozenset(topics)


def _message(body: bytes) -> dict[str, Any]:
    """The body's fields (SNS sends each signed one as a string), each name once: which copy
    did SNS sign, and which does a consumer read? Neither is ours to guess."""
    try:
        message = loads_unique(body)
    except ValueError as exc:
        raise MissingSignature() from exc
    if not isinstance(message, dict) or "Signature" not in message:
        raise MissingSignature()  # raw message delivery, or not SNS at all
    return message


def string_to_sign(message: dict[str, Any]) -> bytes:
    """What SNS signs of `message` (its `Type` decides which fields, in which order).

    Raises:
        BadSignature: a signed field is missing, not text, or breaks a line where none can.
    """
    fields = SIGNED_FIELDS.get(message.get("Type", ""))
    if fields is None:
        raise BadSignature()
    parts = []
    for name in fields:
        if name not in message and name in OPTIONAL_FIELDS:
            continue
        value = message.get(name)
        if not isinstance(value, str) or ("\n" in value and name not in MULTILINE_FIELDS):
            raise BadSignature()
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode()


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    message = _message(request.body)
    topics = allowed_topics(secret)
    hash_name = HASHES.get(str(message.get("SignatureVersion")))
    topic = message.get("TopicArn")
    cert_url = message.get("SigningCertURL")
    if hash_name is None or not isinstance(topic, str) or topic not in topics:
        raise BadSignature()
    if not isinstance(cert_url, str) or not is_allowed_cert_url(cert_url, topic):
        raise BadSignature()
    try:
        signature = base64.b64decode(str(message["Signature"]), validate=True)
    except ValueError as exc:
        raise BadSignature() from exc
    signed = string_to_sign(message)
    certificate = _certificates.signing_certificate(cert_url, datetime.fromtimestamp(now_s, UTC))
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise BadSignature()
    # SignatureVersion 1 is SNS's default, and SHA1 is what it signs with: not our choice.
    algorithm = hashes.SHA1() if hash_name == "SHA1" else hashes.SHA256()  # noqa: S303
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise BadSignature() from exc
    # Checked only once the signature verified: an unsigned time means nothing.
    signed_at = parse_iso_time(message["Timestamp"])
    if not now_s - RETRY_SPAN_S - tolerance_s <= signed_at <= now_s + tolerance_s:
        raise StaleTimestamp()
    return Verification(
        scheme=f"rsa-{hash_name.lower()}", key_index=0, signature=signature, signed_at_s=signed_at
    )


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    """A verified `SubscriptionConfirmation` from an allowed topic: confirm it, answer 200."""
    message = _message(request.body)
    if message.get("Type") != SUBSCRIPTION_CONFIRMATION:
        return None
    return Reply(
        status=200,
        body="",
        confirm=Subscription(topic_arn=message["TopicArn"], token=message["Token"]),
    )


# Local tools: a signer is JSON with an RSA `private_key` (PEM), the allow-listed `cert_url`
# its certificate is served at locally, and the `topic_arn` it signs for.


def _signed_message(signer: dict[str, str], fields: dict[str, str]) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(signer["private_key"].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError("not an RSA private key")
    message = {**fields, "SignatureVersion": "2", "SigningCertURL": signer["cert_url"]}
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
    return {**message, "Signature": base64.b64encode(signature).decode()}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    """A message as SNS sends it, signed (SNS signs inside the body)."""
    signer = json.loads(secret)
    topic = signer["topic_arn"]
    region = topic.split(":")[3]
    sent_at = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    endpoint = f"https://sns.{region}.amazonaws.com/"
    fields: dict[str, Any] = {"Type": event_type, "MessageId": delivery_id, "TopicArn": topic}
    if event_type == NOTIFICATION:
        fields |= {
            "Subject": "Order shipped",
            "Message": json.dumps({"order": "1001", "status": "shipped"}),
            "Timestamp": sent_at,
            "UnsubscribeURL": f"{endpoint}?Action=Unsubscribe&SubscriptionArn={topic}:"
            "7f3c9a52-0d8e-4c11-9d2f-3b5e6a7c8d90",
        }
    else:
        token = "2336412f37fb687f5d51e6e2425c464de" + delivery_id.replace("-", "")
        fields |= {
            "Token": token,
            "Message": f"You have chosen to subscribe to the topic {topic}.",
            "SubscribeURL": f"{endpoint}?Action=ConfirmSubscription&TopicArn={topic}&Token={token}",
            "Timestamp": sent_at,
        }
    return json.dumps(_signed_message(signer, fields)).encode()


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """The headers SNS sends with `body` (already signed by `example_body`)."""
    message = json.loads(body)
    headers = {
        "x-amz-sns-message-type": str(message.get("Type", "")),
        "x-amz-sns-message-id": str(message.get("MessageId", "")),
        "x-amz-sns-topic-arn": str(message.get("TopicArn", "")),
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if message.get("Type") == NOTIFICATION:
        headers["x-amz-sns-subscription-arn"] = (
            f"{message.get('TopicArn')}:7f3c9a52-0d8e-4c11-9d2f-3b5e6a7c8d90"
        )
    return headers


def stored_secret(signing_secret: str) -> str:
    return json.dumps({"topic_arns": [json.loads(signing_secret)["topic_arn"]]})


LOCAL_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:hookgate-local"
LOCAL_CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem"


def local_signer(private_key_pem: str) -> str:
    """A signer as `sign` takes it (local tools only)."""
    return json.dumps(
        {"private_key": private_key_pem, "cert_url": LOCAL_CERT_URL, "topic_arn": LOCAL_TOPIC_ARN}
    )


def new_secret() -> str:
    """A signer with a fresh RSA key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return local_signer(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    )


PROVIDER = Provider(
    name="sns",
    verify=verify,
    delivery_id=json_field("MessageId"),
    event_type=json_field("Type"),
    signature_header="Signature",
    signed=Signed(
        timestamp=True,
        body=False,
        covers=(
            "body `Message`, `MessageId`, `Subject`, `Timestamp`, `TopicArn`, `Type` "
            "(confirmations: also `SubscribeURL`, `Token`)",
        ),
        id="body `MessageId`",
        captured="nothing once answered (a resend is a duplicate); the unsigned "
        "`MessageAttributes` and `UnsubscribeURL` of a message never answered 2xx could be "
        "changed within the hour SNS retries it",
    ),
    json_body=True,
    timeout_s=15.0,
    forwarded_headers=("x-amz-sns-message-type", "x-amz-sns-subscription-arn"),
    handshake=handshake,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type=NOTIFICATION,
        content_type="text/plain; charset=UTF-8",
        stored_secret=stored_secret,
        new_secret=new_secret,
    ),
    deployment=Deployment(
        title="Amazon SNS",
        console="Amazon SNS (topic > Create subscription > Protocol HTTPS, raw message "
        "delivery off)",
        secret='The topics allowed to deliver: JSON {"topic_arns": ["arn:aws:sns:..."]}.',
        confirms_subscriptions=True,
    ),
    docs=Docs(
        window="yes (`Timestamp`: up to SNS's 1 h of retries, plus the window)",
        url="https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
        summary="RSA (SHA1 or SHA256) with SNS's certificate (allow-listed host, cached), "
        "allow-listed topics",
        scheme="`Name\\nValue\\n` of the type's signed fields → RSA PKCS#1 v1.5, SHA1 "
        "(`SignatureVersion` 1) or SHA256 (2); certificate from `SigningCertURL` on "
        "`sns.<region>.amazonaws.com`",
        headers="none signed (`Signature` is in the body); `x-amz-sns-message-type` unsigned",
        event_type="body `Type` (`Notification`, `UnsubscribeConfirmation`)",
        retries="3 retries over about a minute by default; a delivery policy can retry for up "
        "to an hour; 15 s timeout",
        oracle="an independent RSA signer and verifier written in the test from AWS's "
        "documentation (AWS publishes no Python verifier), against a certificate served over "
        "TLS by a local host",
        handshake="signed `SubscriptionConfirmation` from an allowed topic → "
        "`sns:ConfirmSubscription` (topic, token), then `200` empty",
        answers="subscription confirmation",
    ),
)
