"""Plaid: `Plaid-Verification` holds a JWT (JWS compact serialization), ES256 (ECDSA P-256 with
SHA-256) by one of Plaid's keys, named by the JWT header's `kid`. Its claims are `iat` (when
Plaid signed it, Unix seconds) and `request_body_sha256` (the hex SHA-256 of the raw body), so
the body is signed whole, through its digest. https://plaid.com/docs/api/webhooks/webhook-verification/

What is checked, in this order, before anything goes over the network: the header is at most
4096 characters of exactly three base64url segments without padding (canonical encodings only),
the signature segment is 64 bytes (`r || s`, as JWS encodes ECDSA); the JOSE header is a JSON
object without duplicate names whose `alg` is exactly `ES256` (`none`, `HS256` and every other
algorithm are refused without a connection), whose `typ`, when present, is `JWT`, with no
`crit`, and whose `kid` is a UUID (the form of every key id Plaid publishes), so nothing else is
ever sent to Plaid; the claims are a JSON object with an integer `iat` within hookgate's window
(both ways: Plaid's docs ask for at most 5 minutes old) and a `request_body_sha256` of 64 hex
digits equal, in constant time, to the body's. Only then is the key looked up, and the signature
verified over `<header segment>.<claims segment>`.

The key is a JWK that `POST https://{production|sandbox}.plaid.com/webhook_verification_key/get`
returns for `{"client_id", "secret", "key_id"}` as `{"key": {"alg", "crv", "kid", "kty", "use",
"x", "y", "created_at", "expired_at"}, "request_id"}` (plaid-python's `JWKPublicKey`). The host is
fixed by the secret's `environment`, never taken from a request; the call is over TLS checked
against the runtime's CA bundle, follows no redirects and is bounded in time and size. The JWK
must be `kty` `EC`, `crv` `P-256`, `alg` `ES256` (`use` `sig` when present), name the `kid`
asked for and hold a point on the curve. A key whose `expired_at` is not null is refused (Plaid's
own example does the same), and remembered as such. Keys are cached per Lambda instance by
environment, client and kid (least recently used dropped first), re-checked after an hour (and,
as Plaid advises, when a new kid appears, since that is a rotation), and kept when a re-check
cannot reach Plaid. Plaid unreachable or failing (5xx, 429) is a 503, so Plaid retries; a 4xx
(an unknown kid, or credentials Plaid refuses) is a 401, after which the pipeline reads the
secret again once, in case it was rotated. Unknown kids are fetched only once the JWT is well
formed and fresh and binds this body, at most once a minute per kid and credentials, and at most
5 at once then one per 12 s in all: a flood of random kids costs Plaid a few calls a minute and
gets 401s (a real new key caught in such a flood is refused too, and Plaid retries it).

There is no event id: the replay key is a digest of the JWT's claims segment, which binds `iat`
and the body. A captured delivery resent is a duplicate. The kit's usual body-only digest is
not used, because Plaid's bodies carry no event time or id: two `SYNC_UPDATES_AVAILABLE` for an
Item are byte-identical, and keying on the body would drop the second for the replay record's
life. The cost: a Plaid retry of a delivery that was published but whose answer Plaid missed is
signed again with a new `iat`, so it is published again (Plaid tells consumers to expect
duplicates). The body's `environment`, when present, must be the secret's: a sandbox webhook
(anyone can have Plaid send those) never lands in a production endpoint.

The signature proves that Plaid sent the webhook, not that it concerns your client: Plaid does
not say its keys are per client (its SDK tests fetch one well-known sandbox key id), and anyone
with a Plaid account chooses where an Item's webhooks go. Consumers must check that `item_id` is
one of theirs. The secret holds Plaid API credentials (they read your users' financial data):
they are sent only to Plaid's own host, in the request body, and never logged.

Where ../shared/PROVIDERS.md's notes fall short: they omit the key's `expired_at`, the fixed
host per environment, the body's `environment`, and that bodies are not unique per event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hookgate.crypto import check_timestamp
from hookgate.errors import BadSignature, ConfigurationError, DownstreamError
from hookgate.material import SecretMaterial
from hookgate.payload import loads, loads_unique
from hookgate.providers import certificates
from hookgate.providers.base import (
    Deployment,
    Docs,
    Local,
    Provider,
    Signed,
    Verification,
    json_field,
    no_signed_id,
    require_header,
)
from hookgate.request import Request

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey

HEADER = "Plaid-Verification"
ALGORITHM = "ES256"
#: Plaid's API host for each environment: the only places a key is ever asked for.
HOSTS = {"production": "production.plaid.com", "sandbox": "sandbox.plaid.com"}
KEY_PATH = "/webhook_verification_key/get"
MAX_JWT_CHARS = 4096
#: Three base64url segments; an ES256 signature is 64 bytes, 86 characters.
_JWT = re.compile(
    r"([A-Za-z0-9_-]{2,2000})\.([A-Za-z0-9_-]{2,2000})\.([A-Za-z0-9_-]{86})", re.ASCII
)
_KID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", re.ASCII)
_BODY_DIGEST = re.compile(r"[0-9a-f]{64}", re.ASCII)
_MAX_CREDENTIAL_CHARS = 256
FETCH_TIMEOUT_S = 3.0
MAX_KEY_RESPONSE_BYTES = 16 * 1024
#: A cached key is asked for again after this long (Plaid may have expired it).
RECHECK_S = 3600.0
#: A kid Plaid refused is not asked for again, with the same credentials, for this long; nor is
#: a cached key Plaid could not be reached to re-check.
RETRY_S = 60.0
#: Fetches of kids not cached: this many at once, then one per `FETCH_REFILL_S`.
FETCH_BURST = 5
FETCH_REFILL_S = 12.0
CACHE_SIZE = 16
REFUSED_SIZE = 256


@dataclass(frozen=True, slots=True)
class Credentials:
    """The secret's Plaid API credentials and environment."""

    client_id: str
    secret: str = field(repr=False)
    environment: str

    @property
    def url(self) -> str:
        return f"https://{HOSTS[self.environment]}{KEY_PATH}"

    @property
    def fingerprint(self) -> str:
        """Tells credentials apart in memory, without keeping the secret in a cache key."""
        joined = "\0".join((self.environment, self.client_id, self.secret))
        return hashlib.sha256(joined.encode()).hexdigest()


def credentials(secret: SecretMaterial) -> Credentials:
    """The secret's `client_id`, `secret` and `environment` (`production` or `sandbox`).

    Raises:
        ConfigurationError: any is missing or not as described.
    """
    values = [secret.extra.get(name) for name in ("client_id", "secret", "environment")]
    texts = [v for v in values if isinstance(v, str) and 0 < len(v) <= _MAX_CREDENTIAL_CHARS]
    if len(texts) != len(values):
        raise ConfigurationError("the secret needs Plaid's client_id, secret and environment")
    client_id, api_secret, environment = texts
    if environment not in HOSTS:
        raise ConfigurationError("the secret's environment must be production or sandbox")
    return Credentials(client_id=client_id, secret=api_secret, environment=environment)


# --- The JWT ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    """A `Plaid-Verification` JWT whose form and claims checked (its signature not yet)."""

    kid: str
    issued_at: int
    #: The claimed hex SHA-256 of the body.
    body_sha256: str
    #: `<header segment>.<claims segment>`: what the signature covers.
    signing_input: bytes
    claims_segment: bytes
    signature: bytes = field(repr=False)


def _b64url(segment: str) -> bytes:
    """Strict base64url without padding: the one canonical encoding of its bytes."""
    if len(segment) % 4 == 1:
        raise BadSignature()
    data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=") != segment.encode("ascii"):
        raise BadSignature()  # unused bits set: another spelling of the same bytes
    return data


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        value = loads_unique(data.decode("utf-8"))
    except ValueError as exc:
        raise BadSignature() from exc
    if not isinstance(value, dict):
        raise BadSignature()
    return value


def parse(jwt: str) -> Token:
    """The JWT's key id and claims, once its form, header and claims are as Plaid makes them.

    Raises:
        BadSignature: anything else (another algorithm, a malformed kid, extra parts...).
    """
    found = _JWT.fullmatch(jwt) if len(jwt) <= MAX_JWT_CHARS else None
    if found is None:
        raise BadSignature()
    header_segment, claims_segment, signature_segment = found.groups()
    header = _json_object(_b64url(header_segment))
    if header.get("alg") != ALGORITHM or "crit" in header or header.get("typ", "JWT") != "JWT":
        raise BadSignature()
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise BadSignature()
    claims = _json_object(_b64url(claims_segment))
    issued_at, digest = claims.get("iat"), claims.get("request_body_sha256")
    if not isinstance(issued_at, int) or isinstance(issued_at, bool):
        raise BadSignature()
    if not isinstance(digest, str) or not _BODY_DIGEST.fullmatch(digest):
        raise BadSignature()
    signature = _b64url(signature_segment)
    if len(signature) != 64:
        raise BadSignature()
    return Token(
        kid=kid,
        issued_at=issued_at,
        body_sha256=digest,
        signing_input=f"{header_segment}.{claims_segment}".encode("ascii"),
        claims_segment=claims_segment.encode("ascii"),
        signature=signature,
    )


# --- Plaid's keys ----------------------------------------------------------------------------


def _fetch(credentials: Credentials, kid: str) -> bytes:
    """What Plaid's key endpoint answers for `kid` (the network call; tests replace it)."""
    payload = {"client_id": credentials.client_id, "secret": credentials.secret, "key_id": kid}
    return certificates.post_json(
        credentials.url, payload, max_bytes=MAX_KEY_RESPONSE_BYTES, timeout_s=FETCH_TIMEOUT_S
    )


def _coordinate(jwk: Mapping[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{43}", value):
        raise BadSignature()
    return int.from_bytes(_b64url(value), "big")


def public_key(answer: bytes, kid: str) -> EllipticCurvePublicKey | None:
    """The P-256 key in Plaid's answer for `kid`; None when Plaid says it has expired.

    Raises:
        BadSignature: the answer is not such a key, for that kid.
    """
    from cryptography.hazmat.primitives.asymmetric import ec

    jwk = _json_object(answer).get("key")
    if not isinstance(jwk, dict) or jwk.get("kid") != kid:
        raise BadSignature()
    if (jwk.get("kty"), jwk.get("crv"), jwk.get("alg")) != ("EC", "P-256", ALGORITHM):
        raise BadSignature()
    if jwk.get("use", "sig") != "sig" or "expired_at" not in jwk:
        raise BadSignature()
    expired_at = jwk["expired_at"]
    if expired_at is not None:
        if not isinstance(expired_at, int) or isinstance(expired_at, bool):
            raise BadSignature()
        return None
    numbers = ec.EllipticCurvePublicNumbers(
        _coordinate(jwk, "x"), _coordinate(jwk, "y"), ec.SECP256R1()
    )
    try:
        return numbers.public_key()
    except ValueError as exc:  # not a point on the curve
        raise BadSignature() from exc


@dataclass(slots=True)
class _Cached:
    #: None: Plaid said this key has expired (refused from now on).
    key: EllipticCurvePublicKey | None
    checked_at: float


class KeyCache:
    """Plaid's verification keys by environment, client and kid, and the bounds on asking."""

    def __init__(
        self,
        fetch: Callable[[Credentials, str], bytes],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._keys: OrderedDict[tuple[str, str, str], _Cached] = OrderedDict()
        #: (credentials fingerprint, kid) -> when Plaid last refused it.
        self._refused: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._tokens = float(FETCH_BURST)
        self._filled_at = clock()
        self._lock = threading.Lock()

    def key(self, credentials: Credentials, kid: str) -> EllipticCurvePublicKey:
        """The key `kid` names, from the cache or from Plaid.

        Raises:
            BadSignature: Plaid does not know it, says it has expired, or is not asked now
                (this kid was refused a moment ago, or too many unknown kids came).
            DownstreamError: Plaid could not be reached for a key not cached.
        """
        now = self._clock()
        name = (credentials.environment, credentials.client_id, kid)
        with self._lock:
            cached = self._keys.get(name)
            if cached is not None:
                self._keys.move_to_end(name)
        if cached is not None:
            if cached.key is None:
                raise BadSignature()
            if now - cached.checked_at < RECHECK_S:
                return cached.key
            return self._recheck(credentials, kid, cached, now)
        refusal = (credentials.fingerprint, kid)
        with self._lock:
            refused_at = self._refused.get(refusal)
            if refused_at is not None and now - refused_at < RETRY_S:
                raise BadSignature()
            if not self._take_token(now):
                raise BadSignature()
        try:
            key = public_key(self._fetch(credentials, kid), kid)
        except BadSignature:
            with self._lock:
                self._refused[refusal] = now
                self._refused.move_to_end(refusal)
                while len(self._refused) > REFUSED_SIZE:
                    self._refused.popitem(last=False)
            raise
        self._store(name, key, now, rotated=key is not None)
        if key is None:
            raise BadSignature()
        return key

    def _recheck(
        self, credentials: Credentials, kid: str, cached: _Cached, now: float
    ) -> EllipticCurvePublicKey:
        if cached.key is None:
            raise BadSignature()
        name = (credentials.environment, credentials.client_id, kid)
        try:
            key = public_key(self._fetch(credentials, kid), kid)
        except DownstreamError:
            cached.checked_at = now - RECHECK_S + RETRY_S  # keep it; ask again in a minute
            return cached.key
        except BadSignature:
            with self._lock:
                self._keys.pop(name, None)
            raise
        self._store(name, key, now, rotated=False)
        if key is None:
            raise BadSignature()
        return key

    def _store(
        self,
        name: tuple[str, str, str],
        key: EllipticCurvePublicKey | None,
        now: float,
        *,
        rotated: bool,
    ) -> None:
        with self._lock:
            if rotated:
                # A new kid is a rotation: re-check the others, which may have expired.
                for other, cached in self._keys.items():
                    if other[:2] == name[:2] and cached.key is not None:
                        cached.checked_at = min(cached.checked_at, now - RECHECK_S)
            self._keys[name] = _Cached(key, now)
            self._keys.move_to_end(name)
            while len(self._keys) > CACHE_SIZE:
                self._keys.popitem(last=False)

    def _take_token(self, now: float) -> bool:
        refill = (now - self._filled_at) / FETCH_REFILL_S
        self._tokens = min(float(FETCH_BURST), self._tokens + refill)
        self._filled_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()
            self._refused.clear()
            self._tokens = float(FETCH_BURST)
            self._filled_at = self._clock()

    def __len__(self) -> int:
        return len(self._keys)


_keys = KeyCache(lambda credentials, kid: _fetch(credentials, kid))


# --- Verification ----------------------------------------------------------------------------


def _body_environment(body: bytes) -> object:
    try:
        parsed = loads(body)
    except ValueError:
        return None
    return parsed.get("environment") if isinstance(parsed, dict) else None


def verify(
    request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
) -> Verification:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    token = parse(require_header(request, HEADER))
    # Checked before any key is looked up, so a stale or unrelated JWT costs no call to Plaid.
    check_timestamp(token.issued_at, now_s=now_s, tolerance_s=tolerance_s)
    if not hmac.compare_digest(hashlib.sha256(request.body).hexdigest(), token.body_sha256):
        raise BadSignature()
    plaid = credentials(secret)
    key = _keys.key(plaid, token.kid)
    r, s = (int.from_bytes(token.signature[i : i + 32], "big") for i in (0, 32))
    try:
        key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise BadSignature() from exc
    environment = _body_environment(request.body)
    if environment is not None and environment != plaid.environment:
        raise BadSignature()  # genuine, but from the other environment
    return Verification(
        scheme="es256", key_index=0, signature=token.signature, signed_at_s=token.issued_at
    )


def signed_content(request: Request) -> tuple[bytes, ...]:
    """The JWT's claims segment: `iat` and the body's SHA-256, as Plaid signed them."""
    return (parse(request.headers.get(HEADER) or "").claims_segment,)


def event_type(request: Request, payload: Any) -> str | None:
    kind = json_field("webhook_type")(request, payload)
    code = json_field("webhook_code")(request, payload)
    return f"{kind}.{code}" if kind and code else None


# --- Local tools: a signer is JSON with an EC P-256 `private_key` (PEM), the `kid` the local
# --- key endpoint serves its JWK under, and the client credentials the function holds.

LOCAL_KID = "0c4e839a-bae6-4c9d-bc36-8d526e3e3a72"
LOCAL_CLIENT_ID = "hookgate-local-client"
LOCAL_API_SECRET = "hookgate-local-plaid-secret"  # noqa: S105 (local only, signs nothing)


def _b64url_text(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(
    secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    signer = json.loads(secret)
    key = load_pem_private_key(signer["private_key"].encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError("not an EC private key")
    header = {"alg": ALGORITHM, "kid": signer["kid"], "typ": "JWT"}
    claims = {"iat": timestamp, "request_body_sha256": hashlib.sha256(body).hexdigest()}
    signing_input = ".".join(
        _b64url_text(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return {HEADER: f"{signing_input}.{_b64url_text(signature)}"}


def stored_secret(signing_secret: str) -> str:
    signer = json.loads(signing_secret)
    return json.dumps({name: signer[name] for name in ("client_id", "secret", "environment")})


def local_signer(private_key_pem: str, kid: str = LOCAL_KID) -> str:
    """A signer as `sign` takes it (local tools only), for the sandbox."""
    return json.dumps(
        {
            "private_key": private_key_pem,
            "kid": kid,
            "client_id": LOCAL_CLIENT_ID,
            "secret": LOCAL_API_SECRET,
            "environment": "sandbox",
        }
    )


def new_secret() -> str:
    """A signer with a fresh P-256 key, under a fresh kid."""
    import uuid

    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return local_signer(pem, str(uuid.uuid4()))


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    kind, _, code = event_type.partition(".")
    event = {
        "webhook_type": kind,
        "webhook_code": code or "SYNC_UPDATES_AVAILABLE",
        "item_id": "wz666MBjYWTp2PDzzggYhM6o" + delivery_id.replace("-", "")[:8],
        "initial_update_complete": True,
        "historical_update_complete": True,
        "environment": json.loads(secret).get("environment", "sandbox"),
    }
    return json.dumps(event).encode()


PROVIDER = Provider(
    name="plaid",
    verify=verify,
    delivery_id=no_signed_id,
    event_type=event_type,
    signature_header=HEADER,
    signed=Signed(
        timestamp=True,
        covers=("body (its SHA-256, `request_body_sha256`)", "`iat`"),
        digest_of="the JWT's claims (`iat` and the body's SHA-256)",
        captured="nothing (a resend is a duplicate); a genuine webhook is Plaid's, not "
        "necessarily about your Items: check `item_id`",
        content=signed_content,
    ),
    local=Local(
        sign=sign,
        example_body=example_body,
        example_event_type="TRANSACTIONS.SYNC_UPDATES_AVAILABLE",
        stored_secret=stored_secret,
        new_secret=new_secret,
    ),
    deployment=Deployment(
        title="Plaid",
        console="Plaid (`webhook` in /link/token/create or /item/webhook/update)",
        secret='Plaid API credentials, to fetch Plaid\'s verification keys: JSON {"client_id": '
        '"...", "secret": "...", "environment": "production" or "sandbox"}.',
    ),
    docs=Docs(
        url="https://plaid.com/docs/api/webhooks/webhook-verification/",
        summary="ES256 JWT with Plaid's key (fetched by `kid` from Plaid's API, cached), "
        "binding the body's SHA-256",
        scheme="JWS `<header>.<claims>` → ECDSA P-256 SHA-256 (`alg` `ES256` only) with the JWK "
        "`/webhook_verification_key/get` returns for `kid`; claims `iat` and "
        "`request_body_sha256` (hex SHA-256 of the body)",
        headers="`Plaid-Verification` (the JWT)",
        event_type="body `webhook_type` + `.` + `webhook_code`",
        retries="non-200 or no answer in 10 s: retried for up to 24 h, from 30 s, each delay "
        "4 times the last",
        oracle="JWTs signed and keys served independently in the tests (cryptography), the key "
        "endpoint served over TLS by a local host; refusals before any call observed at the "
        "proxy",
        window="yes (`iat`; Plaid: at most 5 minutes old)",
    ),
)
