"""Discord interactions and Webhook Events: Ed25519 over `timestamp + body`, with the
application's public key (hex, from the developer portal; store it as the secret or as
`public_key`). `X-Signature-Ed25519` holds the signature, hex; `X-Signature-Timestamp` the
Unix time. Both kinds are signed alike, with the same key.

Interactions (the portal's Interactions Endpoint URL): Discord probes a new endpoint with a
deliberately bad signature and expects 401, then with a signed PING (type 1), answered
`{"type": 1}`. Every other interaction must be answered within 3 s, so hookgate publishes it
and answers with the deferred response Discord accepts for its type; the consumer completes the
interaction through Discord's API with the interaction token. The interaction `id` feeds the
replay guard.

Webhook Events (the portal's Webhooks > Endpoint URL; paste the same URL): the body is
`{"version": 1, "application_id": ..., "type": 0 | 1, "event"?: {"type", "timestamp",
"data"?}}`. A signed PING (`type` 0) is answered with an empty 204; an event (`type` 1) is
published as its `event.type` (`APPLICATION_AUTHORIZED`, `ENTITLEMENT_CREATE`, ...) and
acknowledged with an empty 204 within 3 s. They carry no id: the replay key is the body's
digest (the body holds the event's own `timestamp`, so two events differ; that a retry repeats
the body byte for byte is assumed, Discord does not say).

Which kind a request is comes from its signed body alone, never from the URL or a header a
resend could change: `type` 0, or `type` 1 with an `event` object, is a Webhook Event (no
interaction has type 0 or an `event` field); anything else an interaction. Interaction type 1
(PING) and webhook type 1 (an event) differ by that `event` object. One endpoint serves both,
so a captured delivery has one replay key whichever URL it is sent to.
https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint
https://discord.com/developers/docs/events/webhook-events
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from hookgate.errors import BadSignature, ConfigurationError
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
    json_field,
    require_header,
)
from hookgate.providers.schemes import parse_unix_time, within_window
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
PING = 1
#: Webhook Events' outer `type`: a PING, or an event described by the `event` object.
WEBHOOK_PING, WEBHOOK_EVENT = 0, 1
#: Interaction type -> its name, the published event type.
INTERACTION_TYPES = {
    1: "PING",
    2: "APPLICATION_COMMAND",
    3: "MESSAGE_COMPONENT",
    4: "APPLICATION_COMMAND_AUTOCOMPLETE",
    5: "MODAL_SUBMIT",
}
# Interaction type -> the deferred answer Discord accepts: "thinking..." for commands and
# modals (5), an acknowledged update for components (6), no suggestions for autocomplete (8).
_DEFERRED: dict[int, dict[str, Any]] = {
    2: {"type": 5},
    3: {"type": 6},
    4: {"type": 8, "data": {"choices": []}},
    5: {"type": 5},
}


@lru_cache(maxsize=8)
def _public_key(text: str) -> Ed25519PublicKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError as exc:
        raise ConfigurationError("the public key must be 32 bytes, hex") from exc


def _interaction_type(payload: Any) -> int | None:
    kind = payload.get("type") if isinstance(payload, dict) else None
    return kind if isinstance(kind, int) and not isinstance(kind, bool) else None


def _webhook_type(payload: Any) -> int | None:
    """The outer `type` of a Webhook Events body (0 PING, 1 event); None for an interaction."""
    kind = _interaction_type(payload)
    if kind == WEBHOOK_PING or (kind == WEBHOOK_EVENT and isinstance(payload.get("event"), dict)):
        return kind
    return None


#: The empty answer Webhook Events expect (Discord asks for a valid Content-Type even so).
_NO_CONTENT = Reply(status=204, body="", content_type="application/json")


def _parsed(body: bytes) -> Any:
    try:
        return loads(body)
    except ValueError:
        return None


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature

    try:
        signature = bytes.fromhex(require_header(request, SIGNATURE_HEADER))
    except ValueError as exc:
        raise BadSignature() from exc
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = parse_unix_time(timestamp)
    signed = timestamp.encode() + request.body
    for index, text in enumerate(secret.verification_keys()):
        try:
            _public_key(text).verify(signature, signed)
        except InvalidSignature:
            continue
        verification = Verification(scheme="ed25519", key_index=index, signature=signature)
        return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)
    raise BadSignature()


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    # The handshake runs before the body is parsed for publishing: a PING is never published.
    payload = _parsed(request.body)
    webhook = _webhook_type(payload)
    if webhook == WEBHOOK_PING:
        return _NO_CONTENT
    if webhook is None and _interaction_type(payload) == PING:
        return Reply.json({"type": PING})
    return None


def acknowledge(request: Request, payload: Any) -> Reply | None:
    if _webhook_type(payload) is not None:
        return _NO_CONTENT
    deferred = _DEFERRED.get(_interaction_type(payload) or 0)
    return Reply.json(deferred) if deferred is not None else None


_EVENT_TYPE = json_field("event", "type")
_INTERACTION_ID = json_field("id")


def event_type(request: Request, payload: Any) -> str | None:
    if _webhook_type(payload) is not None:
        return _EVENT_TYPE(request, payload)
    return INTERACTION_TYPES.get(_interaction_type(payload) or 0)


def delivery_id(request: Request, payload: Any) -> str | None:
    """An interaction's `id`; none for a Webhook Event (the replay key is the body's digest)."""
    return None if _webhook_type(payload) is not None else _INTERACTION_ID(request, payload)


def _private_key(seed_hex: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """`secret`: the signer's Ed25519 private key (32-byte seed), hex."""
    signature = _private_key(secret).sign(str(timestamp).encode() + body)
    return {
        SIGNATURE_HEADER: signature.hex(),
        TIMESTAMP_HEADER: str(timestamp),
        "User-Agent": "Discord-Interactions/1.0 (+https://discord.com)",
    }


def stored_secret(signing_secret: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = _private_key(signing_secret).public_key()
    return json.dumps({"public_key": public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()})


def new_secret() -> str:
    """A fresh Ed25519 seed, hex (what `sign` takes; the function stores its public half)."""
    return os.urandom(32).hex()


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    """An interaction of the type `event_type` names; any other name, a Webhook Event."""
    snowflake = str(int(delivery_id.replace("-", "")[:15], 16))
    kind = {name: number for number, name in INTERACTION_TYPES.items()}.get(event_type)
    if kind is None:
        occurred = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        user = {"id": snowflake, "username": "hookgate"}
        event = {"type": event_type, "timestamp": occurred, "data": {"user": user}}
        webhook = {"version": 1, "application_id": "1234567890", "type": 1, "event": event}
        return json.dumps(webhook).encode()
    interaction = {
        "id": snowflake,
        "application_id": "1234567890",
        "type": kind,
        "token": "interaction-token",
        "version": 1,
        "data": {"id": "9876543210", "name": "hello", "type": 1},
    }
    return json.dumps(interaction).encode()


PROVIDER = Provider(
    name="discord",
    verify=verify,
    delivery_id=delivery_id,
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        timestamp=True,
        covers=("body", "timestamp (`X-Signature-Timestamp`)"),
        id="body `id` (interactions; a Webhook Event has none: a digest of the body)",
        headers=(TIMESTAMP_HEADER,),
        captured="nothing: a resend is a duplicate, and stale after the window",
    ),
    timeout_s=3.0,
    handshake=handshake,
    acknowledge=acknowledge,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="APPLICATION_COMMAND",
        stored_secret=stored_secret,
        new_secret=new_secret,
        dev_secret="686f6f6b676174652d6c6f63616c2d6465762d646973636f72642d7365656421",
    ),
    deployment=Deployment(
        title="Discord",
        console=(
            "Discord (Developer Portal > application > Interactions Endpoint URL, and/or "
            "Webhooks > Endpoint URL, the same URL)"
        ),
        secret=(
            'Discord application public key (hex): a plain string, or JSON {"public_key": [...]}.'
        ),
    ),
    docs=Docs(
        url="https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint",
        summary="Ed25519 over timestamp + body",
        scheme="`timestamp + body` → Ed25519, signature hex, application public key hex",
        headers="`X-Signature-Ed25519`, `X-Signature-Timestamp`",
        event_type=(
            "`APPLICATION_COMMAND`, `MESSAGE_COMPONENT`, `APPLICATION_COMMAND_AUTOCOMPLETE`, "
            "`MODAL_SUBMIT` (from body `type`); Webhook Events: body `event.type` "
            "(`APPLICATION_AUTHORIZED`, `ENTITLEMENT_CREATE`, ...)"
        ),
        retries="interactions: none; Webhook Events: with backoff for up to 10 minutes",
        oracle="PyNaCl signs, hookgate verifies; hookgate signs, PyNaCl verifies",
        handshake=(
            'signed PING → `200 {"type":1}`; a bad signature → 401 (Discord probes it); other '
            "interactions published and answered within the 3 s limit with a deferred response: "
            'commands and modals `{"type":5}`, components `{"type":6}`, autocomplete '
            '`{"type":8,"data":{"choices":[]}}` — the consumer completes them through Discord\'s '
            "API. Webhook Events: signed PING (`type` 0) → empty `204`; events (`type` 1 with "
            "an `event`) published and answered with an empty `204`"
        ),
        answers="PING, deferred answers, Webhook Events `204`",
    ),
)
