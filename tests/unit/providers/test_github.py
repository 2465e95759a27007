"""GitHub verification against GitHub's published example and an independent HMAC."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from hookgate.errors import BadSignature, MissingSignature
from hookgate.material import SecretMaterial
from hookgate.providers import github
from hookgate.request import Request
from tests.support import shapes

# From "Validating webhook deliveries" in GitHub's documentation.
DOC_SECRET = "It's a Secret to Everybody"
DOC_BODY = b"Hello, World!"
DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def verify(body: bytes, headers: list[tuple[str, str]], *secrets: str) -> int:
    request = Request.from_event(shapes.http_v2(headers=headers, body=body))
    verification = github.PROVIDER.verify(
        request, SecretMaterial(signing_secrets=secrets), now_s=0, tolerance_s=300
    )
    return verification.key_index


def independent_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_verify_documentation_vector_is_accepted() -> None:
    assert verify(DOC_BODY, [("X-Hub-Signature-256", DOC_SIGNATURE)], DOC_SECRET) == 0


def test_sign_reproduces_documentation_vector() -> None:
    headers = github.sign(
        DOC_SECRET, DOC_BODY, timestamp=0, delivery_id="d-1", event_type="push", url=""
    )

    assert headers["X-Hub-Signature-256"] == DOC_SIGNATURE
    assert headers["X-GitHub-Delivery"] == "d-1"
    assert headers["X-GitHub-Event"] == "push"


@pytest.mark.parametrize(
    "body", [b"{}", b'{"zen":"Keep it logically awesome."}', b"payload=%7B%7D", bytes(range(256))]
)
def test_verify_independent_hmac_is_accepted(body: bytes) -> None:
    signature = independent_signature("s3cr3t", body)

    assert verify(body, [("x-hub-signature-256", signature)], "s3cr3t") == 0


def test_verify_rotation_reports_which_secret() -> None:
    signature = independent_signature("old", DOC_BODY)

    assert verify(DOC_BODY, [("X-Hub-Signature-256", signature)], "new", "old") == 1


@pytest.mark.parametrize(
    "signature",
    [
        DOC_SIGNATURE.upper().replace("SHA256=", "sha256="),  # upper-case hex
        DOC_SIGNATURE.removeprefix("sha256="),  # no prefix
        "sha1=" + hmac.new(DOC_SECRET.encode(), DOC_BODY, hashlib.sha1).hexdigest(),
        DOC_SIGNATURE[:-2],  # truncated
        DOC_SIGNATURE + " ",  # trailing space
        independent_signature("wrong secret", DOC_BODY),
    ],
    ids=["uppercase", "no_prefix", "sha1", "truncated", "trailing_space", "wrong_secret"],
)
def test_verify_not_exact_signature_is_rejected(signature: str) -> None:
    with pytest.raises(BadSignature):
        verify(DOC_BODY, [("X-Hub-Signature-256", signature)], DOC_SECRET)


def test_verify_tampered_body_is_rejected() -> None:
    with pytest.raises(BadSignature):
        verify(b"Hello, World?", [("X-Hub-Signature-256", DOC_SIGNATURE)], DOC_SECRET)


def test_verify_only_legacy_sha1_header_is_missing_signature() -> None:
    sha1 = "sha1=" + hmac.new(DOC_SECRET.encode(), DOC_BODY, hashlib.sha1).hexdigest()

    with pytest.raises(MissingSignature):
        verify(DOC_BODY, [("X-Hub-Signature", sha1)], DOC_SECRET)


def test_verify_duplicate_signature_headers_are_rejected() -> None:
    # Two headers are joined into one value, which matches no single signature.
    with pytest.raises(BadSignature):
        verify(
            DOC_BODY,
            [("X-Hub-Signature-256", DOC_SIGNATURE), ("X-Hub-Signature-256", DOC_SIGNATURE)],
            DOC_SECRET,
        )
