"""Coinbase CDP (Hook0) against Hook0's published conformance vectors, the test vector of
Hook0's own sender, and an HMAC computed here as CDP's docs describe it. CDP publishes no
Python SDK that verifies webhooks."""

from __future__ import annotations

import json

import pytest

from hookgate import providers
from hookgate.errors import Unauthorized
from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

SECRET = "a-subscription-secret"
PAYLOAD = b'{"event":"user.created"}'
HEADERS = {"x-event-id": "evt-1", "x-delivery-id": "dlv-1", "content-type": "application/json"}
AT = 1800000000
# Hook0's clients/conformance/signature.json (codes computed outside every implementation).
V1_IN_ORDER = "19a6fb8f6581715b241a93af02a58611c3b0ac7b747a8d2a5b120ee418d0c347"
V1_REVERSED = "bf5f4e5fe0c9143510ae192f983316a09ed392d0104d2ce0faa3d7bce3687acb"
V0_BODY = "d17d66b66fca89390c5b967c45e8928fc732db07a0aabe8167b1e98213081ffe"
IN_ORDER, REVERSED = "h=x-event-id x-delivery-id", "h=x-delivery-id x-event-id"
#: (signature header, accepted)
CONFORMANCE = [
    (f"t={AT},{IN_ORDER},v1={V1_IN_ORDER}", True),
    (f"t={AT},{IN_ORDER},v0={V1_REVERSED},v1={V1_IN_ORDER}", True),
    (f"t={AT},{IN_ORDER},v0={V0_BODY},v1={V1_REVERSED}", False),  # no downgrade to v0
    (f"t={AT},{REVERSED},v1={V1_IN_ORDER}", False),  # the names' order is signed
    (f"t={AT},{REVERSED},v1={V1_REVERSED}", True),
    (f"t={AT},h=x-event-id x-missing,v1={V1_IN_ORDER}", False),  # a listed header absent
    (f"t={AT},{IN_ORDER},v1={V1_IN_ORDER[:-1]}", False),
    # The body-only scheme (`v0`) verifies in Hook0's clients; CDP documents `v1`, and hookgate
    # requires it: `v0` covers no header.
    (f"t={AT},v0={V0_BODY}", False),
]
# Hook0's output-worker (the sender) `create_signature_v1` test.
SENDER_SECRET = "secret"
SENDER_HEADERS = {
    "X-EVENT-TYPE": "service.resource.verb",
    "X-Event-Id": "1a01cb48-5142-4d9b-8f90-d20cca61f0ee",
    "X-Hook0-Signature": "t=1636936200,h=x-event-id x-event-type,"
    "v1=bc521546ba5de381b12f135782d2008b028c3065c191760b12b76850a8fc8f51",
}


def documented(secret: str, t: int, headers: dict[str, str], body: bytes) -> str:
    """`X-Hook0-Signature` as CDP's docs build it: `t.names.values.body`."""
    names = " ".join(headers)
    values = ".".join(headers.values())
    digest = hmac_digest(secret, f"{t}.{names}.{values}.".encode() + body).hex()
    return f"t={t},h={names},v1={digest}"


@pytest.mark.parametrize(("header", "accepted"), CONFORMANCE)
def test_hook0_conformance_vectors(header: str, accepted: bool) -> None:
    request = request_for({**HEADERS, "X-Hook0-Signature": header}, PAYLOAD)
    if accepted:
        assert verify("coinbase", request, SECRET, at=AT).signed_at_s == AT
    else:
        with pytest.raises(Unauthorized):
            verify("coinbase", request, SECRET, at=AT)


def test_the_senders_own_vector_verifies_and_its_window_holds_both_ways() -> None:
    request = request_for(SENDER_HEADERS, b"hello !")

    assert verify("coinbase", request, SENDER_SECRET, at=1636936200).key_index == 0
    for at in (1636936200 + 301, 1636936200 - 301):
        with pytest.raises(Unauthorized):
            verify("coinbase", request, SENDER_SECRET, at=at)


def test_hookgate_signs_as_cdp_documents_and_verifies_the_documented_signature() -> None:
    body = b'{"eventId":"e-1","eventType":"wallet.activity.detected","data":{}}'
    ours = sign("coinbase", SECRET, body, delivery_id="e-1")
    covered = {
        "content-type": "application/json",
        "x-event-id": "e-1",
        "x-event-type": ours["X-Event-Type"],
    }
    t = int(ours["X-Hook0-Signature"].split(",")[0].removeprefix("t="))

    assert ours["X-Hook0-Signature"] == documented(SECRET, t, covered, body)
    theirs = {**covered, "X-Hook0-Signature": documented(SECRET, now(), covered, body)}
    assert verify("coinbase", request_for(theirs, body), SECRET)
    assert rejects("coinbase", request_for(theirs, body + b" "), SECRET)
    assert rejects("coinbase", request_for({**theirs, "x-event-type": "other"}, body), SECRET)


def test_listed_headers_must_arrive_once_and_be_plain_names() -> None:
    covered = {"content-type": "application/json", "x-event-id": "e-1"}
    header = documented(SECRET, now(), covered, PAYLOAD)
    good = {**covered, "X-Hook0-Signature": header}
    assert verify("coinbase", request_for(good, PAYLOAD), SECRET)

    repeated = [*good.items(), ("x-event-id", "e-2")]
    assert rejects("coinbase", request_for(repeated, PAYLOAD), SECRET)
    missing = {k: v for k, v in good.items() if k != "x-event-id"}
    assert rejects("coinbase", request_for(missing, PAYLOAD), SECRET)
    dotted = {"a.b": "x", "content-type": "application/json"}
    signed_dotted = {**dotted, "X-Hook0-Signature": documented(SECRET, now(), dotted, PAYLOAD)}
    assert rejects("coinbase", request_for(signed_dotted, PAYLOAD), SECRET)
    twice = {**good, "X-Hook0-Signature": header + ",t=1"}
    assert rejects("coinbase", request_for(twice, PAYLOAD), SECRET)


def test_the_event_type_header_counts_only_when_signed() -> None:
    coinbase = providers.get("coinbase")
    body = b'{"eventType":"wallet.activity.detected"}'
    listed = {"content-type": "application/json", "x-event-type": "onchain.activity.detected"}
    signed = request_for(
        {**listed, "X-Hook0-Signature": documented(SECRET, now(), listed, body)}, body
    )
    unlisted = {"content-type": "application/json"}
    header = documented(SECRET, now(), unlisted, body)
    unsigned = request_for({**listed, "X-Hook0-Signature": header}, body)

    assert verify("coinbase", unsigned, SECRET)  # an extra header is allowed, and ignored
    assert coinbase.event_type(signed, json.loads(body)) == "onchain.activity.detected"
    assert coinbase.event_type(unsigned, json.loads(body)) == "wallet.activity.detected"


def test_a_signed_text_cut_again_keeps_its_replay_key() -> None:
    coinbase = providers.get("coinbase")
    covered = {"x-event-id": "e-1", "x-event-type": "onchain.activity.detected"}
    header = documented(SECRET, now(), covered, PAYLOAD)
    genuine = request_for({**covered, "X-Hook0-Signature": header}, PAYLOAD)
    # The same signed text, cut elsewhere: `e-1.onchain` | `activity.detected`.
    cut = {"x-event-id": "e-1.onchain", "x-event-type": "activity.detected"}
    recut = request_for({**cut, "X-Hook0-Signature": header}, PAYLOAD)

    assert verify("coinbase", recut, SECRET)
    assert coinbase.replay_key(recut, {}) == coinbase.replay_key(genuine, {})
    another = {**covered, "x-event-id": "e-2"}
    other = request_for(
        {**another, "X-Hook0-Signature": documented(SECRET, now(), another, PAYLOAD)}, PAYLOAD
    )
    assert coinbase.replay_key(other, {}) != coinbase.replay_key(genuine, {})
