"""Signature primitives shared by the providers: HMAC, constant-time matching, time windows.

HMAC uses the standard library (`hmac` is OpenSSL-backed and needs no import of
`cryptography`); asymmetric schemes import `cryptography` lazily, only in the providers
that need it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hookgate.errors import BadSignature, StaleTimestamp

__all__ = [
    "Match",
    "check_timestamp",
    "fingerprint",
    "hmac_digest",
    "match_any",
]


def hmac_digest(algorithm: str, key: bytes, *parts: bytes) -> bytes:
    """The raw HMAC of the concatenated `parts` under `key` ("sha1", "sha256", "sha512").

    Parts are fed one after the other, so a large body is never copied to prepend a prefix.
    """
    mac = _keyed_hmac(algorithm, key).copy()
    for part in parts:
        mac.update(part)
    return mac.digest()


@functools.lru_cache(maxsize=32)
def _keyed_hmac(algorithm: str, key: bytes) -> hmac.HMAC:
    # Looking the digest up in OpenSSL and absorbing the key cost about as much as hashing
    # 2 KB, on every call; a function verifies with the same one or two keys each time, so
    # each is set up once per process and copied. A key rotated out stays here (in this
    # process's memory, as the secret already was) until 32 newer ones push it out.
    return hmac.new(key, digestmod=algorithm)


# Not frozen: a frozen dataclass's __init__ sets each field through object.__setattr__, which
# costs more than the rest of the matching for a 10 KB body. Nothing mutates it.
@dataclass(slots=True)
class Match:
    """Which configured key verified, and the offered signature it matched."""

    key_index: int
    signature: bytes = field(repr=False)


def match_any(
    keys: Sequence[bytes],
    offered: Sequence[bytes],
    expected_for: Callable[[bytes], bytes],
) -> Match:
    """The first key whose expected signature equals any offered one.

    Every key is tried against every candidate with `hmac.compare_digest`, so a rotation list
    and a multi-signature header both work, and timing says nothing about which part differed.

    Raises:
        BadSignature: no key matches any candidate.
    """
    for index, key in enumerate(keys):
        expected = expected_for(key)
        for candidate in offered:
            if hmac.compare_digest(expected, candidate):
                return Match(index, candidate)
    raise BadSignature()


def check_timestamp(signed_at_s: int, *, now_s: float, tolerance_s: int) -> None:
    """Accept `signed_at_s` only within `tolerance_s` of now, in either direction.

    A timestamp in the future is as suspicious as one in the past: it would let a captured
    delivery be replayed for longer than the window.

    Raises:
        StaleTimestamp: the timestamp is outside the window (or too large to compare).
    """
    try:
        outside = abs(now_s - signed_at_s) > tolerance_s
    except OverflowError:  # an integer beyond any float: no real time
        outside = True
    if outside:
        raise StaleTimestamp()


def fingerprint(*parts: bytes) -> str:
    """A stable, non-reversible id for the concatenated `parts` (signed content: the delivery
    id of deliveries that carry no signed id)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:32]
