"""OpenAI: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`, a
`whsec_` secret), the event type in the body's `type`. See `standard`.

OpenAI's SDK takes a secret without the `whsec_` prefix as raw bytes, where the Standard
Webhooks library (and hookgate) base64-decode it; the dashboard always shows the prefix.
"""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, rotating
from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "openai",
    [STANDARD],
    example_event_type="response.completed",
    deployment=Deployment(
        title="OpenAI",
        console="OpenAI (Settings > Project > Webhooks > Create)",
        secret=rotating("OpenAI webhook signing secret (whsec_...)"),
    ),
    docs=Docs(
        url="https://platform.openai.com/docs/guides/webhooks",
        summary="Standard Webhooks: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `standardwebhooks` (`v1` only)",
        headers="`webhook-id`, `webhook-timestamp`, `webhook-signature`",
        event_type="body `type` (`response.completed`)",
        retries="exponential backoff for up to 72 hours; a 3xx counts as a failure",
        oracle="`openai` SDK: `client.webhooks.verify_signature` accepts hookgate's signatures "
        "and refuses tampered ones; the specification's published vector",
    ),
)
