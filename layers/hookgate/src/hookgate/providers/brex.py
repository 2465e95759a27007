"""Brex: Standard Webhooks (`Webhook-Id`, `Webhook-Timestamp`, `Webhook-Signature`), the
event type in the body's `event_type`. Its secrets come from `GET /v1/webhooks/secrets` as bare
base64 (hookgate accepts them with or without `whsec_`), two of them while rotating. See
`standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs
from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "brex",
    [STANDARD],
    type_field="event_type",
    example_event_type="TRANSFER_PROCESSED",
    deployment=Deployment(
        title="Brex",
        console="Brex (POST /v1/webhooks with this URL)",
        secret="Brex webhook secret from GET /v1/webhooks/secrets (base64): a plain string, or"
        ' JSON {"signing_secrets": ["active", "pending revoke"]} while rotating.',
    ),
    docs=Docs(
        url="https://developer.brex.com/docs/webhooks",
        summary="Standard Webhooks: `v1` HMAC-SHA256 over `id.ts.body`",
        scheme="as `standardwebhooks`; the secret is bare base64",
        headers="`Webhook-Id`, `Webhook-Timestamp`, `Webhook-Signature` (two entries while "
        "rotating)",
        event_type="body `event_type` (`TRANSFER_PROCESSED`)",
        retries="not documented",
        oracle="the `standardwebhooks` package both ways (Brex publishes no SDK)",
    ),
)
