"""Microsoft Graph change notifications.

Graph signs nothing. A new subscription is validated by a POST to
`<notificationUrl>?validationToken=<token>`, answered within 10 s with the URL-decoded token as
`text/plain`. Every notification then carries the `clientState` given when subscribing: a
delivery verifies when every notification in it carries a configured secret (constant time).
Graph expects `202 Accepted`. No delivery id exists: the body's digest feeds the replay guard.
https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from hookgate.errors import BadSignature, MissingSignature
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
from hookgate.request import Request

VALIDATION_PARAMETER = "validationToken"
SIGNATURE_FIELD = "clientState"


def _notifications(request: Request) -> list[Any]:
    try:
        payload = loads(request.body)
    except ValueError:
        raise MissingSignature() from None
    notifications = payload.get("value") if isinstance(payload, dict) else None
    if not isinstance(notifications, list) or not notifications:
        raise MissingSignature()
    return notifications


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    states = []
    for notification in _notifications(request):
        state = notification.get(SIGNATURE_FIELD) if isinstance(notification, dict) else None
        if not isinstance(state, str) or not state:
            raise MissingSignature()
        states.append(state.encode("utf-8", "replace"))
    for index, key in enumerate(secret.signing_keys()):
        if all(hmac.compare_digest(key, state) for state in states):
            return Verification(scheme="client-state", key_index=index, signature=states[0])
    raise BadSignature()


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    token = request.query.get(VALIDATION_PARAMETER)
    if token is None:
        return None
    return Reply(body=token[0], content_type="text/plain")


def acknowledge(request: Request, payload: Any) -> Reply:
    return Reply(status=202)


def event_type(request: Request, payload: Any) -> str | None:
    # "created", "updated", "deleted", or a lifecycle event ("reauthorizationRequired").
    notifications = payload.get("value") if isinstance(payload, dict) else None
    first = notifications[0] if isinstance(notifications, list) and notifications else None
    if not isinstance(first, dict):
        return None
    kind = first.get("lifecycleEvent") or first.get("changeType")
    return kind if isinstance(kind, str) else None


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    # The client state travels in the body (see example_body); there is no header to add.
    return {}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    notification = {
        "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
        "subscriptionExpirationDateTime": "2026-12-01T11:00:00.0000000Z",
        "changeType": event_type,
        "resource": f"Users/{delivery_id}/Messages/AAMkADhAAAW-VPeAAA=",
        SIGNATURE_FIELD: secret,
        "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
    }
    return json.dumps({"value": [notification]}).encode()


PROVIDER = Provider(
    name="msgraph",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE_FIELD,
    signed=Signed(
        body=False,
        covers=("nothing: each notification's `clientState` must equal the secret",),
        event_type=False,
        captured="everything: the client state it carries lets anyone send any delivery",
    ),
    timeout_s=3.0,
    handshake=handshake,
    handshake_before_verify=True,
    acknowledge=acknowledge,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="created",
        dev_secret="hookgate-local-dev-client-state-msgraph",
    ),
    deployment=Deployment(
        title="Microsoft Graph",
        console="Microsoft Graph (subscription notificationUrl)",
        secret=rotating("The subscription clientState"),
    ),
    docs=Docs(
        url="https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
        summary="`clientState` (constant time)",
        scheme=(
            "nothing signed: every notification's `clientState` must equal the secret (constant "
            "time)"
        ),
        headers="—",
        event_type="first notification's `lifecycleEvent` or `changeType`",
        retries="retried for up to 4 hours",
        oracle=(
            "an independent check (clientState compared) written in the test from the provider "
            "documentation"
        ),
        handshake=(
            "`POST ?validationToken=t` → `200 text/plain t` (decoded) within 10 s; notifications "
            "answered `202`"
        ),
        answers="`validationToken`",
    ),
)
