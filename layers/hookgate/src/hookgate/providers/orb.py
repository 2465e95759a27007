"""Orb: `X-Orb-Signature: v1=<hex HMAC-SHA256 of "v1:<X-Orb-Timestamp>:<body>">` (several
space-separated entries may be sent; any may match), where `X-Orb-Timestamp` is an ISO 8601
time, UTC when it names no zone. The body carries the event's `id` and `type`.
https://docs.withorb.com/guides/integrations-and-exports/webhooks
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, within_window
from hookgate.request import Request

SIGNATURE = HmacHeader("X-Orb-Signature", prefix="v1=")
TIMESTAMP_HEADER = "X-Orb-Timestamp"
#: The ISO 8601 times Orb sends (`2024-03-27T15:42:29.551`), nothing looser.
_ISO_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
MAX_ENTRIES = 10


def _signed_at(text: str) -> int:
    if not _ISO_TIME.fullmatch(text):
        raise BadSignature()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:  # 2026-02-30 and the like
        raise BadSignature() from exc
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _signed_prefix(timestamp: str) -> bytes:
    return b"v1:" + timestamp.encode() + b":"


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    entries = require_header(request, SIGNATURE.header).split()
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = _signed_at(timestamp)
    if len(entries) > MAX_ENTRIES:
        raise BadSignature()
    offered = [entry for entry in entries if entry.startswith("v1=")]
    verification = SIGNATURE.verify_any(secret, offered, _signed_prefix(timestamp), request.body)
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    iso = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, _signed_prefix(iso), body),
        TIMESTAMP_HEADER: iso,
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    created = datetime.fromtimestamp(timestamp, UTC).isoformat()
    return json.dumps(
        {"id": delivery_id, "created_at": created, "type": event_type, "properties": {}}
    ).encode()


PROVIDER = Provider(
    name="orb",
    verify=verify,
    delivery_id=json_field("id"),
    event_type=json_field("type"),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body", "timestamp (`X-Orb-Timestamp`)"),
        id="body `id`",
        headers=(TIMESTAMP_HEADER,),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    local=Local(sign=sign, example_body=example_body, example_event_type="invoice.issued"),
    deployment=Deployment(
        title="Orb",
        console="Orb (Developers > Webhooks > Add endpoint)",
        secret=rotating("Orb webhook secret"),
    ),
    docs=Docs(
        url="https://docs.withorb.com/guides/integrations-and-exports/webhooks",
        summary="HMAC-SHA256 over `v1:ts:body` (ISO 8601 time), timestamp window",
        scheme='`"v1:<X-Orb-Timestamp>:" + body` → HMAC-SHA256 hex; the secret as text',
        headers="`X-Orb-Signature: v1=<hex>[ v1=<hex>]`, `X-Orb-Timestamp` (ISO 8601)",
        event_type="body `type` (`invoice.issued`; `resource_event.test`)",
        retries="not documented",
        oracle="`orb-billing` SDK: `client.webhooks.verify_signature` accepts hookgate's "
        "signatures; its published test vector",
    ),
)
