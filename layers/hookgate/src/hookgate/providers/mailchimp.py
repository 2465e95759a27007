"""Mailchimp (Marketing API audience webhooks): Mailchimp signs nothing. The only proof is a
secret you put in the webhook URL: register `https://<api>/prod/webhooks/mailchimp?secret=<the
secret>`, and hookgate compares the `secret` query parameter, sent exactly once, with every
configured secret in constant time. It authenticates the sender, not the body.

Mailchimp checks the URL with a `GET` when the webhook is saved; it must answer 200. hookgate
answers it with an empty 200 only once the secret matched (else 401, like a delivery), and
never publishes it. Deliveries are `application/x-www-form-urlencoded` POSTs: `type`
(`subscribe`, `unsubscribe`, `profile`, `upemail`, `cleaned`, `campaign`), `fired_at` and
`data[...]`; the event type is the form's `type`, unsigned like everything else. No id is
sent: the replay key is the body's digest (Mailchimp retries a failed change three times, with
the same body; a 410 answer disables the webhook, which hookgate never sends).

The secret travels in the URL, so it is where URLs are kept: hookgate logs no URL or query and
publishes neither, but API Gateway access logs, if you turn them on with `$context.path` or a
request-line field, would hold it, as would any proxy's logs in front. Rotate by adding the new
secret to the configured ones, re-registering the URL, then removing the old one.
https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

from hookgate.errors import BadSignature, MissingSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Reply,
    Signed,
    Verification,
    form_field,
    no_signed_id,
    rotating,
)
from hookgate.request import Request

#: The query parameter holding the secret.
SECRET_PARAMETER = "secret"  # noqa: S105 (a parameter name)


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    """Raises: MissingSignature (no `secret`), BadSignature (repeated, or no secret equals it)."""
    offered = request.query.get(SECRET_PARAMETER, ())
    if not offered or not offered[0]:
        raise MissingSignature()
    if len(offered) != 1:  # which copy would count?
        raise BadSignature()
    token = offered[0].encode("utf-8", "replace")
    for index, key in enumerate(secret.signing_keys()):
        if hmac.compare_digest(key, token):
            return Verification(scheme="url-secret", key_index=index, signature=token)
    raise BadSignature()


def handshake(
    request: Request, secret: SecretMaterial, verification: Verification | None
) -> Reply | None:
    # Answered after verification: only the registered URL (with its secret) gets a 200.
    return Reply(body="") if request.method == "GET" else None


def endpoint(url: str, secret: str) -> str:
    """The URL registered in Mailchimp: the endpoint with the secret in its query."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({SECRET_PARAMETER: secret})) if q)
    return urlunsplit(parts._replace(query=query))


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    # Nothing in the headers: the secret is in the URL (`endpoint`).
    return {"User-Agent": "MailChimp"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    fields = {
        "type": event_type,
        "fired_at": datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "data[id]": delivery_id.replace("-", "")[:10],
        "data[list_id]": "a6b5da1054",
        "data[email]": "api@mailchimp.com",
        "data[email_type]": "html",
        "data[merges][EMAIL]": "api@mailchimp.com",
        "data[ip_opt]": "10.20.10.30",
    }
    return urlencode(fields).encode()


PROVIDER = Provider(
    name="mailchimp",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=form_field("type"),
    signature_header=SECRET_PARAMETER,
    signed=Signed(
        body=False,
        covers=("nothing: the URL's `secret` query parameter must equal the secret",),
        event_type=False,
        captured="everything: the URL it was sent to holds the secret, which lets anyone send "
        "any delivery",
    ),
    methods=frozenset({"GET", "POST"}),
    handshake=handshake,
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="subscribe",
        content_type="application/x-www-form-urlencoded",
        endpoint=endpoint,
    ),
    deployment=Deployment(
        title="Mailchimp",
        console="Mailchimp (Audience > Settings > Webhooks > Callback URL, with ?secret=...)",
        secret=rotating("The secret in the webhook URL's `secret` query parameter"),
    ),
    docs=Docs(
        url="https://mailchimp.com/developer/marketing/guides/sync-audience-data-webhooks/",
        summary="`?secret=` in the URL (constant time); nothing signed",
        scheme="nothing signed: the URL's `secret` query parameter must equal the secret "
        "(constant time, sent once)",
        headers="none (the `secret` query parameter)",
        event_type="form `type` (`subscribe`)",
        retries="three retries of a failed change; a 410 disables the webhook",
        oracle=(
            "an independent HMAC (or token) written in the test from the provider's "
            "documentation; handshakes byte for byte against the documented answer"
        ),
        handshake="`GET` to the registered URL (with its `secret`) → `200` with an empty body; "
        "without it 401; never published",
        answers="URL check (`GET`)",
    ),
)
