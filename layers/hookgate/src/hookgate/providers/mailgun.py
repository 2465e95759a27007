"""Mailgun: hex HMAC-SHA256 over `timestamp + token` (no separator), keyed with the account's
HTTP webhook signing key. The signature travels in the body, beside the event it does not
cover: webhooks post JSON `{"signature": {"timestamp", "token", "signature"}, "event-data":
{...}}`; legacy webhooks and routes' `forward()` post form fields `timestamp`, `token`,
`signature` beside the event's or the message's fields. An event of a subaccount also carries
`parent-signature`, the same HMAC with the parent account's key: either may match.
https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks

What a verified delivery proves, and what it does not:

- Proven: someone holding the signing key issued this `(timestamp, token)` at `timestamp`,
  within the window (`MailgunToleranceSeconds`, else `ToleranceSeconds`), and hookgate has
  not published this token before (it is the replay key, kept `ReplayTtlSeconds`, which must
  outlast the window). The timestamp must be exactly 10 digits, so the signed string splits
  one way only: moving characters between timestamp and token (same HMAC, a new token and so
  a new replay key) is refused.
- Not proven: anything else in the body. `event-data` (and every form field but the three)
  may have been attached by anyone holding an unused `(timestamp, token, signature)`; the
  event type, read from it, too. The key is the account's, not this endpoint's: the same key
  signs every delivery of the account, to every URL (up to 3 per event type, every domain,
  every route, any third party given a webhook), so each receiver of any of them holds
  triples hookgate never consumed. It may attach any event to one and publish it here within
  the window. So may anyone who saw a delivery hookgate did not publish (refused, or answered
  503 when publishing failed: its token is released for the retry), and anyone in the path who
  wins the race against Mailgun's own request (which is then a duplicate, its event dropped).
  Once hookgate published a token, its triple is worth nothing: a duplicate for the replay TTL,
  stale after the window.
- So: consumers must treat the event as unsigned (it is published with `payload` and
  `event_type` in `verification.unsigned`) and confirm what matters with Mailgun's Events API;
  give hookgate a subaccount (its own key) whose deliveries go nowhere else; Mailgun's TLS
  client certificate (mutual TLS on a custom domain) proves the sender outside hookgate.

Mailgun's docs make the token cache and the time check optional; its SDK
(`mailgun.security.SecurityGuard.verify_webhook`, mailgun 1.10.0) allows 900 s either way and
caches nothing. Mailgun retries anything but 200 and 406 over 8 hours (5, 10, 15 min, 1, 2,
4 h); Mailgun does not say whether a retry is signed again, and third parties report that it
resends the first attempt's signature: if so, a retry later than the window is refused, and
widening `MailgunToleranceSeconds` trades that against a longer life for unused triples.
Routes' `forward()` of a message with attachments posts `multipart/form-data`, which hookgate
does not read (refused with 401); the store-and-notify route or webhooks work instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

from hookgate.config import DEFAULT_REPLAY_TTL_S, ENV_REPLAY_TTL_SECONDS
from hookgate.errors import BadSignature, ConfigurationError, MissingSignature
from hookgate.material import SecretMaterial
from hookgate.payload import loads
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Setting,
    Signed,
    Verification,
    form_field,
    json_field,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, within_window
from hookgate.request import Request

#: Where the signature is: the body's `signature` object (JSON) or form field.
SIGNATURE_FIELD = "signature"
SIGNATURE = HmacHeader(SIGNATURE_FIELD)  # hex, no prefix: `HmacHeader` compares the value given
TOLERANCE_VARIABLE = "HOOKGATE_MAILGUN_TOLERANCE_SECONDS"
#: Unix seconds have 10 digits until 2286: with the length fixed, `timestamp + token` has one
#: split, so the signature binds the token (the replay key) and not just the concatenation.
_TIMESTAMP_DIGITS = 10
#: Mailgun's tokens are 50 characters; anything much longer is not one.
_MAX_TOKEN = 256
#: Form posts with more fields than this are not Mailgun's (a route's has a few dozen).
_MAX_FORM_FIELDS = 1000


@dataclass(frozen=True, slots=True)
class _Triple:
    timestamp: str
    token: str
    #: `signature`, and `parent-signature` when the event is a subaccount's.
    signatures: tuple[str, ...]

    @property
    def signed(self) -> bytes:
        return (self.timestamp + self.token).encode("ascii")


def _signature_block(body: bytes) -> Mapping[str, Any]:
    """The `signature` object of a JSON body, or the form fields of any other.

    Chosen by the body, never by the (unsigned) Content-Type, so that the request verified and
    the token keyed on are read the same way whatever a resender claims the body is.
    """
    if body.lstrip()[:1] == b"{":
        try:
            data = loads(body)
        except ValueError:
            raise MissingSignature() from None
        block = data.get(SIGNATURE_FIELD) if isinstance(data, dict) else None
        if not isinstance(block, dict):
            raise MissingSignature()
        return block
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise MissingSignature() from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in ("timestamp", "token", SIGNATURE_FIELD, "parent-signature"):
            # A repeated field: which copy Mailgun signed is not for hookgate to guess.
            fields[name] = value if name not in fields else None
    return fields


def _triple(request: Request) -> _Triple:
    """The signed timestamp and token, and the offered signatures, read from the body.

    Raises:
        MissingSignature: no signature in the body.
        BadSignature: a timestamp, token or signature of the wrong shape.
    """
    block = _signature_block(request.body)
    timestamp, token = block.get("timestamp"), block.get("token")
    if SIGNATURE_FIELD not in block:
        raise MissingSignature()
    if isinstance(timestamp, int) and not isinstance(timestamp, bool):
        timestamp = str(timestamp)  # documented as an int; sent as a string
    if not (
        isinstance(timestamp, str)
        and len(timestamp) == _TIMESTAMP_DIGITS
        and timestamp.isascii()
        and timestamp.isdigit()
        and isinstance(token, str)
        and 0 < len(token) <= _MAX_TOKEN
        and token.isascii()
    ):
        raise BadSignature()
    offered = tuple(
        value
        for value in (block.get(SIGNATURE_FIELD), block.get("parent-signature"))
        if isinstance(value, str) and value
    )
    return _Triple(timestamp, token, offered)


def _verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    triple = _triple(request)
    verification = SIGNATURE.verify_any(secret, triple.signatures, triple.signed)
    return within_window(verification, int(triple.timestamp), now_s=now_s, tolerance_s=tolerance_s)


def delivery_id(request: Request, payload: Any) -> str | None:
    # Read from the body exactly as `_verify` read it (not from the parsed payload, whose shape
    # follows the unsigned Content-Type): the token the signature binds.
    return _triple(request).token


def signed_content(request: Request) -> Sequence[bytes]:
    return (_triple(request).signed,)


def _tolerance(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"{name} must be a positive whole number")
    return int(raw)


def configure(provider: Provider, environ: Mapping[str, str]) -> Provider:
    """Mailgun's own window, when `MailgunToleranceSeconds` sets one."""
    if not environ.get(TOLERANCE_VARIABLE, "").strip():
        return provider
    window = _tolerance(environ, TOLERANCE_VARIABLE, 0)
    if window >= _tolerance(environ, ENV_REPLAY_TTL_SECONDS, DEFAULT_REPLAY_TTL_S):
        # A token forgotten while its timestamp is still fresh would verify again.
        raise ConfigurationError(f"{TOLERANCE_VARIABLE} must be shorter than the replay TTL")

    def verify(
        request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        return _verify(request, secret, now_s=now_s, tolerance_s=window)

    return replace(provider, verify=verify)


_EVENT = json_field("event-data", "event")
_FORM_EVENT = form_field("event")


def event_type(request: Request, payload: Any) -> str | None:
    # Unsigned, as all of the event: `event-data.event`, or a legacy form webhook's `event`.
    return _EVENT(request, payload) or _FORM_EVENT(request, payload)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    # The signature travels in the body (see example_body); there is no header to add.
    return {}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    token = hashlib.sha256(delivery_id.encode()).hexdigest()[:50]  # 50 characters, as Mailgun's
    signature = SIGNATURE.sign(secret, f"{timestamp}{token}".encode())
    event = {
        "signature": {"token": token, "timestamp": str(timestamp), "signature": signature},
        "event-data": {
            "event": event_type,
            "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "timestamp": float(timestamp),
            "recipient": "alice@example.com",
            "recipient-domain": "example.com",
            "tags": ["my_tag_1"],
            "message": {
                "headers": {
                    "to": "Alice <alice@example.com>",
                    "message-id": "20130503182626.18666.16540@mg.example.com",
                    "from": "Bob <bob@mg.example.com>",
                    "subject": "Test delivered webhook",
                },
                "size": 111,
            },
            "delivery-status": {"code": 250, "message": "OK", "attempt-no": 1},
        },
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="mailgun",
    verify=_verify,
    delivery_id=delivery_id,
    event_type=event_type,
    signature_header=SIGNATURE_FIELD,
    signed=Signed(
        body=False,
        timestamp=True,
        covers=(
            "the body's `signature.timestamp` and `signature.token` (form: `timestamp`, "
            "`token`), not the event",
        ),
        id="body `signature.token` (form `token`), signed",
        digest_of="timestamp + token",
        content=signed_content,
        event_type=False,
        captured="nothing once published; a token hookgate never published (issued for "
        "another of the account's URLs, or refused or failed here) carries any event "
        "within the window",
    ),
    configure=configure,
    local=Local(sign=sign, example_body=example_body, example_event_type="delivered"),
    deployment=Deployment(
        title="Mailgun",
        console="Mailgun (Send > Sending > Webhooks > Add webhook, or a route's forward() URL)",
        secret=rotating("Mailgun HTTP webhook signing key"),
        settings=(
            Setting(
                TOLERANCE_VARIABLE,
                "MailgunToleranceSeconds",
                "",
                "the signed timestamp's window in seconds (empty: ToleranceSeconds). Mailgun "
                "retries over 8 hours, perhaps with the first signature; a longer window also "
                "gives unused signatures a longer life.",
            ),
        ),
    ),
    docs=Docs(
        url="https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
        summary="HMAC-SHA256 over timestamp + token, in the body; the event is unsigned",
        scheme=(
            "`timestamp + token` → HMAC-SHA256 hex with the HTTP webhook signing key "
            "(`signature`, or a subaccount's `parent-signature`); the event is not covered"
        ),
        headers=(
            "— (JSON body `signature: {timestamp, token, signature}`; form fields "
            "`timestamp`, `token`, `signature`)"
        ),
        event_type="body `event-data.event` (`delivered`, `opened`, ...) or form `event`; unsigned",
        retries="anything but 200 and 406 retried over 8 hours (5, 10, 15 min, 1, 2, 4 h)",
        oracle=(
            "`mailgun`'s `SecurityGuard.verify_webhook` accepts hookgate's signatures; hookgate "
            "accepts an HMAC computed in the test as Mailgun documents it (the SDK only "
            "verifies)"
        ),
        window="yes (body `signature.timestamp`; `MailgunToleranceSeconds`)",
    ),
)
