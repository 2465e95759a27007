"""Amazon SNS: what hookgate's local signer sends verifies as AWS documents it, checked here by
an independent verifier (AWS publishes none for Python). hookgate's own verifier is checked
against messages signed independently in tests/integration/test_sns.py, with the certificate
served over TLS."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from dev.local.samples import DEV_SECRETS
from hookgate.devtools.simulate import make_delivery
from hookgate.providers.sns import is_allowed_cert_url

SIGNED = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type",
    ],
}  # fmt: skip


def test_the_local_signer_signs_as_sns_documents_it() -> None:
    key = load_pem_private_key(json.loads(DEV_SECRETS["sns"])["private_key"].encode(), None)
    assert isinstance(key, rsa.RSAPrivateKey)
    for kind, fields in SIGNED.items():
        sent = make_delivery("sns", DEV_SECRETS["sns"], event_type=kind)
        message = json.loads(sent.body)
        signed = "".join(f"{name}\n{message[name]}\n" for name in fields).encode()

        key.public_key().verify(
            base64.b64decode(message["Signature"]), signed, padding.PKCS1v15(), hashes.SHA256()
        )
        assert message["SignatureVersion"] == "2"
        assert sent.headers["x-amz-sns-message-type"] == kind
        assert is_allowed_cert_url(message["SigningCertURL"], message["TopicArn"])


def test_certificate_urls_sns_uses_are_allowed_for_their_topics_region_only() -> None:
    # The shapes of AWS's own URLs: commercial, China and GovCloud regions.
    for region, suffix, partition in [
        ("us-west-2", "", "aws"),
        ("cn-north-1", ".cn", "aws-cn"),
        ("us-gov-west-1", "", "aws-us-gov"),
    ]:
        url = (
            f"https://sns.{region}.amazonaws.com{suffix}/"
            "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
        )
        assert is_allowed_cert_url(url, f"arn:{partition}:sns:{region}:123456789012:orders")
        # Audit: a made-up region's host passed, and its DNS failure was a 503 for anyone.
        assert not is_allowed_cert_url(url, f"arn:{partition}:sns:eu-west-1:123456789012:orders")
