"""Real-shaped Lambda HTTP events, one builder per shape, from the same request parts.

Field sets follow the samples in the AWS documentation for each integration.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

Headers = list[tuple[str, str]]
Query = list[tuple[str, str]]
Builder = Callable[..., dict[str, Any]]

HOST = "abc123.execute-api.eu-west-1.amazonaws.com"


def _encode(body: bytes, *, as_base64: bool) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if as_base64:
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8"), False


def rest_v1(
    *,
    method: str = "POST",
    path: str = "/webhooks/x",
    headers: Headers,
    body: bytes,
    query: Query = (),  # type: ignore[assignment]
    base64_body: bool = True,
    stage: str = "prod",
    account: str | None = None,
) -> dict[str, Any]:
    """API Gateway REST API, payload 1.0, proxy integration; with `account`, on the
    `{account}` route (`path` is the bare route's)."""
    resource = f"{path}/{{account}}" if account is not None else path
    path = f"{path}/{account}" if account is not None else path
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        multi.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in query:
        multi_query.setdefault(key, []).append(value)
    encoded, is_b64 = _encode(body, as_base64=base64_body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"account": account} if account is not None else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": HOST,
            "domainPrefix": "abc123",
            "httpMethod": method,
            "identity": {"sourceIp": "192.0.2.10", "userAgent": "provider"},
            "path": f"/{stage}{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTimeEpoch": 1428582896000,
            "resourceId": "123456",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": encoded,
        "isBase64Encoded": is_b64,
    }


def rest_v1_single_headers(**kwargs: Any) -> dict[str, Any]:
    """REST payload 1.0 as some proxies and test tools send it: `headers` only."""
    event = rest_v1(**kwargs)
    event["multiValueHeaders"] = None
    event["multiValueQueryStringParameters"] = None
    return event


def http_v2(
    *,
    method: str = "POST",
    path: str = "/webhooks/x",
    headers: Headers,
    body: bytes,
    query: Query = (),  # type: ignore[assignment]
    base64_body: bool = True,
    domain: str = HOST,
    cookies: list[str] | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """HTTP API, payload 2.0: repeated headers comma-joined, cookies apart, raw query string;
    with `account`, on the `{account}` route (`path` is the bare route's)."""
    route = f"{path}/{{account}}" if account is not None else path
    path = f"{path}/{account}" if account is not None else path
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    raw_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    encoded, is_b64 = _encode(body, as_base64=base64_body)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": "provider",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "10/Mar/2026:00:03:59 +0000",
            "timeEpoch": 1583798639428,
        },
        "body": encoded,
        "isBase64Encoded": is_b64,
    }
    if account is not None:
        event["pathParameters"] = {"account": account}
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = {k: v for k, v in query}
    return event


def function_url(**kwargs: Any) -> dict[str, Any]:
    """Lambda function URL: payload 2.0 on a lambda-url domain, no stage in the path."""
    event = http_v2(domain="abcdefghijklmnop.lambda-url.eu-west-1.on.aws", **kwargs)
    event["routeKey"] = "$default"
    event["requestContext"]["routeKey"] = "$default"
    return event


def alb(
    *,
    method: str = "POST",
    path: str = "/webhooks/x",
    headers: Headers,
    body: bytes,
    query: Query = (),  # type: ignore[assignment]
    base64_body: bool = True,
    multi_value: bool = True,
) -> dict[str, Any]:
    """Application Load Balancer target; query values stay percent-encoded."""
    encoded, is_b64 = _encode(body, as_base64=base64_body)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                "targetgroup/hooks/6d0ecf831eec9f09"
            }
        },
        "httpMethod": method,
        "path": path,
        "body": encoded if encoded is not None else "",
        "isBase64Encoded": is_b64,
    }
    lowered = [(k.lower(), v) for k, v in [*headers, ("host", "hooks.example.com")]]
    if multi_value:
        multi: dict[str, list[str]] = {}
        for name, value in lowered:
            multi.setdefault(name, []).append(value)
        event["multiValueHeaders"] = multi
        multi_query: dict[str, list[str]] = {}
        for key, value in query:
            multi_query.setdefault(quote(key), []).append(quote(value))
        event["multiValueQueryStringParameters"] = multi_query
    else:
        event["headers"] = dict(lowered)
        event["queryStringParameters"] = {quote(k): quote(v) for k, v in query}
    return event


def alb_single(**kwargs: Any) -> dict[str, Any]:
    return alb(multi_value=False, **kwargs)


ALL_SHAPES: dict[str, Builder] = {
    "rest_v1": rest_v1,
    "rest_v1_text_body": lambda **kw: rest_v1(base64_body=False, **kw),
    "rest_v1_single_headers": rest_v1_single_headers,
    "http_v2": http_v2,
    "http_v2_text_body": lambda **kw: http_v2(base64_body=False, **kw),
    "function_url": function_url,
    "alb": alb,
    "alb_single_value": alb_single,
}
#: Shapes that can carry any bytes (the text variants need valid UTF-8).
BINARY_SAFE = [name for name in ALL_SHAPES if "text" not in name]
