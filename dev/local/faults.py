"""A fault-injecting HTTP proxy in front of the local AWS emulator.

Clients configured exactly as the functions configure them (`hookgate.aws.CLIENT_CONFIG`) talk
to this proxy instead of the emulator. Each request is forwarded unless a queued fault matches
its operation; then the proxy answers as AWS does when it throttles or fails, resets the
connection, waits past the client's timeout, or reports a partial EventBridge failure. It tells
the tests what it did, so they can count the faults injected and survived.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["Fault", "FaultProxy"]

Kind = Literal["throttle", "error", "unavailable", "reset", "slow", "failed_entries"]

# How AWS's JSON protocols name their errors, per kind.
_JSON_ERRORS: dict[str, tuple[int, str]] = {
    "throttle": (400, "ThrottlingException"),
    "error": (500, "InternalFailure"),
    "unavailable": (503, "ServiceUnavailableException"),
}
_JSON = {"Content-Type": "application/x-amz-json-1.1"}
_DYNAMODB_THROTTLE = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
_S3_ERRORS: dict[str, tuple[int, str]] = {
    "throttle": (503, "SlowDown"),
    "error": (500, "InternalError"),
    "unavailable": (503, "ServiceUnavailable"),
}


@dataclass
class Fault:
    """Fail the next `times` calls of `operation` ("dynamodb:PutItem", "events:PutEvents",
    "secretsmanager:GetSecretValue", "s3:PUT", or "*")."""

    operation: str
    kind: Kind
    times: int = 1
    #: For "slow": how long to wait before forwarding (past the client's read timeout, the
    #: client has gone and the request is not forwarded: it never reached AWS).
    delay_s: float = 1.5


def operation_of(handler: BaseHTTPRequestHandler) -> str:
    target = handler.headers.get("X-Amz-Target")
    if (
        target
    ):  # "DynamoDB_20120810.PutItem", "AWSEvents.PutEvents", "secretsmanager.GetSecretValue"
        prefix, _, action = target.partition(".")
        service = {"DynamoDB_20120810": "dynamodb", "AWSEvents": "events"}.get(prefix, prefix)
        return f"{service.lower()}:{action}"
    return f"s3:{handler.command}"


class FaultProxy:
    """Forwards to `upstream` (an http:// endpoint) and injects queued faults."""

    def __init__(self, upstream: str) -> None:
        self._upstream = urlsplit(upstream)
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        #: (operation, what happened): "forwarded", or the fault's kind.
        self.log: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_request(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_request

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def injected(self) -> list[tuple[str, str]]:
        return [entry for entry in self.log if entry[1] != "forwarded"]

    def _take(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.operation in (operation, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        operation = operation_of(handler)
        fault = self._take(operation)
        self.log.append((operation, fault.kind if fault else "forwarded"))
        if fault is None:
            self._forward(handler, body)
        elif fault.kind == "reset":
            # RST instead of FIN: the client sees "connection reset by peer".
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
        elif fault.kind == "slow":
            time.sleep(fault.delay_s)
            if _client_gone(handler.connection):
                handler.close_connection = True
            else:
                self._forward(handler, body)
        elif fault.kind == "failed_entries":
            entries = json.loads(body or b"{}").get("Entries", [])
            failed = [{"ErrorCode": "InternalFailure", "ErrorMessage": "injected"} for _ in entries]
            answer = {"FailedEntryCount": len(failed), "Entries": failed}
            _reply(handler, 200, _JSON, json.dumps(answer).encode())
        elif operation.startswith("s3:"):
            status, code = _S3_ERRORS[fault.kind]
            xml = f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
            _reply(handler, status, {"Content-Type": "application/xml"}, xml.encode())
        else:
            status, code = _JSON_ERRORS[fault.kind]
            if fault.kind == "throttle" and operation.startswith("dynamodb:"):
                code = _DYNAMODB_THROTTLE
            error = {"__type": code, "message": "injected"}
            _reply(handler, status, _JSON, json.dumps(error).encode())

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        upstream = http.client.HTTPConnection(
            self._upstream.hostname or "127.0.0.1", self._upstream.port, timeout=30
        )
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "connection"}
        upstream.request(handler.command, handler.path, body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        upstream.close()
        passed = {
            k: v
            for k, v in response.getheaders()
            if k.lower() not in ("connection", "transfer-encoding", "content-length")
        }
        _reply(handler, response.status, passed, data)


def _reply(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes
) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _client_gone(connection: socket.socket) -> bool:
    """Whether the client closed the connection (a timed-out client does)."""
    connection.setblocking(False)
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        connection.setblocking(True)
