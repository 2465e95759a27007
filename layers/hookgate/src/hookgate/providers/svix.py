"""Svix: the Standard Webhooks scheme with `svix-` header names; Svix's own library accepts
the un-branded `webhook-` names too, and so does this provider. See `standard`."""

from __future__ import annotations

from hookgate.providers.base import Deployment, Docs, SenderRanges, rotating
from hookgate.providers.standard import STANDARD, SVIX, provider

PROVIDER = provider(
    "svix",
    [SVIX, STANDARD],
    dev_secret="whsec_aG9va2dhdGUtbG9jYWwtZGV2LXNlY3JldC1zdml4MDE=",
    deployment=Deployment(
        title="Svix",
        console="the Svix-powered sender's webhook settings",
        secret=rotating("Svix endpoint signing secret (whsec_...)"),
        # Every region's: an endpoint does not say which region its sender's account is in.
        sender_ranges=SenderRanges(
            url="https://docs.svix.com/webhook-ips.json",
            query="*[]",
            docs="https://docs.svix.com/receiving/source-ips",
        ),
    ),
    docs=Docs(
        url="https://docs.svix.com/receiving/verifying-payloads/how-manual",
        summary="`v1` HMAC-SHA256 / `v1a` Ed25519 over `id.ts.body`",
        scheme="as `standardwebhooks`",
        headers=(
            "`svix-id`, `svix-timestamp`, `svix-signature` (read first) or the `webhook-` names, "
            "as Svix's SDK"
        ),
        event_type="body `type`",
        retries="as Standard Webhooks",
        oracle=(
            "the `standardwebhooks` and `svix` packages both ways, and the specification's "
            "published vector; `v1a` against PyNaCl (no official Python library verifies `v1a`)"
        ),
    ),
)
