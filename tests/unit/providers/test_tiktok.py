"""TikTok: hookgate agrees with an HMAC computed here as TikTok documents it (`t=<ts>,s=<hex of
HMAC-SHA256(client_secret, "<t>." + body)>`; TikTok publishes no SDK that verifies webhooks and
no signed example), both ways."""

from __future__ import annotations

from tests.support.oracles import hmac_digest, now, rejects, request_for, sign, verify

CLIENT_SECRET = "tiktok-client-secret-0123456789"
#: The `authorization.removed` example of TikTok's webhook events page, byte for byte.
BODY = (
    b'{\n    "client_key": "bwo2m45353a6k85",\n    "event": "authorization.removed",\n'
    b'    "create_time": 1615338610,\n    "user_openid": "act.example12345Example12345Example",\n'
    b'    "content": "{\\"reason\\": 1 }"\n}'
)


def header_at(timestamp: int, body: bytes = BODY, *, separator: bytes = b".") -> dict[str, str]:
    digest = hmac_digest(CLIENT_SECRET, str(timestamp).encode() + separator + body).hex()
    return {"TikTok-Signature": f"t={timestamp},s={digest}"}


def test_a_delivery_signed_as_documented_verifies() -> None:
    sent_at = now()
    request = request_for(header_at(sent_at), BODY)

    assert verify("tiktok", request, CLIENT_SECRET).signed_at_s == sent_at


def test_a_changed_body_a_stale_time_or_another_separator_is_refused() -> None:
    assert rejects("tiktok", request_for(header_at(now()), BODY + b" "), CLIENT_SECRET)
    assert rejects("tiktok", request_for(header_at(now() - 3600), BODY), CLIENT_SECRET)
    assert rejects("tiktok", request_for(header_at(now(), separator=b":"), BODY), CLIENT_SECRET)


def test_the_header_is_read_as_tiktok_describes_it() -> None:
    signed = header_at(now())["TikTok-Signature"]
    t, s = signed.split(",")
    for genuine in (f"{s},{t}", f"{t},s={'0' * 64},{s}", f"{signed},x=1"):
        assert verify("tiktok", request_for({"TikTok-Signature": genuine}, BODY), CLIENT_SECRET)
    for forged in (f"{t},v1={s[2:]}", f"{t},s={s[2:].upper()}", signed + ",x=1" * 10):
        assert rejects("tiktok", request_for({"TikTok-Signature": forged}, BODY), CLIENT_SECRET)


def test_hookgate_signs_as_tiktok_does() -> None:
    ours = sign("tiktok", CLIENT_SECRET, BODY)
    signed_at = int(ours["TikTok-Signature"].split(",")[0].removeprefix("t="))

    assert ours == header_at(signed_at)
