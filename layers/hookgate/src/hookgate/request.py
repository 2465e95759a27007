"""One `Request` from any Lambda HTTP event shape, with the body as the exact bytes received.

Shapes: API Gateway REST (payload 1.0, with or without `multiValueHeaders`), HTTP API
(payload 2.0: comma-joined headers, `cookies`, `rawQueryString`), Lambda function URLs
(payload 2.0) and Application Load Balancer targets. Nothing here re-serializes the body:
signatures are computed over `Request.body` exactly as the provider sent it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from hookgate.errors import BadRequest, NotFound, PayloadTooLarge

__all__ = ["ACCOUNT_NAME", "Headers", "Request", "caller_of"]

_T = TypeVar("_T")

#: `host[:port]` as a Host header or API Gateway's `domainName` may hold it: a name or an IPv6
#: literal, then digits. Anything else (a `/`, `@`, `?` or space) could rewrite the URL that
#: URL-signing providers are verified against, so it is refused.
_HOST = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?", re.ASCII)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
#: An account's name, the last segment of `/webhooks/<provider>/{account}`: it becomes part of
#: a secret's name, a replay key and an S3 key, so it is kept to what is safe in all three.
ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}", re.ASCII)


class Headers(Mapping[str, str]):
    """Case-insensitive, multi-valued HTTP headers.

    `headers[name]` and `get(name)` join repeated values with ", " (RFC 9110 field
    combination), which is also what HTTP API payload 2.0 does, so every event shape reads alike.
    """

    __slots__ = ("_values",)

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        values: dict[str, list[str]] = {}
        for name, value in pairs:
            values.setdefault(name.lower(), []).append(value)
        self._values: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in values.items()}

    def __getitem__(self, name: str) -> str:
        return ", ".join(self._values[name.lower()])

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, default: str, /) -> str: ...
    @overload
    def get(self, name: str, default: _T, /) -> str | _T: ...

    def get(self, name: str, default: Any = None, /) -> Any:
        # Mapping's own `get` goes through `__getitem__` and a KeyError; this is on every
        # request's path (signature headers), so it looks the name up once.
        values = self._values.get(name.lower())
        return ", ".join(values) if values is not None else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value received for `name`, in order."""
        return self._values.get(name.lower(), ())

    def __repr__(self) -> str:
        # Header values may hold signatures or tokens: never show them.
        return f"Headers(names={sorted(self._values)!r})"


@dataclass(frozen=True, slots=True)
class Request:
    """An HTTP request as the provider sent it."""

    method: str
    path: str
    url: str
    headers: Headers
    query: Mapping[str, tuple[str, ...]]
    body: bytes = field(repr=False)
    #: The address the request came from, as AWS saw it (never a header a client chose):
    #: API Gateway's and function URLs' `sourceIp`, or for ALB the `X-Forwarded-For` entry
    #: the load balancer appended. None when the event does not say.
    source_ip: str | None = None
    #: The account the route names (`/webhooks/<provider>/{account}`); None on the bare route.
    #: Only a name until the signature verifies with that account's secret.
    account: str | None = None

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case ("" when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @classmethod
    def of(
        cls,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
        *,
        source_ip: str | None = None,
        account: str | None = None,
    ) -> Request:
        """A request received by anything but Lambda (a web framework, a queue message).

        Raises:
            BadRequest: `url` is not an absolute http(s) URL, or a header is not text.
            NotFound: `account` is not an account name.
        """
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadRequest()
        checked = [(_text(str(name)), _text(str(value))) for name, value in pairs]
        return cls(
            method=method.upper(),
            path=parts.path or "/",
            url=url,
            headers=Headers(checked),
            query=_group(parse_qsl(parts.query, keep_blank_values=True)),
            body=bytes(body),
            source_ip=source_ip,
            account=_account_name(account),
        )

    @classmethod
    def from_event(
        cls,
        event: Mapping[str, Any],
        *,
        public_url: str | None = None,
        max_body_bytes: int | None = None,
    ) -> Request:
        """Normalize a Lambda HTTP event.

        Args:
            public_url: the exact public URL, when proxies make it impossible to rebuild.
            max_body_bytes: reject larger bodies before decoding them.

        The account is the `account` path parameter that API Gateway sets on the
        `/webhooks/<provider>/{account}` route (REST and HTTP APIs alike); with `public_url`,
        the URL is `public_url` + `/<account>`.

        Raises:
            BadRequest: the event is not an HTTP event or its body cannot be decoded.
            NotFound: the account segment is not an account name.
            PayloadTooLarge: the body is over `max_body_bytes`.
        """
        if not isinstance(event, Mapping):
            raise BadRequest()
        try:
            if event.get("version") == "2.0":
                return _from_v2(event, public_url, max_body_bytes)
            if "httpMethod" in event:
                return _from_v1(event, public_url, max_body_bytes)
        except (TypeError, AttributeError, ValueError) as exc:
            # A field of the wrong type: not an event any AWS integration sends.
            raise BadRequest() from exc
        raise BadRequest()


def _from_v1(event: Mapping[str, Any], public_url: str | None, limit: int | None) -> Request:
    """API Gateway REST payload 1.0 and ALB (same top-level keys)."""
    context = event.get("requestContext") or {}
    is_alb = "elb" in context
    account = _account(event)
    public_url = _with_account(public_url, account)
    headers = Headers(_pairs(event.get("multiValueHeaders"), event.get("headers")))
    query = _v1_query(event, decoded=not is_alb)
    path = _text(event.get("path") or "/")
    # REST APIs on their execute-api domain carry the stage in requestContext.path
    # ("/prod/webhooks/x"); that, not `path`, is what the provider called.
    public_path = path if is_alb else _text(context.get("path") or path)
    raw_query = urlencode([(k, v) for k, values in query.items() for v in values])
    url = _url(public_url or _origin(headers, context.get("domainName")), public_path, raw_query)
    return Request(
        method=str(event.get("httpMethod", "")).upper(),
        path=path,
        url=url,
        headers=headers,
        query=query,
        body=_body(event, limit),
        source_ip=_address(context, headers),
        account=account,
    )


def _from_v2(event: Mapping[str, Any], public_url: str | None, limit: int | None) -> Request:
    """HTTP API payload 2.0 and Lambda function URLs."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    account = _account(event)
    public_url = _with_account(public_url, account)
    pairs = list(_pairs(None, event.get("headers")))
    if event.get("cookies"):
        pairs.append(("cookie", _text("; ".join(event["cookies"]))))
    headers = Headers(pairs)
    raw_query = _text(event.get("rawQueryString") or "")
    query = _group(parse_qsl(raw_query, keep_blank_values=True))
    path = _text(event.get("rawPath") or http.get("path") or "/")
    url = _url(public_url or _origin(headers, context.get("domainName")), path, raw_query)
    return Request(
        method=str(http.get("method", "")).upper(),
        path=path,
        url=url,
        headers=headers,
        query=query,
        body=_body(event, limit),
        source_ip=_address(context, headers),
        account=account,
    )


def _address(context: Mapping[str, Any], headers: Headers) -> str | None:
    """`Request.source_ip`: `sourceIp` where AWS gives one (payload 2.0's `http`, REST's
    `identity`), the load balancer's own `X-Forwarded-For` entry for ALB; None when that is not
    an address (an ALB passing on a client's header as it came)."""
    if "elb" in context:
        value: Any = _last(headers.get_all("x-forwarded-for"))
    else:
        where = context.get("http") if "http" in context else context.get("identity")
        value = where.get("sourceIp") if isinstance(where, Mapping) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


#: A path in a log record is cut here: the record is for finding the endpoint, not the input.
_LOGGED_PATH_CHARS = 256


def caller_of(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The client's address and the path called, for the log record of a refusal.

    Read without parsing the rest of the event, so that a request refused because it could not
    be parsed is logged like any other. The address is `Request.source_ip`'s, never a header
    value a client chose (an ALB event's is the load balancer's own `X-Forwarded-For` entry).
    """
    try:
        return _caller_of(event)
    except Exception:  # a log field must never turn a refusal into an error
        return None, None


def _caller_of(event: Mapping[str, Any]) -> tuple[str | None, str | None]:
    context = event.get("requestContext")
    context = context if isinstance(context, Mapping) else {}
    headers = Headers()
    if "http" in context:  # payload 2.0
        path = event.get("rawPath")
    elif "elb" in context:
        path = event.get("path")
        with contextlib.suppress(BadRequest):  # only an ALB's address is in a header
            headers = Headers(_pairs(event.get("multiValueHeaders"), event.get("headers")))
    else:
        path = context.get("path") or event.get("path")
    ip = _address(context, headers)
    if not isinstance(path, str):
        return ip, None
    # A lone surrogate (possible in a JSON event) could not be written to the log.
    return ip, path[:_LOGGED_PATH_CHARS].encode("utf-8", "replace").decode("utf-8")


def _account(event: Mapping[str, Any]) -> str | None:
    parameters = event.get("pathParameters")
    if not isinstance(parameters, Mapping) or "account" not in parameters:
        return None
    return _account_name(parameters["account"])


def _account_name(value: Any) -> str | None:
    """`value` if it is an account name (None stays None).

    Raises:
        NotFound: anything else; checked before any AWS call, as it will name a secret.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not ACCOUNT_NAME.fullmatch(value):
        raise NotFound()
    return value


def _with_account(public_url: str | None, account: str | None) -> str | None:
    # HOOKGATE_PUBLIC_URL is the bare route's URL; an account's is one segment longer.
    if public_url is None or account is None:
        return public_url
    return f"{public_url.rstrip('/')}/{account}"


def _pairs(multi: Any, single: Any) -> Iterator[tuple[str, str]]:
    # multiValueHeaders is complete when present; `headers` then only repeats its last values.
    if isinstance(multi, Mapping) and multi:
        for name, values in multi.items():
            if values is None:
                continue
            if not isinstance(values, list | tuple):
                raise BadRequest()  # not an event AWS made
            for value in values:
                yield _text(str(name)), _text(str(value))
    elif isinstance(single, Mapping):
        for name, value in single.items():
            if value is not None:
                yield _text(str(name)), _text(str(value))


def _v1_query(event: Mapping[str, Any], *, decoded: bool) -> dict[str, tuple[str, ...]]:
    multi = event.get("multiValueQueryStringParameters")
    single = event.get("queryStringParameters")
    pairs: list[tuple[str, str]] = []
    if isinstance(multi, Mapping) and multi:
        pairs = [(k, v) for k, values in multi.items() for v in values or ()]
    elif isinstance(single, Mapping):
        pairs = [(k, v) for k, v in single.items() if v is not None]
    if not decoded:
        # ALB passes query parameters through as received, still percent-encoded.
        raw = "&".join(f"{k}={v}" for k, v in pairs)
        pairs = parse_qsl(raw, keep_blank_values=True)
    return _group(pairs)


def _group(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(_text(key), []).append(_text(value))
    return {k: tuple(v) for k, v in grouped.items()}


def _text(value: str) -> str:
    """`value`, if it is text some HTTP client could have sent.

    A lone surrogate (possible in a JSON event, never in HTTP) cannot be encoded to the bytes a
    provider signed; refusing it here keeps every later `.encode()` total.

    Raises:
        BadRequest: `value` holds a lone surrogate.
    """
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadRequest() from exc
    return value


def _origin(headers: Headers, domain: str | None) -> str:
    """`scheme://host[:port]` as the provider called it.

    Which inputs are trusted (docs/security.md, "The URL a signature is checked against"):

    - the host is API Gateway's `domainName` (the name AWS routed the request by) when the
      event has one; only ALB events, which have none, take the client's `Host` header;
    - `X-Forwarded-Proto` and `X-Forwarded-Port` are read from their *last* value: a proxy
      that appends puts the client's own value first and its own last, and AWS's front door
      (API Gateway, the function URL service, ALB) is the proxy nearest to the function.

    Raises:
        BadRequest: the host is not `host[:port]` or the port is not a number; either could
            otherwise rewrite the URL that URL-signing providers verify.
    """
    proto = (_last(headers.get_all("x-forwarded-proto")) or "").lower()
    scheme = proto if proto in ("http", "https") else "https"
    host = domain or headers.get("host") or "localhost"
    port = _last(headers.get_all("x-forwarded-port"))
    if not _HOST.fullmatch(host) or (port and not _PORT.fullmatch(port)):
        raise BadRequest()
    if port and ":" not in host and (scheme, port) not in (("https", "443"), ("http", "80")):
        host = f"{host}:{port}"
    origin = f"{scheme}://{host}"
    try:
        urlsplit(origin).port  # noqa: B018 (a port over 65535 raises)
    except ValueError as exc:
        raise BadRequest() from exc
    return origin


def _url(base: str, path: str, raw_query: str) -> str:
    """The URL the provider called. `base` is an origin (path appended) or, from the
    `HOOKGATE_PUBLIC_URL` setting, the full public URL without query; the query is appended
    either way, because URL-signing providers (Twilio) sign a query that changes per request.
    """
    if base.count("/") <= 2:
        base += quote(path, safe="/%:@!$&()*+,;=~")
    return f"{base}?{raw_query}" if raw_query else base


def _last(values: tuple[str, ...]) -> str | None:
    # The entry the proxy nearest to the function added (see `_origin`).
    return values[-1].rsplit(",", 1)[-1].strip() if values else None


def _body(event: Mapping[str, Any], limit: int | None) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest()
    if event.get("isBase64Encoded"):
        # Reject before decoding: base64 is 4/3 of the decoded size.
        if limit is not None and len(body) // 4 * 3 > limit + 2:
            raise PayloadTooLarge()
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest() from exc
    else:
        # Without base64, API Gateway has already decoded the bytes as UTF-8 text;
        # encoding them again gives back exactly what was sent.
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates: not text any provider sent
            raise BadRequest() from exc
    if limit is not None and len(raw) > limit:
        raise PayloadTooLarge()
    return raw
