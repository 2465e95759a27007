"""HubSpot against its official SDK (`hubspot.utils.signature.Signature`) both ways, and the
v1/v2 examples of HubSpot's request-validation docs."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hubspot.exceptions import InvalidSignatureTimestampError  # type: ignore[import-untyped]
from hubspot.utils.signature import Signature  # type: ignore[import-untyped]

from hookgate import providers
from hookgate.errors import Unauthorized
from hookgate.material import SecretMaterial
from hookgate.providers.base import Verification
from hookgate.request import Request
from tests.support.oracles import now, rejects, request_for, sign, verify

SECRET = "hubspot-client-secret-0123"
URL = "https://hooks.example.com/prod/webhooks/hubspot"
BODY = (
    b'[{"eventId":100,"subscriptionId":12345,"portalId":62515,"appId":54321,'
    b'"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,'
    b'"objectId":123,"changeSource":"CRM","changeFlag":"NEW"}]'
)
#: The docs' placeholder client secret, and their v1 and v2 examples.
DOC_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
DOC_V1_BODY = (
    b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
    b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
    b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
)
DOC_V1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
DOC_V2_URL = "https://www.example.com/webhook_uri"
DOC_V2_BODY = b'{"example_field":"example_value"}'
DOC_V2 = "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"


def v3_headers(millis: int, *, uri: str = URL, body: bytes = BODY) -> dict[str, str]:
    signature = Signature.get_signature(
        SECRET, body.decode(), "v3", http_uri=uri, http_method="POST", timestamp=str(millis)
    )
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(millis)}


def legacy_verify(request: Request, stored: str) -> Verification:
    hubspot = providers.get("hubspot").configured({"HOOKGATE_HUBSPOT_SIGNATURES": "legacy"})
    return hubspot.verify(request, SecretMaterial.parse(stored), now_s=now(), tolerance_s=300)


def test_the_sdk_accepts_hookgates_signature_and_refuses_a_changed_body_or_url() -> None:
    ours = sign("hubspot", SECRET, BODY, url=URL)
    millis = ours["X-HubSpot-Request-Timestamp"]

    def sdk(body: bytes, uri: str) -> bool:
        return bool(
            Signature.is_valid(
                ours["X-HubSpot-Signature-v3"], SECRET, body.decode(), uri, "POST", "v3", millis
            )
        )

    assert sdk(BODY, URL)
    assert not sdk(BODY + b" ", URL)
    assert not sdk(BODY, URL + "/")
    # HubSpot sends the v1 signature beside v3, as the SDK computes it.
    assert Signature.is_valid(
        ours["X-HubSpot-Signature"], SECRET, BODY.decode(), None, "POST", "v1"
    )


def test_a_signature_made_by_the_sdk_verifies_and_binds_method_url_body_and_time() -> None:
    millis = now() * 1000
    headers = v3_headers(millis)

    verification = verify("hubspot", request_for(headers, BODY, url=URL), SECRET)

    assert verification.scheme == "hmac-sha256"
    assert verification.signed_at_s in (now(), now() - 1)
    assert rejects("hubspot", request_for(headers, BODY, url=URL + "/"), SECRET)
    assert rejects("hubspot", request_for(headers, BODY + b" ", url=URL), SECRET)
    moved = {**headers, "X-HubSpot-Request-Timestamp": str(millis + 1)}
    assert rejects("hubspot", request_for(moved, BODY, url=URL), SECRET)
    assert rejects("hubspot", request_for(headers, BODY, url=URL, method="PUT"), SECRET)
    # A near miss: the same HMAC in hex, not HubSpot's base64.
    digest = base64.b64decode(headers["X-HubSpot-Signature-v3"]).hex()
    as_hex = {**headers, "X-HubSpot-Signature-v3": digest}
    assert rejects("hubspot", request_for(as_hex, BODY, url=URL), SECRET)


def test_stale_and_future_timestamps_are_refused_where_the_sdk_bounds_only_the_past() -> None:
    stale, future = (now() - 301) * 1000, (now() + 301) * 1000
    with pytest.raises(InvalidSignatureTimestampError):
        Signature.is_valid("x", SECRET, BODY.decode(), URL, "POST", "v3", str(stale))
    sdk_future = v3_headers(future)
    assert Signature.is_valid(
        sdk_future["X-HubSpot-Signature-v3"], SECRET, BODY.decode(), URL, "POST", "v3", str(future)
    )

    assert rejects("hubspot", request_for(v3_headers(stale), BODY, url=URL), SECRET)
    assert rejects("hubspot", request_for(sdk_future, BODY, url=URL), SECRET)


def test_the_uri_is_signed_with_the_docs_escapes_decoded() -> None:
    # HubSpot signs its target URL with these escapes decoded (its docs' table); the SDK does
    # not decode, so it is given the decoded form, as HubSpot's docs say to build it. API
    # Gateway hands the query over decoded and hookgate encodes it again (`%3A`, `%2F`...).
    decoded = URL + "?portal=a:b/c@d,e"
    headers = v3_headers(now() * 1000, uri=decoded)
    request = request_for(headers, BODY, url=decoded)

    assert request.url == URL + "?portal=a%3Ab%2Fc%40d%2Ce"
    assert verify("hubspot", request, SECRET)
    # The undecoded URL is not what HubSpot signs.
    encoded = v3_headers(now() * 1000, uri=request.url)
    assert rejects("hubspot", request_for(encoded, BODY, url=decoded), SECRET)


def test_a_body_cut_into_the_url_or_the_timestamp_is_refused() -> None:
    millis = str(now() * 1000)
    # Body bytes moved to the timestamp: a leading zero keeps the number but not the text.
    body = BODY + b"0"
    headers = v3_headers(int(millis), body=body)
    moved = {**headers, "X-HubSpot-Request-Timestamp": "0" + millis}
    assert verify("hubspot", request_for(headers, body, url=URL), SECRET)
    assert rejects("hubspot", request_for(moved, BODY, url=URL), SECRET)
    # A body that does not open a JSON value could have lent its start to the URL.
    text = b"x" + BODY
    assert rejects(
        "hubspot", request_for(v3_headers(int(millis), body=text), text, url=URL), SECRET
    )


def test_legacy_v1_and_v2_match_the_docs_examples_only_when_enabled() -> None:
    v1 = {"X-HubSpot-Signature": DOC_V1, "X-HubSpot-Signature-Version": "v1"}
    v2 = {"X-HubSpot-Signature": DOC_V2, "X-HubSpot-Signature-Version": "v2"}
    assert Signature.get_signature(DOC_SECRET, DOC_V1_BODY.decode(), "v1") == DOC_V1
    assert Signature.get_signature(DOC_SECRET, DOC_V2_BODY.decode(), "v2", DOC_V2_URL) == DOC_V2

    assert legacy_verify(request_for(v1, DOC_V1_BODY), DOC_SECRET).scheme == "sha256-v1"
    assert legacy_verify(request_for(v2, DOC_V2_BODY, url=DOC_V2_URL), DOC_SECRET).key_index == 0
    # Off by default: the legacy signatures sign no timestamp.
    assert rejects("hubspot", request_for(v1, DOC_V1_BODY), DOC_SECRET)
    with pytest.raises(Unauthorized):  # v2 binds the URL
        legacy_verify(request_for(v2, DOC_V2_BODY, url=DOC_V2_URL + "/"), DOC_SECRET)
    with pytest.raises(Unauthorized):  # the unsigned version header cannot switch schemes
        legacy_verify(
            request_for({**v1, "X-HubSpot-Signature-Version": "v2"}, DOC_V1_BODY), DOC_SECRET
        )


def test_legacy_is_never_a_fallback_for_a_request_with_a_v3_header() -> None:
    v1 = Signature.get_signature(SECRET, BODY.decode(), "v1")
    stale = v3_headers((now() - 3600) * 1000)
    headers = {**stale, "X-HubSpot-Signature": v1, "X-HubSpot-Signature-Version": "v1"}

    with pytest.raises(Unauthorized):
        legacy_verify(request_for(headers, BODY, url=URL), SECRET)
    del headers["X-HubSpot-Signature-v3"]  # one v3 header left is still v3 or nothing
    with pytest.raises(Unauthorized):
        legacy_verify(request_for(headers, BODY, url=URL), SECRET)


def test_a_legacy_hash_over_a_body_that_is_not_json_text_is_refused() -> None:
    # What a SHA-256 length extension of a captured body looks like: padding bytes (not UTF-8)
    # and data after the genuine JSON. Its hash is computed here with the secret, as the
    # extension would produce it without.
    extended = DOC_V1_BODY + b"\x80" + b"\x00" * 8 + b'[{"eventId":2}]'
    digest = hashlib.sha256(DOC_SECRET.encode() + extended).hexdigest()
    headers = {"X-HubSpot-Signature": digest, "X-HubSpot-Signature-Version": "v1"}

    with pytest.raises(Unauthorized):
        legacy_verify(request_for(headers, extended), DOC_SECRET)


def test_a_retry_is_the_same_delivery_though_its_attempt_number_grows() -> None:
    hubspot = providers.get("hubspot")
    retry = BODY.replace(b'"attemptNumber":0', b'"attemptNumber":1')
    other = BODY.replace(b'"eventId":100', b'"eventId":101')

    def key(body: bytes) -> str:
        request = request_for(v3_headers(now() * 1000, body=body), body, url=URL)
        return hubspot.replay_key(request, json.loads(body))

    assert key(BODY) == key(retry)
    assert key(BODY) != key(other)
    assert hubspot.event_type(request_for({}, BODY), json.loads(BODY)) == "contact.creation"
