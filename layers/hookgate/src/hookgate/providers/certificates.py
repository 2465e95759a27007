"""Signing certificates a provider names in its delivery (PayPal, Amazon SNS): downloaded only
after the provider's module has allow-listed the URL, over verified TLS, once per URL.

The download follows no redirects (one could lead anywhere), is bounded in time and size, and
trusts the runtime's CA bundle (or `SSL_CERT_FILE`). What a provider checks of the certificate
itself (its chain, its name) is the provider module's `check`; a certificate that fails it is
never cached, and one that has expired since is dropped and refused.
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookgate.errors import BadSignature, ConfigurationError, DownstreamError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

__all__ = [
    "FETCH_TIMEOUT_S",
    "MAX_CERT_BYTES",
    "CertificateCache",
    "currently_valid",
    "download",
    "post_json",
    "trust_roots",
]

FETCH_TIMEOUT_S = 2.0
MAX_CERT_BYTES = 64 * 1024


#: A key API throttling us: not the delivery's fault.
_THROTTLED = frozenset({429})


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect could lead anywhere: refuse it


def _fetch(
    request: str | urllib.request.Request,
    *,
    max_bytes: int,
    timeout_s: float,
    retry_statuses: frozenset[int] = frozenset(),
) -> bytes:
    """The answer's bytes over verified TLS, following no redirect, bounded in time and size.

    Raises:
        BadSignature: a 4xx (other than `retry_statuses`), or more than `max_bytes`.
        DownstreamError: unreachable, a 5xx or one of `retry_statuses`: the provider retries.
    """
    context = ssl.create_default_context()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), _NoRedirects()
    )
    try:
        with opener.open(request, timeout=timeout_s) as response:
            data: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        # Nothing at an allowed URL: a forgery, unless the provider itself is failing.
        failing = exc.code >= 500 or exc.code in retry_statuses
        raise (DownstreamError() if failing else BadSignature()) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DownstreamError() from exc
    if len(data) > max_bytes:
        raise BadSignature()
    return data


def download(url: str) -> bytes:
    """The bytes at an allow-listed `https://` URL.

    Raises:
        BadSignature: no certificate there (a 4xx), or more bytes than any certificate has.
        DownstreamError: the host is unreachable or failing, so the provider should retry.
    """
    return _fetch(url, max_bytes=MAX_CERT_BYTES, timeout_s=FETCH_TIMEOUT_S)


def trust_roots() -> list[Certificate]:
    """The root certificates OpenSSL trusts here (the runtime's bundle, or `SSL_CERT_FILE`)."""
    from cryptography import x509

    paths = ssl.get_default_verify_paths()
    cafile = paths.cafile or paths.openssl_cafile
    try:
        return x509.load_pem_x509_certificates(Path(cafile).read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError("no CA bundle to check a signing certificate against") from exc


def currently_valid(certificate: Certificate, now: datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


class CertificateCache:
    """Checked signing certificates by URL, least recently used dropped first."""

    def __init__(
        self, check: Callable[[bytes, str, datetime], Certificate], *, size: int = 8
    ) -> None:
        #: Parses and checks what a URL served; returns the signing certificate or raises
        #: BadSignature.
        self._check = check
        self._size = size
        self._by_url: OrderedDict[str, Certificate] = OrderedDict()
        self._lock = threading.Lock()

    def signing_certificate(self, url: str, now: datetime) -> Certificate:
        """The certificate at `url` (already allow-listed), downloaded and checked once.

        Raises:
            BadSignature: it does not check, or is not valid at `now`.
            DownstreamError: the download failed.
        """
        with self._lock:
            found = self._by_url.get(url)
            if found is not None:
                self._by_url.move_to_end(url)
        if found is None:
            found = self._check(download(url), url, now)
            with self._lock:
                self._by_url[url] = found
                while len(self._by_url) > self._size:
                    self._by_url.popitem(last=False)
        if not currently_valid(found, now):
            with self._lock:
                self._by_url.pop(url, None)
            raise BadSignature()
        return found

    def clear(self) -> None:
        with self._lock:
            self._by_url.clear()

    def __len__(self) -> int:
        return len(self._by_url)


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    max_bytes: int = MAX_CERT_BYTES,
    timeout_s: float = FETCH_TIMEOUT_S,
) -> bytes:
    """The answer to a JSON `POST` to a provider's key API (Plaid's), at a fixed `https://`
    URL the provider's module builds (never one a request names), with the same guards as
    `download`: verified TLS, no redirects, bounded in time and size.

    Raises:
        BadSignature: the API refused what the delivery named (a 4xx, or a redirect), or
            answered more than `max_bytes`.
        DownstreamError: the API is unreachable, failing (5xx) or throttling us (429), so the
            provider should retry.
    """
    request = urllib.request.Request(  # noqa: S310 (the caller's fixed https:// URL)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="POST",
    )
    return _fetch(request, max_bytes=max_bytes, timeout_s=timeout_s, retry_statuses=_THROTTLED)
