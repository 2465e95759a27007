"""Clerk: Svix-delivered Standard Webhooks (`svix-id`, `svix-timestamp`, `svix-signature`, a
`whsec_` secret), the event type in the body's `type`. See `standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, rotating
from hookgate.providers.standard import SVIX, provider

PROVIDER = provider(
    "clerk",
    [SVIX],
    example_event_type="user.created",
    deployment=Deployment(
        title="Clerk",
        console="Clerk (Dashboard > Webhooks > Add Endpoint)",
        secret=rotating("Clerk endpoint signing secret (whsec_...)"),
    ),
    docs=Docs(
        url="https://clerk.com/docs/guides/development/webhooks/overview",
        summary="Svix: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `svix` (`svix-` headers only, as Clerk's own verifier requires)",
        headers="`svix-id`, `svix-timestamp`, `svix-signature`",
        event_type="body `type` (`user.created`)",
        retries="Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h",
        oracle="the `svix` package both ways (Clerk's Python SDK has no verifier)",
    ),
)
