"""Lambda HTTP events as API Gateway and function URLs build them, for local invokes and the CLI.

REST events are what the deployed API sends (binary media type `*/*`: body always base64).
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

__all__ = ["SHAPES", "function_url_event", "http_api_event", "rest_event", "route_of"]

_ACCOUNT_ROUTE = re.compile(r"(/webhooks/[^/]+)/([^/]+)")


def route_of(path: str) -> tuple[str, dict[str, str] | None]:
    """The template route a resource path matches, and its path parameters, as API Gateway
    gives them: `/webhooks/stripe/acme` is `/webhooks/stripe/{account}` with account `acme`."""
    found = _ACCOUNT_ROUTE.fullmatch(path)
    if found is None:
        return path, None
    return f"{found[1]}/{{account}}", {"account": unquote(found[2])}


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def _forwarded(parts: SplitResult) -> list[tuple[str, str]]:
    # What API Gateway adds: how the client reached it (URL-signing providers need the scheme).
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return [("X-Forwarded-Proto", parts.scheme), ("X-Forwarded-Port", str(port))]


def rest_event(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    stage: str = "prod",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST API (payload 1.0) proxy event."""
    parts = urlsplit(url)
    path = parts.path or "/"
    header_list = [("Host", parts.netloc), *_forwarded(parts), *headers]
    multi_headers = _grouped(header_list)
    multi_query = _grouped(parse_qsl(parts.query, keep_blank_values=True))
    # On the execute-api domain the stage is the first path segment; the resource path follows.
    resource_path = path.removeprefix(f"/{stage}") if path.startswith(f"/{stage}/") else path
    resource, path_parameters = route_of(resource_path)
    return {
        "resource": resource,
        "path": resource_path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "stage": stage,
            "domainName": parts.hostname or "localhost",
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "identity": {"sourceIp": source_ip},
        },
        "body": base64.b64encode(body).decode("ascii") if body else None,
        "isBase64Encoded": bool(body),
    }


def http_api_event(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    route_key: str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event: repeated headers comma-joined, cookies apart."""
    parts = urlsplit(url)
    path = parts.path or "/"
    joined: dict[str, str] = {"host": parts.netloc}
    joined.update((name.lower(), value) for name, value in _forwarded(parts))
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
    query = _grouped(parse_qsl(parts.query, keep_blank_values=True))
    # A function URL has no routes, so no path parameters.
    route, path_parameters = route_of(path) if route_key is None else (path, None)
    route_key = route_key or f"{method} {route}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": parts.query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": parts.hostname or "localhost",
            "domainPrefix": (parts.hostname or "localhost").split(".", 1)[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": base64.b64encode(body).decode("ascii") if body else None,
        "isBase64Encoded": bool(body),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
    return event


def function_url_event(
    method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    """A Lambda function URL event (payload 2.0 with route key `$default`)."""
    return http_api_event(method, url, headers, body, route_key="$default")


SHAPES = {"rest": rest_event, "http": http_api_event, "url": function_url_event}
