"""Slack against `slack_sdk.signature.SignatureVerifier` and Slack's published example."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk.signature import SignatureVerifier

from tests.support.oracles import now, rejects, request_for, sign, verify

SLACK_DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
    b"response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGl"
    b"gcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)


class FixedClock:
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_slack_published_vector() -> None:
    headers = {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    sdk = SignatureVerifier(SLACK_DOC_SECRET, clock=FixedClock(1531420618))  # type: ignore[arg-type]

    assert sdk.is_valid_request(SLACK_DOC_BODY, headers)
    verification = verify(
        "slack", request_for(headers, SLACK_DOC_BODY), SLACK_DOC_SECRET, at=1531420618
    )
    assert verification.signed_at == datetime.fromtimestamp(1531420618, UTC)


def test_slack_sdk_signature_accepted_and_ours_accepted_by_sdk() -> None:
    secret, body = "slack-signing-secret", b'{"type":"event_callback","event_id":"Ev1"}'
    sdk = SignatureVerifier(secret)
    by_sdk = {
        "X-Slack-Request-Timestamp": str(now()),
        "X-Slack-Signature": sdk.generate_signature(timestamp=str(now()), body=body) or "",
    }
    ours = sign("slack", secret, body)

    assert verify("slack", request_for(by_sdk, body), secret)
    assert sdk.is_valid_request(body, ours)
    assert not sdk.is_valid_request(body + b" ", ours)
    assert rejects("slack", request_for(ours, body + b" "), secret)
