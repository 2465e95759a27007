"""`make fuzz`: coverage-guided fuzzing (atheris, libFuzzer) of everything that parses input.

Targets, chosen by the first input byte: request normalization (any JSON as a Lambda event),
every provider's verifier (fuzzed headers, query and body), the secret parser and the payload
parser. Allowed outcomes are the documented ones: a `Request`, or `BadRequest` /
`PayloadTooLarge` / `Unauthorized` (and `ConfigurationError` for a malformed secret value).
Anything else, or a verifier accepting a request that no configured secret signed, is a crash,
and libFuzzer stops with the input that caused it.

Bounded by `-max_total_time=<s>` or `-runs=<n>` (libFuzzer flags, passed through).
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports():
    from hookgate import providers
    from hookgate.errors import BadRequest, ConfigurationError, PayloadTooLarge, Unauthorized
    from hookgate.payload import parse_payload
    from hookgate.request import Request
    from hookgate.secrets import SecretMaterial

DEFINITIONS = [providers.get(name) for name in providers.NAMES]
SECRET = SecretMaterial.parse(
    json.dumps(
        {
            "signing_secrets": ["whsec_ZnV6emluZy1zZWNyZXQtMDEyMzQ1Njc4OWFi", "fuzzing-secret"],
            "public_key": ["00" * 32],
            "verify_token": "fuzzing-verify-token",
            "webhook_id": "WH-FUZZ",
            "notification_url": "https://example.com/webhooks/square",
        }
    )
)
NOW = 1_800_000_000
HEADER_NAMES = sorted(
    {d.signature_header for d in DEFINITIONS}
    | {h for d in DEFINITIONS for h in d.forwarded_headers}
    | {"Content-Type", "Host", "X-Forwarded-Proto", "X-Slack-Request-Timestamp",
       "x-zm-request-timestamp", "webhook-id", "webhook-timestamp", "svix-id", "svix-timestamp",
       "X-Signature-Timestamp", "X-Twilio-Email-Event-Webhook-Timestamp", "PAYPAL-CERT-URL",
       "PAYPAL-TRANSMISSION-TIME", "PAYPAL-AUTH-ALGO", "Twitch-Eventsub-Message-Timestamp",
       "X-Hook-Secret", "X-Okta-Verification-Challenge", "Authorization"}
)  # fmt: skip


def _event(data: atheris.FuzzedDataProvider) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for _ in range(data.ConsumeIntInRange(0, 8)):
        name = (
            data.PickValueInList(HEADER_NAMES)
            if data.ConsumeBool()
            else data.ConsumeUnicodeNoSurrogates(20)
        )
        headers.setdefault(name, []).append(data.ConsumeUnicodeNoSurrogates(120))
    query = {data.ConsumeUnicodeNoSurrogates(12): [data.ConsumeUnicodeNoSurrogates(40)]}
    return {
        "httpMethod": data.PickValueInList(["POST", "GET", "PUT"]),
        "path": "/webhooks/x",
        "multiValueHeaders": headers,
        "multiValueQueryStringParameters": query,
        "requestContext": {"path": "/prod/webhooks/x", "domainName": "example.com"},
        "body": data.ConsumeUnicodeNoSurrogates(2048),
        "isBase64Encoded": data.ConsumeBool(),
    }


def _normalize(data: atheris.FuzzedDataProvider) -> None:
    try:
        event = json.loads(data.ConsumeUnicodeNoSurrogates(4096))
    except ValueError:
        return
    with contextlib.suppress(BadRequest, PayloadTooLarge):
        Request.from_event(event, max_body_bytes=2048)


def _verify(data: atheris.FuzzedDataProvider) -> None:
    definition = data.PickValueInList(DEFINITIONS)
    if definition.name == "paypal":
        return  # verified against a downloaded certificate: covered by tests/integration
    try:
        request = Request.from_event(_event(data), max_body_bytes=4096)
    except (BadRequest, PayloadTooLarge):
        return
    try:
        verification = definition.verify(request, SECRET, now_s=NOW, tolerance_s=300)
    except (Unauthorized, ConfigurationError):
        return
    raise AssertionError(f"{definition.name} accepted {verification.scheme} from fuzzed input")


def _secret(data: atheris.FuzzedDataProvider) -> None:
    with contextlib.suppress(ConfigurationError):
        SecretMaterial.parse(data.ConsumeUnicodeNoSurrogates(512))


def _payload(data: atheris.FuzzedDataProvider) -> None:
    try:
        request = Request.from_event(_event(data), max_body_bytes=4096)
    except (BadRequest, PayloadTooLarge):
        return
    json.dumps(parse_payload(request).event)  # publishable: JSON-serializable


TARGETS = [_normalize, _verify, _verify, _secret, _payload]


def one_input(raw: bytes) -> None:
    data = atheris.FuzzedDataProvider(raw)
    TARGETS[data.ConsumeIntInRange(0, len(TARGETS) - 1)](data)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
