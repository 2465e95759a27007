"""Coinbase Developer Platform (CDP) webhooks, delivered by Hook0:
`X-Hook0-Signature: t=<unix>,h=<names>,v1=<hex HMAC-SHA256>`, keyed with the subscription's
`secret`, over `<t>.<names>.<values>.<body>`: `names` is `h` as sent (lower-case header names
joined by spaces), `values` those headers' values in the same order joined by `.`. CDP's docs
give this concatenation; Hook0's sender (`output-worker`) signs every header it sends, sorted
(`content-type x-event-id x-event-type`, plus the subscription's own headers), and may also send
`v0` (`<t>.<body>`), which hookgate ignores: a right `v0` never rescues a wrong `v1`.

The sender chooses `h`, so nothing is read from a header it does not list: a listed header must
arrive exactly once (never signed as empty), names must be tokens without `.`, at most 32, and
the event type is `X-Event-Type` only when listed, else the body's `eventType`. The window is
5 minutes both ways (CDP's docs check only the past).

`.` joins values that may hold `.` themselves (`onchain.activity.detected`), so a captured
delivery's signed text could be cut again between adjacent values or the body: the replay key
is a digest of that whole text without the timestamp (names, values, body), the same however
it is cut, so any such resend is a duplicate. `X-Event-Id` is signed when listed, but a re-cut
could move text into it; it is published, not keyed on. CDP retries (up to 60 times, backing
off) repeat headers and body: the same key. The notes' legacy Commerce `X-CC-Webhook-Signature`
is another product, not accepted here.
https://docs.cdp.coinbase.com/webhooks/verify-signatures
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from hookgate.errors import BadSignature, Unauthorized
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_unix_time, within_window
from hookgate.request import Request

SIGNATURE_HEADER = "X-Hook0-Signature"
EVENT_TYPE_HEADER = "X-Event-Type"
EVENT_ID_HEADER = "X-Event-Id"
DIGEST = HmacHeader(SIGNATURE_HEADER)
#: A covered header's name: a token without `.` (the separator of the signed text).
_NAME = re.compile(r"[a-z0-9_-]{1,64}", re.ASCII)
_MAX_NAMES = 32
_MAX_PARTS = 8


def _parse(header: str) -> tuple[str, str, str]:
    """`t`, `h` and `v1`, each exactly once; other parts (`v0`) are ignored.

    Raises:
        BadSignature: a part missing or repeated, or `h` not a list of header names.
    """
    parts = header.split(",")
    if len(parts) > _MAX_PARTS:
        raise BadSignature()
    fields: dict[str, str] = {}
    for part in parts:
        key, separator, value = part.partition("=")
        if not separator:
            raise BadSignature()
        if key in ("t", "h", "v1"):
            if key in fields:
                raise BadSignature()
            fields[key] = value
    if len(fields) != 3:
        raise BadSignature()
    names = fields["h"].split(" ")
    if (
        len(names) > _MAX_NAMES
        or len(set(names)) != len(names)
        or not all(_NAME.fullmatch(name) for name in names)
        or SIGNATURE_HEADER.lower() in names
    ):
        raise BadSignature()
    return fields["t"], fields["h"], fields["v1"]


def _values(request: Request, names: str) -> bytes:
    values = []
    for name in names.split(" "):
        received = request.headers.get_all(name)
        if len(received) != 1:  # absent, or repeated: which copy was signed?
            raise BadSignature()
        values.append(received[0])
    return ".".join(values).encode("utf-8")


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    timestamp, names, offered = _parse(require_header(request, SIGNATURE_HEADER))
    signed_at = parse_unix_time(timestamp)
    values = _values(request, names)
    verification = DIGEST.verify(
        request,
        secret,
        timestamp.encode(),
        b".",
        names.encode(),
        b".",
        values,
        b".",
        request.body,
        offered=offered,
    )
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def signed_content(request: Request) -> tuple[bytes, ...]:
    """The signed text without its timestamp: names, values, body (read after verification,
    when the header always parses; the body alone otherwise, so the function is total)."""
    try:
        _, names, _ = _parse(require_header(request, SIGNATURE_HEADER))
        values = _values(request, names)
    except Unauthorized:
        return (request.body,)
    return names.encode(), b".", values, b".", request.body


def event_type(request: Request, payload: Any) -> str | None:
    try:
        _, names, _ = _parse(require_header(request, SIGNATURE_HEADER))
    except Unauthorized:
        names = ""
    if EVENT_TYPE_HEADER.lower() in names.split(" "):
        return request.headers.get(EVENT_TYPE_HEADER) or None
    return json_field("eventType")(request, payload)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    # As Hook0 sends them: every header, names lower-cased and sorted, covered by `v1`.
    covered = {"content-type": "application/json", "x-event-id": delivery_id}
    covered["x-event-type"] = event_type
    names = " ".join(sorted(covered))
    values = ".".join(covered[name] for name in sorted(covered))
    digest = DIGEST.sign(secret, f"{timestamp}.{names}.{values}.".encode(), body)
    return {
        "Content-Type": covered["content-type"],
        EVENT_ID_HEADER: delivery_id,
        EVENT_TYPE_HEADER: event_type,
        SIGNATURE_HEADER: f"t={timestamp},h={names},v1={digest}",
        "User-Agent": "hook0-output-worker",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    occurred = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "eventId": delivery_id,
        "eventType": event_type,
        "timestamp": occurred,
        "data": {
            "network": "base-mainnet",
            "transactionHash": "0x" + delivery_id.replace("-", "").ljust(64, "0")[:64],
            "contractAddress": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            "eventName": "Transfer",
        },
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="coinbase",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        content=signed_content,
        covers=(
            "timestamp (`t`)",
            "the header names in `h` and those headers' values",
            "body",
        ),
        digest_of="the names in `h`, their headers' values and the body",
        captured="nothing: a resend is a duplicate (however its signed text is cut), and stale "
        "after the window",
        timestamp=True,
    ),
    forwarded_headers=(EVENT_ID_HEADER, EVENT_TYPE_HEADER),
    local=Local(
        sign=sign, example_body=example_body, example_event_type="wallet.activity.detected"
    ),
    deployment=Deployment(
        title="Coinbase (CDP)",
        console="Coinbase CDP (webhook subscription `target.url`; its `secret`)",
        secret=rotating("CDP webhook subscription secret"),
    ),
    docs=Docs(
        url="https://docs.cdp.coinbase.com/webhooks/verify-signatures",
        summary="HMAC-SHA256 over `t.names.values.body` (Hook0 `v1`), timestamp window",
        scheme=(
            '`"<t>.<h>." + listed headers\' values joined by "." + "." + body` → HMAC-SHA256 '
            "hex (subscription secret); every listed header required, once"
        ),
        headers="`X-Hook0-Signature: t=<unix>,h=<names>,v1=<hex>`",
        event_type="`X-Event-Type` when listed in `h`, else body `eventType`",
        retries="at least once; up to 60 retries with exponential backoff",
        oracle=(
            "Hook0's published conformance vectors and its sender's own test vector; an "
            "independent HMAC written in the test from CDP's docs, both ways"
        ),
    ),
)
