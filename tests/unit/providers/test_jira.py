"""Jira Cloud: hookgate agrees with an HMAC computed here as Atlassian documents it for admin
webhooks with a secret (`X-Hub-Signature: sha256=<hex of HMAC-SHA256(secret, body)>`; Atlassian
publishes no Python verifier and no signed example), both ways, and keys replays on the signed
body, never on the unsigned `X-Atlassian-Webhook-Identifier`."""

from __future__ import annotations

import json

from hookgate.providers import get
from tests.support.oracles import hmac_digest, rejects, request_for, sign, verify

SECRET = "jira-admin-webhook-secret-0123456789"
BODY = json.dumps(
    {
        "timestamp": 1767225600123,
        "webhookEvent": "jira:issue_updated",
        "issue_event_type_name": "issue_generic",
        "issue": {"id": "10004", "key": "TEST-5", "fields": {"summary": "Ünïcode"}},
        "changelog": {"items": [{"field": "status", "fromString": "To Do", "toString": "Done"}]},
    },
    ensure_ascii=False,
).encode()
HEADERS = {
    "X-Hub-Signature": "sha256=" + hmac_digest(SECRET, BODY).hex(),
    "X-Atlassian-Webhook-Identifier": "2f9b7e0c-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
}


def test_a_delivery_signed_as_documented_verifies() -> None:
    assert verify("jira", request_for(HEADERS, BODY), SECRET).key_index == 0


def test_a_changed_body_or_another_method_is_refused() -> None:
    sha1 = {"X-Hub-Signature": "sha1=" + hmac_digest(SECRET, BODY, "sha1").hex()}
    bare = {"X-Hub-Signature": hmac_digest(SECRET, BODY).hex()}
    github_style = {"X-Hub-Signature-256": HEADERS["X-Hub-Signature"]}

    assert rejects("jira", request_for(HEADERS, BODY + b" "), SECRET)
    for headers in (sha1, bare, github_style):
        assert rejects("jira", request_for(headers, BODY), SECRET)


def test_the_unsigned_delivery_identifier_is_not_the_replay_key() -> None:
    provider = get("jira")
    first = request_for(HEADERS, BODY)
    renamed = request_for({**HEADERS, "X-Atlassian-Webhook-Identifier": "another"}, BODY)
    payload = json.loads(BODY)

    assert provider.replay_key(first, payload) == provider.replay_key(renamed, payload)
    assert "2f9b7e0c" not in provider.replay_key(first, payload)


def test_hookgate_signs_as_jira_does() -> None:
    ours = sign("jira", SECRET, BODY)

    assert ours["X-Hub-Signature"] == HEADERS["X-Hub-Signature"]
