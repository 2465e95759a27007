"""Svix: the Standard Webhooks scheme with `svix-` header names; Svix's own library accepts
the un-branded `webhook-` names too, and so does this provider. See `standard`."""

from __future__ import annotations

from hookgate.providers.standard import STANDARD, SVIX, provider

PROVIDER = provider(
    "svix", "https://docs.svix.com/receiving/verifying-payloads/how-manual", [SVIX, STANDARD]
)
