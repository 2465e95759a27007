"""The provider kit: what a provider definition is, in parts by audience.

`Provider` is what the deployed function runs; `Signed` says what its signature covers (the
replay key and the unsigned list follow from it); `Local` is what the CLI and the local stack
need to sign deliveries as the provider would; `Deployment` what template.yaml says about it;
`Docs` its rows in docs/providers.md and the README. Each provider module declares all of them
once, and everything else (template, docs tables, events, dev secrets, CLI, test matrix) is
derived from that declaration or checked against it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hookgate.crypto import fingerprint
from hookgate.errors import MissingSignature
from hookgate.material import SecretMaterial
from hookgate.request import Request

__all__ = [
    "COMMON_FORWARDED_HEADERS",
    "Deployment",
    "Docs",
    "ExampleBody",
    "Handshake",
    "Local",
    "Provider",
    "Reply",
    "SenderRanges",
    "Setting",
    "Signed",
    "Signer",
    "Verification",
    "Verifier",
    "header_field",
    "json_field",
    "no_signed_id",
    "require_header",
    "rotating",
]

#: Non-secret headers every provider's events carry in `detail.headers`.
COMMON_FORWARDED_HEADERS = ("content-type", "user-agent")


# Not frozen, for the same reason as `crypto.Match`: one is made per request. Nothing mutates it.
@dataclass(slots=True)
class Verification:
    """How a delivery was proven genuine (published as `detail.verification`)."""

    scheme: str
    key_index: int
    #: The offered signature that matched (never logged or published).
    signature: bytes = field(repr=False)
    #: The signed Unix time, for schemes that sign one (checked against the window).
    signed_at_s: int | None = None

    @property
    def signed_at(self) -> datetime | None:
        """The signed time as an aware UTC datetime (made only when asked for)."""
        if self.signed_at_s is None:
            return None
        return datetime.fromtimestamp(self.signed_at_s, tz=UTC)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription to confirm through the provider's API before answering (Amazon SNS)."""

    topic_arn: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer other than hookgate's usual acknowledgement: a handshake's exact bytes, or the
    acknowledgement a provider requires (Discord's deferred response, Graph's 202)."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    #: A secret the handshake delivered (Asana), to be stored before answering.
    store_secret: str | None = field(default=None, repr=False)
    #: A subscription the handshake asks to confirm (SNS), confirmed before answering.
    confirm: Subscription | None = None

    @classmethod
    def json(cls, body: Any, *, status: int = 200) -> Reply:
        return cls(
            status=status,
            body=json.dumps(body, separators=(",", ":")),
            content_type="application/json",
        )

    def to_lambda(self) -> dict[str, Any]:
        """A Lambda proxy response (REST, HTTP API, function URL and ALB alike)."""
        return {
            "statusCode": self.status,
            # Some answers echo a caller's token: no browser may read them as anything else.
            "headers": {
                "Content-Type": self.content_type,
                "X-Content-Type-Options": "nosniff",
                **self.headers,
            },
            "body": self.body,
            "isBase64Encoded": False,
        }


class Handshake(Protocol):
    def __call__(
        self, request: Request, secret: SecretMaterial, verification: Verification | None
    ) -> Reply | None:
        """The answer to a URL verification or challenge, or None when `request` is not one.

        `verification` is None for handshakes answered before verification (the provider does
        not sign them); otherwise it tells which key verified.
        """
        ...


class Verifier(Protocol):
    def __call__(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        """Prove `request` genuine or raise `Unauthorized` (or a subclass)."""
        ...


class Signer(Protocol):
    def __call__(
        self,
        secret: str,
        body: bytes,
        *,
        timestamp: int,
        delivery_id: str,
        event_type: str,
        url: str,
    ) -> dict[str, str]:
        """The headers the provider would send with `body` to `url`: signature, and the
        delivery id and event type where the provider puts them in headers."""
        ...


class ExampleBody(Protocol):
    def __call__(self, *, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
        """A realistic body for a test delivery (`secret` for providers that put the secret in
        the body: Microsoft Graph's client state)."""
        ...


#: Reads a delivery id or event type from the request and its parsed body (`body_fields`: the
#: JSON value whatever the Content-Type says, or `{"form": {...}}` for form posts).
Extractor = Callable[[Request, Any], "str | None"]
#: The acknowledgement of a verified delivery, when the provider wants a specific one.
Acknowledge = Callable[[Request, Any], "Reply | None"]
#: The exact content a provider's signature covers, in pieces (nothing is copied).
SignedContent = Callable[[Request], Sequence[bytes]]


def body_only(request: Request) -> Sequence[bytes]:
    """The signed content of providers that sign the body alone."""
    return (request.body,)


@dataclass(frozen=True, slots=True)
class Signed:
    """What a provider's signature covers, declared once.

    The pipeline keys replays on it and marks everything else it publishes as unsigned
    (`detail.verification.unsigned`); docs/security.md's signed-material table is generated
    from it; the tests check the provider behaves as declared (changing anything not covered
    never publishes a delivery twice).
    """

    #: Each thing the signature covers, in words ("body", "timestamp (`X-Slack-...`)").
    covers: tuple[str, ...]
    #: Where the replay key comes from: a delivery id the signature covers, in words ("body
    #: `id`"), or None for a digest of the signed content (`content`).
    id: str | None = None
    #: What `content` is, in words, for the replay key without a signed id.
    digest_of: str = "the body"
    #: Request headers whose values the signature covers, besides the signature itself.
    headers: tuple[str, ...] = ()
    #: Whether the event type (`DetailType`) is read from signed material.
    event_type: bool = True
    #: What someone holding a captured genuine delivery can still do.
    captured: str = "nothing: a resend is a duplicate"
    #: Whether the signature covers the body; a shared token (GitLab, Okta, Graph's client
    #: state) authenticates the sender only.
    body: bool = True
    #: Whether the signature covers a timestamp (and so stale and future ones are refused).
    timestamp: bool = False
    #: What the signature covers of the delivery itself (the body; Twilio: URL and fields),
    #: digested into the replay key of deliveries without a signed id. A signed timestamp is
    #: left out: a provider's retry, signed again later, is the same delivery (and each of
    #: these providers' bodies carries its own event time, so two events never share one).
    content: SignedContent = body_only


def as_given(url: str, secret: str) -> str:
    """The `Local.endpoint` of providers whose URL carries no secret."""
    return url


def new_shared_secret() -> str:
    """A fresh random shared secret (for tests that need one the function does not hold)."""
    return "hookgate-" + secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Local:
    """What the CLI, `make run` and the tests need: deliveries signed as the provider would."""

    sign: Signer
    example_body: ExampleBody
    #: The event type of an example delivery.
    example_event_type: str
    content_type: str = "application/json"
    #: The signing side of the local stack's secret; empty for the default
    #: `hookgate-local-dev-secret-<name>`. Local only: it signs nothing deployed.
    dev_secret: str = ""
    #: The Secrets Manager value for a signing secret given to `sign` (for asymmetric
    #: schemes, the public half of a private key); the identity for shared secrets.
    stored_secret: Callable[[str], str] = str
    #: A fresh signing secret of the provider's kind (a shared secret, a private key).
    new_secret: Callable[[], str] = new_shared_secret
    #: The URL the provider is configured to call, from the endpoint's and the signing secret
    #: (Mailchimp: the secret in its query); the endpoint itself for every other provider.
    endpoint: Callable[[str, str], str] = as_given


@dataclass(frozen=True, slots=True)
class Setting:
    """A template parameter passed to the function as an environment variable."""

    variable: str
    parameter: str
    default: str
    description: str
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SenderRanges:
    """Where the provider publishes the addresses it sends webhooks from.

    `make ip-ranges` reads them into `hookgate/sender_ranges.json`; the template's
    `<Name>SourceIps` parameter then restricts the endpoint to them.
    """

    #: The machine-readable list.
    url: str
    #: A JMESPath expression giving the list of CIDRs or addresses in the JSON document at
    #: `url`; None when `url` is plain text, one range per line.
    query: str | None
    #: The provider's page about these addresses.
    docs: str


def rotating(what: str) -> str:
    """The secret description of a provider with one shared secret."""
    return f'{what}: a plain string, or JSON {{"signing_secrets": ["new", "old"]}} while rotating.'


@dataclass(frozen=True, slots=True)
class Deployment:
    """What template.yaml says about the provider (`make template` writes it)."""

    #: The provider's name in prose ("X (Twitter)").
    title: str
    #: Where in the provider's console the webhook URL is pasted.
    console: str
    #: What the Secrets Manager secret holds (its description).
    secret: str
    #: Whether its `Enable<Name>` parameter defaults to true.
    enabled: bool = False
    #: A fixed initial secret value (no secret yet, awaiting a handshake), instead of a random
    #: placeholder that verifies nothing until the real secret is put.
    initial_secret: str | None = None
    #: The function may write its own secret (a handshake delivers it: Asana).
    writes_secret: bool = False
    #: The function may confirm SNS subscriptions (`sns:ConfirmSubscription`).
    confirms_subscriptions: bool = False
    settings: tuple[Setting, ...] = ()
    #: The source addresses the provider publishes, when it does.
    sender_ranges: SenderRanges | None = None


@dataclass(frozen=True, slots=True)
class Docs:
    """The provider's rows in docs/providers.md and the README (`make docs` writes them)."""

    #: The provider's documentation of its signature.
    url: str
    #: The scheme in a few words (the README's table).
    summary: str
    #: The signed content and the algorithm, precisely.
    scheme: str
    #: The headers it sends and how they are read.
    headers: str
    #: Where the event type (`DetailType`) comes from.
    event_type: str
    #: How the provider retries (its documentation).
    retries: str
    #: What the tests check it against: its official SDK or published vectors.
    oracle: str
    #: The handshake or required answer, precisely.
    handshake: str = "none"
    #: The handshakes in a few words (the README's table).
    answers: str = "—"
    #: The timestamp window, when `Signed.timestamp` alone does not say it.
    window: str | None = None


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider definition: what the function runs, and the other audiences' parts."""

    name: str
    verify: Verifier
    #: The provider's delivery id, read only from what the signature covers (a signed header or
    #: a field of a signed body); None when it has none, and the replay key is a digest.
    delivery_id: Extractor
    event_type: Extractor
    #: The header carrying the signature (or token): what a request without it lacks.
    signature_header: str
    #: What the signature covers (see `Signed`).
    signed: Signed
    local: Local
    deployment: Deployment
    docs: Docs
    #: A second id a delivery must also be new under, for a provider whose retries are new
    #: signed transmissions of one event (PayPal): checked after the replay key, so only a
    #: transmission never seen before can reach it.
    also_once_per: Extractor | None = None
    #: How long the provider waits for an answer (its documentation): no AWS call starts
    #: when it could not finish in time.
    timeout_s: float = 10.0
    #: Non-secret headers copied into the published event, besides the common ones.
    forwarded_headers: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset({"POST"})
    handshake: Handshake | None = None
    #: Whether the handshake is answered before verification (the provider does not sign it).
    handshake_before_verify: bool = False
    acknowledge: Acknowledge | None = None
    #: The body is JSON whatever its (unsigned) Content-Type says: SNS sends `text/plain`.
    json_body: bool = False
    #: Adapts the definition to the function's environment (the generic provider's settings).
    configure: Callable[[Provider, Mapping[str, str]], Provider] = lambda provider, _: provider
    #: Refusals (401, 405, 503...) answered with no body at all, for a provider that checks
    #: (Xero's intent to receive fails a 401 that has one).
    empty_refusals: bool = False

    def configured(self, environ: Mapping[str, str]) -> Provider:
        """This definition as the function's environment configures it."""
        return self.configure(self, environ)

    @property
    def published_headers(self) -> tuple[str, ...]:
        """The headers copied into `detail.headers` (lower case), when present."""
        return tuple(h.lower() for h in (*COMMON_FORWARDED_HEADERS, *self.forwarded_headers))

    @property
    def unsigned_headers(self) -> frozenset[str]:
        """Of `published_headers`, those the signature does not cover."""
        signed = {h.lower() for h in self.signed.headers}
        return frozenset(h for h in self.published_headers if h not in signed)

    @property
    def unsigned_fields(self) -> tuple[str, ...]:
        """Published fields, besides headers, that the signature does not cover."""
        return (
            *(() if self.signed.event_type else ("event_type",)),
            *(() if self.signed.body else ("payload",)),
        )

    def replay_key(self, request: Request, payload: Any) -> str:
        """The id a verified delivery is published once under, from signed material only: the
        provider's delivery id where the signature covers it (`delivery_id`), otherwise a
        digest of the signed content. Unsigned ids (GitHub's `X-GitHub-Delivery`) could be
        changed by anyone resending a captured delivery.
        """
        return self.delivery_id(request, payload) or fingerprint(*self.signed.content(request))


def no_signed_id(request: Request, payload: Any) -> str | None:
    """The `delivery_id` of providers whose signature covers no delivery id."""
    return None


def require_header(request: Request, name: str) -> str:
    """The value of a header the provider always sends.

    Raises:
        MissingSignature: the header is absent or empty.
    """
    value = request.headers.get(name)
    if not value:
        raise MissingSignature()
    return value


def json_field(*path: str) -> Extractor:
    """An extractor for a string (or number) at `path` in the JSON body."""

    def extract(request: Request, payload: Any) -> str | None:
        value = payload
        for key in path:
            if not isinstance(value, Mapping):
                return None
            value = value.get(key)
        if isinstance(value, bool):  # JSON true is an int to Python, and no id
            return None
        return str(value) if isinstance(value, str | int) and value != "" else None

    return extract


def header_field(*names: str) -> Extractor:
    """An extractor for a request header: the first of `names` present (for providers with an
    old and a new header style)."""

    def extract(request: Request, payload: Any) -> str | None:
        for name in names:
            value = request.headers.get(name)
            if value:
                return value
        return None

    return extract


def form_field(name: str) -> Extractor:
    """An extractor for a field of a form-encoded body."""
    return json_field("form", name)
