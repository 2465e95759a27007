"""TikTok for Developers (Login Kit, Content Posting, Data Portability webhooks):
`TikTok-Signature: t=<Unix seconds>,s=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
app's client secret; the header is split on `,` and each item on `=` as TikTok describes (the
first `t` counts, any `s` may match, other items are ignored, at most 10 are read).
https://developers.tiktok.com/doc/webhooks-verification

TikTok's body (`client_key`, `event`, `create_time`, `user_openid`, `content`) names no
delivery id: the replay key is the body's digest. TikTok retries a delivery for up to 72 hours
when the answer is not 200, which the replay record (7 days) outlives. TikTok Shop webhooks are
another scheme (an `Authorization` HMAC over app key and body) and are not this provider.
"""

from __future__ import annotations

import json

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_timestamped_signatures, within_window
from hookgate.request import Request

SIGNATURE_HEADER = "TikTok-Signature"
DIGEST = HmacHeader(SIGNATURE_HEADER)
#: More items than `t` and a rotation's `s` entries is no genuine header.
MAX_ENTRIES = 10


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    header = require_header(request, SIGNATURE_HEADER)
    if header.count(",") >= MAX_ENTRIES:
        raise BadSignature()
    timestamp, signatures = parse_timestamped_signatures(header, scheme="s")
    verification = DIGEST.verify_any(secret, signatures, b"%d." % timestamp, request.body)
    return within_window(verification, timestamp, now_s=now_s, tolerance_s=tolerance_s)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    return {SIGNATURE_HEADER: f"t={timestamp},s={DIGEST.sign(secret, b'%d.' % timestamp, body)}"}


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    return json.dumps(
        {
            "client_key": "bwo2m45353a6k85",
            "event": event_type,
            "create_time": timestamp,
            "user_openid": "act.example12345Example12345Example",
            "content": json.dumps({"share_id": f"video.{delivery_id}"}),
        }
    ).encode()


PROVIDER = Provider(
    name="tiktok",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=json_field("event"),
    signature_header=SIGNATURE_HEADER,
    signed=Signed(
        covers=("body", "timestamp (`t` in `TikTok-Signature`)"),
        captured="nothing: a resend is a duplicate, and stale after the window",
        timestamp=True,
    ),
    local=Local(sign=sign, example_body=example_body, example_event_type="video.publish.completed"),
    deployment=Deployment(
        title="TikTok",
        console="TikTok for Developers (your app > Webhooks > Callback URL)",
        secret=rotating("TikTok app client secret"),
    ),
    docs=Docs(
        url="https://developers.tiktok.com/doc/webhooks-verification",
        summary="HMAC-SHA256 over `t.body`, timestamp window",
        scheme='`"<t>." + body` → HMAC-SHA256 hex (the app\'s client secret)',
        headers="`TikTok-Signature: t=<unix>,s=<hex>`",
        event_type="body `event` (`authorization.removed`, `video.publish.completed`)",
        retries="anything but 200: exponential backoff for up to 72 hours, then discarded",
        oracle="an independent HMAC written in the test from TikTok's documentation "
        "(TikTok publishes no SDK that verifies webhooks)",
    ),
)
