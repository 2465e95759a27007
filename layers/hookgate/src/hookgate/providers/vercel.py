"""Vercel: `x-vercel-signature: <hex HMAC-SHA1 of the body>`, keyed with the webhook's secret
(or, for an integration's webhooks, its client secret). The body carries the delivery's `id`
and `type`; nothing else is signed. https://vercel.com/docs/webhooks/webhooks-api
"""

from __future__ import annotations

import json

from hookgate.providers.base import Deployment, Docs, Local, Provider, Signed, json_field, rotating
from hookgate.providers.schemes import HmacHeader

SIGNATURE = HmacHeader("x-vercel-signature", algorithm="sha1")


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    payload = {"deployment": {"id": "dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ", "url": "x.vercel.app"}}
    return json.dumps(
        {"id": delivery_id, "type": event_type, "createdAt": timestamp * 1000, "payload": payload}
    ).encode()


PROVIDER = Provider(
    name="vercel",
    verify=SIGNATURE.verify_body,
    delivery_id=json_field("id"),
    event_type=json_field("type"),
    signature_header=SIGNATURE.header,
    signed=Signed(covers=("body",), id="body `id`"),
    local=Local(
        sign=SIGNATURE.sign_body, example_body=example_body, example_event_type="deployment.created"
    ),
    deployment=Deployment(
        title="Vercel",
        console="Vercel (Team Settings > Webhooks > Create Webhook)",
        secret=rotating("Vercel webhook secret (or the integration's client secret)"),
    ),
    docs=Docs(
        url="https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks",
        summary="HMAC-SHA1 over the body",
        scheme="body → HMAC-SHA1 hex (webhook secret, or an integration's client secret)",
        headers="`x-vercel-signature: <hex>`",
        event_type="body `type` (`deployment.created`)",
        retries="not documented",
        oracle="an independent HMAC-SHA1 written in the test from Vercel's documentation "
        "(Vercel's Python SDK has no webhook verifier)",
    ),
)
