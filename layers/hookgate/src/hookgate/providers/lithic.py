"""Lithic: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`, a
`whsec_` secret per event subscription), the event type in the body's `event_type`. See
`standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, rotating
from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "lithic",
    [STANDARD],
    type_field="event_type",
    example_event_type="card.created",
    deployment=Deployment(
        title="Lithic",
        console="Lithic (POST /v1/event_subscriptions with this URL)",
        secret=rotating("Lithic event subscription secret (whsec_...)"),
    ),
    docs=Docs(
        url="https://docs.lithic.com/docs/events-api",
        summary="Standard Webhooks: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `standardwebhooks`",
        headers="`webhook-id`, `webhook-timestamp`, `webhook-signature`",
        event_type="body `event_type` (`card.created`)",
        retries="retried by Lithic's delivery service; missed events can be recovered",
        oracle="`lithic` SDK: `client.webhooks.verify_signature` accepts hookgate's signatures "
        "and refuses tampered ones",
    ),
)
