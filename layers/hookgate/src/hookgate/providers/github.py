"""GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

GitHub signs no timestamp, so the replay guard (keyed on `X-GitHub-Delivery`) is the only
protection against replays. The legacy SHA-1 header (`X-Hub-Signature`) is not accepted.
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import json

from hookgate.crypto import hmac_digest, match_any
from hookgate.providers.base import Provider, Verification, header_field, require_header
from hookgate.request import Request
from hookgate.secrets import SecretMaterial

SIGNATURE_HEADER = "X-Hub-Signature-256"
DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"
PREFIX = "sha256="


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    header = require_header(request, SIGNATURE_HEADER)
    # The whole header is compared, prefix included, as GitHub's own libraries do:
    # upper-case hex or a missing prefix does not verify.
    offered = header.encode("utf-8", "replace")
    match = match_any(
        secret.signing_keys(),
        [offered],
        lambda key: (PREFIX + hmac_digest("sha256", key, request.body).hex()).encode(),
    )
    return Verification(scheme="hmac-sha256", key_index=match.key_index, signature=match.signature)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str
) -> dict[str, str]:
    digest = hmac_digest("sha256", secret.encode("utf-8"), body)
    return {
        SIGNATURE_HEADER: PREFIX + digest.hex(),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
        "User-Agent": "GitHub-Hookshot/hookgate",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int) -> bytes:
    event = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": "1" * 40,
        "repository": {"id": 1296269, "full_name": "octocat/Hello-World"},
        "sender": {"login": "octocat"},
        "commits": [],
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="github",
    docs_url="https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
    verify=verify,
    sign=sign,
    delivery_id=header_field(DELIVERY_HEADER),
    event_type=header_field(EVENT_HEADER),
    example_body=example_body,
    example_event_type="push",
    forwarded_headers=(
        DELIVERY_HEADER,
        EVENT_HEADER,
        "X-GitHub-Hook-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "X-GitHub-Hook-Installation-Target-ID",
    ),
)
