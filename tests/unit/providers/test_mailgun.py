"""Mailgun against its official SDK (`mailgun.security.SecurityGuard.verify_webhook`, which
only verifies), and HMACs computed here as Mailgun documents them: hex HMAC-SHA256 of
`timestamp + token`, in the JSON body's `signature` object or the legacy form fields."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from mailgun.security import SecurityGuard

from hookgate import providers
from hookgate.errors import ConfigurationError, MissingSignature, Unauthorized
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request
from tests.support.oracles import hmac_digest, now, rejects, request_for, verify

KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"  # the shape of Mailgun's signing keys
PARENT_KEY = "key-parent-0f8a1c3e5b7d9f2a4c6e8b0d2f4a6c8e"
TOKEN = "e0b5477167110d68991efc6b9f89f0a11066af27834600e123"  # 50 characters, from the docs
EVENT = {"event": "delivered", "id": "CPgfbmQMTCKtHW6uIWtuVe", "recipient": "a@example.com"}
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _hmac(key: str, timestamp: str, token: str) -> str:
    return hmac_digest(key, (timestamp + token).encode()).hex()


def _json_body(timestamp: str, token: str = TOKEN, **signature: str) -> bytes:
    block = {"timestamp": timestamp, "token": token, "signature": _hmac(KEY, timestamp, token)}
    return json.dumps({"signature": {**block, **signature}, "event-data": EVENT}).encode()


def _outcome(request: Request) -> tuple[str, str | None]:
    definition = providers.get("mailgun")
    fields = body_fields(request, parse_payload(request))
    return definition.replay_key(request, fields), definition.event_type(request, fields)


def test_mailgun_sdk_accepts_our_example_delivery_and_refuses_another_key() -> None:
    body = providers.get("mailgun").local.example_body(
        delivery_id="d-1", event_type="opened", timestamp=now(), secret=KEY
    )
    block = json.loads(body)["signature"]
    args = (block["token"], block["timestamp"], block["signature"])

    assert SecurityGuard.verify_webhook(KEY, *args)
    assert not SecurityGuard.verify_webhook(KEY + "x", *args)
    assert verify("mailgun", request_for(JSON, body), KEY).scheme == "hmac-sha256"
    assert _outcome(request_for(JSON, body)) == (block["token"], "opened")


def test_independent_hmac_verifies_in_json_and_in_legacy_form_fields() -> None:
    timestamp = str(now())
    signature = _hmac(KEY, timestamp, TOKEN)
    assert SecurityGuard.verify_webhook(KEY, TOKEN, timestamp, signature)  # the oracle agrees
    form = urlencode(
        {
            "event": "bounced",
            "recipient": "a@example.com",
            "timestamp": timestamp,
            "token": TOKEN,
            "signature": signature,
        }
    ).encode()

    by_json = verify("mailgun", request_for(JSON, _json_body(timestamp)), KEY)
    by_form = verify("mailgun", request_for(FORM, form), KEY)

    assert by_json.signed_at_s == by_form.signed_at_s == int(timestamp)
    assert _outcome(request_for(FORM, form)) == (TOKEN, "bounced")
    assert rejects("mailgun", request_for(JSON, _json_body(timestamp)), "key-other")
    assert rejects("mailgun", request_for(FORM, form.replace(TOKEN.encode(), b"f" * 50)), KEY)
    # Upper-case hex is not what Mailgun (or its SDK) sends.
    upper = _json_body(timestamp, signature=signature.upper())
    assert rejects("mailgun", request_for(JSON, upper), KEY)
    assert not SecurityGuard.verify_webhook(KEY, TOKEN, timestamp, signature.upper())


def test_a_subaccount_event_verifies_with_the_parent_key_through_parent_signature() -> None:
    timestamp = str(now())
    body = _json_body(timestamp, **{"parent-signature": _hmac(PARENT_KEY, timestamp, TOKEN)})

    assert verify("mailgun", request_for(JSON, body), PARENT_KEY)
    assert verify("mailgun", request_for(JSON, body), KEY)
    rotating = json.dumps({"signing_secrets": ["key-new-one-1234", PARENT_KEY]})
    assert verify("mailgun", request_for(JSON, body), rotating).key_index == 1


def test_the_event_is_not_signed_and_is_published_as_unsigned() -> None:
    # What Mailgun documents, shown: another event under the same triple still verifies. It
    # is published once only (the token is the replay key), and marked unsigned.
    timestamp = str(now())
    genuine = _json_body(timestamp)
    forged = genuine.replace(b'"delivered"', b'"complained"')

    assert verify("mailgun", request_for(JSON, forged), KEY)
    assert _outcome(request_for(JSON, forged))[0] == _outcome(request_for(JSON, genuine))[0]
    assert providers.get("mailgun").unsigned_fields == ("event_type", "payload")


def test_moving_characters_between_timestamp_and_token_is_refused() -> None:
    # The same signed string split elsewhere: the same HMAC, another token (a new replay key).
    # The SDK accepts it when its time check is off; hookgate requires 10 timestamp digits,
    # whatever the window (here checked at the moved time itself, so only the split refuses).
    timestamp, token = str(now()), "0" + TOKEN[1:]
    signature = _hmac(KEY, timestamp, token)
    shorter = (timestamp[:-1], timestamp[-1] + token)
    longer = (timestamp + token[0], token[1:])
    for moved_timestamp, moved_token in (shorter, longer):
        assert SecurityGuard.verify_webhook(
            KEY, moved_token, moved_timestamp, signature, max_age_seconds=0
        )
        body = _json_body(moved_timestamp, moved_token, signature=signature)

        with pytest.raises(Unauthorized):
            verify("mailgun", request_for(JSON, body), KEY, at=int(moved_timestamp))


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_the_content_type_changes_neither_what_verifies_nor_the_key(content_type: str) -> None:
    timestamp = str(now())
    body = _json_body(timestamp)
    form = urlencode(
        {"timestamp": timestamp, "token": TOKEN, "signature": _hmac(KEY, timestamp, TOKEN)}
    )
    for sent in (body, form.encode()):
        request = request_for({"Content-Type": content_type}, sent)

        assert verify("mailgun", request, KEY)
        assert _outcome(request)[0] == TOKEN


@pytest.mark.parametrize(
    "body",
    [
        b'{"event-data": {"event": "delivered"}}',
        b'{"signature": "abc", "event-data": {}}',
        b'{"signature": {"timestamp": "1700000000", "token": "t"}}',
        b"event=delivered&recipient=a%40example.com",
        b'--boundary\r\nContent-Disposition: form-data; name="token"\r\n\r\nt\r\n--boundary--',
        b"[1, 2]",
        b"\xff\xfe",
    ],
    ids=["no-signature", "not-an-object", "no-hmac", "form-without", "multipart", "list", "bytes"],
)
def test_a_body_without_a_signature_is_refused(body: bytes) -> None:
    assert rejects("mailgun", request_for(JSON, body), KEY)


def test_malformed_or_repeated_signature_fields_are_refused() -> None:
    timestamp = str(now())
    signature = _hmac(KEY, timestamp, TOKEN)
    fields = [("timestamp", timestamp), ("token", TOKEN), ("signature", signature)]
    repeated = urlencode([*fields, ("token", "another")]).encode()
    bodies = [
        _json_body(timestamp, token="x" * 257),
        _json_body(timestamp, token=""),
        json.dumps(
            {"signature": {"timestamp": int(timestamp), "token": TOKEN, "signature": 7}}
        ).encode(),
        json.dumps({"signature": {"timestamp": True, "token": TOKEN}}).encode(),
    ]

    assert verify("mailgun", request_for(FORM, urlencode(fields).encode()), KEY)
    assert rejects("mailgun", request_for(FORM, repeated), KEY)
    for body in bodies:
        assert rejects("mailgun", request_for(JSON, body), KEY)
    # A timestamp sent as a JSON number is the same signed text.
    number = json.dumps(
        {"signature": {"timestamp": int(timestamp), "token": TOKEN, "signature": signature}}
    ).encode()
    assert verify("mailgun", request_for(JSON, number), KEY)


def test_the_window_is_tolerance_seconds_unless_mailgun_has_its_own() -> None:
    ten_minutes_ago = str(now() - 600)
    request = request_for(JSON, _json_body(ten_minutes_ago))
    material = SecretMaterial.parse(KEY)
    own = providers.get("mailgun").configured({"HOOKGATE_MAILGUN_TOLERANCE_SECONDS": "900"})

    assert rejects("mailgun", request, KEY)  # 300 s
    assert own.verify(request, material, now_s=now(), tolerance_s=300).signed_at_s
    assert SecurityGuard.verify_webhook(
        KEY, TOKEN, ten_minutes_ago, _hmac(KEY, ten_minutes_ago, TOKEN)
    )
    with pytest.raises(Unauthorized):
        own.verify(request, material, now_s=now() + 901, tolerance_s=300)
    assert providers.get("mailgun").configured({"HOOKGATE_MAILGUN_TOLERANCE_SECONDS": " "})
    for wrong in (
        {"HOOKGATE_MAILGUN_TOLERANCE_SECONDS": "15m"},
        {"HOOKGATE_MAILGUN_TOLERANCE_SECONDS": "0"},
        {"HOOKGATE_MAILGUN_TOLERANCE_SECONDS": "86400", "HOOKGATE_REPLAY_TTL_SECONDS": "3600"},
    ):
        with pytest.raises(ConfigurationError):
            providers.get("mailgun").configured(wrong)


def test_a_missing_signature_is_reported_as_missing() -> None:
    with pytest.raises(MissingSignature):
        verify("mailgun", request_for(JSON, b'{"event-data": {}}'), KEY)
