"""Square against `square.utils.webhooks_helper.verify_signature` and the vectors of
Square's SDK tests."""

from __future__ import annotations

import json

import pytest
import square.utils.webhooks_helper as square_sdk

from tests.support.oracles import rejects, request_for, sign, verify

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
