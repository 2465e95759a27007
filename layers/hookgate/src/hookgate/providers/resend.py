"""Resend: Svix-delivered Standard Webhooks (`svix-id`, `svix-timestamp`, `svix-signature`, a
`whsec_` secret), the event type in the body's `type`. See `standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, rotating
from hookgate.providers.standard import SVIX, provider

PROVIDER = provider(
    "resend",
    [SVIX],
    example_event_type="email.delivered",
    deployment=Deployment(
        title="Resend",
        console="Resend (Webhooks > Add Webhook)",
        secret=rotating("Resend webhook signing secret (whsec_...)"),
    ),
    docs=Docs(
        url="https://resend.com/docs/webhooks/verify-webhooks-requests",
        summary="Svix: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `svix` (`svix-` headers)",
        headers="`svix-id`, `svix-timestamp`, `svix-signature`",
        event_type="body `type` (`email.delivered`)",
        retries="Svix's schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; manual replay",
        oracle="`resend` SDK: `resend.Webhooks.verify` accepts hookgate's signatures and "
        "refuses tampered ones",
    ),
)
