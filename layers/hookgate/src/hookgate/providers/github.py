"""GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

GitHub signs only the body: `X-GitHub-Delivery` and `X-GitHub-Event` are not covered, so the
replay guard keys on the body's digest (a resend with a new delivery id is still a duplicate)
and the event type is published marked unsigned. The legacy SHA-1 header (`X-Hub-Signature`)
is not accepted.
https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import json

from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    SenderRanges,
    Signed,
    header_field,
    no_signed_id,
    rotating,
)
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
    # Each push names its own commit: the body, not the unsigned delivery id, tells them apart.
    commit = hashlib.sha1(delivery_id.encode()).hexdigest()  # noqa: S324 (a made-up commit id)
    event = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": commit,
        "repository": {"id": 1296269, "full_name": "octocat/Hello-World"},
        "sender": {"login": "octocat"},
        "commits": [],
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="github",
    verify=SIGNATURE.verify_body,
    delivery_id=no_signed_id,
    event_type=header_field(EVENT_HEADER),
    signature_header=SIGNATURE.header,
    signed=Signed(
        covers=("body",),
        event_type=False,
        captured="nothing new: a resend under another `X-GitHub-Delivery` or "
        "`X-GitHub-Event` is a duplicate of the body already published",
    ),
    forwarded_headers=(
        DELIVERY_HEADER,
        EVENT_HEADER,
        "X-GitHub-Hook-ID",
        "X-GitHub-Hook-Installation-Target-Type",
        "X-GitHub-Hook-Installation-Target-ID",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="push",
    ),
    deployment=Deployment(
        title="GitHub",
        console="GitHub (Settings > Webhooks > Payload URL, content type application/json)",
        secret=rotating("GitHub webhook secret"),
        enabled=True,
        sender_ranges=SenderRanges(
            url="https://api.github.com/meta",
            query="hooks",
            docs="https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-githubs-ip-addresses",
        ),
    ),
    docs=Docs(
        url="https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
        summary="HMAC-SHA256 over the body",
        scheme="body → HMAC-SHA256 hex; whole header compared (prefix, lower case)",
        headers="`X-Hub-Signature-256: sha256=<hex>`",
        event_type="`X-GitHub-Event` (unsigned)",
        retries="none automatic (manual redelivery)",
        oracle="GitHub's published example and an independent HMAC",
        handshake="`ping` is an ordinary signed event, published",
        answers="(`ping` is published)",
    ),
)
