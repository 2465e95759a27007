"""A local stand-in for the REST API in template.yaml: HTTP in, API Gateway proxy events out.

It builds payload-1.0 events the way the deployed API does with binary media type `*/*`:
the body always base64-encoded, headers in `headers` and `multiValueHeaders`.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from hookgate.devtools.lambda_events import rest_event, route_of

Invoke = Callable[[dict[str, Any]], dict[str, Any]]
#: Called after each request: (method, path, status, latency in ms, whether a function ran).
Observer = Callable[[str, str, int, float, bool], None]

STAGE = "local"


class Gateway(ThreadingHTTPServer):
    """Routes `(METHOD, route)` to a function's `invoke`; routes are the template's paths,
    `/webhooks/stripe/{account}` among them."""

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
        route, _ = route_of(split.path)
        invoke = self.server.routes.get((self.command, route))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if invoke is None:
            known = any(path == route for _, path in self.server.routes)
            status = 405 if known else 404
            self._reply(status, {}, json.dumps({"message": "not found"}).encode())
        else:
            host = self.headers.get("Host", "127.0.0.1")
            event = rest_event(
                self.command,
                f"http://{host}{self.path}",
                [(k, v) for k, v in self.headers.items() if k.lower() != "host"],
                body,
                stage=STAGE,
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
            self.server.observer(self.command, split.path, status, latency_ms, invoke is not None)

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
