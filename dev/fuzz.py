"""`make fuzz`: coverage-guided fuzzing (atheris, libFuzzer) of everything that parses input.

Targets, chosen by the first input byte: request normalization (any JSON as a Lambda event),
every provider's verifier (fuzzed headers, query and body), every provider's handshake, what is
read from a body once it verified (replay key, event type, acknowledgement: a signed body may
be pathological too), the secret parser and the payload parser. Events carry lone surrogates,
odd `Host` and `X-Forwarded-*` values and JSON nested past the parser's limit. Allowed outcomes
are the documented ones: a `Request`, or `BadRequest` / `PayloadTooLarge` / `Unauthorized` (and
`ConfigurationError` for a malformed secret value).
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
    from hookgate.material import SecretMaterial
    from hookgate.payload import body_fields, parse_payload
    from hookgate.providers.base import Provider
    from hookgate.request import Request

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


QUERY_NAMES = ["crc_token", "challenge", "validationToken", "hub.challenge", "bodySHA256"]
ODD_VALUES = ["example.com/other?", "443/x", "a@b", "[::1]:8443", "8443, 443", "\ud800"]


def _text(data: atheris.FuzzedDataProvider, size: int) -> str:
    # Lone surrogates too: a JSON event can hold them, an HTTP request never does.
    if data.ConsumeIntInRange(0, 7) == 0:
        return str(data.PickValueInList(ODD_VALUES))
    with_surrogates = data.ConsumeBool()
    return str(
        data.ConsumeUnicode(size) if with_surrogates else data.ConsumeUnicodeNoSurrogates(size)
    )


def _body(data: atheris.FuzzedDataProvider) -> str:
    if data.ConsumeIntInRange(0, 5) == 0:  # nested past the JSON parser's recursion limit
        depth = data.ConsumeIntInRange(900, 5000)
        opener, closer = data.PickValueInList([("[", "]"), ('{"a":', "}"), ('{"value":[', "]}")])
        return f"{opener * depth}{closer * depth}"
    return str(data.ConsumeUnicodeNoSurrogates(2048))


def _event(data: atheris.FuzzedDataProvider) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for _ in range(data.ConsumeIntInRange(0, 8)):
        name = (
            data.PickValueInList(HEADER_NAMES)
            if data.ConsumeBool()
            else data.ConsumeUnicodeNoSurrogates(20)
        )
        headers.setdefault(name, []).append(_text(data, 120))
    key = data.PickValueInList(QUERY_NAMES) if data.ConsumeBool() else _text(data, 12)
    query = {key: [_text(data, 40)]}
    context: dict[str, Any] = {"path": "/prod/webhooks/x"}
    if data.ConsumeBool():  # else, as for ALB, the Host header names the host
        context["domainName"] = "example.com"
    return {
        "httpMethod": data.PickValueInList(["POST", "GET", "PUT"]),
        "path": "/webhooks/x",
        "multiValueHeaders": headers,
        "multiValueQueryStringParameters": query,
        "requestContext": context,
        "body": _body(data),
        "isBase64Encoded": data.ConsumeBool(),
    }


def _request(data: atheris.FuzzedDataProvider) -> Request | None:
    try:
        return Request.from_event(_event(data), max_body_bytes=16384)
    except (BadRequest, PayloadTooLarge):
        return None


def _normalize(data: atheris.FuzzedDataProvider) -> None:
    try:
        event = json.loads(data.ConsumeUnicodeNoSurrogates(4096))
    except ValueError:
        return
    with contextlib.suppress(BadRequest, PayloadTooLarge):
        Request.from_event(event, max_body_bytes=2048)


def _verify(data: atheris.FuzzedDataProvider) -> None:
    definition = data.PickValueInList(DEFINITIONS)
    if definition.name in ("paypal", "plaid", "sns"):
        return  # verified against a downloaded certificate or key: covered by tests/integration
    request = _request(data)
    if request is None:
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
    request = _request(data)
    if request is None:
        return
    json.dumps(parse_payload(request).event)  # publishable: JSON-serializable


def _handshake(data: atheris.FuzzedDataProvider) -> None:
    definition: Provider = data.PickValueInList([d for d in DEFINITIONS if d.handshake])
    request = _request(data)
    if request is None or definition.handshake is None:
        return
    with contextlib.suppress(BadRequest, Unauthorized):
        definition.handshake(request, SECRET, None)


def _after_verification(data: atheris.FuzzedDataProvider) -> None:
    # What the pipeline reads from a verified request: any signed body may be this odd.
    definition: Provider = data.PickValueInList(DEFINITIONS)
    request = _request(data)
    if request is None:
        return
    payload = body_fields(request, parse_payload(request))
    try:
        key = definition.replay_key(request, payload)
    except Unauthorized:
        # Mailgun's and Coinbase's ids are read from the signature's own fields: a request
        # without them never verified, so never gets here. Anything else raised is a crash.
        return
    assert isinstance(key, str)
    assert key
    event_type = definition.event_type(request, payload)
    assert event_type is None or isinstance(event_type, str)
    if definition.acknowledge is not None:
        definition.acknowledge(request, payload)


TARGETS = [_normalize, _verify, _verify, _secret, _payload, _handshake, _after_verification]


def one_input(raw: bytes) -> None:
    data = atheris.FuzzedDataProvider(raw)
    TARGETS[data.ConsumeIntInRange(0, len(TARGETS) - 1)](data)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
