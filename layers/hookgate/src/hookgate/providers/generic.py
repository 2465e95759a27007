"""Any provider that signs with an HMAC in a header, configured per deployment.

Settings (template parameters, set as environment variables):

- `HOOKGATE_GENERIC_SIGNATURE_HEADER` (default `X-Signature`);
- `HOOKGATE_GENERIC_ALGORITHM`: `sha1`, `sha256` (default) or `sha512`;
- `HOOKGATE_GENERIC_ENCODING`: `hex` (default) or `base64`;
- `HOOKGATE_GENERIC_PREFIX`: text before the digest, such as `sha256=` (default none);
- `HOOKGATE_GENERIC_TIMESTAMP_HEADER`: a header holding a signed Unix time (default none;
  when set, times outside the window are refused);
- `HOOKGATE_GENERIC_SIGNED_CONTENT`: what is signed, from `{body}` (required, once),
  `{timestamp}`, `{id}` and `{url}`; default `{body}`, e.g. `{timestamp}.{body}`;
- `HOOKGATE_GENERIC_ID_HEADER` / `HOOKGATE_GENERIC_EVENT_HEADER`: where the delivery id and
  event type are (default: the JSON body's `id` and `type`). The id header is the replay key
  only when `{id}` is signed; otherwise it is published as unsigned metadata and the replay key
  is a digest of the signed content. An event type from a header is marked unsigned;
- `HOOKGATE_GENERIC_CHALLENGE_PARAMETER`: answer `GET ?<parameter>=<c>` with `c` (default off).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from hookgate.errors import BadSignature, ConfigurationError
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    Extractor,
    Local,
    Provider,
    Reply,
    Setting,
    Signed,
    Verification,
    header_field,
    json_field,
    no_signed_id,
    require_header,
    rotating,
)
from hookgate.providers.schemes import HmacHeader, parse_unix_time, within_window
from hookgate.request import Request

ENV_PREFIX = "HOOKGATE_GENERIC_"
_ALGORITHMS = ("sha1", "sha256", "sha512")
_ENCODINGS = ("hex", "base64")
_PLACEHOLDER = re.compile(r"\{(body|timestamp|id|url)\}")


@dataclass(frozen=True, slots=True)
class GenericSettings:
    signature: HmacHeader
    signed_content: str = "{body}"
    timestamp_header: str | None = None
    id_header: str | None = None
    event_header: str | None = None
    challenge_parameter: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GenericSettings:
        """Raises: ConfigurationError: a setting is invalid."""

        def setting(name: str, default: str | None = None) -> str | None:
            return environ.get(ENV_PREFIX + name, "").strip() or default

        algorithm = setting("ALGORITHM", "sha256")
        encoding = setting("ENCODING", "hex")
        if algorithm not in _ALGORITHMS:
            raise ConfigurationError(f"{ENV_PREFIX}ALGORITHM must be sha1, sha256 or sha512")
        if encoding not in _ENCODINGS:
            raise ConfigurationError(f"{ENV_PREFIX}ENCODING must be hex or base64")
        content = setting("SIGNED_CONTENT", "{body}") or "{body}"
        if _PLACEHOLDER.findall(content).count("body") != 1:
            raise ConfigurationError(f"{ENV_PREFIX}SIGNED_CONTENT must contain {{body}} once")
        timestamp_header = setting("TIMESTAMP_HEADER")
        if ("{timestamp}" in content) != bool(timestamp_header):
            # A timestamp header that is not signed would let anyone make a delivery fresh.
            raise ConfigurationError(
                f"{ENV_PREFIX}TIMESTAMP_HEADER is set exactly when {{timestamp}} is signed"
            )
        if any(
            content.index(f"{{{name}}}") > content.index("{body}")
            for name in ("id", "url")
            if f"{{{name}}}" in content
        ):
            # See `_check_boundaries`: where the body starts must be unambiguous.
            raise ConfigurationError(
                f"{ENV_PREFIX}SIGNED_CONTENT must sign {{id}} and {{url}} before {{body}}"
            )
        return cls(
            signature=HmacHeader(
                setting("SIGNATURE_HEADER", "X-Signature") or "X-Signature",
                algorithm=algorithm,
                encoding="hex" if encoding == "hex" else "base64",
                prefix=environ.get(ENV_PREFIX + "PREFIX", ""),
            ),
            signed_content=content,
            timestamp_header=timestamp_header,
            id_header=setting("ID_HEADER"),
            event_header=setting("EVENT_HEADER"),
            challenge_parameter=setting("CHALLENGE_PARAMETER"),
        )

    def parts(self, body: bytes, *, timestamp: str, delivery_id: str, url: str) -> list[bytes]:
        """The signed content, in pieces (the body is never copied)."""
        values = {"timestamp": timestamp, "id": delivery_id, "url": url}
        pieces: list[bytes] = []
        for index, piece in enumerate(_PLACEHOLDER.split(self.signed_content)):
            if index % 2 == 0:
                pieces.append(piece.encode())
            else:
                pieces.append(body if piece == "body" else values[piece].encode())
        return pieces

    @property
    def signs_id(self) -> bool:
        return "{id}" in self.signed_content

    def request_parts(self, request: Request) -> list[bytes]:
        """What a request's signature covers.

        Raises:
            MissingSignature: a signed timestamp or id header is absent.
        """
        timestamp = require_header(request, self.timestamp_header) if self.timestamp_header else ""
        delivery_id = ""
        if self.signs_id:
            if not self.id_header:
                raise ConfigurationError(f"{{id}} is signed but no {ENV_PREFIX}ID_HEADER")
            delivery_id = require_header(request, self.id_header)
        return self.parts(
            request.body, timestamp=timestamp, delivery_id=delivery_id, url=request.url
        )

    def _check_boundaries(self, request: Request, parts: list[bytes]) -> None:
        """Where the body starts in the signed text must be beyond dispute.

        `{id}` (a header) and `{url}` are chosen with the request: if either could end in
        bytes of the body or the body begin with theirs, a captured delivery could be cut
        elsewhere and still verify, with another id or body. Signed before the body, neither
        may hold a `{`, and the body must begin with one (a JSON object): the body starts at
        the first `{` of what is signed after them.

        Raises:
            BadSignature: the request does not keep the boundary.
        """
        if not (self.signs_id or "{url}" in self.signed_content):
            return
        if not request.body.startswith(b"{"):
            raise BadSignature()
        body_at = _PLACEHOLDER.split(self.signed_content).index("body")
        if any(b"{" in part for part in parts[:body_at]):
            raise BadSignature()

    def verify(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        parts = self.request_parts(request)
        self._check_boundaries(request, parts)
        signed_at = None
        if self.timestamp_header:
            signed_at = parse_unix_time(require_header(request, self.timestamp_header))
        verification = self.signature.verify(request, secret, *parts)
        if signed_at is None:
            return verification
        return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)

    def sign(
        self,
        secret: str,
        body: bytes,
        *,
        timestamp: int,
        delivery_id: str,
        event_type: str,
        url: str,
    ) -> dict[str, str]:
        parts = self.parts(body, timestamp=str(timestamp), delivery_id=delivery_id, url=url)
        headers = {self.signature.header: self.signature.sign(secret, *parts)}
        for header, value in (
            (self.timestamp_header, str(timestamp)),
            (self.id_header, delivery_id),
            (self.event_header, event_type),
        ):
            if header:
                headers[header] = value
        return headers

    def handshake(
        self, request: Request, secret: SecretMaterial, verification: Verification | None
    ) -> Reply | None:
        parameter = self.challenge_parameter
        if request.method != "GET" or not parameter or parameter not in request.query:
            return None
        return Reply(body=request.query[parameter][0], content_type="text/plain")


def _signed(settings: GenericSettings) -> Signed:
    covers = {"body": "body", "timestamp": "timestamp", "id": "id", "url": "URL"}
    return Signed(
        covers=tuple(covers[name] for name in _PLACEHOLDER.findall(settings.signed_content)),
        id=(
            f"`{settings.id_header}` (signed)"
            if settings.id_header and settings.signs_id
            else None
            if settings.id_header
            else "body `id`"
        ),
        headers=tuple(
            header
            for header, signed in (
                (settings.timestamp_header, True),
                (settings.id_header, settings.signs_id),
            )
            if header and signed
        ),
        event_type=settings.event_header is None,
        captured="nothing: a resend is a duplicate"
        + (", and stale after the window" if settings.timestamp_header else ""),
        timestamp=settings.timestamp_header is not None,
    )


def _delivery_id(settings: GenericSettings) -> Extractor:
    if settings.id_header is None:
        return json_field("id")  # the body is always signed
    return header_field(settings.id_header) if settings.signs_id else no_signed_id


def configure(provider: Provider, environ: Mapping[str, str]) -> Provider:
    settings = GenericSettings.from_env(environ)
    return replace(
        provider,
        verify=settings.verify,
        local=replace(provider.local, sign=settings.sign),
        delivery_id=_delivery_id(settings),
        event_type=(
            header_field(settings.event_header) if settings.event_header else json_field("type")
        ),
        signature_header=settings.signature.header,
        signed=_signed(settings),
        forwarded_headers=tuple(h for h in (settings.id_header, settings.event_header) if h),
        methods=frozenset({"GET", "POST"} if settings.challenge_parameter else {"POST"}),
        handshake=settings.handshake if settings.challenge_parameter else None,
        handshake_before_verify=True,
    )


def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
    return json.dumps({"id": delivery_id, "type": event_type, "created": timestamp}).encode()


_DEFAULT = GenericSettings.from_env({})


def _setting(name: str, parameter: str, default: str, description: str, *allowed: str) -> Setting:
    return Setting(ENV_PREFIX + name, parameter, default, description, allowed)


PROVIDER = Provider(
    name="generic",
    verify=_DEFAULT.verify,
    delivery_id=json_field("id"),
    event_type=json_field("type"),
    signature_header=_DEFAULT.signature.header,
    signed=_signed(_DEFAULT),
    configure=configure,
    local=Local(
        sign=_DEFAULT.sign,
        example_body=example_body,
        example_event_type="example.created",
    ),
    deployment=Deployment(
        title="Generic HMAC",
        console="any sender that signs with an HMAC header (see the Generic* parameters)",
        secret=rotating("The shared HMAC secret"),
        settings=(
            _setting(
                "SIGNATURE_HEADER",
                "GenericSignatureHeader",
                "X-Signature",
                "the header holding the signature.",
            ),
            _setting("ALGORITHM", "GenericAlgorithm", "sha256", "the HMAC's hash.", *_ALGORITHMS),
            _setting(
                "ENCODING", "GenericEncoding", "hex", "how the digest is written.", *_ENCODINGS
            ),
            _setting("PREFIX", "GenericPrefix", "", "text before the digest, such as sha256=."),
            _setting(
                "TIMESTAMP_HEADER",
                "GenericTimestampHeader",
                "",
                "a header with a signed Unix time (empty for none).",
            ),
            _setting(
                "SIGNED_CONTENT",
                "GenericSignedContent",
                "{body}",
                "what is signed, from {body} (once), {timestamp}, {id} and {url}; for example"
                " {timestamp}.{body}.",
            ),
            _setting(
                "ID_HEADER",
                "GenericIdHeader",
                "",
                "the delivery id header (empty - the JSON body's id).",
            ),
            _setting(
                "EVENT_HEADER",
                "GenericEventHeader",
                "",
                "the event type header (empty - the JSON body's type).",
            ),
            _setting(
                "CHALLENGE_PARAMETER",
                "GenericChallengeParameter",
                "",
                "answer GET ?<parameter>=<c> with c (empty for none).",
            ),
        ),
    ),
    docs=Docs(
        url="docs/providers.md#generic",
        summary="configurable HMAC (header, sha1/256/512, hex/base64, prefix, timestamp, content)",
        scheme=(
            "configurable: `{body}` with `{timestamp}`, `{id}`, `{url}` → HMAC sha1/sha256/sha512,"
            " hex or base64, optional prefix"
        ),
        headers=(
            "`GenericSignatureHeader` (default `X-Signature`), optional `GenericTimestampHeader`"
            " / `GenericIdHeader` / `GenericEventHeader`"
        ),
        event_type="`GenericEventHeader`, else body `type`",
        retries="the sender's",
        oracle="an independent HMAC written in the test from the settings",
        handshake="`GET ?<GenericChallengeParameter>=c` → `200 text/plain c`, when configured",
        answers="optional echo",
        window="when a timestamp header is set",
    ),
)
