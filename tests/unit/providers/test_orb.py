"""Orb against its official `orb-billing` SDK (`client.webhooks.verify_signature`, which only
verifies) and the vector of the SDK's own tests."""

from __future__ import annotations

import orb
import pytest

from tests.support.oracles import rejects, request_for, sign, verify

#: The SDK's test vector (orb-python tests/api_resources/test_webhooks.py).
SECRET = "c-UGKYdnhHh436B_sMouYAPUvXyWpzOdunZBV5dFSD8"
TIMESTAMP = "2024-03-27T15:42:29.551"
AT = 1711554149  # that time, UTC
BODY = (
    b'{"id": "o4mmewpfNNTnjfZc", "created_at": "2024-03-27T15:42:29+00:00", '
    b'"type": "resource_event.test", "properties": {"message": "A test webhook from Orb. '
    b'Happy testing!"}}'
)
SIGNATURE = "v1=9d25de966891ab0bc18754faf8d83d0980b44ae330fcc130b41a6cf3daf1f391"


def test_the_sdks_vector_verifies_at_its_time_and_is_stale_now() -> None:
    headers = {"X-Orb-Signature": SIGNATURE, "X-Orb-Timestamp": TIMESTAMP}

    assert verify("orb", request_for(headers, BODY), SECRET, at=AT).signed_at_s == AT
    assert rejects("orb", request_for(headers, BODY), SECRET)
    other = {"X-Orb-Signature": f"v1=00 {SIGNATURE}", "X-Orb-Timestamp": TIMESTAMP}
    assert verify("orb", request_for(other, BODY), SECRET, at=AT)


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body() -> None:
    client = orb.Orb(api_key="test", webhook_secret=SECRET)
    ours = sign("orb", SECRET, BODY)

    client.webhooks.verify_signature(BODY, ours)
    with pytest.raises(ValueError, match=r"(?i)signature"):
        client.webhooks.verify_signature(BODY + b" ", ours)


def test_a_timestamp_that_is_not_iso_8601_is_refused() -> None:
    for timestamp in ("1711554149", "2024-02-30T10:00:00", "2024-03-27 15:42:29"):
        headers = {"X-Orb-Signature": SIGNATURE, "X-Orb-Timestamp": timestamp}
        assert rejects("orb", request_for(headers, BODY), SECRET)
