"""Paddle Billing against its official `paddle_billing` SDK (`Notifications.Verifier`, which only
verifies, and `PaddleSignature.calculate_hmac`, its HMAC), both ways, and the vectors of the
SDK's own tests (paddle-python-sdk tests/Unit/Notification/test_Verifier.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from paddle_billing.Notifications import (  # type: ignore[import-untyped]
    PaddleSignature,
    Secret,
    Verifier,
)

from hookgate.errors import StaleTimestamp
from hookgate.providers import get
from tests.support.oracles import now, rejects, request_for, sign, verify

#: The SDK's "Standard payload" vector: a real `customer.created` notification, its secret key
#: and the `Paddle-Signature` Paddle sent with it.
VECTOR_SECRET = "pdl_ntfset_01hs0t3tw21j988db1pam5xg8m_GrOWLNef+vmtjJYq4mSnHNzvc8uWoJ1I"
VECTOR_AT = 1710498758
VECTOR_BODY = (
    b'{"data":{"id":"ctm_01hs0tqf76sxmp7ba5e4mw1sc8","name":"John Doe","email":'
    b'"blackhole+verification2@paddle.com","locale":"en","status":"active","created_at":'
    b'"2024-03-15T10:32:37.862Z","updated_at":"2024-03-15T10:32:37.862Z","custom_data":null,'
    b'"import_meta":null,"marketing_consent":false},"event_id":"evt_01hs0tqfme2xwb2hvwv87p8y3w",'
    b'"event_type":"customer.created","occurred_at":"2024-03-15T10:32:38.286848Z",'
    b'"notification_id":"ntf_01hs0tqfrhgkyp39x4wyvy7h6n"}'
)
VECTOR_HEADER = "ts=1710498758;h1=558bf93944dbeb4790c7a8af6cb2ea435c8ca9c8396aafc1a4e37424ac132744"

SECRET = "pdl_ntfset_01hzzzzzzzzzzzzzzzzzzzzzzz_hookgateTestSecret0123456789+/"
BODY = json.dumps(
    {
        "event_id": "evt_01",
        "event_type": "transaction.completed",
        "notification_id": "ntf_01",
        "data": {"name": "Zoë"},
    },
    ensure_ascii=False,
).encode()


@dataclass
class SdkRequest:
    """What the SDK's `Verifier` reads from a framework's request: `headers` and `body`."""

    headers: dict[str, str]
    body: bytes


def sdk_header(secret: str, body: bytes, timestamp: int) -> str:
    """A header built with the SDK's own HMAC, over what its verifier checks."""
    signed = f"{timestamp}:{body.decode()}".encode()
    return f"ts={timestamp};h1={PaddleSignature.calculate_hmac(secret, signed).hexdigest()}"


def sdk_accepts(header: str, body: bytes, secret: str, *, window_s: int = 300) -> bool:
    try:
        verdict = Verifier(window_s).verify(
            SdkRequest({"Paddle-Signature": header}, body), [Secret(secret)]
        )
    except (ValueError, ConnectionRefusedError):  # a malformed header; no key matched
        return False
    return bool(verdict)


def hookgate_accepts(header: str, body: bytes, secret: str) -> bool:
    return not rejects("paddle", request_for({"Paddle-Signature": header}, body), secret)


def test_the_sdks_vector_verifies_at_its_time_and_is_stale_now() -> None:
    request = request_for({"Paddle-Signature": VECTOR_HEADER}, VECTOR_BODY)

    assert verify("paddle", request, VECTOR_SECRET, at=VECTOR_AT).signed_at_s == VECTOR_AT
    with pytest.raises(StaleTimestamp):
        verify("paddle", request, VECTOR_SECRET)


def test_the_sdks_rotation_vector_matches_the_third_secret() -> None:
    # Two `h1` (one a dummy) against three secret keys, of which only the last signed it.
    header = (
        "ts=1696195954;h1=dummy;h1=d96299976a6eb066f484d7fde011ac56fc32b38fc9940bc419d6e537fdc6ef02"
    )
    secrets = [
        "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_TjIG2BXbm83HPXqNfziwe506sBEdqL/4",
        "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_vB/yIOnTOCWIvpBadM5jzBZPHc7OmdSo",
        "pdl_ntf_01hbpjmytsa32fhr36nqgc3kgb_WvRO0eL4Bj9rgYYIBZY6wZhG4EHy9jzh",
    ]
    request = request_for({"Paddle-Signature": header}, b"hello-world")
    stored = json.dumps({"signing_secrets": secrets})

    assert verify("paddle", request, stored, at=1696195954).key_index == 2
    assert rejects("paddle", request, json.dumps({"signing_secrets": secrets[:2]}))


def test_the_sdk_accepts_hookgates_signature_with_its_own_5_s_default() -> None:
    ours = sign("paddle", SECRET, BODY)["Paddle-Signature"]

    headers = {"Paddle-Signature": ours}

    assert Verifier().verify(SdkRequest(headers, BODY), Secret(SECRET))
    assert not Verifier().verify(SdkRequest(headers, BODY + b" "), Secret(SECRET))
    assert ours == sdk_header(SECRET, BODY, int(ours.split(";")[0].removeprefix("ts=")))


def _h1(header: str) -> str:
    return header.split(";h1=")[1]


# Each case: the header sent with BODY to a receiver holding SECRET.
CASES: dict[str, Callable[[], str]] = {
    "valid": lambda: sdk_header(SECRET, BODY, now()),
    "several_h1_one_valid": lambda: (
        f"ts={now()};h1={'0' * 64};h1={_h1(sdk_header(SECRET, BODY, now()))}"
    ),
    "h1_before_ts": lambda: f"h1={_h1(sdk_header(SECRET, BODY, now()))};ts={now()}",
    "entry_without_equals_skipped": lambda: sdk_header(SECRET, BODY, now()) + ";",
    "wrong_secret": lambda: sdk_header("pdl_ntfset_other", BODY, now()),
    "other_body": lambda: sdk_header(SECRET, BODY + b" ", now()),
    "other_timestamp": lambda: f"ts={now()};h1={_h1(sdk_header(SECRET, BODY, now() - 10))}",
    "uppercase_hex": lambda: f"ts={now()};h1={_h1(sdk_header(SECRET, BODY, now())).upper()}",
    "unknown_key": lambda: sdk_header(SECRET, BODY, now()) + ";h2=abc",
    "space_after_semicolon": lambda: sdk_header(SECRET, BODY, now()).replace(";", "; "),
    "comma_separated": lambda: sdk_header(SECRET, BODY, now()).replace(";", ","),
    "no_h1": lambda: f"ts={now()}",
    "no_ts": lambda: f"h1={_h1(sdk_header(SECRET, BODY, now()))}",
    "stale": lambda: sdk_header(SECRET, BODY, now() - 301),
    "future": lambda: sdk_header(SECRET, BODY, now() + 301),
    "garbage": lambda: "garbage",
}
GENUINE = {"valid", "several_h1_one_valid", "h1_before_ts", "entry_without_equals_skipped"}


@pytest.mark.parametrize("case", CASES)
def test_hookgate_judges_each_header_as_the_sdk_does(case: str) -> None:
    header = CASES[case]()

    assert sdk_accepts(header, BODY, SECRET) == (case in GENUINE)
    assert hookgate_accepts(header, BODY, SECRET) == (case in GENUINE)


def test_where_hookgate_is_stricter_than_the_sdk() -> None:
    signed = sdk_header(SECRET, BODY, now())
    # The SDK takes the last of two `ts`; hookgate refuses the ambiguity.
    twice = f"ts={now() - 1000};{signed}"
    # The SDK reads `ts` with int(): a sign or surrounding spaces pass it.
    plus = signed.replace("ts=", "ts=+", 1)
    # Entries beyond any rotation's needs.
    padded = signed + ";" * 10

    for header in (twice, plus, padded):
        assert sdk_accepts(header, BODY, SECRET)
        assert not hookgate_accepts(header, BODY, SECRET)


def test_the_replay_key_is_the_notification_id_not_the_event_id() -> None:
    request = request_for({"Paddle-Signature": VECTOR_HEADER}, VECTOR_BODY)

    assert get("paddle").replay_key(request, json.loads(VECTOR_BODY)) == (
        "ntf_01hs0tqfrhgkyp39x4wyvy7h6n"
    )
