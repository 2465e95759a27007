"""What a provider definition is: data plus a verify and a sign function, all alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from hookgate.crypto import fingerprint
from hookgate.errors import MissingSignature
from hookgate.request import Request
from hookgate.secrets import SecretMaterial

__all__ = [
    "COMMON_FORWARDED_HEADERS",
    "ExampleBody",
    "Provider",
    "Signer",
    "Verification",
    "Verifier",
    "header_field",
    "json_field",
    "require_header",
]

#: Non-secret headers every provider's events carry in `detail.headers`.
COMMON_FORWARDED_HEADERS = ("content-type", "user-agent")


@dataclass(frozen=True, slots=True)
class Verification:
    """How a delivery was proven genuine (published as `detail.verification`)."""

    scheme: str
    key_index: int
    #: The offered signature that matched (never logged or published).
    signature: bytes = field(repr=False)
    signed_at: datetime | None = None

    @property
    def fingerprint(self) -> str:
        """A digest of the signature: safe to log, and the delivery id of last resort."""
        return fingerprint(self.signature)


class Verifier(Protocol):
    def __call__(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        """Prove `request` genuine or raise `Unauthorized` (or a subclass)."""
        ...


class Signer(Protocol):
    def __call__(
        self, secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str
    ) -> dict[str, str]:
        """The headers the provider would send with `body`: signature, and the delivery id and
        event type where the provider puts them in headers."""
        ...


class ExampleBody(Protocol):
    def __call__(self, *, delivery_id: str, event_type: str, timestamp: int) -> bytes:
        """A realistic body for a test delivery."""
        ...


#: Reads a delivery id or event type from the request and its parsed JSON body (None if not JSON).
Extractor = Callable[[Request, Any], "str | None"]


@dataclass(frozen=True, slots=True)
class Provider:
    """A provider definition: everything the pipeline needs to know about one provider."""

    name: str
    docs_url: str
    verify: Verifier
    sign: Signer
    delivery_id: Extractor
    event_type: Extractor
    #: For test deliveries (CLI, local stack): a body, its content type and event type.
    example_body: ExampleBody
    example_event_type: str
    #: Non-secret headers copied into the published event, besides the common ones.
    forwarded_headers: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset({"POST"})
    content_type: str = "application/json"


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
        return str(value) if isinstance(value, str | int) and value != "" else None

    return extract


def header_field(name: str) -> Extractor:
    """An extractor for a request header."""

    def extract(request: Request, payload: Any) -> str | None:
        return request.headers.get(name) or None

    return extract
