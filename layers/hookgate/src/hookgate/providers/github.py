"""GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

GitHub signs no timestamp, so the replay guard (keyed on `X-GitHub-Delivery`) is the only
protection against replays. The legacy SHA-1 header (`X-Hub-Signature`) is not accepted.
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import json

from hookgate.providers.base import Provider, header_field
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("X-Hub-Signature-256", prefix="sha256=")
DELIVERY_HEADER = "X-GitHub-Delivery"
EVENT_HEADER = "X-GitHub-Event"


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        SIGNATURE.header: SIGNATURE.sign(secret, body),
        DELIVERY_HEADER: delivery_id,
        EVENT_HEADER: event_type,
        "User-Agent": "GitHub-Hookshot/hookgate",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
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
    verify=SIGNATURE.verify_body,
    sign=sign,
    delivery_id=header_field(DELIVERY_HEADER),
    event_type=header_field(EVENT_HEADER),
    example_body=example_body,
    signature_header=SIGNATURE.header,
    example_event_type="push",
    forwarded_headers=(
        DELIVERY_HEADER,
        EVENT_HEADER,
        "X-GitHub-Hook-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "X-GitHub-Hook-Installation-Target-ID",
    ),
)
