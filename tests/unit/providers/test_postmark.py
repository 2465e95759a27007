"""Postmark: nothing is signed; hookgate accepts the `Authorization: Basic` header Postmark
sends for credentials in the webhook URL, written here from RFC 7617 (base64 of
`user:password`), and nothing else. The header never reaches a log or an event."""

from __future__ import annotations

import base64
import json

from hookgate import providers
from hookgate.payload import body_fields, parse_payload
from tests.support.oracles import rejects, request_for, sign, verify

CREDENTIALS = "hooks:s3cr3t-p@ss:with-colon"
BODY = (
    b'{"RecordType": "Delivery", "ServerID": 23, "MessageStream": "outbound", '
    b'"MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "Recipient": "john@example.com", '
    b'"DeliveredAt": "2019-11-05T16:33:54.9070259Z", "Details": "Test delivery webhook details"}'
)


def basic(credentials: str) -> dict[str, str]:
    """What a client sends for `https://<credentials>@host/` (RFC 7617)."""
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_the_credentials_of_the_webhook_url_are_accepted_under_any_case_of_basic() -> None:
    assert verify("postmark", request_for(basic(CREDENTIALS), BODY), CREDENTIALS).key_index == 0
    lower = {"Authorization": basic(CREDENTIALS)["Authorization"].replace("Basic", "basic")}
    assert verify("postmark", request_for(lower, BODY), CREDENTIALS)
    rotating = json.dumps({"signing_secrets": ["hooks:new-password", CREDENTIALS]})
    assert verify("postmark", request_for(basic(CREDENTIALS), BODY), rotating).key_index == 1


def test_other_credentials_schemes_and_encodings_are_refused() -> None:
    refused = [
        basic("hooks:another-password"),
        basic("hooks:s3cr3t-p%40ss:with-colon"),  # still percent-encoded: not what Postmark sends
        {"Authorization": "Bearer " + base64.b64encode(CREDENTIALS.encode()).decode()},
        {"Authorization": CREDENTIALS},
        {"Authorization": "Basic " + base64.urlsafe_b64encode(b"\xfb\xff" + b"x").decode()},
        {"Authorization": "Basic " + base64.b64encode(CREDENTIALS.encode()).decode() + "A" * 2000},
        {},
    ]

    for headers in refused:
        assert rejects("postmark", request_for(headers, BODY), CREDENTIALS), headers


def test_the_body_is_not_covered_and_is_keyed_on_its_digest() -> None:
    definition = providers.get("postmark")
    forged = BODY.replace(b"Delivery", b"Bounce")

    # Whoever holds the credentials may send any body: Basic authenticates the sender only.
    assert verify("postmark", request_for(basic(CREDENTIALS), forged), CREDENTIALS)
    request = request_for(basic(CREDENTIALS), BODY)
    fields = body_fields(request, parse_payload(request))
    assert definition.replay_key(request, fields) != "883953f4-6105-42a2-a16a-77a8eac79483"
    assert definition.event_type(request, fields) == "Delivery"
    assert not definition.signed.body
    assert "authorization" not in definition.published_headers


def test_inbound_messages_have_their_own_type() -> None:
    inbound = b'{"MessageStream": "inbound", "MessageID": "22c74902", "From": "a@example.com"}'
    request = request_for(basic(CREDENTIALS), inbound)

    fields = body_fields(request, parse_payload(request))

    assert providers.get("postmark").event_type(request, fields) == "Inbound"


def test_hookgate_sends_what_postmark_sends() -> None:
    assert sign("postmark", CREDENTIALS, BODY) == basic(CREDENTIALS)
