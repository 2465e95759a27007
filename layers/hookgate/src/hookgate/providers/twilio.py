"""Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1(auth token, URL + sorted POST fields)>`.

The signed text is the full URL Twilio requested (scheme, host, path, query), followed, for a
form post, by every field name and value: names sorted, each name's distinct values sorted.
A JSON body is instead bound by `?bodySHA256=<hex SHA-256 of the body>` in the signed URL.
Twilio is inconsistent about default ports, so, as its SDK does, the URL verifies with the
port removed or with the scheme's default port added. Webhooks signed with a SharedKey carry
`X-Twilio-Webhooks-Signature-Settings: key=...,algorithm=HMAC_SHA256`: the same construction
with HMAC-SHA256 (configure the SharedKey secret instead of the auth token).

Behind a custom domain or proxy set `HOOKGATE_PUBLIC_URL`: API Gateway hands over the query
decoded, so a query is re-encoded in standard form (`a=b&c=d`, spaces as `+`).

hookgate is stricter than Twilio's SDK in one way: a POST whose body is not signed (not a form
with fields, and no `bodySHA256`) is refused, since Twilio signs such a request, like a GET,
over its URL alone: any body would pass with a signature captured for the URL.
`I-Twilio-Idempotency-Token` is not signed: the replay guard keys on a digest of the signed
text (URL and fields), so a resend with another token, or with its fields reordered, is a
duplicate.
https://www.twilio.com/docs/usage/webhooks/webhooks-security
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    form_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader
from hookgate.request import Request

SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
#: The classic scheme, keyed with the account's auth token.
AUTH_TOKEN_SIGNATURE = HmacHeader(SIGNATURE_HEADER, algorithm="sha1", encoding="base64")
_ALGORITHMS = {"HMAC_SHA1": "sha1", "HMAC_SHA256": "sha256"}
_FORM = "application/x-www-form-urlencoded"
_DEFAULT_PORTS = {"https": 443, "http": 80}
#: Twilio's webhooks carry a few dozen fields: sorting a million would cost seconds per request.
_MAX_FIELDS = 1000


def _algorithm(settings: str | None) -> str:
    for part in (settings or "").split(","):
        name, _, value = part.partition("=")
        if name.strip() == "algorithm" and value.strip():
            algorithm = _ALGORITHMS.get(value.strip().upper())
            if algorithm is None:
                raise BadSignature()
            return algorithm
    return "sha1"


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        return [url, _with_netloc(parts, host)]
    default = _DEFAULT_PORTS.get(parts.scheme, 80)
    return [url, _with_netloc(parts, f"{host}:{default}")]


def _with_netloc(parts: SplitResult, netloc: str) -> str:
    return parts._replace(netloc=netloc).geturl()


def _binds_body(url: str) -> bool:
    return "bodySHA256" in dict(parse_qsl(urlsplit(url).query))


def _signed_fields(url: str, content_type: str, body: bytes) -> bytes:
    """The POST fields' part of the signed text (empty for a JSON body bound by bodySHA256)."""
    if content_type != _FORM or _binds_body(url):
        return b""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except ValueError as exc:  # not UTF-8, or more fields than Twilio ever sends
        raise BadSignature() from exc
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        values.setdefault(name, set()).add(value)
    return "".join(
        name + value for name in sorted(values) for value in sorted(values[name])
    ).encode()


def _check_body_hash(request: Request) -> None:
    declared = request.query.get("bodySHA256")
    if declared is None:
        return
    actual = hashlib.sha256(request.body).hexdigest().encode()
    if not hmac.compare_digest(actual, declared[0].encode("utf-8", "replace")):
        raise BadSignature()


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    require_header(request, SIGNATURE_HEADER)  # before any work on the body
    algorithm = _algorithm(request.headers.get(SETTINGS_HEADER))
    signature = HmacHeader(SIGNATURE_HEADER, algorithm=algorithm, encoding="base64")
    fields = _signed_fields(request.url, request.content_type, request.body)
    if not fields and not _binds_body(request.url):
        # Signed over the URL alone: the body (whatever it is) would be nobody's.
        raise BadSignature()
    for url in _url_variants(request.url):
        try:
            verification = signature.verify(request, secret, url.encode("utf-8"), fields)
        except BadSignature:
            continue
        _check_body_hash(request)
        return verification
    raise BadSignature()


def signed_content(request: Request) -> tuple[bytes, bytes]:
    """The signed text, with the URL in one spelling (lower-case host, no port), so that the
    same delivery always has the same replay key: the port-less variant verifies whatever
    port a request names (behind an ALB, the client's Host header does)."""
    parts = urlsplit(request.url)
    url = _with_netloc(parts, parts.hostname or "")
    fields = _signed_fields(request.url, request.content_type, request.body)
    return url.encode("utf-8"), fields


def event_type(request: Request, payload: Any) -> str | None:
    # Status callbacks say what changed; other webhooks (incoming message, call) say nothing.
    for name in ("EventType", "MessageStatus", "SmsStatus", "CallStatus"):
        value = form_field(name)(request, payload)
        if value:
            return value
    return None


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    fields = _signed_fields(url, _FORM, body)
    return {
        SIGNATURE_HEADER: AUTH_TOKEN_SIGNATURE.sign(secret, url.encode("utf-8"), fields),
        IDEMPOTENCY_HEADER: delivery_id,
        "User-Agent": "TwilioProxy/1.1",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    fields = {
        "MessageSid": "SM" + delivery_id.replace("-", "")[:32],
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155550100",
        "To": "+14155550199",
        "MessageStatus": event_type,
    }
    return urlencode(fields).encode()


PROVIDER = Provider(
    name="twilio",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        content=signed_content,
        covers=(
            "URL (scheme, host, path, query)",
            "form fields: names and values, not their order nor where `=` falls",
            "body, for JSON posts (`bodySHA256` in the URL)",
        ),
        digest_of="the URL (lower-case host, no port) and the sorted fields",
        captured="nothing new: a resend with another idempotency token or its fields "
        "reordered is a duplicate",
    ),
    forwarded_headers=(IDEMPOTENCY_HEADER, SETTINGS_HEADER),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="delivered",
        content_type=_FORM,
    ),
    deployment=Deployment(
        title="Twilio",
        console="Twilio (phone number or service > webhook URL, HTTP POST)",
        secret=rotating("Twilio auth token (or SharedKey secret)"),
    ),
    docs=Docs(
        url="https://www.twilio.com/docs/usage/webhooks/webhooks-security",
        summary=(
            "HMAC-SHA1 (or SHA-256 SharedKey) over URL + sorted fields; `bodySHA256` for JSON"
        ),
        scheme=(
            "full URL (+ for form posts every field name and value, names sorted, each name's "
            "distinct values sorted) → HMAC-SHA1 base64 with the auth token; JSON bodies bound "
            "by `?bodySHA256=<hex>` in the URL; `HMAC_SHA256` when "
            "`X-Twilio-Webhooks-Signature-Settings` says so (SharedKey)"
        ),
        headers="`X-Twilio-Signature`",
        event_type="form `EventType`, `MessageStatus`, `SmsStatus` or `CallStatus`",
        retries="only if configured (connection overrides)",
        oracle=(
            "`twilio.request_validator.RequestValidator` both ways; the SDK's published form and "
            "JSON vectors; port variants; repeated fields; SharedKey HMAC-SHA256"
        ),
    ),
)
