"""Plaid through the real handler, its key endpoint served for real: a TLS server standing in
for `sandbox.plaid.com` (its certificate from a test CA), reached through an HTTPS proxy
(`dev/local/certificates.py`, which `make run` uses too), answering
`POST /webhook_verification_key/get` with JWKs for the credentials the local stack's Plaid
secret holds.

The JWTs here are built and signed by this file (ES256 with `cryptography`, from Plaid's
"Verify webhooks" and RFC 7515), not by hookgate. The proxy records every connection and the
server every request, which is how "refused without any network call" and "fetched once" are
observed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from dev.local.certificates import (
    PLAID_HOST,
    CertificateHost,
    DevCA,
    PlaidKeyEndpoint,
    plaid_jwk,
)
from dev.local.samples import STORED_DEV_SECRETS
from tests.conftest import Bus, LambdaContext
from tests.integration.conftest import Clock, PipelineFactory
from tests.support import shapes
from tests.support.leaks import remember_secret, remember_signatures

KEY_PATH = "/webhook_verification_key/get"
KID = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
EXPIRED_KID = "bfbd5111-8e33-4643-8ced-b2e642a72f3c"
#: The credentials the local stack's Plaid secret holds.
CREDENTIALS = json.loads(STORED_DEV_SECRETS["plaid"])
BODY = (
    b'{"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", '
    b'"item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb", "initial_update_complete": true, '
    b'"historical_update_complete": true, "environment": "sandbox"}'
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(
    key: ec.EllipticCurvePrivateKey,
    body: bytes,
    *,
    at: float,
    kid: str = KID,
    alg: str = "ES256",
) -> str:
    """`Plaid-Verification` as Plaid documents it: ES256 over `<header>.<claims>`, `r || s`."""
    header = b64url(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}).encode())
    claims = b64url(
        json.dumps(
            {"iat": int(at), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        ).encode()
    )
    r, s = decode_dss_signature(key.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def claims_digest(token: str) -> str:
    """The replay key Plaid's deliveries are published under: a digest of the claims."""
    return hashlib.sha256(token.split(".")[1].encode()).hexdigest()[:32]


def plaid_event(token: str, body: bytes = BODY) -> dict[str, Any]:
    headers = [("Content-Type", "application/json"), ("Plaid-Verification", token)]
    remember_signatures(dict(headers), "Plaid-Verification")
    return shapes.rest_v1(headers=headers, body=body, path="/webhooks/plaid")


@dataclass(frozen=True)
class Keys:
    ca: DevCA
    signer: ec.EllipticCurvePrivateKey
    expired: ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(DevCA.create(), *(ec.generate_private_key(ec.SECP256R1()) for _ in range(2)))


@dataclass
class PlaidDouble:
    host: CertificateHost
    endpoint: PlaidKeyEndpoint

    @property
    def connections(self) -> list[str]:
        return self.host.connections

    @property
    def asked(self) -> list[dict[str, Any]]:
        assert all(path == KEY_PATH for path, _ in self.host.posts)
        return [json.loads(body) for _, body in self.host.posts]


@pytest.fixture
def plaid(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaidDouble]:
    from hookgate.providers import plaid as module

    remember_secret(CREDENTIALS["secret"])
    endpoint = PlaidKeyEndpoint(
        {
            KID: plaid_jwk(keys.signer.public_key(), KID),
            EXPIRED_KID: plaid_jwk(
                keys.expired.public_key(), EXPIRED_KID, expired_at=1_700_000_000
            ),
        },
        client_id=CREDENTIALS["client_id"],
        secret=CREDENTIALS["secret"],
    )
    with CertificateHost(keys.ca, {}, host=PLAID_HOST, posted={KEY_PATH: endpoint}) as host:
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name, value in host.environment().items():
            monkeypatch.setenv(name, value)
        module._keys.clear()  # each test starts with no key fetched and the full budget
        yield PlaidDouble(host, endpoint)
        module._keys.clear()


def refused(response: dict[str, Any]) -> bool:
    return bool(response["statusCode"] == 401 and "unauthorized" in response["body"])


def test_genuine_webhook_published_once_and_the_key_fetched_once(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("plaid").handle_lambda
    token = jwt(keys.signer, BODY, at=clock())
    # The same body signed a minute later: Plaid's next SYNC_UPDATES_AVAILABLE for the Item.
    later = jwt(keys.signer, BODY, at=clock() + 60)
    clock.offset_s = 60

    responses = [handler(plaid_event(t), lambda_context) for t in (token, token, later)]

    assert [r["statusCode"] for r in responses] == [200, 200, 200]
    assert [json.loads(r["body"])["duplicate"] for r in responses] == [False, True, False]
    [published] = bus.events_for(claims_digest(token))
    assert published["source"] == "hookgate.plaid"
    assert published["detail-type"] == "TRANSACTIONS.SYNC_UPDATES_AVAILABLE"
    assert published["detail"]["payload"] == json.loads(BODY)
    assert published["detail"]["verification"]["scheme"] == "es256"
    assert len(bus.events_for(claims_digest(later))) == 1
    assert plaid.connections == [f"{PLAID_HOST}:443"]
    assert plaid.asked == [
        {"client_id": CREDENTIALS["client_id"], "secret": CREDENTIALS["secret"], "key_id": KID}
    ]


@pytest.mark.parametrize(
    "damage", ["tampered body", "other key", "stale", "future", "production webhook"]
)
def test_forgeries_are_refused(
    damage: str,
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    at = clock() + {"stale": -330, "future": 330}.get(damage, 0)
    key = ec.generate_private_key(ec.SECP256R1()) if damage == "other key" else keys.signer
    body = BODY.replace(b'"sandbox"', b'"production"') if damage == "production webhook" else BODY
    token = jwt(key, body, at=at)
    if damage == "tampered body":
        body = BODY.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")

    response = make_pipeline("plaid").handle_lambda(plaid_event(token, body), lambda_context)

    assert refused(response)
    assert bus.seen(settle_s=0.3) == []
    if damage in ("stale", "future", "tampered body"):
        assert plaid.connections == []  # checked before the key is looked up


def _hs256(body: bytes, at: float) -> str:
    # Signed with the Plaid API secret, as an algorithm-confusion attack would try.
    header = b64url(json.dumps({"alg": "HS256", "kid": KID, "typ": "JWT"}).encode())
    claims = b64url(
        json.dumps(
            {"iat": int(at), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        ).encode()
    )
    mac = hmac.new(CREDENTIALS["secret"].encode(), f"{header}.{claims}".encode(), hashlib.sha256)
    return f"{header}.{claims}.{b64url(mac.digest())}"


def _none(body: bytes, at: float) -> str:
    header = b64url(json.dumps({"alg": "none", "kid": KID, "typ": "JWT"}).encode())
    claims = b64url(
        json.dumps(
            {"iat": int(at), "request_body_sha256": hashlib.sha256(body).hexdigest()}
        ).encode()
    )
    return f"{header}.{claims}."


@pytest.mark.parametrize(
    "kind",
    [
        "alg none",
        "alg none with an ES256 signature",
        "HS256 keyed with the API secret",
        "ES256 called ES384",
        "kid a path",
        "kid a URL",
        "kid an injection",
        "kid empty",
        "not a JWT",
    ],
)
def test_other_algorithms_and_bad_kids_are_refused_without_any_connection(
    kind: str,
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    signed = jwt(keys.signer, BODY, at=clock())
    token = {
        "alg none": lambda: _none(BODY, clock()),
        "alg none with an ES256 signature": lambda: _none(BODY, clock()) + signed.split(".")[2],
        "HS256 keyed with the API secret": lambda: _hs256(BODY, clock()),
        "ES256 called ES384": lambda: jwt(keys.signer, BODY, at=clock(), alg="ES384"),
        "kid a path": lambda: jwt(keys.signer, BODY, at=clock(), kid="../../item/remove"),
        "kid a URL": lambda: jwt(keys.signer, BODY, at=clock(), kid="https://evil.example.com/"),
        "kid an injection": lambda: jwt(keys.signer, BODY, at=clock(), kid=KID + '","key_id":"x'),
        "kid empty": lambda: jwt(keys.signer, BODY, at=clock(), kid=""),
        "not a JWT": lambda: "Bearer " + signed,
    }[kind]()

    response = make_pipeline("plaid").handle_lambda(plaid_event(token), lambda_context)

    assert refused(response)
    assert plaid.connections == []
    assert bus.seen(settle_s=0.3) == []


def test_an_expired_key_is_refused_and_not_asked_for_again(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("plaid").handle_lambda

    responses = [
        handler(plaid_event(jwt(keys.expired, BODY, at=clock(), kid=EXPIRED_KID)), lambda_context)
        for _ in range(3)
    ]

    assert all(refused(r) for r in responses)
    assert [a["key_id"] for a in plaid.asked] == [EXPIRED_KID]
    assert bus.seen(settle_s=0.3) == []


def test_a_kid_plaid_does_not_know_is_a_401_and_not_asked_for_again_at_once(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("plaid").handle_lambda
    unknown = str(uuid.uuid4())

    responses = [
        handler(plaid_event(jwt(keys.signer, BODY, at=clock(), kid=unknown)), lambda_context)
        for _ in range(3)
    ]

    assert all(refused(r) for r in responses)
    assert [a["key_id"] for a in plaid.asked] == [unknown]
    assert bus.seen(settle_s=0.3) == []


def test_a_flood_of_random_kids_is_a_few_calls_to_plaid(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    from hookgate.providers.plaid import FETCH_BURST

    handler = make_pipeline("plaid").handle_lambda

    responses = [
        handler(
            plaid_event(jwt(keys.signer, BODY, at=clock(), kid=str(uuid.uuid4()))), lambda_context
        )
        for _ in range(40)
    ]

    assert all(refused(r) for r in responses)
    assert FETCH_BURST <= len(plaid.asked) <= FETCH_BURST + 1  # one more if 12 s went by
    # ... and the genuine key, once the budget refills, still verifies (cached ones need none).
    assert bus.seen(settle_s=0.3) == []


def test_a_cached_key_needs_no_call_even_during_a_flood(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("plaid").handle_lambda
    first = handler(plaid_event(jwt(keys.signer, BODY, at=clock())), lambda_context)
    for _ in range(20):
        handler(
            plaid_event(jwt(keys.signer, BODY, at=clock(), kid=str(uuid.uuid4()))), lambda_context
        )

    clock.offset_s = 1
    genuine = jwt(keys.signer, BODY, at=clock())
    response = handler(plaid_event(genuine), lambda_context)

    assert first["statusCode"] == response["statusCode"] == 200
    assert len(bus.events_for(claims_digest(genuine))) == 1
    assert [a["key_id"] for a in plaid.asked].count(KID) == 1


def test_plaid_unreachable_is_503_so_plaid_retries(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")

    response = make_pipeline("plaid").handle_lambda(
        plaid_event(jwt(keys.signer, BODY, at=clock())), lambda_context
    )

    assert response["statusCode"] == 503
    assert bus.seen(settle_s=0.3) == []


def test_plaid_failing_is_503_then_its_retry_is_published(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    handler = make_pipeline("plaid").handle_lambda
    plaid.endpoint.failing = True

    failed = handler(plaid_event(jwt(keys.signer, BODY, at=clock())), lambda_context)
    plaid.endpoint.failing = False
    clock.offset_s = 30  # Plaid's first retry, signed again
    retry = jwt(keys.signer, BODY, at=clock())
    answered = handler(plaid_event(retry), lambda_context)

    assert (failed["statusCode"], answered["statusCode"]) == (503, 200)
    assert len(bus.events_for(claims_digest(retry))) == 1
    assert [a["key_id"] for a in plaid.asked] == [KID, KID]


def test_credentials_plaid_refuses_are_a_401(
    plaid: PlaidDouble,
    keys: Keys,
    make_pipeline: PipelineFactory,
    bus: Bus,
    lambda_context: LambdaContext,
    clock: Clock,
) -> None:
    plaid.endpoint.secret = "rotated-at-plaid-but-not-here"

    response = make_pipeline("plaid").handle_lambda(
        plaid_event(jwt(keys.signer, BODY, at=clock())), lambda_context
    )

    assert refused(response)
    assert len(plaid.asked) == 1  # the secret re-read is the same: not asked again at once
    assert bus.seen(settle_s=0.3) == []
