"""Plaid: JWTs checked both ways against an independent ES256 JWS written here with
`cryptography`, from Plaid's documentation ("Verify webhooks": `Plaid-Verification` holds a JWT,
`alg` `ES256`, `kid`; claims `iat` and `request_body_sha256`; the key is the JWK
`/webhook_verification_key/get` returns, `expired_at` null while valid). Plaid publishes no
Python verifier (plaid-python only calls the key endpoint), so the JWS, the JWK and the key
endpoint's answers are built here; where PyJWT is installed it checks both directions too.
The key endpoint is replaced by a stand-in that records what it is asked: the refusals before
any call are observed there (and at a TLS proxy in tests/integration/test_plaid.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from hookgate.devtools.simulate import make_delivery
from hookgate.errors import BadSignature, ConfigurationError, DownstreamError, StaleTimestamp
from hookgate.material import SecretMaterial
from hookgate.providers import plaid
from tests.support.oracles import now, request_for, verify

KID = "bfbd5111-8e33-4643-8ced-b2e642a72f3c"  # the kid of Plaid's documented example header
STORED = json.dumps({"client_id": "client-1", "secret": "plaid-secret-1", "environment": "sandbox"})
BODY = (
    b'{"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE", '
    b'"item_id": "wz666MBjYWTp2PDzzggYhM6oWWmBb", "initial_update_complete": true, '
    b'"historical_update_complete": true, "environment": "sandbox"}'
)


# --- An independent ES256 JWS and JWK, from the RFCs (7515, 7517, 7518) and Plaid's docs -----


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jws(
    key: ec.EllipticCurvePrivateKey,
    body: bytes,
    *,
    at: int | None = None,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    """A JWT as Plaid documents it, signed here: ES256's signature is `r || s`, 32 bytes each."""
    header = {"alg": "ES256", "kid": KID, "typ": "JWT"} if header is None else header
    claims = (
        {
            "iat": now() if at is None else at,
            "request_body_sha256": hashlib.sha256(body).hexdigest(),
        }
        if claims is None
        else claims
    )
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def jwk(key: ec.EllipticCurvePublicKey, kid: str = KID, **fields: Any) -> dict[str, Any]:
    numbers = key.public_numbers()
    return {
        "alg": "ES256", "crv": "P-256", "kid": kid, "kty": "EC", "use": "sig",
        "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big")),
        "created_at": 1_560_000_000, "expired_at": None, **fields,
    }  # fmt: skip


def es256_verifies(public: ec.EllipticCurvePublicKey, token: str) -> dict[str, Any]:
    """The claims of `token` once it verifies here, as a JWS library would check it."""
    header_segment, claims_segment, signature_segment = token.split(".")
    header = json.loads(unb64url(header_segment))
    assert header["alg"] == "ES256"
    signature = unb64url(signature_segment)
    assert len(signature) == 64
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    public.verify(
        encode_dss_signature(r, s),
        f"{header_segment}.{claims_segment}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    claims: dict[str, Any] = json.loads(unb64url(claims_segment))
    return claims


class KeyEndpoint:
    """Plaid's `/webhook_verification_key/get` for one client: JWKs by kid, and every request."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = {k["kid"]: k for k in keys}
        self.asked: list[dict[str, str]] = []
        self.down = False

    def __call__(self, credentials: plaid.Credentials, kid: str) -> bytes:
        self.asked.append(
            {"url": credentials.url, "client_id": credentials.client_id, "key_id": kid}
        )
        if self.down:
            raise DownstreamError()
        if kid not in self.keys:
            raise BadSignature()  # Plaid's 400 for a key id it does not know
        return json.dumps({"key": self.keys[kid], "request_id": "req-1"}).encode()


@pytest.fixture
def signer() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def endpoint(
    signer: ec.EllipticCurvePrivateKey, monkeypatch: pytest.MonkeyPatch
) -> Iterator[KeyEndpoint]:
    served = KeyEndpoint(jwk(signer.public_key()))
    monkeypatch.setattr(plaid, "_fetch", served)
    plaid._keys.clear()
    yield served
    plaid._keys.clear()


def plaid_request(token: str, body: bytes = BODY) -> Any:
    return request_for({"Content-Type": "application/json", "Plaid-Verification": token}, body)


# --- Both ways -------------------------------------------------------------------------------


def test_a_jwt_signed_here_verifies_and_the_key_is_asked_of_plaids_sandbox_once(
    signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    token = jws(signer, BODY)

    first = verify("plaid", plaid_request(token), STORED)
    again = verify("plaid", plaid_request(jws(signer, BODY)), STORED)

    assert (first.scheme, first.signed_at_s) == (
        "es256",
        json.loads(unb64url(token.split(".")[1]))["iat"],
    )
    assert again.scheme == "es256"
    assert endpoint.asked == [
        {
            "url": "https://sandbox.plaid.com/webhook_verification_key/get",
            "client_id": "client-1",
            "key_id": KID,
        }
    ]


def test_what_hookgate_signs_verifies_here_as_plaid_documents_it() -> None:
    signer = json.loads(DEV_SECRETS["plaid"])
    key = load_pem_private_key(signer["private_key"].encode(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)

    sent = make_delivery("plaid", DEV_SECRETS["plaid"])
    token = sent.headers["Plaid-Verification"]
    claims = es256_verifies(key.public_key(), token)

    assert json.loads(unb64url(token.split(".")[0])) == {
        "alg": "ES256", "kid": signer["kid"], "typ": "JWT",
    }  # fmt: skip
    assert claims["request_body_sha256"] == hashlib.sha256(sent.body).hexdigest()
    assert abs(claims["iat"] - now()) <= 5
    body = json.loads(sent.body)
    assert sent.event_type == f"{body['webhook_type']}.{body['webhook_code']}"
    assert json.loads(STORED_DEV_SECRETS["plaid"]) == {
        "client_id": signer["client_id"], "secret": signer["secret"], "environment": "sandbox",
    }  # fmt: skip


def test_pyjwt_agrees_both_ways(signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint) -> None:
    jwt = pytest.importorskip("jwt")
    public_jwk = jwt.PyJWK(jwk(signer.public_key()))
    by_pyjwt = jwt.encode(
        {"iat": now(), "request_body_sha256": hashlib.sha256(BODY).hexdigest()},
        signer,
        algorithm="ES256",
        headers={"kid": KID},
    )
    pem = signer.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    ours = plaid.sign(
        plaid.local_signer(pem, KID), BODY, timestamp=now(), delivery_id="d", event_type="e", url=""
    )["Plaid-Verification"]

    assert verify("plaid", plaid_request(by_pyjwt), STORED).scheme == "es256"
    claims = jwt.decode(ours, public_jwk.key, algorithms=["ES256"])
    assert claims["request_body_sha256"] == hashlib.sha256(BODY).hexdigest()


# --- Refused -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage", ["body changed", "other key", "claimed digest of another body", "upper-case digest"]
)
def test_forgeries_are_refused(
    damage: str, signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    body = BODY
    key = ec.generate_private_key(ec.SECP256R1()) if damage == "other key" else signer
    claims = None
    if damage == "claimed digest of another body":
        claims = {"iat": now(), "request_body_sha256": hashlib.sha256(b"{}").hexdigest()}
    if damage == "upper-case digest":
        claims = {"iat": now(), "request_body_sha256": hashlib.sha256(BODY).hexdigest().upper()}
    token = jws(key, body, claims=claims)
    if damage == "body changed":
        body = BODY.replace(b"SYNC_UPDATES_AVAILABLE", b"DEFAULT_UPDATE")

    with pytest.raises(BadSignature):
        verify("plaid", plaid_request(token, body), STORED)


@pytest.mark.parametrize("offset", [-301, 301])
def test_stale_and_future_iat_are_refused_before_any_call(
    offset: int, signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    token = jws(signer, BODY, at=now() + offset)

    with pytest.raises(StaleTimestamp):
        verify("plaid", plaid_request(token), STORED)
    assert endpoint.asked == []


def _header(**fields: Any) -> dict[str, Any]:
    return {"alg": "ES256", "kid": KID, "typ": "JWT", **fields}


def _hs256(body: bytes) -> str:
    import hmac

    header = b64url(json.dumps({"alg": "HS256", "kid": KID, "typ": "JWT"}).encode())
    claims = b64url(
        json.dumps({"iat": now(), "request_body_sha256": hashlib.sha256(body).hexdigest()}).encode()
    )
    mac = hmac.new(b"plaid-secret-1", f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{b64url(mac)}"


def _none(body: bytes) -> str:
    header = b64url(json.dumps({"alg": "none", "kid": KID}).encode())
    claims = b64url(
        json.dumps({"iat": now(), "request_body_sha256": hashlib.sha256(body).hexdigest()}).encode()
    )
    return f"{header}.{claims}."


MALFORMED = {
    "alg none": lambda key: _none(BODY),
    "alg none, signature kept": lambda key: _none(BODY) + jws(key, BODY).split(".")[2],
    "HS256 with the API secret": lambda key: _hs256(BODY),
    "alg ES384": lambda key: jws(key, BODY, header=_header(alg="ES384")),
    "alg es256": lambda key: jws(key, BODY, header=_header(alg="es256")),
    "alg missing": lambda key: jws(key, BODY, header={"kid": KID}),
    "alg twice": lambda key: jws(key, BODY).replace(
        jws(key, BODY).split(".")[0],
        b64url(b'{"alg": "none", "alg": "ES256", "kid": "' + KID.encode() + b'"}'),
    ),
    "crit": lambda key: jws(key, BODY, header=_header(crit=["exp"], exp=1)),
    "typ JOSE+JSON": lambda key: jws(key, BODY, header=_header(typ="JOSE+JSON")),
    "kid missing": lambda key: jws(key, BODY, header={"alg": "ES256"}),
    "kid a path": lambda key: jws(key, BODY, header=_header(kid="../../link/token/create")),
    "kid a URL": lambda key: jws(key, BODY, header=_header(kid="https://evil.example.com/k")),
    "kid not a uuid": lambda key: jws(key, BODY, header=_header(kid="key-1")),
    "kid with a newline": lambda key: jws(key, BODY, header=_header(kid=KID + "\n")),
    "kid a number": lambda key: jws(key, BODY, header=_header(kid=7)),
    "iat a string": lambda key: jws(
        key,
        BODY,
        claims={"iat": str(now()), "request_body_sha256": hashlib.sha256(BODY).hexdigest()},
    ),
    "iat true": lambda key: jws(
        key, BODY, claims={"iat": True, "request_body_sha256": hashlib.sha256(BODY).hexdigest()}
    ),
    "iat a float": lambda key: jws(
        key,
        BODY,
        claims={"iat": now() + 0.5, "request_body_sha256": hashlib.sha256(BODY).hexdigest()},
    ),
    "no body digest": lambda key: jws(key, BODY, claims={"iat": now()}),
    "claims an array": lambda key: jws(key, BODY, claims=[now()]),  # type: ignore[arg-type]
    "padded": lambda key: ".".join(s + "=" * (-len(s) % 4) for s in jws(key, BODY).split(".")),
    "standard base64": lambda key: jws(key, BODY)[:-1] + "+",
    "four parts": lambda key: jws(key, BODY) + ".e30",
    "two parts": lambda key: ".".join(jws(key, BODY).split(".")[:2]),
    "DER signature": lambda key: ".".join(
        [
            *jws(key, BODY).split(".")[:2],
            b64url(key.sign(b"x", ec.ECDSA(hashes.SHA256()))),
        ]
    ),
    "signature 65 bytes": lambda key: jws(key, BODY) + "A",
    "too long": lambda key: jws(key, BODY, header=_header(pad="x" * 4000)),
    "spaces": lambda key: " " + jws(key, BODY),
    "bearer": lambda key: "Bearer " + jws(key, BODY),
}


@pytest.mark.parametrize("damage", sorted(MALFORMED))
def test_malformed_or_other_algorithm_jwts_are_refused_before_any_call(
    damage: str, signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    token = MALFORMED[damage](signer)

    with pytest.raises(BadSignature):
        verify("plaid", plaid_request(token), STORED)
    assert endpoint.asked == []


def test_a_non_canonical_base64url_spelling_is_refused() -> None:
    # "e30" is `{}`; "e31" decodes to the same bytes with an unused bit set.
    assert plaid._b64url("e30") == b"{}"
    with pytest.raises(BadSignature):
        plaid._b64url("e31")


def test_the_missing_header_is_a_missing_signature(endpoint: KeyEndpoint) -> None:
    from hookgate.errors import MissingSignature

    with pytest.raises(MissingSignature):
        verify("plaid", request_for({"Content-Type": "application/json"}, BODY), STORED)


def test_a_webhook_from_the_other_environment_is_refused(
    signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    production = json.dumps({**json.loads(STORED), "environment": "production"})

    with pytest.raises(BadSignature):  # signed, but a sandbox webhook
        verify("plaid", plaid_request(jws(signer, BODY)), production)
    assert endpoint.asked[0]["url"] == "https://production.plaid.com/webhook_verification_key/get"


@pytest.mark.parametrize(
    "stored",
    [
        "a placeholder",
        json.dumps({"client_id": "c", "secret": "s"}),
        json.dumps({"client_id": "c", "secret": "s", "environment": "development"}),
        json.dumps({"client_id": "c", "secret": "s", "environment": "https://evil.example.com"}),
        json.dumps({"client_id": "", "secret": "s", "environment": "sandbox"}),
        json.dumps({"client_id": "c", "secret": 1, "environment": "sandbox"}),
    ],
)
def test_a_secret_without_plaid_credentials_is_a_configuration_error(
    stored: str, signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    with pytest.raises(ConfigurationError):
        verify("plaid", plaid_request(jws(signer, BODY)), stored)
    assert endpoint.asked == []


def test_the_credentials_never_show_in_a_repr() -> None:
    found = plaid.credentials(SecretMaterial.parse(STORED))

    assert "plaid-secret-1" not in repr(found)


# --- The key Plaid answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"kid": str(uuid.uuid4())},
        {"kty": "RSA"},
        {"crv": "P-384"},
        {"alg": "ES384"},
        {"use": "enc"},
        {"x": b64url(bytes(32))},
        {"y": b64url(b"\x01" * 32)},
        {"x": "not base64url!"},
        {"expired_at": "soon"},
    ],
)
def test_keys_that_are_not_the_kids_p256_signing_key_are_refused(change: dict[str, Any]) -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    answer = json.dumps({"key": jwk(public, **change), "request_id": "r"}).encode()

    with pytest.raises(BadSignature):
        plaid.public_key(answer, KID)


def test_a_key_answer_without_expired_at_or_key_is_refused() -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    without = {k: v for k, v in jwk(public).items() if k != "expired_at"}

    for answer in ({"key": without}, {"error_code": "X"}, [jwk(public)]):
        with pytest.raises(BadSignature):
            plaid.public_key(json.dumps(answer).encode(), KID)


def test_an_expired_key_is_refused_and_not_asked_for_again(
    signer: ec.EllipticCurvePrivateKey, endpoint: KeyEndpoint
) -> None:
    endpoint.keys[KID] = jwk(signer.public_key(), expired_at=1_700_000_000)

    for _ in range(3):
        with pytest.raises(BadSignature):
            verify("plaid", plaid_request(jws(signer, BODY)), STORED)
    assert len(endpoint.asked) == 1


# --- The cache and the bounds on asking ------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


CREDENTIALS = plaid.Credentials(client_id="client-1", secret="s", environment="sandbox")


def test_a_cached_key_is_asked_again_after_an_hour_and_kept_when_plaid_is_down() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    served, clock = KeyEndpoint(jwk(key)), Clock()
    cache = plaid.KeyCache(served, clock=clock)

    cache.key(CREDENTIALS, KID)
    clock.now += plaid.RECHECK_S - 1
    cache.key(CREDENTIALS, KID)
    assert len(served.asked) == 1
    clock.now += 2
    served.down = True
    assert cache.key(CREDENTIALS, KID).public_numbers() == key.public_numbers()
    cache.key(CREDENTIALS, KID)  # asked again only a minute later
    assert len(served.asked) == 2
    clock.now += plaid.RETRY_S
    served.down = False
    served.keys[KID] = jwk(key, expired_at=1_700_000_000)
    with pytest.raises(BadSignature):  # Plaid has expired it since
        cache.key(CREDENTIALS, KID)
    assert len(served.asked) == 3


def test_a_new_kid_makes_the_cached_ones_checked_again() -> None:
    old, new = (ec.generate_private_key(ec.SECP256R1()).public_key() for _ in range(2))
    other = str(uuid.uuid4())
    served, clock = KeyEndpoint(jwk(old), jwk(new, kid=other)), Clock()
    cache = plaid.KeyCache(served, clock=clock)
    cache.key(CREDENTIALS, KID)
    served.keys[KID] = jwk(old, expired_at=1_700_000_000)  # rotated: Plaid expired the old one

    cache.key(CREDENTIALS, other)

    with pytest.raises(BadSignature):
        cache.key(CREDENTIALS, KID)
    assert [a["key_id"] for a in served.asked] == [KID, other, KID]


def test_a_kid_plaid_refused_is_not_asked_again_for_a_minute_unless_the_credentials_change() -> (
    None
):
    served, clock = KeyEndpoint(), Clock()
    cache = plaid.KeyCache(served, clock=clock)
    rotated = plaid.Credentials(client_id="client-1", secret="s2", environment="sandbox")

    for credentials in (CREDENTIALS, CREDENTIALS, CREDENTIALS, rotated):
        with pytest.raises(BadSignature):
            cache.key(credentials, KID)
    assert len(served.asked) == 2
    clock.now += plaid.RETRY_S
    with pytest.raises(BadSignature):
        cache.key(CREDENTIALS, KID)
    assert len(served.asked) == 3


def test_a_flood_of_random_kids_costs_plaid_a_few_calls_a_minute() -> None:
    served, clock = KeyEndpoint(), Clock()
    cache = plaid.KeyCache(served, clock=clock)

    for second in range(120):
        clock.now = 1000.0 + second
        for _ in range(50):
            with pytest.raises(BadSignature):
                cache.key(CREDENTIALS, str(uuid.uuid4()))

    assert len(served.asked) <= plaid.FETCH_BURST + 120 / plaid.FETCH_REFILL_S + 1


def test_plaid_down_for_a_kid_not_cached_is_a_downstream_error_and_bounded_too() -> None:
    served, clock = KeyEndpoint(), Clock()
    served.down = True
    cache = plaid.KeyCache(served, clock=clock)

    outcomes = []
    for _ in range(20):
        try:
            cache.key(CREDENTIALS, KID)
        except DownstreamError:
            outcomes.append("503")
        except BadSignature:
            outcomes.append("401")

    assert outcomes == ["503"] * plaid.FETCH_BURST + ["401"] * (20 - plaid.FETCH_BURST)
    assert len(served.asked) == plaid.FETCH_BURST


def test_the_cache_is_bounded() -> None:
    keys = [jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), kid=str(uuid.uuid4()))]
    keys += [
        jwk(ec.generate_private_key(ec.SECP256R1()).public_key(), kid=str(uuid.uuid4()))
        for _ in range(40)
    ]
    served, clock = KeyEndpoint(*keys), Clock()
    cache = plaid.KeyCache(served, clock=clock)

    for index, key in enumerate(keys):
        clock.now = 1000.0 + index * plaid.FETCH_REFILL_S
        cache.key(CREDENTIALS, key["kid"])

    assert len(cache) == plaid.CACHE_SIZE


def test_the_replay_key_is_the_claims_so_equal_bodies_signed_apart_are_distinct(
    signer: ec.EllipticCurvePrivateKey,
) -> None:
    # Plaid's bodies carry no event id or time: two SYNC_UPDATES_AVAILABLE for an Item are
    # byte-identical. Their `iat` tells them apart; a resend of one JWT does not.
    from hookgate.payload import body_fields, parse_payload
    from hookgate.providers import get

    definition = get("plaid")
    first, later = (plaid_request(jws(signer, BODY, at=now() + d)) for d in (0, 60))
    keys = [
        definition.replay_key(r, body_fields(r, parse_payload(r))) for r in (first, first, later)
    ]

    assert keys[0] == keys[1] != keys[2]
