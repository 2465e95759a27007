"""HubSpot (app webhooks): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256(client secret,
method + URI + body + timestamp)>`, the timestamp being `X-HubSpot-Request-Timestamp` in Unix
milliseconds, refused outside the window both ways (HubSpot's docs and SDK bound only the past,
5 minutes). The URI is the full URL HubSpot called (scheme, host, path, query) in its signed
form: HubSpot's docs say to decode `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B` before
signing, which the SDKs (Python, Node) do not do; hookgate follows the docs, so both agree on
every URL without those escapes. The URL is the one the request arrived at (API Gateway's
`domainName`, never the `Host` header), or `HOOKGATE_PUBLIC_URL` behind a custom domain.

Method, URI, body and timestamp are run together without separators, so hookgate refuses what
would let a captured delivery be cut elsewhere: the body must start with `[` or `{` (HubSpot
posts a JSON array) and the URL hold neither after its host, and the timestamp must be a
canonical number (no leading zero), so moving digits between body and timestamp changes it
tenfold, out of the window.

Legacy signatures (`X-HubSpot-Signature: <hex SHA-256(secret + body)>` for v1, `(secret +
method + URI + body)` for v2, named by the unsigned `X-HubSpot-Signature-Version`) sign no
timestamp, and v1 not the URL: a captured delivery verifies forever, only the replay record
(`HOOKGATE_REPLAY_TTL_SECONDS`) stopping it. They are refused unless the `HubSpotSignatures`
parameter is `legacy`, and even then only on requests carrying neither v3 header (a request with
one is v3 or nothing); turning it on lets anyone strip a captured delivery's v3 headers. They are a
plain hash of secret and content, open to length extension: a legacy body must also be UTF-8
JSON text, which the padding an extension appends never is.

No id is signed that is unique (the body's `eventId` is "not guaranteed to be unique"): the
replay key is a digest of the body's events without their `attemptNumber`, which HubSpot raises
on each retry, so a retry of a delivery already published is a duplicate.
https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from hookgate.crypto import match_any
from hookgate.errors import BadSignature, ConfigurationError
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Setting,
    Signed,
    Verification,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_unix_time, within_window
from hookgate.request import Request

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
LEGACY_HEADER = "X-HubSpot-Signature"
VERSION_HEADER = "X-HubSpot-Signature-Version"
SIGNATURE = HmacHeader(SIGNATURE_HEADER, encoding="base64")
ENV_SIGNATURES = "HOOKGATE_HUBSPOT_SIGNATURES"
#: What HubSpot's docs decode in the URI before signing (and no other escape).
_DECODED = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)


def signed_uri(url: str) -> str:
    """`url` as HubSpot signs it: the escapes of its docs' table decoded."""
    return _DECODED.sub(lambda m: chr(int(m.group(1), 16)), url)


def _body_framed(request: Request) -> None:
    if request.body[:1] not in (b"[", b"{"):
        raise BadSignature()


def _method_uri_body(request: Request) -> tuple[bytes, bytes, bytes]:
    """The signed method, URI and body, refused where their boundaries could move."""
    uri = signed_uri(request.url)
    parts = urlsplit(uri)
    _body_framed(request)
    if any(c in parts.path + parts.query for c in "[{"):
        raise BadSignature()
    return request.method.encode(), uri.encode("utf-8"), request.body


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    offered = require_header(request, SIGNATURE_HEADER)
    timestamp = require_header(request, TIMESTAMP_HEADER)
    signed_at = parse_unix_time(timestamp, milliseconds=True)
    if timestamp.startswith("0"):
        raise BadSignature()
    parts = _method_uri_body(request)
    verification = SIGNATURE.verify(request, secret, *parts, timestamp.encode(), offered=offered)
    return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)


def _legacy_digest(key: bytes, *parts: bytes) -> bytes:
    digest = hashlib.sha256(key)
    for part in parts:
        digest.update(part)
    return digest.hexdigest().encode()


def verify_with_legacy(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    """v3, or v1/v2 on a request that carries neither v3 header."""
    if SIGNATURE_HEADER in request.headers or TIMESTAMP_HEADER in request.headers:
        return verify(request, secret, now_s=now_s, tolerance_s=tolerance_s)
    offered = require_header(request, LEGACY_HEADER).encode("utf-8", "replace")
    version = request.headers.get(VERSION_HEADER)
    if version == "v2":
        parts: tuple[bytes, ...] = _method_uri_body(request)
    elif version == "v1":
        _body_framed(request)
        parts = (request.body,)
    else:
        raise BadSignature()
    match = match_any(secret.signing_keys(), (offered,), lambda key: _legacy_digest(key, *parts))
    try:  # after the match: an attacker learns nothing from which check failed
        json.loads(request.body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise BadSignature() from exc
    return Verification(f"sha256-{version}", match.key_index, match.signature)


def signed_content(request: Request) -> tuple[bytes, ...]:
    """The body's events without `attemptNumber`, in one spelling; the body itself when it is
    not a JSON array of objects."""
    try:
        events = json.loads(request.body)
    except (ValueError, RecursionError):
        return (request.body,)
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return (request.body,)
    attempts_left_out = [{k: v for k, v in e.items() if k != "attemptNumber"} for e in events]
    canonical = json.dumps(attempts_left_out, sort_keys=True, separators=(",", ":"))
    return (b"hubspot-events:", canonical.encode())


def event_type(request: Request, payload: Any) -> str | None:
    # The events' shared `subscriptionType` (`contact.creation`); a mixed batch has none.
    if not isinstance(payload, list):
        return None
    types = {
        kind if isinstance(kind := e.get("subscriptionType"), str) else None
        for e in payload
        if isinstance(e, dict)
    }
    if len(types) == 1 and (only := types.pop()) is not None:
        return only
    return None


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    millis = str(timestamp * 1000)
    v3 = SIGNATURE.sign(secret, b"POST", signed_uri(url).encode(), body, millis.encode())
    return {  # HubSpot sends v1 beside v3, for backward compatibility
        SIGNATURE_HEADER: v3,
        TIMESTAMP_HEADER: millis,
        LEGACY_HEADER: _legacy_digest(secret.encode(), body).decode(),
        VERSION_HEADER: "v1",
        "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    event = {
        "eventId": int(hashlib.sha256(delivery_id.encode()).hexdigest()[:8], 16),
        "subscriptionId": 12345,
        "portalId": 62515,
        "appId": 54321,
        "occurredAt": timestamp * 1000,
        "subscriptionType": event_type,
        "attemptNumber": 0,
        "objectId": 123,
        "changeSource": "CRM",
        "changeFlag": "NEW",
    }
    return json.dumps([event], separators=(",", ":")).encode()


LEGACY_SIGNED = Signed(
    content=signed_content,
    covers=(
        "body",
        "method and URL (v3, v2)",
        "timestamp (v3 only: `X-HubSpot-Request-Timestamp`)",
    ),
    digest_of="the body's events without `attemptNumber`",
    captured="a legacy-signed delivery, stripped of its v3 headers, verifies forever: it is "
    "a duplicate until its replay record expires, then published again",
)


def configure(provider: Provider, environ: Mapping[str, str]) -> Provider:
    value = (environ.get(ENV_SIGNATURES) or "v3").strip().lower()
    if value not in ("v3", "legacy"):
        raise ConfigurationError(f"{ENV_SIGNATURES} must be v3 or legacy")
    if value == "v3":
        return provider
    return replace(provider, verify=verify_with_legacy, signed=LEGACY_SIGNED)


PROVIDER = Provider(
    name="hubspot",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        content=signed_content,
        covers=(
            "method",
            "URL (HubSpot's escapes decoded)",
            "body",
            "timestamp (`X-HubSpot-Request-Timestamp`, ms)",
        ),
        headers=(TIMESTAMP_HEADER,),
        digest_of="the body's events without `attemptNumber`",
        captured="nothing: a resend (or a HubSpot retry) is a duplicate, and stale after the "
        "window",
        timestamp=True,
    ),
    configure=configure,
    timeout_s=5.0,
    local=Local(sign=sign, example_body=example_body, example_event_type="contact.creation"),
    deployment=Deployment(
        title="HubSpot",
        console="HubSpot (app > Webhooks > Target URL; the app's client secret)",
        secret=rotating("HubSpot app client secret"),
        settings=(
            Setting(
                ENV_SIGNATURES,
                "HubSpotSignatures",
                "v3",
                "v3 only, or legacy to also accept v1/v2 signatures (no timestamp, replayable) "
                "on requests without v3 headers.",
                ("v3", "legacy"),
            ),
        ),
    ),
    docs=Docs(
        url="https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation",
        summary="HMAC-SHA256 base64 over method + URL + body + timestamp (ms), window",
        scheme=(
            "`POST` + URL (its docs' escapes decoded) + body + `X-HubSpot-Request-Timestamp` → "
            "HMAC-SHA256 base64 (client secret); legacy v1/v2 SHA-256 only with "
            "`HubSpotSignatures=legacy` and no v3 header"
        ),
        headers="`X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp` (ms)",
        event_type="the events' shared `subscriptionType` (`contact.creation`)",
        retries="up to 10 times over 24 hours; 5 s timeout; none after 400, 401, 403, 404, 405",
        oracle=(
            "`hubspot.utils.signature.Signature` both ways (v3, v2, v1), the docs' v1 and v2 "
            "examples, the docs' URL decoding"
        ),
    ),
)
