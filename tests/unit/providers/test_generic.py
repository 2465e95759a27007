"""The generic provider's configurations against an independent HMAC."""

from __future__ import annotations

from typing import Any

import pytest

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.material import SecretMaterial
from tests.support import shapes
from tests.support.oracles import b64, hmac_digest, now, request_for


@pytest.mark.parametrize(
    ("settings", "headers_for"),
    [
        ({}, lambda s, b: {"X-Signature": hmac_digest(s, b).hex()}),
        (
            {
                "ALGORITHM": "sha512",
                "ENCODING": "base64",
                "PREFIX": "sha512=",
                "SIGNATURE_HEADER": "X-Sig",
            },
            lambda s, b: {"X-Sig": "sha512=" + b64(hmac_digest(s, b, "sha512"))},
        ),
        (
            {
                "ALGORITHM": "sha1",
                "TIMESTAMP_HEADER": "X-Time",
                "SIGNED_CONTENT": "{timestamp}.{body}",
            },
            lambda s, b: {
                "X-Time": str(now()),
                "X-Signature": hmac_digest(s, f"{now()}.".encode() + b, "sha1").hex(),
            },
        ),
        (
            {"ID_HEADER": "X-Id", "SIGNED_CONTENT": "{id}:{url}:{body}"},
            lambda s, b: {
                "X-Id": "d-1",
                "X-Signature": hmac_digest(
                    s, b"d-1:https://" + shapes.HOST.encode() + b"/prod/webhooks/x:" + b
                ).hex(),
            },
        ),
    ],
)
def test_generic_hmac_configurations(settings: dict[str, str], headers_for: Any) -> None:
    environ = {f"HOOKGATE_GENERIC_{k}": v for k, v in settings.items()}
    generic = providers.get("generic").configured(environ)
    secret, body = "generic-secret", b'{"id":"1","type":"thing.done"}'
    headers = headers_for(secret, body)
    material = SecretMaterial.parse(secret)
    url = f"https://{shapes.HOST}/prod/webhooks/x"
    ours = generic.local.sign(
        secret, body, timestamp=now(), delivery_id="d-1", event_type="e", url=url
    )

    assert generic.verify(request_for(headers, body), material, now_s=now(), tolerance_s=300)
    assert {k: ours[k] for k in headers} == headers
    with pytest.raises(Unauthorized):
        generic.verify(request_for(headers, body + b"!"), material, now_s=now(), tolerance_s=300)
