"""GitLab: a webhook is authenticated by a signing token, a secret token, or both.

- **Signing token** (newer; GitLab's `webhook_signing_token` feature flag, merge request
  gitlab-org/gitlab!230944): the Standard Webhooks `v1` scheme of `standard`, nothing else.
  `webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>." + body)>`,
  the key the base64 bytes of the `whsec_<base64>` token (GitLab makes 32-byte ones),
  `webhook-id` the delivery's `Idempotency-Key`, `webhook-timestamp` Unix seconds, refused
  outside the window both ways. The signed `webhook-id` is the replay key.
- **Secret token**: sent as is in `X-Gitlab-Token`, compared in constant time. It authenticates
  the sender, not the body, and signs nothing: `Idempotency-Key` and `X-Gitlab-Event-UUID` are
  metadata, and the replay guard keys on the body's digest (GitLab's retries repeat the body).

GitLab sends `X-Gitlab-Token` beside the signature when a hook has both. The secret holds
either or both: a plain string, or JSON `{"signing_secrets": [...]}`, where each entry beginning
with `whsec_` is a signing token and any other a secret token (old and new of each while
rotating). A request carrying `webhook-signature` is judged on the signature alone: refused
when it does not verify, or when no signing token is stored, and never accepted on a token it
also carries (that would take a changed body, or a stale one, on the weaker check). A request
without one is judged on `X-Gitlab-Token` against the secret tokens only (the signing token is
never a token).

So whether token-only deliveries are still accepted is what the secret holds: store only the
signing token, and only signed deliveries verify. Keep a secret token in it only while hooks
without a signing token send here: it travels in clear in every delivery, and anyone who learns
it can strip the signature headers and send any body. Store the signing token before adding it
to the hook (GitLab then signs every delivery, and hookgate cannot check a signature without
it). Each event's `verification.scheme` says which check passed: `hmac-sha256` or `token`.
The declaration below is what holds for every accepted delivery (a token-only one: nothing
signed, no window); the signed ones are stronger, as said. PROVIDERS.md's notes agree with
GitLab's merge request.
https://docs.gitlab.com/user/project/integrations/webhooks/
"""

from __future__ import annotations

import json
from dataclasses import replace

from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    header_field,
    require_header,
)
from hookgate.providers.schemes import TokenHeader
from hookgate.providers.standard import SECRET_PREFIX, STANDARD, signed_id, signer, verifier
from hookgate.request import Request

TOKEN = TokenHeader("X-Gitlab-Token")
EVENT_HEADER = "X-Gitlab-Event"
SIGNATURE = verifier(STANDARD)


def _kept(secret: SecretMaterial, *, signing: bool) -> tuple[tuple[int, ...], SecretMaterial]:
    """The signing tokens (`whsec_`) or the secret tokens of `secret`, and their positions in it.

    Raises:
        BadSignature: none of that kind is stored (the delivery cannot verify).
    """
    kept = [
        (index, text)
        for index, text in enumerate(secret.signing_secrets)
        if text.startswith(SECRET_PREFIX) == signing
    ]
    if not kept:
        raise BadSignature()
    return tuple(i for i, _ in kept), SecretMaterial(signing_secrets=tuple(t for _, t in kept))


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    if STANDARD.signature in request.headers:  # the condition `signed_id` reads the id under
        positions, keys = _kept(secret, signing=True)
        verification = SIGNATURE(request, keys, now_s=now_s, tolerance_s=tolerance_s)
    else:
        require_header(request, TOKEN.header)
        positions, tokens = _kept(secret, signing=False)
        verification = TOKEN.verify(request, tokens, now_s=now_s, tolerance_s=tolerance_s)
    return replace(verification, key_index=positions[verification.key_index])


_SIGN_STANDARD = signer(STANDARD)


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    """`secret`: a `whsec_` signing token (signs the delivery) or a secret token (sent as is)."""
    if secret.startswith(SECRET_PREFIX):
        credentials = _SIGN_STANDARD(
            secret,
            body,
            timestamp=timestamp,
            delivery_id=delivery_id,
            event_type=event_type,
            url=url,
        )
    else:
        credentials = {TOKEN.header: secret}
    return {
        **credentials,
        EVENT_HEADER: event_type,
        "X-Gitlab-Event-UUID": delivery_id,
        "Idempotency-Key": delivery_id,
        "User-Agent": "GitLab/18.0.0",
    }


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    push = {
        "object_kind": "push",
        "ref": "refs/heads/main",
        "checkout_sha": delivery_id.replace("-", ""),
        "project_id": 15,
        "commits": [],
    }
    return json.dumps(push).encode()


PROVIDER = Provider(
    name="gitlab",
    verify=verify,
    # `webhook-id` once the signature verified; none (a digest of the body) for a token.
    delivery_id=signed_id(STANDARD),
    event_type=header_field(EVENT_HEADER),
    signature_header=TOKEN.header,
    signed=Signed(
        body=False,
        covers=(
            "signing token: `webhook-id`, `webhook-timestamp` and the body (Standard Webhooks "
            "`v1`)",
            "secret token only: nothing, `X-Gitlab-Token` must equal the secret",
        ),
        digest_of="the body (secret token only; a signed delivery is keyed on `webhook-id`)",
        headers=(STANDARD.id, STANDARD.timestamp),
        event_type=False,
        captured=(
            "signed: nothing, a resend is a duplicate and stale after the window; secret token "
            "only: everything, the token it carries lets anyone send any delivery"
        ),
    ),
    forwarded_headers=(
        "Idempotency-Key",
        EVENT_HEADER,
        "X-Gitlab-Event-UUID",
        "X-Gitlab-Webhook-UUID",
        "X-Gitlab-Instance",
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="Push Hook",
    ),
    deployment=Deployment(
        title="GitLab",
        console="GitLab (Settings > Webhooks > URL, Secret token and/or Signing token)",
        secret=(
            "GitLab webhook signing token (whsec_...) and/or secret token: a plain string, or "
            'JSON {"signing_secrets": ["whsec_...", "token"]} for both, or new and old while '
            "rotating. Store only the signing token to refuse token-only deliveries."
        ),
    ),
    docs=Docs(
        url="https://docs.gitlab.com/user/project/integrations/webhooks/",
        summary="Standard Webhooks `v1` (signing token) or `X-Gitlab-Token` (constant time)",
        scheme=(
            'signing token: `"<webhook-id>.<webhook-timestamp>." + body` → HMAC-SHA256 base64, '
            "key = base64 of the `whsec_` token; secret token only: nothing signed, "
            "`X-Gitlab-Token` must equal it (constant time)"
        ),
        headers=(
            "`webhook-id` (= `Idempotency-Key`), `webhook-timestamp`, `webhook-signature: "
            "v1,<sig>`, judged alone when present; else `X-Gitlab-Token`"
        ),
        event_type="`X-Gitlab-Event` (`Push Hook`)",
        retries="retried after failures; 10 s timeout; auto-disabled after repeated errors",
        oracle=(
            "the `standardwebhooks` package both ways (signing token); the token compared as "
            "GitLab documents it (secret token)"
        ),
        window="signing token: yes; secret token only: none",
    ),
)
