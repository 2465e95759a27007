"""Twilio against `twilio.request_validator.RequestValidator` and Twilio's published
examples: form and JSON bodies, URL ports, repeated fields, and the shared-key mode."""

from __future__ import annotations

import hashlib

import pytest
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from tests.support.oracles import rejects, request_for, sign, verify

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
