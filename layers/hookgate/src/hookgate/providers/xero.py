"""Xero: `x-xero-signature: <base64 HMAC-SHA256 of the body>`, keyed with the app's webhook key
as its text; nothing else is signed (no timestamp). Xero wants every answer within 5 s, with
no body and no cookies: 200 for a correctly signed request, 401 for any other.
https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/

Intent to receive: when a subscription is created, re-enabled or its URL changed, Xero sends
a series of POSTs, correctly and incorrectly signed, whose body is
`{"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "…"}`. A signed
one is answered `200` with an empty body and not published (it carries no event); every
refusal of this provider has an empty body (`Provider.empty_refusals`), its 401 included, and
so has every acknowledgement, a duplicate's too. The answer is decided by the verified body
alone and computes nothing with the key.

A body carries several events (`events[]`: `resourceId`, `resourceUrl`, `eventDateUtc`,
`eventType`, `eventCategory`, `tenantId`, `tenantType`) and no delivery id: it is published
as one event, the whole signed body, keyed on the body's digest (the signed `entropy` makes
each payload's body its own; a retry repeats the payload). Its type is the events' shared
`<eventCategory>.<eventType>` (`INVOICE.UPDATE`), else `webhook` for a mixed batch: route
those on `detail.payload.events[].eventCategory` (EventBridge matches any array element).
Xero publishes no SDK that verifies webhooks (xero-python has no helper).
"""

from __future__ import annotations

import json
from typing import Any

from hookgate.material import SecretMaterial
from hookgate.payload import loads
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("x-xero-signature", encoding="base64")


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    # Decided by the signed body alone: an intent-to-receive request lists no events.
    try:
        payload = loads(request.body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("events") != []:
        return None
    return Reply()


def acknowledge(request: Request, payload: Any) -> Reply | None:
    return Reply()  # "There is no body in the response"


def event_type(request: Request, payload: Any) -> str | None:
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list):
        return None
    # Only strings count: a list where a name belongs is unhashable, and not a type.
    kinds = {
        f"{category}.{kind}"
        if isinstance(category := e.get("eventCategory"), str)
        and isinstance(kind := e.get("eventType"), str)
        else None
        for e in events
        if isinstance(e, dict)
    }
    if len(kinds) == 1 and (only := kinds.pop()) is not None:
        return only
    return None


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    category, _, kind = event_type.partition(".")
    event = {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{delivery_id}",
        "resourceId": delivery_id,
        "eventDateUtc": "2026-01-01T01:15:39.902",
        "eventType": kind or "UPDATE",
        "eventCategory": category,
        "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",
        "tenantType": "ORGANISATION",
    }
    payload = {
        "events": [event],
        "lastEventSequence": 1,
        "firstEventSequence": 1,
        "entropy": f"{timestamp}{delivery_id}".replace("-", "")[:20].upper(),
    }
    return json.dumps(payload).encode()


PROVIDER = Provider(
    name="xero",
    verify=SIGNATURE.verify_body,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",)),
    timeout_s=5.0,
    handshake=handshake,
    acknowledge=acknowledge,
    empty_refusals=True,
    local=Local(
        sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="INVOICE.UPDATE"
    ),
    deployment=Deployment(
        title="Xero",
        console="Xero (developer portal > your app > Webhooks > Delivery URL, then "
        "Send 'Intent To Receive')",
        secret=rotating("Xero webhook key"),
    ),
    docs=Docs(
        url="https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
        summary="HMAC-SHA256 base64 over the body; empty answers",
        scheme="body → HMAC-SHA256 base64 (the webhook key as text)",
        headers="`x-xero-signature`",
        event_type="the events' shared `<eventCategory>.<eventType>` (`INVOICE.UPDATE`), "
        "else `webhook`",
        retries="retried with decreasing frequency for up to 24 hours, then the webhook is "
        "disabled; 5 s timeout",
        oracle="an independent HMAC written in the test from Xero's documentation; the "
        "intent-to-receive answers byte for byte",
        handshake="signed intent to receive (`events: []`) → `200` with an empty body, not "
        "published; every answer has no body, `401` included",
        answers="intent to receive",
    ),
)
