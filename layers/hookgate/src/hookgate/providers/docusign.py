"""DocuSign Connect (HMAC): `X-DocuSign-Signature-1: <base64 HMAC-SHA256 of the body>`, one
numbered header per active Connect key (`-1`, `-2`, ...); any may match any configured key.
The whole body is signed, byte for byte ("including line endings"), with the key used as its
UTF-8 text, as DocuSign's code examples (C#, Python) do; nothing else is signed: no timestamp,
no header (`X-Authorization-Digest: HMACSHA256` only names the algorithm).
https://developers.docusign.com/platform/webhooks/connect/hmac/

Only `X-DocuSign-Signature-1` to `-100` are read (an account holds at most 100 Connect keys
(third-party summaries; DocuSign's pages say "one header per key"), so more is no genuine
request). Connect messages carry no delivery id: the replay key is the body's digest. A retry
is a new signed message, though: JSON SIM bodies count retries in the signed `retryCount`
(`"retryCount":3` on the fourth attempt), so a delivery is also published once per its body
without `retryCount` (the signed JSON, re-serialized canonically): a retry of a published
message is a duplicate, as long as DocuSign changes nothing else (if it regenerated
`generatedDateTime`, the retry would be published again: at least once, never lost). Legacy
XML bodies are keyed on their digest alone. The event type is JSON SIM's `event`
(`envelope-completed`); legacy XML bodies are published as `webhook`.

PROVIDERS.md's note (one base64 HMAC header per key, no timestamp) matches the docs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hookgate.crypto import fingerprint
from hookgate.errors import MissingSignature
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
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE = HmacHeader("X-DocuSign-Signature-1", encoding="base64")
#: The numbered headers read: one per Connect key, at most this many keys.
MAX_KEYS = 100
_HEADERS = tuple(f"X-DocuSign-Signature-{n}" for n in range(1, MAX_KEYS + 1))


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    offered = [value for name in _HEADERS if (value := request.headers.get(name))]
    if not offered:
        raise MissingSignature()
    return SIGNATURE.verify_any(secret, offered, request.body)


def once_per_message(request: Request, payload: Any) -> str | None:
    """The signed JSON SIM message without its retry counter: what every retry shares."""
    if not isinstance(payload, Mapping) or "retryCount" not in payload or "event" not in payload:
        return None
    message = {name: value for name, value in payload.items() if name != "retryCount"}
    try:
        canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):  # keys of mixed types, deep nesting
        return None
    return "msg:" + fingerprint(canonical.encode("ascii"))


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {SIGNATURE.header: SIGNATURE.sign(secret, body), "X-Authorization-Digest": "HMACSHA256"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    account = "24dfce13-9dce-4aa0-ba12-da5389bb9d8a"
    generated = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.4233752Z")
    message = {
        "event": event_type,
        "apiVersion": "v2.1",
        "uri": f"/restapi/v2.1/accounts/{account}/envelopes/{delivery_id}",
        "retryCount": 0,
        "configurationId": 21752918,
        "generatedDateTime": generated,
        "data": {
            "accountId": account,
            "userId": "8c531060-928e-471d-9cac-b829f616b0bf",
            "envelopeId": delivery_id,
        },
    }
    return json.dumps(message, separators=(",", ":")).encode()


PROVIDER = Provider(
    name="docusign",
    verify=verify,
    delivery_id=no_signed_id,
    also_once_per=once_per_message,
    event_type=json_field("event"),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body",),
        digest_of="the body; also once per the JSON body without its `retryCount` (retries)",
    ),
    local=Local(sign=sign, example_body=example_body, example_event_type="envelope-completed"),
    deployment=Deployment(
        title="DocuSign",
        console=(
            "DocuSign (Admin > Connect > Add Configuration > Custom > URL to Publish, "
            "Include HMAC Signature; the key from Connect Keys > Add Secret Key)"
        ),
        secret=rotating("DocuSign Connect HMAC key"),
    ),
    docs=Docs(
        url="https://developers.docusign.com/platform/webhooks/connect/hmac/",
        summary="HMAC-SHA256 base64 over the body, one header per key",
        scheme="body → HMAC-SHA256 base64 (the Connect key as text); any header may match",
        headers="`X-DocuSign-Signature-1` … `-100` (one per active key), "
        "`X-Authorization-Digest: HMACSHA256`",
        event_type="body `event` (JSON SIM: `envelope-completed`); legacy XML: `webhook`",
        retries="retried on a non-2xx or timeout (with Require Acknowledgement); "
        "`retryCount` in the body counts the attempts",
        oracle="an independent HMAC-SHA256 written in the test from DocuSign's documentation "
        "and its Python code example (DocuSign publishes no verifier in an SDK)",
    ),
)
