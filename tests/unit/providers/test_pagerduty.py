"""PagerDuty: hookgate agrees with HMAC-SHA256 `v1=` signatures computed here as PagerDuty
documents them (PagerDuty publishes no Python verifier), including the several entries of a
secret rotation."""

from __future__ import annotations

import json

from tests.support.oracles import hmac_digest, rejects, request_for, sign, verify

OLD, NEW = "pagerduty-old-secret-0123", "pagerduty-new-secret-4567"
BODY = b'{"event": {"id": "01DEN2HNB", "event_type": "incident.triggered", "data": {}}}'


def v1(secret: str, body: bytes = BODY) -> str:
    return "v1=" + hmac_digest(secret, body).hex()


def test_any_v1_entry_may_match_during_a_rotation() -> None:
    header = {"X-PagerDuty-Signature": f"{v1(NEW)},{v1(OLD)}"}

    assert verify("pagerduty", request_for(header, BODY), OLD).key_index == 0
    assert verify("pagerduty", request_for(header, BODY), NEW).key_index == 0
    rotating = json.dumps({"signing_secrets": [NEW, OLD]})
    assert verify("pagerduty", request_for({"X-PagerDuty-Signature": v1(OLD)}, BODY), rotating)


def test_other_versions_a_changed_body_and_endless_headers_are_refused() -> None:
    assert rejects("pagerduty", request_for({"X-PagerDuty-Signature": v1(OLD)}, BODY + b" "), OLD)
    v2 = {"X-PagerDuty-Signature": v1(OLD).replace("v1=", "v2=")}
    assert rejects("pagerduty", request_for(v2, BODY), OLD)
    endless = {"X-PagerDuty-Signature": ",".join(["v1=00"] * 10 + [v1(OLD)])}
    assert rejects("pagerduty", request_for(endless, BODY), OLD)


def test_hookgate_signs_as_pagerduty_does() -> None:
    assert sign("pagerduty", OLD, BODY) == {"X-PagerDuty-Signature": v1(OLD)}
