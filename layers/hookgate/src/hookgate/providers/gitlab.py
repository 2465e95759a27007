"""GitLab: the secret token configured on the webhook, sent as is in `X-Gitlab-Token`
(compared in constant time). It authenticates the sender, not the body: GitLab signs nothing,
so `Idempotency-Key` and `X-Gitlab-Event-UUID` are metadata and the replay guard keys on the
body's digest (GitLab's retries repeat the body).
https://docs.gitlab.com/user/project/integrations/webhooks/
"""

from __future__ import annotations

import json

from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    header_field,
    no_signed_id,
    rotating,
)
from hookgate.providers.schemes import TokenHeader

TOKEN = TokenHeader("X-Gitlab-Token")
EVENT_HEADER = "X-Gitlab-Event"


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {
        TOKEN.header: secret,
        EVENT_HEADER: event_type,
        "X-Gitlab-Event-UUID": delivery_id,
        "Idempotency-Key": delivery_id,
        "User-Agent": "GitLab/18.0.0",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    push = {
        "object_kind": "push",
        "ref": "refs/heads/main",
        "checkout_sha": delivery_id.replace("-", ""),
        "project_id": 15,
        "commits": [],
    }
    return json.dumps(push).encode()


PROVIDER = Provider(
    name="gitlab",
    verify=TOKEN.verify,
    delivery_id=no_signed_id,
    event_type=header_field(EVENT_HEADER),
    signature_header=TOKEN.header,
    signed=Signed(
        body=False,
        covers=("nothing: `X-Gitlab-Token` must equal the secret",),
        event_type=False,
        captured="everything: the token it carries lets anyone send any delivery",
    ),
    forwarded_headers=(
        "Idempotency-Key",
        EVENT_HEADER,
        "X-Gitlab-Event-UUID",
        "X-Gitlab-Webhook-UUID",
        "X-Gitlab-Instance",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="Push Hook",
    ),
    deployment=Deployment(
        title="GitLab",
        console="GitLab (Settings > Webhooks > URL, Secret token)",
        secret=rotating("GitLab webhook secret token"),
    ),
    docs=Docs(
        url="https://docs.gitlab.com/user/project/integrations/webhooks/",
        summary="`X-Gitlab-Token` (constant time)",
        scheme="nothing signed: `X-Gitlab-Token` must equal the secret (constant time)",
        headers="`X-Gitlab-Token`",
        event_type="`X-Gitlab-Event` (`Push Hook`)",
        retries="retried after failures; 10 s timeout; auto-disabled after repeated errors",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
    ),
)
