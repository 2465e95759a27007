"""hookgate's verifiers and signers against each provider's official SDK or published vector.

Both ways wherever an SDK can sign: what the SDK signs, hookgate accepts; what hookgate signs,
the SDK accepts. Where a provider publishes no Python SDK, an independent HMAC written here from
the provider's documentation is the oracle. Stripe and GitHub have their own modules.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

import nacl.signing
import pytest
import square.utils.webhooks_helper as square_sdk
import standardwebhooks.webhooks as standard_sdk
import svix.webhooks as svix_sdk
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    load_der_private_key,
)
from sendgrid.helpers.eventwebhook import EventWebhook  # type: ignore[import-untyped]
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.material import SecretMaterial
from hookgate.providers.base import Verification
from hookgate.request import Request
from tests.support import shapes
from tests.support.providers import ed25519_seed_hex, other_signing_secret


def now() -> int:
    """Now, when the test runs (the SDKs check the time themselves)."""
    return int(time.time())


def request_for(
    headers: dict[str, str] | list[tuple[str, str]],
    body: bytes,
    *,
    url: str = "",
    method: str = "POST",
) -> Request:
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    public_url, _, query = url.partition("?")
    event = shapes.rest_v1(
        method=method,
        headers=pairs,
        body=body,
        query=[tuple(p.split("=", 1)) for p in query.split("&")] if query else [],  # type: ignore[misc]
    )
    return Request.from_event(event, public_url=public_url or None)


def verify(
    provider: str, request: Request, stored: str, *, at: float | None = None
) -> Verification:
    material = SecretMaterial.parse(stored)
    return providers.get(provider).verify(
        request, material, now_s=now() if at is None else at, tolerance_s=300
    )


def sign(
    provider: str, secret: str, body: bytes, *, url: str = "", delivery_id: str = "d-1"
) -> dict[str, str]:
    return providers.get(provider).local.sign(
        secret, body, timestamp=now(), delivery_id=delivery_id, event_type="e", url=url
    )


def rejects(provider: str, request: Request, stored: str) -> bool:
    try:
        verify(provider, request, stored)
    except Unauthorized:
        return True
    return False


# --- Slack: slack_sdk.signature.SignatureVerifier -------------------------------------------

SLACK_DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
    b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGl"
    b"gcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


class FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_slack_published_vector() -> None:
    headers = {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    sdk = SignatureVerifier(SLACK_DOC_SECRET, clock=FixedClock(1531420618))  # type: ignore[arg-type]

    assert sdk.is_valid_request(SLACK_DOC_BODY, headers)
    verification = verify(
        "slack", request_for(headers, SLACK_DOC_BODY), SLACK_DOC_SECRET, at=1531420618
    )
    assert verification.signed_at == datetime.fromtimestamp(1531420618, UTC)


def test_slack_sdk_signature_accepted_and_ours_accepted_by_sdk() -> None:
    secret, body = "slack-signing-secret", b'{"type":"event_callback","event_id":"Ev1"}'
    sdk = SignatureVerifier(secret)
    by_sdk = {
        "X-Slack-Request-Timestamp": str(now()),
        "X-Slack-Signature": sdk.generate_signature(timestamp=str(now()), body=body) or "",
    }
    ours = sign("slack", secret, body)

    assert verify("slack", request_for(by_sdk, body), secret)
    assert sdk.is_valid_request(body, ours)
    assert not sdk.is_valid_request(body + b" ", ours)
    assert rejects("slack", request_for(ours, body + b" "), secret)


# --- Twilio: twilio.request_validator.RequestValidator --------------------------------------

TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
FORM = "application/x-www-form-urlencoded"


def _form(params: dict[str, str] | list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(params).encode()


def test_twilio_published_form_vector() -> None:
    headers = {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "Content-Type": FORM}
    body = _form(TWILIO_PARAMS)

    assert RequestValidator(TWILIO_TOKEN).validate(
        TWILIO_URL, TWILIO_PARAMS, headers["X-Twilio-Signature"]
    )
    assert verify("twilio", request_for(headers, body, url=TWILIO_URL), TWILIO_TOKEN)


def test_twilio_published_json_vector_binds_the_body_by_its_hash() -> None:
    body = b'{"property": "value", "boolean": true}'
    digest = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    url = f"https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256={digest}"
    headers = {
        "X-Twilio-Signature": "a9nBmqA0ju/hNViExpshrM61xv4=",
        "Content-Type": "application/json",
    }

    assert hashlib.sha256(body).hexdigest() == digest
    assert RequestValidator(TWILIO_TOKEN).validate(
        url, body.decode(), headers["X-Twilio-Signature"]
    )
    assert verify("twilio", request_for(headers, body, url=url), TWILIO_TOKEN)
    # Same URL and signature, other body: the hash no longer matches.
    assert rejects(
        "twilio", request_for(headers, body.replace(b"value", b"VALUE"), url=url), TWILIO_TOKEN
    )


@pytest.mark.parametrize(
    ("signed_url", "received_url"),
    [
        ("https://example.com/hook", "https://example.com:443/hook"),
        ("https://example.com:443/hook", "https://example.com/hook"),
        ("http://example.com:8080/hook?x=1", "http://example.com:8080/hook?x=1"),
    ],
)
def test_twilio_port_variants_agree_with_sdk(signed_url: str, received_url: str) -> None:
    sdk = RequestValidator(TWILIO_TOKEN)
    signature = sdk.compute_signature(signed_url, TWILIO_PARAMS)
    headers = {"X-Twilio-Signature": signature, "Content-Type": FORM}

    assert sdk.validate(received_url, TWILIO_PARAMS, signature)
    assert verify(
        "twilio", request_for(headers, _form(TWILIO_PARAMS), url=received_url), TWILIO_TOKEN
    )


def test_twilio_repeated_fields_signed_as_the_sdk_signs_them() -> None:
    # Each name's distinct values, sorted: what the SDK does with a multi-valued form.
    pairs = [("To", "+1555"), ("Body", "b"), ("Body", "a"), ("Body", "b"), ("Empty", "")]

    class MultiDict(dict[str, str]):
        def getall(self, name: str) -> list[str]:
            return [value for key, value in pairs if key == name]

    url = "https://example.com/sms"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, MultiDict(pairs))
    headers = {"X-Twilio-Signature": signature, "Content-Type": FORM}

    assert verify("twilio", request_for(headers, _form(pairs), url=url), TWILIO_TOKEN)
    assert sign("twilio", TWILIO_TOKEN, _form(pairs), url=url)["X-Twilio-Signature"] == signature


def test_twilio_signature_does_not_bind_where_a_field_name_ends_as_the_sdk_shows() -> None:
    # Twilio signs name + value with no separator: moving the "=" between a field's name and
    # its value keeps the signature. Its SDK accepts such a body; so does hookgate, which can
    # only pass the fields on as received (docs/security.md, known limits).
    url = "https://example.com/sms"
    sdk = RequestValidator(TWILIO_TOKEN)
    signature = sdk.compute_signature(url, TWILIO_PARAMS)
    headers = {"X-Twilio-Signature": signature, "Content-Type": FORM}
    shifted = {**TWILIO_PARAMS}
    shifted["From" + shifted.pop("From")] = ""

    assert sdk.validate(url, shifted, signature)
    assert verify("twilio", request_for(headers, _form(shifted), url=url), TWILIO_TOKEN)
    # A field's value itself still cannot change.
    changed = {**TWILIO_PARAMS, "From": "+14158675300"}
    assert not sdk.validate(url, changed, signature)
    assert rejects("twilio", request_for(headers, _form(changed), url=url), TWILIO_TOKEN)


def test_twilio_shared_key_sha256_mode_and_our_signature_accepted_by_sdk() -> None:
    shared_key = "webhooks-shared-key-secret"
    url = "https://example.com/twilio/status"
    sdk = RequestValidator(shared_key)
    settings = "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
    signature = sdk.compute_signature(url, TWILIO_PARAMS, algorithm="HMAC_SHA256")
    headers = {
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": settings,
        "Content-Type": FORM,
    }
    body = _form(TWILIO_PARAMS)
    ours = sign("twilio", TWILIO_TOKEN, body, url=url)

    assert verify("twilio", request_for(headers, body, url=url), shared_key).scheme == "hmac-sha256"
    # Claiming the other algorithm does not help a forger: SHA-1 over the same text differs.
    assert rejects(
        "twilio",
        request_for({**headers, "X-Twilio-Webhooks-Signature-Settings": ""}, body, url=url),
        shared_key,
    )
    assert RequestValidator(TWILIO_TOKEN).validate(url, TWILIO_PARAMS, ours["X-Twilio-Signature"])


# --- Square: square.utils.webhooks_helper.verify_signature ----------------------------------


SQUARE_VECTORS = [
    # (signature key, notification URL, body, signature): from Square's SDK tests.
    (
        "Ibxx_5AKakO-3qeNVR61Dw",
        "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
        b'{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-'
        b'f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":'
        b'"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
        "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=",
    ),
    (
        "signature-key",
        "https://webhook.site/webhooks",
        b'{"data":{"type":"webhooks","id":">id<"}}',
        "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=",
    ),
]


@pytest.mark.parametrize(("key", "url", "body", "signature"), SQUARE_VECTORS)
def test_square_published_vectors_and_sdk_agreement(
    key: str, url: str, body: bytes, signature: str
) -> None:
    stored = json.dumps({"signing_secrets": [key], "notification_url": url})
    headers = {"x-square-hmacsha256-signature": signature}
    ours = sign("square", key, body, url=url)

    assert square_sdk.verify_signature(
        request_body=body.decode(),
        signature_header=signature,
        signature_key=key,
        notification_url=url,
    )
    assert verify("square", request_for(headers, body), stored)
    assert ours["x-square-hmacsha256-signature"] == signature
    # The notification URL is signed: another one does not verify.
    other_url = json.dumps({"signing_secrets": [key], "notification_url": url + "/"})
    assert rejects("square", request_for(headers, body), other_url)


# --- SendGrid: sendgrid.helpers.eventwebhook.EventWebhook -----------------------------------


def test_sendgrid_our_signature_accepted_by_sdk_and_independent_signature_accepted() -> None:
    private = other_signing_secret("sendgrid")
    stored = providers.get("sendgrid").local.stored_secret(private)
    public_key = json.loads(stored)["public_key"]
    body = b'[{"email":"a@example.com","event":"delivered","sg_event_id":"x"}]\r\n'
    ours = sign("sendgrid", private, body)
    sdk = EventWebhook(public_key)

    assert sdk.verify_signature(
        body.decode(),
        ours["X-Twilio-Email-Event-Webhook-Signature"],
        ours["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    assert not sdk.verify_signature(
        body.decode() + " ",
        ours["X-Twilio-Email-Event-Webhook-Signature"],
        ours["X-Twilio-Email-Event-Webhook-Timestamp"],
    )
    # Signed independently (cryptography directly, as SendGrid documents the scheme).
    key = load_der_private_key(base64.b64decode(private), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signature = key.sign(str(now()).encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": str(now()),
    }
    assert verify("sendgrid", request_for(headers, body), stored).scheme == "ecdsa-p256-sha256"
    assert rejects("sendgrid", request_for(headers, body + b" "), stored)


# --- Discord: Ed25519 signed with PyNaCl ------------------------------------------------------


def test_discord_pynacl_signature_accepted_and_ours_verified_by_pynacl() -> None:
    seed = bytes.fromhex(ed25519_seed_hex())
    signing_key = nacl.signing.SigningKey(seed)
    stored = signing_key.verify_key.encode().hex()
    body = b'{"type":2,"id":"1","data":{"name":"hello"}}'
    by_nacl = signing_key.sign(str(now()).encode() + body).signature
    headers = {"X-Signature-Ed25519": by_nacl.hex(), "X-Signature-Timestamp": str(now())}
    ours = sign("discord", seed.hex(), body)

    assert verify("discord", request_for(headers, body), stored).scheme == "ed25519"
    signing_key.verify_key.verify(
        str(now()).encode() + body, bytes.fromhex(ours["X-Signature-Ed25519"])
    )
    assert (
        json.loads(providers.get("discord").local.stored_secret(seed.hex()))["public_key"] == stored
    )
    assert rejects("discord", request_for(headers, body.replace(b"hello", b"HELLO")), stored)


# --- Standard Webhooks and Svix: their official packages ------------------------------------

STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_HEADERS = {
    "standardwebhooks": ("webhook-id", "webhook-timestamp", "webhook-signature"),
    "svix": ("svix-id", "svix-timestamp", "svix-signature"),
}
SDKS: dict[str, Any] = {"standardwebhooks": standard_sdk.Webhook, "svix": svix_sdk.Webhook}


@pytest.mark.parametrize("provider", ["standardwebhooks", "svix"])
def test_standard_webhooks_published_vector(provider: str) -> None:
    id_header, ts_header, sig_header = STANDARD_HEADERS[provider]
    headers = {
        id_header: "msg_p5jXN8AQM9LWM0D4loKWxJek",
        ts_header: "1614265330",
        sig_header: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    body = b'{"test": 2432232314}'

    assert verify(provider, request_for(headers, body), STANDARD_SECRET, at=1614265330)


@pytest.mark.parametrize("provider", ["standardwebhooks", "svix"])
def test_standard_webhooks_sdk_agreement_both_ways(provider: str) -> None:
    id_header, ts_header, sig_header = STANDARD_HEADERS[provider]
    sdk = SDKS[provider](STANDARD_SECRET)
    body = b'{"type":"invoice.paid","data":{"id":"in_1"}}'
    by_sdk = sdk.sign("msg_1", datetime.fromtimestamp(now(), UTC), body.decode())
    headers = {id_header: "msg_1", ts_header: str(now()), sig_header: f"v1,bogus= {by_sdk} v2,x"}
    ours = sign(provider, STANDARD_SECRET, body, delivery_id="msg_2")

    assert verify(provider, request_for(headers, body), STANDARD_SECRET).scheme == "hmac-sha256"
    sdk.verify(body, ours)  # raises if it does not verify
    with pytest.raises(Exception, match=r"(?i)signature"):
        sdk.verify(body + b" ", ours)


def test_svix_accepts_the_unbranded_header_names_as_its_sdk_does() -> None:
    sdk = svix_sdk.Webhook(STANDARD_SECRET)
    body = b'{"type":"x"}'
    ours = sign("standardwebhooks", STANDARD_SECRET, body, delivery_id="msg_3")

    sdk.verify(body, ours)
    assert verify("svix", request_for(ours, body), STANDARD_SECRET)


def test_standard_webhooks_v1a_ed25519_signed_with_pynacl() -> None:
    signing_key = nacl.signing.SigningKey.generate()
    public = "whpk_" + base64.b64encode(signing_key.verify_key.encode()).decode()
    stored = json.dumps({"public_key": public})
    body = b'{"type":"user.created"}'
    signature = signing_key.sign(f"msg_9.{now()}.".encode() + body).signature
    headers = {
        "webhook-id": "msg_9",
        "webhook-timestamp": str(now()),
        "webhook-signature": "v1a," + base64.b64encode(signature).decode(),
    }
    seed = "whsk_" + base64.b64encode(bytes(signing_key)).decode()
    ours = sign("standardwebhooks", seed, body, delivery_id="msg_9")

    assert verify("standardwebhooks", request_for(headers, body), stored).scheme == "ed25519"
    assert ours["webhook-signature"] == headers["webhook-signature"]  # Ed25519 is deterministic
    assert rejects("standardwebhooks", request_for(headers, body + b" "), stored)


# --- Providers without a Python SDK: an independent HMAC from their documentation -----------


def _hmac(key: str, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key.encode(), message, getattr(hashlib, algorithm)).digest()


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


INDEPENDENT: dict[str, Any] = {
    # provider: (headers the provider sends, given secret, body and now)
    "shopify": lambda s, b: {"X-Shopify-Hmac-Sha256": _b64(_hmac(s, b))},
    "meta": lambda s, b: {"X-Hub-Signature-256": "sha256=" + _hmac(s, b).hex()},
    "dropbox": lambda s, b: {"X-Dropbox-Signature": _hmac(s, b).hex()},
    "asana": lambda s, b: {"X-Hook-Signature": _hmac(s, b).hex()},
    "twitter": lambda s, b: {"x-twitter-webhooks-signature": "sha256=" + _b64(_hmac(s, b))},
    "zoom": lambda s, b: {
        "x-zm-request-timestamp": str(now()),
        "x-zm-signature": "v0=" + _hmac(s, f"v0:{now()}:".encode() + b).hex(),
    },
    "twitch": lambda s, b: {
        "Twitch-Eventsub-Message-Id": "m-1",
        "Twitch-Eventsub-Message-Timestamp": _rfc3339_nanos(now()),
        "Twitch-Eventsub-Message-Signature": "sha256="
        + _hmac(s, b"m-1" + _rfc3339_nanos(now()).encode() + b).hex(),
    },
    "gitlab": lambda s, b: {"X-Gitlab-Token": s},
    "okta": lambda s, b: {"Authorization": s},
}


def _rfc3339_nanos(unix: int) -> str:
    # Twitch sends nanoseconds, which Python's datetime cannot represent.
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")


@pytest.mark.parametrize("provider", sorted(INDEPENDENT))
def test_independent_hmac_accepted_and_ours_equal_to_it(provider: str) -> None:
    secret, body = f"{provider}-secret-0123456789", b'{"object":"page","events":[],"n":1}'
    headers = INDEPENDENT[provider](secret, body)
    ours = sign(provider, secret, body, delivery_id="m-1")

    assert verify(provider, request_for(headers, body), secret).key_index == 0
    if provider == "twitch":  # ours sends microseconds: the independent HMAC over our time
        sent_at = ours["Twitch-Eventsub-Message-Timestamp"]
        expected = "sha256=" + _hmac(secret, b"m-1" + sent_at.encode() + body).hex()
        assert ours["Twitch-Eventsub-Message-Signature"] == expected
    else:
        assert {name: ours.get(name) for name in headers} == headers
    assert rejects(provider, request_for(headers, body), "another-secret-0123456789")


def test_shopify_new_header_style_wins_like_its_library() -> None:
    secret, body = "shopify-secret", b'{"id":1}'
    good = _b64(_hmac(secret, body))
    headers = [("shopify-hmac-sha256", good), ("X-Shopify-Hmac-Sha256", "bad")]

    assert verify("shopify", request_for(headers, body), secret)
    assert rejects(
        "shopify",
        request_for(
            list(reversed([("shopify-hmac-sha256", "bad"), ("X-Shopify-Hmac-Sha256", good)])), body
        ),
        secret,
    )


def test_github_style_hex_is_compared_exactly() -> None:
    # Meta, like GitHub's libraries: upper-case hex or a missing prefix does not verify.
    secret, body = "meta-secret", b"{}"
    digest = _hmac(secret, body).hex()
    for header in (digest, "sha256=" + digest.upper()):
        assert rejects("meta", request_for({"X-Hub-Signature-256": header}, body), secret)


@pytest.mark.parametrize(
    ("settings", "headers_for"),
    [
        ({}, lambda s, b: {"X-Signature": _hmac(s, b).hex()}),
        (
            {
                "ALGORITHM": "sha512",
                "ENCODING": "base64",
                "PREFIX": "sha512=",
                "SIGNATURE_HEADER": "X-Sig",
            },
            lambda s, b: {"X-Sig": "sha512=" + _b64(_hmac(s, b, "sha512"))},
        ),
        (
            {
                "ALGORITHM": "sha1",
                "TIMESTAMP_HEADER": "X-Time",
                "SIGNED_CONTENT": "{timestamp}.{body}",
            },
            lambda s, b: {
                "X-Time": str(now()),
                "X-Signature": _hmac(s, f"{now()}.".encode() + b, "sha1").hex(),
            },
        ),
        (
            {"ID_HEADER": "X-Id", "SIGNED_CONTENT": "{id}:{url}:{body}"},
            lambda s, b: {
                "X-Id": "d-1",
                "X-Signature": _hmac(
                    s, b"d-1:https://" + shapes.HOST.encode() + b"/prod/webhooks/x:" + b
                ).hex(),
            },
        ),
    ],
)
def test_generic_hmac_configurations(settings: dict[str, str], headers_for: Any) -> None:
    environ = {f"HOOKGATE_GENERIC_{k}": v for k, v in settings.items()}
    generic = providers.get("generic").configured(environ)
    secret, body = "generic-secret", b'{"id":"1","type":"thing.done"}'
    headers = headers_for(secret, body)
    material = SecretMaterial.parse(secret)
    url = f"https://{shapes.HOST}/prod/webhooks/x"
    ours = generic.local.sign(
        secret, body, timestamp=now(), delivery_id="d-1", event_type="e", url=url
    )

    assert generic.verify(request_for(headers, body), material, now_s=now(), tolerance_s=300)
    assert {k: ours[k] for k in headers} == headers
    with pytest.raises(Unauthorized):
        generic.verify(request_for(headers, body + b"!"), material, now_s=now(), tolerance_s=300)
