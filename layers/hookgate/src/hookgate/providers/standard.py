"""The Standard Webhooks scheme, shared by the `standardwebhooks` and `svix` providers.

`webhook-signature` holds space-separated `<version>,<base64 signature>` entries over
`"<webhook-id>.<webhook-timestamp>.<body>"`; any entry may match. `v1` is HMAC-SHA256 keyed with
the base64 bytes of a `whsec_...` secret; `v1a` is Ed25519, verified with `whpk_<base64 key>`
public keys (`public_key` in the secret). Timestamps outside the window are refused in both
directions, as the specification requires. The id of the header style that verified feeds the
replay guard: a request may carry both styles, and only one of them is signed.

A `whpk_` public key among the signing secrets is refused as a configuration error: an HMAC
keyed with a public key is a signature anyone can make.
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hookgate.crypto import hmac_digest
from hookgate.errors import BadSignature, ConfigurationError, MissingSignature
from hookgate.material import SecretMaterial
from hookgate.providers.base import (
    Deployment,
    Docs,
    ExampleBody,
    Extractor,
    Local,
    Provider,
    Signed,
    Signer,
    Verification,
    Verifier,
    json_field,
)
from hookgate.providers.schemes import b64decode, parse_unix_time, within_window
from hookgate.request import Request

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix)
PRIVATE_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"


@dataclass(frozen=True, slots=True)
class HeaderNames:
    id: str
    timestamp: str
    signature: str


STANDARD = HeaderNames("webhook-id", "webhook-timestamp", "webhook-signature")
SVIX = HeaderNames("svix-id", "svix-timestamp", "svix-signature")


def _decode_key(text: str, prefix: str) -> bytes:
    try:
        return base64.b64decode(text.removeprefix(prefix), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"a {prefix}... key is not valid base64") from exc


def _first_present(request: Request, styles: Sequence[HeaderNames]) -> HeaderNames:
    for names in styles:
        if names.signature in request.headers:
            return names
    raise MissingSignature()


def _entries(header: str) -> list[tuple[str, str]]:
    entries = []
    for item in header.split(" "):
        version, sep, signature = item.partition(",")
        if sep:
            entries.append((version, signature))
    return entries


def _signed(message_id: str, timestamp: str, body: bytes) -> tuple[bytes, bytes]:
    return f"{message_id}.{timestamp}.".encode(), body


def _verify_v1(
    entries: list[tuple[str, str]], secret: SecretMaterial, signed: tuple[bytes, bytes]
) -> Verification | None:
    offered = [sig.encode("utf-8", "replace") for version, sig in entries if version == "v1"]
    if not offered:
        return None
    for index, text in enumerate(secret.signing_secrets):
        if text.startswith(PUBLIC_KEY_PREFIX):
            raise ConfigurationError(
                "a whpk_ public key belongs in public_key, not signing_secrets"
            )
        expected = base64.b64encode(
            hmac_digest("sha256", _decode_key(text, SECRET_PREFIX), *signed)
        )
        for candidate in offered:
            if hmac.compare_digest(expected, candidate):
                return Verification(scheme="hmac-sha256", key_index=index, signature=candidate)
    return None


def _verify_v1a(
    entries: list[tuple[str, str]], secret: SecretMaterial, signed: tuple[bytes, bytes]
) -> Verification | None:
    offered = [b64decode(sig) for version, sig in entries if version == "v1a"]
    if not offered or not secret.public_keys:
        return None
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    message = b"".join(signed)
    for index, text in enumerate(secret.public_keys):
        try:
            key = Ed25519PublicKey.from_public_bytes(_decode_key(text, PUBLIC_KEY_PREFIX))
        except ValueError as exc:
            raise ConfigurationError("a whpk_ key is not an Ed25519 public key") from exc
        for candidate in offered:
            try:
                key.verify(candidate, message)
            except InvalidSignature:
                continue
            return Verification(scheme="ed25519", key_index=index, signature=candidate)
    return None


def verifier(*styles: HeaderNames) -> Verifier:
    """A verifier reading the first header style present."""

    def verify(
        request: Request, secret: SecretMaterial, *, now_s: float, tolerance_s: int
    ) -> Verification:
        names = _first_present(request, styles)
        message_id = request.headers.get(names.id)
        timestamp = request.headers.get(names.timestamp)
        header = request.headers.get(names.signature)
        if not message_id or not timestamp or not header:
            raise MissingSignature()
        signed_at = parse_unix_time(timestamp)
        entries = _entries(header)
        signed = _signed(message_id, timestamp, request.body)
        verification = _verify_v1(entries, secret, signed) or _verify_v1a(entries, secret, signed)
        if verification is None:
            raise BadSignature()
        return within_window(verification, signed_at, now_s=now_s, tolerance_s=tolerance_s)

    return verify


def signed_id(*styles: HeaderNames) -> Extractor:
    """The message id of the style the verifier reads (the first whose signature is present)."""

    def extract(request: Request, payload: Any) -> str | None:
        try:
            names = _first_present(request, styles)
        except MissingSignature:
            return None
        return request.headers.get(names.id) or None

    return extract


def signer(names: HeaderNames) -> Signer:
    def sign(
        secret: str, body: bytes, *, timestamp: int, delivery_id: str, event_type: str, url: str
    ) -> dict[str, str]:
        """`secret`: a `whsec_` secret (signs `v1`) or a `whsk_` Ed25519 seed (signs `v1a`)."""
        signed = _signed(delivery_id, str(timestamp), body)
        if secret.startswith(PRIVATE_KEY_PREFIX):
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

            key = Ed25519PrivateKey.from_private_bytes(_decode_key(secret, PRIVATE_KEY_PREFIX))
            entry = "v1a," + base64.b64encode(key.sign(b"".join(signed))).decode()
        else:
            digest = hmac_digest("sha256", _decode_key(secret, SECRET_PREFIX), *signed)
            entry = "v1," + base64.b64encode(digest).decode()
        return {names.id: delivery_id, names.timestamp: str(timestamp), names.signature: entry}

    return sign


def stored_secret(signing_secret: str) -> str:
    """The secret to store: a `whsec_` secret as is; for a `whsk_` seed, its `whpk_` key."""
    if not signing_secret.startswith(PRIVATE_KEY_PREFIX):
        return signing_secret
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    seed = _decode_key(signing_secret, PRIVATE_KEY_PREFIX)
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return json.dumps({"public_key": PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode()})


def example_body_with(type_field: str) -> ExampleBody:
    """Example bodies naming their event type in `type_field`."""

    def example_body(*, delivery_id: str, event_type: str, timestamp: int, secret: str) -> bytes:
        event = {
            type_field: event_type,
            "timestamp": "2026-01-01T00:00:00Z",
            "data": {"id": delivery_id, "object": "invoice", "status": "paid"},
        }
        return json.dumps(event).encode()

    return example_body


def new_secret() -> str:
    """A fresh `whsec_` signing secret."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def provider(
    name: str,
    styles: Sequence[HeaderNames],
    *,
    deployment: Deployment,
    docs: Docs,
    type_field: str = "type",
    example_event_type: str = "invoice.paid",
    dev_secret: str | None = None,
) -> Provider:
    """A Standard Webhooks provider reading `styles` of header names, first present wins, its
    event type in the body's `type_field`."""
    return Provider(
        name=name,
        verify=verifier(*styles),
        delivery_id=signed_id(*styles),
        event_type=json_field(type_field),
        signature_header=styles[0].signature,
        signed=Signed(
            covers=("message id", "timestamp", "body"),
            id=" / ".join(f"`{names.id}`" for names in styles) + " of the style that verified",
            headers=tuple(h for names in styles for h in (names.id, names.timestamp)),
            captured="nothing: a resend is a duplicate, and stale after the window",
            timestamp=True,
        ),
        # Not forwarded: of a request carrying both styles, only one id is signed, and that
        # one is the event's delivery_id.
        local=Local(
            sign=signer(styles[0]),
            example_body=example_body_with(type_field),
            example_event_type=example_event_type,
            # Any bytes make an HMAC key: the name's, base64, as the `whsec_` format wants.
            dev_secret=dev_secret
            or SECRET_PREFIX + base64.b64encode(f"hookgate-local-dev-{name}".encode()).decode(),
            stored_secret=stored_secret,
            new_secret=new_secret,
        ),
        deployment=deployment,
        docs=docs,
    )
