"""Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): see `standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs
from hookgate.providers.standard import STANDARD, provider

PROVIDER = provider(
    "standardwebhooks",
    [STANDARD],
    dev_secret="whsec_aG9va2dhdGUtbG9jYWwtZGV2LXNlY3JldC1zdGR3aDE=",
    deployment=Deployment(
        title="Standard Webhooks",
        console="the sender's webhook settings (any Standard Webhooks sender)",
        secret=(
            'Signing secret (whsec_...): a plain string, or JSON {"signing_secrets": ["new", '
            '"old"]} while rotating; Ed25519 senders: JSON {"public_key": "whpk_..."}.'
        ),
    ),
    docs=Docs(
        url="https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
        summary="`v1` HMAC-SHA256 / `v1a` Ed25519 over `id.ts.body`",
        scheme=(
            '`"<id>.<timestamp>." + body` → `v1`: HMAC-SHA256 base64, key = base64 of the '
            "`whsec_` secret; `v1a`: Ed25519 base64, `whpk_` public key"
        ),
        headers=(
            "`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<sig> [v1a,<sig> …]` (any "
            "entry may match)"
        ),
        event_type="body `type`",
        retries="the spec's schedule (5 s … 24 h)",
        oracle=(
            "the `standardwebhooks` and `svix` packages both ways, and the specification's "
            "published vector; `v1a` against PyNaCl (no official Python library verifies `v1a`)"
        ),
    ),
)
