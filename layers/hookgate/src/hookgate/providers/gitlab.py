"""GitLab: the secret token configured on the webhook, sent as is in `X-Gitlab-Token`
(compared in constant time). It authenticates the sender, not the body: GitLab signs nothing.
`Idempotency-Key` (newer GitLab) or `X-Gitlab-Event-UUID` feeds the replay guard; the two are
equal on retries of one event.
https://docs.gitlab.com/user/project/integrations/webhooks/
"""

from __future__ import annotations

import json

from hookgate.providers.base import Provider, header_field
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
    push = {"object_kind": "push", "ref": "refs/heads/main", "project_id": 15, "commits": []}
    return json.dumps(push).encode()


PROVIDER = Provider(
    name="gitlab",
    docs_url="https://docs.gitlab.com/user/project/integrations/webhooks/",
    verify=TOKEN.verify,
    sign=sign,
    delivery_id=header_field("Idempotency-Key", "X-Gitlab-Event-UUID"),
    event_type=header_field(EVENT_HEADER),
    example_body=example_body,
    example_event_type="Push Hook",
    signature_header=TOKEN.header,
    signs_body=False,
    forwarded_headers=(
        EVENT_HEADER,
        "X-Gitlab-Event-UUID",
        "X-Gitlab-Webhook-UUID",
        "X-Gitlab-Instance",
    ),
)
