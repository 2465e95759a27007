"""Helpers for the per-provider tests: deliveries as each provider sends them, other secrets of
the right kind, and secrets holding two keys during a rotation."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from hookgate import providers
from hookgate.devtools.simulate import TestDelivery, make_delivery
from hookgate.material import SecretMaterial
from tests.support import shapes
from tests.support.leaks import remember_secret, remember_signatures

#: Providers whose verification downloads the provider's certificate or key (over TLS from an
#: allow-listed or fixed host): their matrices are in test_paypal.py, test_sns.py and
#: test_plaid.py, against a local certificate host, rather than in the in-process ones.
KEY_DOWNLOADED = frozenset({"paypal", "plaid", "sns"})
#: Every other provider: verified in process, with nothing but its secret.
IN_PROCESS = tuple(name for name in providers.NAMES if name not in KEY_DOWNLOADED)


def signed_digest(provider: str, sent: TestDelivery) -> str:
    """What a delivery without a signed id is keyed on, computed here from each provider's
    documented signed content: the body, or for Twilio the URL and the sorted form fields, for
    HubSpot the events without the `attemptNumber` its retries raise, for Coinbase the names
    in `h`, their headers' values and the body."""
    signed = sent.body
    if provider == "coinbase":
        names = sent.headers["X-Hook0-Signature"].split("h=", 1)[1].split(",", 1)[0]
        by_name = {name.lower(): value for name, value in sent.headers.items()}
        values = ".".join(by_name[name] for name in names.split(" "))
        signed = f"{names}.{values}.".encode() + sent.body
    if provider == "hubspot":
        events = [
            {k: v for k, v in event.items() if k != "attemptNumber"}
            for event in json.loads(sent.body)
        ]
        signed = (
            b"hubspot-events:" + json.dumps(events, sort_keys=True, separators=(",", ":")).encode()
        )
    if provider == "twilio":
        fields = sorted(parse_qsl(sent.body.decode(), keep_blank_values=True))
        signed = (url_for(provider) + "".join(name + value for name, value in fields)).encode()
    return hashlib.sha256(signed).hexdigest()[:32]


def url_for(provider: str, account: str | None = None) -> str:
    """The URL `shapes.rest_v1` events arrive at (what URL-signing providers sign), on the
    bare route or `account`'s."""
    bare = f"https://{shapes.HOST}/prod/webhooks/{provider}"
    return bare if account is None else f"{bare}/{account}"


def delivery(
    provider: str,
    *,
    secret: str | None = None,
    body: bytes | None = None,
    timestamp: int | None = None,
    delivery_id: str | None = None,
    event_type: str | None = None,
    account: str | None = None,
) -> TestDelivery:
    """A delivery for the bare route, or signed for `account`'s URL."""
    signing = DEV_SECRETS[provider] if secret is None else secret
    sent = make_delivery(
        provider,
        signing,
        body=body,
        timestamp=timestamp,
        delivery_id=delivery_id,
        event_type=event_type,
        url=url_for(provider, account),
    )
    header = providers.get(provider).signature_header
    remember_secret(signing, DEV_SECRETS[provider], STORED_DEV_SECRETS[provider])
    remember_signatures(sent.headers, header)
    if signing != DEV_SECRETS[provider]:
        # What hookgate computes and compares for this body: must not leak either.
        expected = make_delivery(
            provider,
            DEV_SECRETS[provider],
            body=sent.body,
            timestamp=timestamp,
            delivery_id=delivery_id,
            event_type=event_type,
            url=url_for(provider, account),
        )
        remember_signatures(expected.headers, header)
    return sent


def event_of(
    sent: TestDelivery,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """The API Gateway REST event for `sent` (headers and body replaceable), on the bare
    route or `account`'s."""
    return shapes.rest_v1(
        path=f"/webhooks/{sent.provider}",
        headers=list((sent.headers if headers is None else headers).items()),
        body=sent.body if body is None else body,
        query=query_of(sent),
        account=account,
    )


def query_of(sent: TestDelivery) -> list[tuple[str, str]]:
    """The query `sent` is posted with (Mailchimp's secret; nothing for other providers)."""
    return parse_qsl(urlsplit(sent.url).query, keep_blank_values=True)


def other_signing_secret(provider: str) -> str:
    """A signing secret of the same kind as the provider's, but not the configured one."""
    return providers.get(provider).local.new_secret()


def ed25519_seed_hex() -> str:
    seed = ed25519.Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return seed.hex()


def rotation_secret(provider: str, new: str, old: str) -> str:
    """The stored secret while rotating from `old` to `new` signing secrets: both accepted."""
    definition = providers.get(provider)
    newer = SecretMaterial.parse(definition.local.stored_secret(new))
    older = SecretMaterial.parse(definition.local.stored_secret(old))
    value: dict[str, Any] = {
        "signing_secrets": [*newer.signing_secrets, *older.signing_secrets],
        "public_key": [*newer.public_keys, *older.public_keys],
    }
    for name in ("verify_token", "webhook_id", "notification_url"):
        if getattr(newer, name):
            value[name] = getattr(newer, name)
    return json.dumps(value)
