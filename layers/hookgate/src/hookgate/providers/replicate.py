"""Replicate: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`, a
`whsec_` secret from its API). A delivery is the prediction itself, with no event type: its
`status` (`succeeded`, `failed`, ...) is published as the `DetailType`. See `standard`.

Replicate's SDK checks no timestamp unless asked to; hookgate always does.
"""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, rotating
from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "replicate",
    [STANDARD],
    type_field="status",
    example_event_type="succeeded",
    deployment=Deployment(
        title="Replicate",
        console="Replicate (the `webhook` field of each prediction or training request)",
        secret=rotating(
            "Replicate webhook signing secret (whsec_..., GET /v1/webhooks/default/secret)"
        ),
    ),
    docs=Docs(
        url="https://replicate.com/docs/topics/webhooks/verify-webhook",
        summary="Standard Webhooks: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `standardwebhooks`",
        headers="`webhook-id`, `webhook-timestamp`, `webhook-signature`",
        event_type="body `status` (`succeeded`, `failed`, `canceled`; a prediction has no type)",
        retries="only the final webhook, with exponential backoff for about a minute",
        oracle="`replicate` SDK: `replicate.webhooks.validate` accepts hookgate's signatures and "
        "refuses tampered ones; its published vector",
    ),
)
