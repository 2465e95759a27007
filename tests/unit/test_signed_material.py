"""Each provider's `signed` declaration against its behaviour, and against the docs.

What a declaration says the signature covers must be covered (changing it refuses the
delivery); everything else may change freely without making a verified delivery new (same
replay key, same event type where the type is declared signed). Handshake answers, which some
providers compute with the signing key, never verify as a delivery when fed back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from hookgate import providers
from hookgate.devtools.simulate import TestDelivery, make_delivery
from hookgate.errors import ConfigurationError, HookgateError, Unauthorized
from hookgate.material import SecretMaterial
from hookgate.payload import body_fields, parse_payload
from hookgate.providers.base import Provider, Verification
from hookgate.request import Request
from tests.support import shapes
from tests.support.providers import IN_PROCESS, query_of

NOW = 1_800_000_000
URL = f"https://{shapes.HOST}/prod/webhooks/x"
# PayPal's, SNS's and Plaid's keys are downloaded: their declarations are exercised in
# test_paypal.py, test_sns.py and test_plaid.py.
CHECKED = list(IN_PROCESS)
#: Header names some provider reads: an attacker adds or changes any of them.
EVERY_HEADER = sorted(
    {
        h.lower()
        for name in providers.NAMES
        for h in (
            *providers.get(name).forwarded_headers,
            *providers.get(name).signed.headers,
            providers.get(name).signature_header,
        )
    }
    | {"svix-id", "svix-timestamp", "webhook-id", "webhook-timestamp", "x-webhook-id"}
    | {"content-type", "host", "x-forwarded-port", "x-forwarded-proto"}
)


def _genuine(provider: str) -> TestDelivery:
    return make_delivery(
        provider,
        DEV_SECRETS[provider],
        url=URL,
        timestamp=NOW,
        delivery_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    )


def _request(headers: list[tuple[str, str]], body: bytes, query: list[tuple[str, str]]) -> Request:
    return Request.from_event(shapes.rest_v1(headers=headers, body=body, query=query))


def _outcome(definition: Provider, request: Request) -> tuple[Verification, str, str | None]:
    material = SecretMaterial.parse(STORED_DEV_SECRETS[definition.name])
    verification = definition.verify(request, material, now_s=NOW, tolerance_s=300)
    fields = body_fields(request, parse_payload(request))
    return (
        verification,
        definition.replay_key(request, fields),
        definition.event_type(request, fields),
    )


@pytest.mark.parametrize("provider", CHECKED)
def test_headers_declared_signed_are_signed(provider: str) -> None:
    definition = providers.get(provider)
    sent = _genuine(provider)
    assert _outcome(definition, _request(list(sent.headers.items()), sent.body, query_of(sent)))
    for name in definition.signed.headers:
        if name not in sent.headers:
            continue  # the other header style (Svix's `webhook-*`)
        changed = {**sent.headers, name: sent.headers[name] + "1"}

        with pytest.raises(Unauthorized):
            _outcome(definition, _request(list(changed.items()), sent.body, query_of(sent)))


@pytest.mark.parametrize("provider", [name for name in CHECKED if providers.get(name).signed.body])
def test_a_body_declared_signed_is_signed(provider: str) -> None:
    definition = providers.get(provider)
    sent = _genuine(provider)
    # One character changed inside the body (its JSON or form stays well formed).
    changed = sent.body.replace(b"0", b"1", 1) if b"0" in sent.body else sent.body + b" "

    with pytest.raises(Unauthorized):
        _outcome(definition, _request(list(sent.headers.items()), changed, query_of(sent)))


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CHECKED), st.data())
def test_changing_what_is_not_signed_never_makes_a_verified_delivery_new(
    provider: str, data: st.DataObject
) -> None:
    """Any unsigned header changed, added or repeated, any query added: either refused, or
    the same replay key (so a duplicate), the same event type where that is declared signed."""
    definition = providers.get(provider)
    sent = _genuine(provider)
    genuine = _outcome(definition, _request(list(sent.headers.items()), sent.body, query_of(sent)))
    signed = {h.lower() for h in (*definition.signed.headers, definition.signature_header)}
    headers = list(sent.headers.items())
    for _ in range(data.draw(st.integers(1, 4))):
        name = data.draw(st.sampled_from(EVERY_HEADER))
        if name in signed and name in {h.lower() for h, _ in headers}:
            continue  # covered: test_headers_declared_signed_are_signed
        value = data.draw(
            st.text(max_size=20)
            | st.uuids().map(str)
            | st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "h:1", "1"])
        )
        if data.draw(st.booleans()):
            headers = [(h, v) for h, v in headers if h.lower() != name]
        headers.append((name, value))
    query = data.draw(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=2))
    # Added to what the delivery is sent with (Mailchimp's secret).
    query = [*query_of(sent), *query]

    try:
        verification, key, event_type = _outcome(definition, _request(headers, sent.body, query))
    except HookgateError:  # refused (401), or a request no client could send (400)
        return

    assert key == genuine[1]
    assert verification.signed_at_s == genuine[0].signed_at_s
    if definition.signed.event_type:
        assert event_type == genuine[2]


def _handshakes(provider: str, token: str) -> list[tuple[Request, Verification | None]]:
    """Requests that make `provider` answer a handshake about `token`, as an attacker gets
    them: unauthenticated where the provider signs nothing, else captured genuine ones."""
    query_of = {
        "twitter": "crc_token",
        "dropbox": "challenge",
        "msgraph": "validationToken",
        "meta": "hub.challenge",
    }
    body_of: dict[str, Any] = {
        "slack": {"type": "url_verification", "challenge": token},
        "zoom": {"event": "endpoint.url_validation", "payload": {"plainToken": token}},
        "twitch": {"challenge": token, "subscription": {"type": "channel.follow"}},
        "discord": {"type": 1, "id": token},
    }
    if provider in query_of:
        query = [(query_of[provider], token), ("hub.mode", "subscribe")]
        material = SecretMaterial.parse(STORED_DEV_SECRETS[provider])
        query.append(("hub.verify_token", material.verify_token or ""))
        event = shapes.rest_v1(method="GET", headers=[], body=b"", query=query)
        return [(Request.from_event(event), None)]
    if provider in body_of:
        body = json.dumps(body_of[provider]).encode()
        sent = make_delivery(
            provider,
            DEV_SECRETS[provider],
            body=body,
            url=URL,
            timestamp=NOW,
            event_type="webhook_callback_verification",
        )
        request = _request(list(sent.headers.items()), body, [])
        return [(request, _outcome(providers.get(provider), request)[0])]
    return []


HANDSHAKING = [name for name in CHECKED if _handshakes(name, "t")]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(HANDSHAKING),
    st.text(min_size=1, max_size=60) | st.sampled_from(['{"a":1}', "v0:1:{}", "t=1,v1=x"]),
)
def test_no_handshake_answer_verifies_as_a_delivery(provider: str, token: str) -> None:
    definition = providers.get(provider)
    assert definition.handshake is not None
    material = SecretMaterial.parse(STORED_DEV_SECRETS[provider])
    for request, verification in _handshakes(provider, token):
        try:
            reply = definition.handshake(request, material, verification)
        except HookgateError:
            continue  # refused: nothing to feed back
        assert reply is not None
        try:
            answer: Any = json.loads(reply.body)
        except ValueError:
            answer = reply.body
        candidates = {s for s in [*_strings(answer), *reply.headers.values()] if s}
        genuine = _genuine(provider)
        for candidate in candidates:
            for body in {token.encode(), candidate.encode()}:
                # The answer in place of the signature, everything else as a delivery has it.
                headers = {**genuine.headers, definition.signature_header: candidate}
                forged = Request.from_event(
                    shapes.rest_v1(headers=list(headers.items()), body=body)
                )
                with pytest.raises(HookgateError):
                    definition.verify(forged, material, now_s=NOW, tolerance_s=300)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/octet-stream"]
)
def test_slack_form_keeps_its_key_and_type_under_another_content_type(content_type: str) -> None:
    definition = providers.get("slack")
    body = b"command=%2Fdeploy&text=now&trigger_id=13345224609.738474920.8088930838d88f008e0"
    sent = make_delivery("slack", DEV_SECRETS["slack"], body=body, url=URL, timestamp=NOW)
    as_form = {**sent.headers, "Content-Type": "application/x-www-form-urlencoded"}
    resent = {**sent.headers, "Content-Type": content_type}

    genuine = _outcome(definition, _request(list(as_form.items()), body, []))
    again = _outcome(definition, _request(list(resent.items()), body, []))

    assert genuine[2] == "slash_command"
    assert again[1:] == genuine[1:]


GENERIC_BOUNDARY = {
    "HOOKGATE_GENERIC_SIGNED_CONTENT": "{timestamp}.{id}.{body}",
    "HOOKGATE_GENERIC_ID_HEADER": "X-Id",
    "HOOKGATE_GENERIC_TIMESTAMP_HEADER": "X-Ts",
}


def test_generic_id_cannot_take_bytes_from_the_body() -> None:
    # Found by review: with `{id}` signed next to `{body}`, a captured delivery cut at another
    # "." verified with another id (a new replay key) and a shortened body.
    generic = providers.get("generic").configured(GENERIC_BOUNDARY)
    secret = "generic-secret"
    body = b'{"id": "evt_1", "type": "invoice.paid"}'
    headers = generic.local.sign(
        secret, body, timestamp=NOW, delivery_id="msg_1", event_type="e", url=""
    )
    cut = body.index(b".") + 1
    moved = {**headers, "X-Id": "msg_1." + body[: cut - 1].decode()}
    material = SecretMaterial.parse(secret)

    assert generic.verify(
        _request(list(headers.items()), body, []), material, now_s=NOW, tolerance_s=300
    )
    with pytest.raises(Unauthorized):
        generic.verify(
            _request(list(moved.items()), body[cut:], []), material, now_s=NOW, tolerance_s=300
        )


@pytest.mark.parametrize(
    "settings",
    [
        # A timestamp header nobody signs would let anyone make a delivery fresh.
        {"HOOKGATE_GENERIC_TIMESTAMP_HEADER": "X-Ts"},
        {**GENERIC_BOUNDARY, "HOOKGATE_GENERIC_SIGNED_CONTENT": "{timestamp}.{body}.{id}"},
        {"HOOKGATE_GENERIC_SIGNED_CONTENT": "{body}{url}"},
    ],
)
def test_generic_configurations_that_sign_ambiguously_are_refused(settings: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError):
        providers.get("generic").configured(settings)
