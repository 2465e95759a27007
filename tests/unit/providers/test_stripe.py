"""Stripe verification agrees with the official `stripe` SDK, both ways.

The SDK signs (`WebhookSignature.generate_signature_header`) and judges
(`WebhookSignature.verify_header`); hookgate must accept exactly what the SDK accepts, except
for timestamps too far in the future, which hookgate rejects on purpose.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import stripe

from hookgate.errors import BadSignature, MissingSignature, StaleTimestamp, Unauthorized
from hookgate.material import SecretMaterial
from hookgate.providers import stripe as hookgate_stripe
from hookgate.request import Request
from tests.support import shapes

SECRET = "whsec_test_0123456789abcdef"
OLD_SECRET = "whsec_previous_secret_fedcba"
TOLERANCE_S = 300
BODY = '{\n  "id": "evt_1", "type": "payment_intent.succeeded", "amount": 2000, "x": "\\u00e9"\n}'


def sdk_header(body: str, secret: str, timestamp: int) -> str:
    header: str = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return header


def sdk_accepts(body: bytes, header: str | None, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, TOLERANCE_S)
    except stripe.SignatureVerificationError:
        return False
    return True


def hookgate_verify(body: bytes, header: str | None, secrets: tuple[str, ...]) -> int:
    headers = [("Content-Type", "application/json")]
    if header is not None:
        headers.append(("Stripe-Signature", header))
    request = Request.from_event(shapes.rest_v1(headers=headers, body=body))
    verification = hookgate_stripe.verify(
        request,
        SecretMaterial(signing_secrets=secrets),
        now_s=time.time(),
        tolerance_s=TOLERANCE_S,
    )
    return verification.key_index


def hookgate_accepts(body: bytes, header: str | None, secret: str) -> bool:
    try:
        hookgate_verify(body, header, (secret,))
    except Unauthorized:
        return False
    return True


def _now() -> int:
    return int(time.time())


# Each case: (body sent, header sent, secret the receiver holds).
CASES: dict[str, Callable[[], tuple[str, str | None, str]]] = {
    "valid": lambda: (BODY, sdk_header(BODY, SECRET, _now()), SECRET),
    "valid_at_edge_of_window": lambda: (BODY, sdk_header(BODY, SECRET, _now() - 290), SECRET),
    "tampered_body": lambda: (BODY + " ", sdk_header(BODY, SECRET, _now()), SECRET),
    "wrong_secret": lambda: (BODY, sdk_header(BODY, "whsec_other", _now()), SECRET),
    "stale_timestamp": lambda: (BODY, sdk_header(BODY, SECRET, _now() - 301), SECRET),
    "very_old_timestamp": lambda: (BODY, sdk_header(BODY, SECRET, 1_500_000_000), SECRET),
    "missing_header": lambda: (BODY, None, SECRET),
    "empty_header": lambda: (BODY, "", SECRET),
    "no_timestamp": lambda: (BODY, sdk_header(BODY, SECRET, _now()).split(",", 1)[1], SECRET),
    "non_numeric_timestamp": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).replace("t=", "t=x", 1),
        SECRET,
    ),
    "no_v1_signature": lambda: (BODY, f"t={_now()}", SECRET),
    "only_v0_signature": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).replace("v1=", "v0="),
        SECRET,
    ),
    "garbage_header": lambda: (BODY, "garbage", SECRET),
    "signature_of_other_timestamp": lambda: (
        BODY,
        f"t={_now()}," + sdk_header(BODY, SECRET, _now() - 10).split(",", 1)[1],
        SECRET,
    ),
    "uppercase_hex": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).split("v1=")[0]
        + "v1="
        + sdk_header(BODY, SECRET, _now()).split("v1=")[1].upper(),
        SECRET,
    ),
    "several_v1_one_valid": lambda: (
        BODY,
        f"t={_now()},v1={'0' * 64},"
        + sdk_header(BODY, SECRET, _now()).split(",", 1)[1]
        + ",v0=abc",
        SECRET,
    ),
    "several_v1_none_valid": lambda: (BODY, f"t={_now()},v1={'0' * 64},v1={'1' * 64}", SECRET),
    "empty_body_signed": lambda: ("", sdk_header("", SECRET, _now()), SECRET),
    # How the header is split: the first `t` counts, a second "=" ends a value, unknown items
    # are ignored, a `v1` without "=" spoils the header, and nothing is stripped.
    "timestamp_twice_first_signed": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).replace(",", f",t={_now() - 1000},", 1),
        SECRET,
    ),
    "timestamp_twice_second_signed": lambda: (
        BODY,
        f"t={_now() - 1000}," + sdk_header(BODY, SECRET, _now()),
        SECRET,
    ),
    "extra_equals_after_values": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).replace(",", "=junk,") + "=junk",
        SECRET,
    ),
    "unknown_item_without_equals": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()) + ",garbage",
        SECRET,
    ),
    "v1_without_equals": lambda: (BODY, sdk_header(BODY, SECRET, _now()) + ",v1", SECRET),
    "space_after_comma": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()).replace(",", ", "),
        SECRET,
    ),
    # A second, empty Stripe-Signature header, as repeated headers are combined (RFC 9110).
    "repeated_header_with_empty_copy": lambda: (
        BODY,
        sdk_header(BODY, SECRET, _now()) + ", ",
        SECRET,
    ),
}


GENUINE = {
    "valid",
    "valid_at_edge_of_window",
    "several_v1_one_valid",
    "empty_body_signed",
    "timestamp_twice_first_signed",
    "extra_equals_after_values",
    "unknown_item_without_equals",
    "repeated_header_with_empty_copy",
}


@pytest.mark.parametrize("case", CASES)
def test_verify_agrees_with_stripe_sdk(case: str) -> None:
    body, header, secret = CASES[case]()
    raw = body.encode("utf-8")

    sdk_verdict = sdk_accepts(raw, header, secret)

    # The case means what its name says (per the SDK), and hookgate judges it the same way.
    assert sdk_verdict == (case in GENUINE)
    assert hookgate_accepts(raw, header, secret) == sdk_verdict


def test_verify_valid_is_accepted_by_both() -> None:
    header = sdk_header(BODY, SECRET, _now())

    assert sdk_accepts(BODY.encode(), header, SECRET)
    assert hookgate_accepts(BODY.encode(), header, SECRET)


def test_verify_future_timestamp_rejected_though_sdk_accepts() -> None:
    # The one deliberate difference: the SDK checks only the past side of the window.
    header = sdk_header(BODY, SECRET, _now() + 301)

    assert sdk_accepts(BODY.encode(), header, SECRET)
    with pytest.raises(StaleTimestamp):
        hookgate_verify(BODY.encode(), header, (SECRET,))


def test_verify_signed_timestamp_beyond_any_float_is_stale_not_a_crash() -> None:
    # Only the secret's holder can sign it, but it must still be a 401, not an OverflowError.
    header = sdk_header(BODY, SECRET, 10**400)

    assert sdk_accepts(BODY.encode(), header, SECRET)
    with pytest.raises(StaleTimestamp):
        hookgate_verify(BODY.encode(), header, (SECRET,))


def test_verify_rotation_any_configured_secret_matches_and_reports_index() -> None:
    header = sdk_header(BODY, OLD_SECRET, _now())

    assert hookgate_verify(BODY.encode(), header, (SECRET, OLD_SECRET)) == 1
    assert (
        hookgate_verify(BODY.encode(), sdk_header(BODY, SECRET, _now()), (SECRET, OLD_SECRET)) == 0
    )
    with pytest.raises(BadSignature):
        hookgate_verify(BODY.encode(), header, (SECRET,))


def test_verify_missing_header_is_missing_signature() -> None:
    with pytest.raises(MissingSignature):
        hookgate_verify(BODY.encode(), None, (SECRET,))


def test_verify_stale_is_reported_only_for_genuine_signatures() -> None:
    # A forged header with an old timestamp is a bad signature, not a stale one.
    with pytest.raises(BadSignature):
        hookgate_verify(BODY.encode(), f"t=1500000000,v1={'0' * 64}", (SECRET,))


def test_sign_output_is_accepted_by_stripe_sdk() -> None:
    headers = hookgate_stripe.sign(
        SECRET, BODY.encode(), timestamp=_now(), delivery_id="", event_type="", url=""
    )

    assert sdk_accepts(BODY.encode(), headers["Stripe-Signature"], SECRET)
