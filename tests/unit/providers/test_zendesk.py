"""Zendesk: hookgate agrees with an HMAC computed here as Zendesk's verifying page documents it
(`base64(HMACSHA256(TIMESTAMP + BODY))`, the secret as text), both ways; Zendesk publishes no
SDK that verifies webhooks. Its older page's published vector, which reproduces body +
timestamp, is refused on purpose (see the module's docstring)."""

from __future__ import annotations

from datetime import UTC, datetime

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.payload import body_fields, parse_payload
from hookgate.request import Request
from tests.support.oracles import b64, hmac_digest, now, rejects, request_for, sign, verify

#: The older page's example: secret, body, timestamp and the signature it printed.
OLD_PAGE_SECRET = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA="
OLD_PAGE_BODY = b'{"say": "hello"}'
OLD_PAGE_TIMESTAMP = "2021-07-25T10:00:00Z"
OLD_PAGE_SIGNATURE = "tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="
OLD_PAGE_AT = datetime(2021, 7, 25, 10, 0, tzinfo=UTC).timestamp()

SECRET = "zendesk-signing-secret-0123"
BODY = (
    b'{"account_id":22129848,"detail":{"id":"6596848315901"},"event":{},'
    b'"id":"cbe4028c-7239-495d-b020-f22348516046","subject":"zen:user:6596848315901",'
    b'"time":"2022-04-12T04:40:42.742485464Z","type":"zen:event-type:user.created",'
    b'"zendesk_event_version":"2022-06-20"}'
)


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def headers(secret: str, body: bytes, timestamp: str) -> dict[str, str]:
    """What Zendesk sends, computed as its page says: timestamp + body, no separator."""
    return {
        "X-Zendesk-Webhook-Signature": b64(hmac_digest(secret, timestamp.encode() + body)),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
    }


def test_a_delivery_signed_as_documented_verifies() -> None:
    sent = headers(SECRET, BODY, iso(now()))

    verification = verify("zendesk", request_for(sent, BODY), SECRET)

    assert verification.key_index == 0
    assert verification.signed_at_s is not None


def test_the_old_pages_vector_is_body_then_timestamp_and_is_refused() -> None:
    # The vector reproduces body + timestamp (so the old page's formula matched its example)...
    body_first = b64(hmac_digest(OLD_PAGE_SECRET, OLD_PAGE_BODY + OLD_PAGE_TIMESTAMP.encode()))
    assert body_first == OLD_PAGE_SIGNATURE
    sent = {
        "X-Zendesk-Webhook-Signature": OLD_PAGE_SIGNATURE,
        "X-Zendesk-Webhook-Signature-Timestamp": OLD_PAGE_TIMESTAMP,
    }
    # ...which hookgate does not accept; the same inputs signed as the current page says do.
    request = request_for(sent, OLD_PAGE_BODY)
    assert rejects_at(request, OLD_PAGE_SECRET, OLD_PAGE_AT)
    current = headers(OLD_PAGE_SECRET, OLD_PAGE_BODY, OLD_PAGE_TIMESTAMP)
    assert verify("zendesk", request_for(current, OLD_PAGE_BODY), OLD_PAGE_SECRET, at=OLD_PAGE_AT)


def rejects_at(request: Request, secret: str, at: float) -> bool:
    try:
        verify("zendesk", request, secret, at=at)
    except Unauthorized:
        return True
    return False


def test_times_out_of_the_window_unix_times_and_a_moved_zone_are_refused() -> None:
    for offset in (-301, 301):
        sent = headers(SECRET, BODY, iso(now() + offset))
        assert rejects("zendesk", request_for(sent, BODY), SECRET)
    unix = str(now())
    assert rejects("zendesk", request_for(headers(SECRET, BODY, unix), BODY), SECRET)
    # `…:27` + `Z{…}` signs the same bytes as `…:27Z` + `{…}`: a time without its `Z` is refused.
    stamp = iso(now())
    genuine = headers(SECRET, BODY, stamp)
    moved = {**genuine, "X-Zendesk-Webhook-Signature-Timestamp": stamp[:-1]}
    assert rejects("zendesk", request_for(moved, b"Z" + BODY), SECRET)
    assert rejects("zendesk", request_for(genuine, BODY.replace(b"user", b"usEr", 1)), SECRET)


def _key_and_type(sent: dict[str, str], body: bytes) -> tuple[str, str | None]:
    definition = providers.get("zendesk")
    request = request_for(sent, body)
    fields = body_fields(request, parse_payload(request))
    return definition.replay_key(request, fields), definition.event_type(request, fields)


def test_events_are_keyed_on_their_id_and_trigger_bodies_on_time_and_body() -> None:
    first, retry = headers(SECRET, BODY, iso(now())), headers(SECRET, BODY, iso(now() + 2))
    assert _key_and_type(first, BODY) == (
        "cbe4028c-7239-495d-b020-f22348516046",
        "zen:event-type:user.created",
    )
    assert _key_and_type(retry, BODY) == _key_and_type(first, BODY)
    # A trigger's body is the admin's: its `id` is a ticket's, and it repeats on every firing.
    trigger = b'{"id": "{{ticket.id}}", "type": "ticket", "status": "open"}'
    once, twice = headers(SECRET, trigger, iso(now())), headers(SECRET, trigger, iso(now() + 60))
    assert verify("zendesk", request_for(once, trigger), SECRET)
    key, kind = _key_and_type(once, trigger)
    assert kind is None
    assert key != "{{ticket.id}}"
    assert key != _key_and_type(twice, trigger)[0]


def test_hookgate_signs_as_zendesk_does() -> None:
    ours = sign("zendesk", SECRET, BODY)
    stamp = ours["X-Zendesk-Webhook-Signature-Timestamp"]

    assert (
        ours["X-Zendesk-Webhook-Signature"]
        == headers(SECRET, BODY, stamp)["X-Zendesk-Webhook-Signature"]
    )
