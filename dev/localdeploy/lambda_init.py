#!/usr/bin/python3
"""The init process of a Lambda container under LocalStack, in place of its Go init.

LocalStack's community core downloads its init (a Go fork of the Lambda runtime interface
emulator) from GitHub the first time a function runs, and no package registry ships it. This
file does the same job with the standard library only, so any image with /usr/bin/python3
runs it. `dev.localdeploy.stack` lays it out where LocalStack looks for its download; LocalStack
copies it into each function container as /var/rapid/init and starts the container with it.

It sits between two parties:

* LocalStack, which posts each invocation to `POST :9563/invoke` and expects, under
  $LOCALSTACK_RUNTIME_ENDPOINT, `status/<runtime id>/ready` (or `/error`) once the runtime is
  up, then for each invocation `invocations/<id>/logs` followed by `/response` or `/error`;
* the function's runtime (/var/runtime/bootstrap, awslambdaric here), which polls the Lambda
  Runtime API this file serves on 127.0.0.1:9001.

Lambda's own rules kept: one invocation at a time; the function's timeout enforced; after a
timeout or a crash, a fresh runtime for the next invocation; START/END/REPORT lines around
each invocation's logs, which hold everything the function printed before it answered. Left
out, since hookgate's functions use none of them: extensions, the X-Ray daemon, dropping root.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RUNTIME_API = ("127.0.0.1", 9001)
INVOKE_PORT = 9563
RUNTIME_PREFIX = "/2018-06-01/runtime/"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalStack:
    """The calls back to LocalStack's executor endpoint."""

    def __init__(self, endpoint: str, runtime_id: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.runtime_id = runtime_id
        self.status_sent = False
        self._lock = threading.Lock()

    def post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(f"{self.endpoint}/{path}", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        try:
            NO_PROXY.open(request, timeout=30).read()
        except OSError as error:  # LocalStack times the invocation out on its own
            print(f"[init] POST {path}: {error}", file=sys.stderr, flush=True)

    def status(self, outcome: str, body: bytes = b"{}") -> None:
        """`ready` or `error`, once per environment."""
        with self._lock:
            if self.status_sent:
                return
            self.status_sent = True
        self.post(f"status/{self.runtime_id}/{outcome}", body)


class Invocation:
    def __init__(self, request: dict[str, Any], timeout_s: int) -> None:
        self.id: str = request["invoke-id"]
        self.arn: str = request["invoked-function-arn"]
        self.payload: bytes = request["payload"].encode()
        self.trace_id: str = request.get("trace-id") or ""
        self.started = time.monotonic()
        self.deadline_ms = int(time.time() * 1000) + timeout_s * 1000
        self.timer: threading.Timer | None = None


class Environment:
    """One execution environment: the invocation queue, the one running, its logs, the runtime."""

    def __init__(self, localstack: LocalStack, timeout_s: int, version: str, memory: str) -> None:
        self.localstack = localstack
        self.timeout_s = timeout_s
        self.version = version
        self.memory = memory
        self.waiting: queue.Queue[Invocation] = queue.Queue()
        self.running: Invocation | None = None
        self.log_lines: list[str] = []
        self.lock = threading.Lock()
        self.runtime: subprocess.Popen[bytes] | None = None
        self.output = -1  # the read end of the runtime's stdout and stderr
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        #: Whether the current runtime has asked for an invocation (it finished its init).
        self.asked = False

    def read_output(self) -> bool:
        """Take what the runtime printed and is waiting in the pipe; False at its end.

        Called with the lock held, by the copying thread and before an invocation's logs are
        sent, so every line printed before the function answered is in its logs.
        """
        while self.output >= 0 and select.select([self.output], [], [], 0)[0]:
            chunk = os.read(self.output, 65536)
            if not chunk:
                return False
            text = self.decoder.decode(chunk)
            sys.stdout.write(text)
            sys.stdout.flush()
            self.log_lines.append(text)
        return True

    def next_invocation(self) -> Invocation:
        """Blocks until LocalStack sends one; the runtime asking is what makes it ready."""
        self.asked = True
        self.localstack.status("ready")
        invocation = self.waiting.get()
        with self.lock:
            invocation.started = time.monotonic()
            invocation.deadline_ms = int(time.time() * 1000) + self.timeout_s * 1000
            self.running = invocation
            self.log_lines.append(f"START RequestId: {invocation.id} Version: {self.version}\n")
        invocation.timer = threading.Timer(self.timeout_s, self.time_out, [invocation.id])
        invocation.timer.daemon = True
        invocation.timer.start()
        return invocation

    def finish(self, request_id: str, body: bytes, *, failed: bool) -> bool:
        """Report the outcome of the running invocation; False if it is not the one running."""
        with self.lock:
            invocation = self.running
            if invocation is None or invocation.id != request_id:
                return False
            self.running = None
            self.read_output()
            if invocation.timer is not None:
                invocation.timer.cancel()
            took_ms = (time.monotonic() - invocation.started) * 1000
            self.log_lines.append(f"END RequestId: {request_id}\n")
            self.log_lines.append(
                f"REPORT RequestId: {request_id}\tDuration: {took_ms:.2f} ms\t"
                f"Billed Duration: {int(took_ms) + 1} ms\tMemory Size: {self.memory} MB\t\n"
            )
            logs, self.log_lines = "".join(self.log_lines), []
        self.localstack.post(f"invocations/{request_id}/logs", json.dumps({"logs": logs}).encode())
        self.localstack.post(f"invocations/{request_id}/{'error' if failed else 'response'}", body)
        return True

    def running_id(self) -> str | None:
        with self.lock:
            return None if self.running is None else self.running.id

    def time_out(self, request_id: str) -> None:
        message = f"Task timed out after {self.timeout_s:.2f} seconds"
        error = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message})
        if self.finish(request_id, error.encode(), failed=True) and self.runtime is not None:
            self.runtime.kill()  # as in Lambda: the next invocation gets a fresh runtime


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    environment: Environment

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the function's own logs are what matters."""

    def body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class RuntimeApi(Handler):
    """The Lambda Runtime API, as the function's runtime client uses it."""

    def do_GET(self) -> None:
        if self.path != f"{RUNTIME_PREFIX}invocation/next":
            return self.answer(404)
        invocation = self.environment.next_invocation()
        self.answer(
            200,
            invocation.payload,
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Aws-Request-Id": invocation.id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.arn,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            },
        )

    def do_POST(self) -> None:
        body = self.body()
        route = self.path.removeprefix(RUNTIME_PREFIX).split("/")
        if route == ["init", "error"]:
            self.answer(202)
            self.environment.localstack.status("error", body)
        elif len(route) == 3 and route[0] == "invocation" and route[2] in ("response", "error"):
            found = self.environment.finish(route[1], body, failed=route[2] == "error")
            self.answer(202 if found else 400)
        else:
            self.answer(404)


class InvokeApi(Handler):
    """LocalStack's side: one JSON invocation per POST /invoke."""

    def do_POST(self) -> None:
        body = self.body()
        if self.path != "/invoke":
            return self.answer(404)
        self.environment.waiting.put(Invocation(json.loads(body), self.environment.timeout_s))
        self.answer(200)


def apply_chmod(paths: list[dict[str, str]]) -> None:
    """LOCALSTACK_CHMOD_PATHS: modes LocalStack wants on copied-in trees (/opt, /var/task)."""
    for entry in paths:
        mode = int(entry["mode"], 8)
        for folder, dirs, files in os.walk(entry["path"]):
            for path in (folder, *(os.path.join(folder, name) for name in dirs + files)):
                with contextlib.suppress(OSError):
                    os.chmod(path, mode, follow_symlinks=False)


def copy_output(environment: Environment) -> None:
    """The runtime's output goes to the container log and to the invocation's logs."""
    output = environment.output
    while True:
        select.select([output], [], [])
        with environment.lock:
            if not environment.read_output():
                return


def serve(address: tuple[str, int], handler: type[Handler]) -> None:
    server = ThreadingHTTPServer(address, handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> int:
    settings = {name: value for name, value in os.environ.items() if name.startswith("LOCALSTACK_")}
    for name in settings:
        if name != "LOCALSTACK_HOSTNAME":  # the function's view stays free of LocalStack internals
            del os.environ[name]
    localstack = LocalStack(
        settings["LOCALSTACK_RUNTIME_ENDPOINT"], settings["LOCALSTACK_RUNTIME_ID"]
    )
    environment = Environment(
        localstack,
        timeout_s=int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3")),
        version=os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        memory=os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
    )
    Handler.environment = environment
    apply_chmod(json.loads(settings.get("LOCALSTACK_CHMOD_PATHS", "[]")))
    serve(RUNTIME_API, RuntimeApi)
    serve(("0.0.0.0", INVOKE_PORT), InvokeApi)

    bootstrap = next(
        (path for path in ("/var/runtime/bootstrap", "/var/task/bootstrap", "/opt/bootstrap")
         if os.access(path, os.X_OK)),
        None,
    )  # fmt: skip
    if bootstrap is None:
        localstack.status("error", b'{"errorType":"Runtime.InvalidEntrypoint"}')
        return 1
    signal.signal(signal.SIGTERM, lambda *_: stop(environment))
    while True:
        code = run_runtime([bootstrap, *sys.argv[1:]], environment)
        exited = {"errorType": "Runtime.ExitError", "errorMessage": f"exit status {code}"}
        if not environment.asked:  # it died during its init: say so, with what it printed
            with environment.lock:
                exited["logs"] = "".join(environment.log_lines)[-4000:]
            localstack.status("error", json.dumps(exited).encode())
            return code or 1
        request_id = environment.running_id()
        if request_id is not None:  # it crashed mid-invocation
            environment.finish(request_id, json.dumps(exited).encode(), failed=True)
        # After a crash or a timeout, Lambda initializes a fresh runtime for what comes next.
        print(f"[init] runtime exited with {code}; starting a new one", file=sys.stderr, flush=True)


def run_runtime(command: list[str], environment: Environment) -> int:
    """Run the runtime until it exits; its output is copied to the logs."""
    environment.asked = False
    environment.runtime = subprocess.Popen(
        command,
        env={**os.environ, "AWS_LAMBDA_RUNTIME_API": "{}:{}".format(*RUNTIME_API)},
        cwd=os.environ.get("LAMBDA_TASK_ROOT", "/var/task"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert environment.runtime.stdout is not None
    environment.output = environment.runtime.stdout.fileno()
    copier = threading.Thread(target=copy_output, args=(environment,), daemon=True)
    copier.start()
    code = environment.runtime.wait()
    copier.join(timeout=2)  # what it printed last belongs to the invocation it ended
    with environment.lock:
        environment.runtime.stdout.close()
        environment.output = -1
    return code


def stop(environment: Environment) -> None:
    """SIGTERM (docker stop): as PID 1 nothing else would end the container promptly."""
    if environment.runtime is not None:
        environment.runtime.kill()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
