"""A local stand-in for the REST API in template.yaml: HTTP in, API Gateway proxy events out.

It builds payload-1.0 events the way the deployed API does with binary media type `*/*`:
the body always base64-encoded, headers in `headers` and `multiValueHeaders`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
#: Called after each request: (method, path, status, latency in ms).
Observer = Callable[[str, str, int, float], None]

STAGE = "local"


def proxy_event(
    *,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    resource: str,
    source_ip: str,
) -> dict[str, Any]:
    """An API Gateway REST (payload 1.0) proxy event for one request."""
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)
    host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {k: v[-1] for k, v in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "stage": STAGE,
            "domainName": host,
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


class Gateway(ThreadingHTTPServer):
    """Routes `(METHOD, path)` to a function's `invoke`."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        routes: Mapping[tuple[str, str], Invoke],
        *,
        observer: Observer | None = None,
    ) -> None:
        super().__init__(address, _Handler)
        self.routes = dict(routes)
        self.observer = observer


class _Handler(BaseHTTPRequestHandler):
    server: Gateway
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        started = time.perf_counter()
        split = urlsplit(self.path)
        invoke = self.server.routes.get((self.command, split.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if invoke is None:
            known = any(path == split.path for _, path in self.server.routes)
            status = 405 if known else 404
            self._reply(status, {}, json.dumps({"message": "not found"}).encode())
        else:
            event = proxy_event(
                method=self.command,
                path=split.path,
                query=split.query,
                headers=list(self.headers.items()),
                body=body,
                resource=split.path,
                source_ip=self.client_address[0],
            )
            try:
                result = invoke(event)
            except Exception:  # the function crashed or timed out: API Gateway says 502
                result = {"statusCode": 502, "body": json.dumps({"message": "bad gateway"})}
            status = int(result.get("statusCode", 502))
            payload = result.get("body") or ""
            raw = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            self._reply(status, result.get("headers") or {}, raw)
        if self.server.observer:
            latency_ms = (time.perf_counter() - started) * 1000
            self.server.observer(self.command, split.path, status, latency_ms)

    def _reply(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the stack prints its own line per delivery
