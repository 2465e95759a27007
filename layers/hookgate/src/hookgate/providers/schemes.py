"""The signature shapes most providers share, declared once: an HMAC in a header, a signed
Unix timestamp, a shared token. Provider modules combine them with their own signed content.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from hookgate.crypto import check_timestamp, hmac_digest, match_any
from hookgate.errors import BadSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import Verification, require_header
from hookgate.request import Request

__all__ = [
    "HANDSHAKE_TOKEN",
    "HmacHeader",
    "TimestampedHmac",
    "TokenHeader",
    "b64decode",
    "parse_timestamped_signatures",
    "parse_unix_time",
    "within_window",
]

Encoding = Literal["hex", "base64"]

#: What a handshake answered with a key's HMAC may echo: base64 and base64url alphabets
#: (the tokens providers send, such as X's `crc_token` and Zoom's `plainToken`). None of these
#: characters is `{` or `:`, so no such token is the signed content of a delivery (a JSON
#: object; Zoom's `v0:<ts>:<body>`), and an answer is never a signature anyone could reuse.
HANDSHAKE_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,256}", re.ASCII)


@dataclass(frozen=True, slots=True)
class HmacHeader:
    """A header holding `<prefix><encoded HMAC of the signed content>`.

    The whole header text is compared with the expected text, prefix included, as the
    providers' own libraries do: a different case of hex or a missing prefix does not verify.
    """

    header: str
    algorithm: str = "sha256"
    encoding: Encoding = "hex"
    prefix: str = ""

    @property
    def scheme(self) -> str:
        return f"hmac-{self.algorithm}"

    def expected(self, key: bytes, *parts: bytes) -> bytes:
        digest = hmac_digest(self.algorithm, key, *parts)
        if self.encoding == "hex":
            return self.prefix.encode() + digest.hex().encode()
        return self.prefix.encode() + base64.b64encode(digest)

    def verify(
        self, request: Request, secret: SecretMaterial, *parts: bytes, offered: str | None = None
    ) -> Verification:
        """Match the header (or `offered`, a value taken from it) against every key.

        Raises:
            MissingSignature: the header is absent.
            BadSignature: no key produces it.
        """
        value = offered if offered is not None else require_header(request, self.header)
        return self.verify_any(secret, (value,), *parts)

    def verify_any(
        self, secret: SecretMaterial, offered: Sequence[str], *parts: bytes
    ) -> Verification:
        """Match any of several offered values (one per active secret while the provider
        rotates: PagerDuty, Orb, Calendly) against every key.

        Raises:
            BadSignature: none offered, or no key produces any of them.
        """
        if not offered:
            raise BadSignature()
        match = match_any(
            secret.signing_keys(),
            tuple(value.encode("utf-8", "replace") for value in offered),
            lambda key: self.expected(key, *parts),
        )
        return Verification(self.scheme, match.key_index, match.signature)

    def sign(self, secret: str, *parts: bytes) -> str:
        return self.expected(secret.encode("utf-8"), *parts).decode()

    def verify_body(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        """A `Verifier` for providers that sign the body alone."""
        return self.verify(request, secret, request.body)

    def sign_body(
        self,
        secret: str,
        body: bytes,
        *,
        timestamp: int,
        delivery_id: str,
        event_type: str,
        url: str,
    ) -> dict[str, str]:
        """A `Signer` for providers that sign the body alone and send nothing else."""
        return {self.header: self.sign(secret, body)}


@dataclass(frozen=True, slots=True)
class TimestampedHmac:
    """An HMAC over `<prefix><body>`, where the prefix embeds a Unix timestamp sent in its own
    header (`prefix_template` with `{timestamp}`): Slack's and Zoom's `v0:<ts>:` scheme,
    Airwallex's bare `<ts>` in milliseconds."""

    signature: HmacHeader
    timestamp_header: str
    prefix_template: str
    milliseconds: bool = False

    def _prefix(self, timestamp: str) -> bytes:
        return self.prefix_template.format(timestamp=timestamp).encode()

    def verify(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        timestamp = require_header(request, self.timestamp_header)
        signed_at = parse_unix_time(timestamp, milliseconds=self.milliseconds)
        verification = self.signature.verify(request, secret, self._prefix(timestamp), request.body)
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
        sent = str(timestamp * 1000 if self.milliseconds else timestamp)
        return {
            self.signature.header: self.signature.sign(secret, self._prefix(sent), body),
            self.timestamp_header: sent,
        }


def parse_timestamped_signatures(header: str, scheme: str = "v1") -> tuple[int, list[str]]:
    """`t=<unix>,v1=<sig>[,v1=<sig>...]` (Stripe's header, Calendly's): the timestamp and the
    signatures of `scheme`.

    Raises:
        BadSignature: no timestamp or no signature, or a timestamp that is not a number.
    """
    # Parsed the way Stripe's own SDK does (split on "," and then at most twice on "=", taking
    # the middle part; the first `t` counts), so both accept and reject the same headers.
    timestamp: str | None = None
    signatures: list[str] = []
    for item in header.split(","):
        name, separator, value = item.partition("=")
        if name != "t" and name != scheme:
            continue
        if not separator:
            raise BadSignature()
        value = value.partition("=")[0]
        if name == scheme:
            signatures.append(value)
        elif timestamp is None:
            timestamp = value
    if timestamp is None or not signatures:
        raise BadSignature()
    try:
        return int(timestamp), signatures
    except ValueError as exc:
        raise BadSignature() from exc


def parse_unix_time(text: str, *, milliseconds: bool = False) -> int:
    """A Unix timestamp header's value, in seconds (given in milliseconds for providers that
    send those: WorkOS, Airwallex).

    Raises:
        BadSignature: not a plain decimal number (a malformed signature header).
    """
    if not text.isascii() or not text.isdigit() or len(text) > (15 if milliseconds else 12):
        raise BadSignature()
    return int(text) // 1000 if milliseconds else int(text)


def parse_iso_time(text: str) -> int:
    """Unix seconds of an ISO 8601 time with its zone (`2026-01-01T00:00:00.000Z`).

    Raises:
        BadSignature: not such a time (a time without a zone means nothing here).
    """
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadSignature() from exc
    if moment.tzinfo is None:
        raise BadSignature()
    return int(moment.timestamp())


def within_window(
    verification: Verification, signed_at_s: int, *, now_s: float, tolerance_s: int
) -> Verification:
    """`verification` with its signed time, once the time is known to be within the window.

    Called only after the signature verified: an attacker must not learn which part was wrong,
    and an unsigned time means nothing.

    Raises:
        StaleTimestamp: the signed time is too old or in the future.
    """
    check_timestamp(signed_at_s, now_s=now_s, tolerance_s=tolerance_s)
    return replace(verification, signed_at_s=signed_at_s)


@dataclass(frozen=True, slots=True)
class TokenHeader:
    """A shared token the provider sends as is (GitLab, Okta), compared in constant time with
    every configured secret. It authenticates the sender, not the body."""

    header: str

    def verify(
        self, request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        """Raises: MissingSignature (no header), BadSignature (no secret equals it)."""
        offered = require_header(request, self.header).encode("utf-8", "replace")
        for index, key in enumerate(secret.signing_keys()):
            if hmac.compare_digest(key, offered):
                return Verification(scheme="token", key_index=index, signature=offered)
        raise BadSignature()


def b64decode(text: str) -> bytes:
    """Strict base64 (the standard alphabet, padded).

    Raises:
        BadSignature: not base64 (a malformed signature).
    """
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise BadSignature() from exc
