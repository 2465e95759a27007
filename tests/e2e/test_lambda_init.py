"""dev/localdeploy/lambda_init.py in a real function container, with awslambdaric behind it.

The LocalStack side of its protocol is played by an HTTP server here that records what the init
posts back (readiness, each invocation's logs and outcome), as LocalStack's executor endpoint
does; the runtime side is the real awslambdaric of the local Lambda base image.
"""

from __future__ import annotations

import json
import queue
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest
import requests

from dev.local.relay import docker_bridge_address
from dev.localdeploy import stack
from dev.samlocal import setup as samlocal

pytestmark = pytest.mark.slow

HANDLER = """
import os, time

def handler(event, context):
    if event["do"] == "sleep":
        time.sleep(30)
    if event["do"] == "crash":
        os._exit(3)
    print("handled", event["n"])
    return {"echo": event["n"], "pid": os.getpid()}
"""


class Executor(BaseHTTPRequestHandler):
    """What LocalStack's executor endpoint receives: (kind, invocation id, body)."""

    posted: queue.Queue[tuple[str, str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.strip("/").split("/")  # _localstack_lambda/<env>/.../<kind>
        self.posted.put((parts[-1], parts[-2], body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Container:
    name: str
    address: str
    posted: queue.Queue[tuple[str, str, bytes]]

    def invoke(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
        """One invocation: its outcome (response or error), body, and the logs posted first."""
        invoke_id = str(uuid.uuid4())
        answer = requests.post(
            f"http://{self.address}:9563/invoke",
            json={"invoke-id": invoke_id, "invoked-function-arn": "arn:aws:lambda:fn",
                  "payload": json.dumps(payload), "trace-id": ""},
            timeout=10,
        )  # fmt: skip
        assert answer.status_code == 200
        kind, logged_for, logs = self.posted.get(timeout=20)
        assert (kind, logged_for) == ("logs", invoke_id)
        outcome, answered_for, body = self.posted.get(timeout=20)
        assert answered_for == invoke_id
        return outcome, json.loads(body), json.loads(logs)["logs"]


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    samlocal.ensure_docker()
    image = samlocal.ensure_base_image()
    bridge = docker_bridge_address()
    assert bridge is not None
    Executor.posted = queue.Queue()
    server = ThreadingHTTPServer((bridge, 0), Executor)
    Thread(target=server.serve_forever, daemon=True).start()
    task = tmp_path_factory.mktemp("task")
    (task / "app.py").write_text(HANDLER)
    name = f"hookgate-init-{uuid.uuid4().hex[:8]}"
    started = subprocess.run(
        ["docker", "run", "-d", "--name", name, "--label", stack.NETWORK_LABEL,
         "-e", f"LOCALSTACK_RUNTIME_ENDPOINT=http://{bridge}:{server.server_port}/_localstack_lambda/e1",
         "-e", "LOCALSTACK_RUNTIME_ID=e1", "-e", "AWS_LAMBDA_FUNCTION_TIMEOUT=2",
         "-e", "_HANDLER=app.handler", "-v", f"{task}:/var/task:ro",
         "-v", f"{stack.HERE / 'lambda_init.py'}:/var/rapid/init:ro",
         "--entrypoint", "/usr/bin/python3", image, "/var/rapid/init"],
        check=False, capture_output=True, text=True,
    )  # fmt: skip
    try:
        assert started.returncode == 0, started.stderr
        address = subprocess.run(
            ["docker", "inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", name],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        assert Executor.posted.get(timeout=30)[:2] == ("ready", "e1")
        yield Container(name, address, Executor.posted)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        server.shutdown()


def test_an_invocation_is_answered_with_its_logs_between_start_and_report(
    container: Container,
) -> None:
    outcome, body, logs = container.invoke({"do": "echo", "n": 1})

    assert (outcome, body["echo"]) == ("response", 1)
    lines = logs.splitlines()
    assert lines[0].startswith("START RequestId: ")
    assert "handled 1" in lines
    assert lines[-2].startswith("END RequestId: ")
    assert lines[-1].startswith("REPORT RequestId: ")


def test_a_timeout_is_reported_and_the_next_invocation_gets_a_fresh_runtime(
    container: Container,
) -> None:
    _, before, _ = container.invoke({"do": "echo", "n": 2})
    timed_out = container.invoke({"do": "sleep", "n": 3})
    outcome, after, _ = container.invoke({"do": "echo", "n": 4})

    assert timed_out[0] == "error"
    assert timed_out[1]["errorMessage"] == "Task timed out after 2.00 seconds"
    assert (outcome, after["echo"]) == ("response", 4)
    assert after["pid"] != before["pid"]


def test_a_crash_mid_invocation_is_its_error_and_the_next_one_is_served(
    container: Container,
) -> None:
    crashed = container.invoke({"do": "crash", "n": 5})
    outcome, after, _ = container.invoke({"do": "echo", "n": 6})

    assert crashed[0] == "error"
    assert crashed[1]["errorType"] == "Runtime.ExitError"
    assert (outcome, after["echo"]) == ("response", 6)


def test_docker_stop_ends_the_init_by_sigterm(container: Container) -> None:
    """As PID 1 the init must handle SIGTERM itself, or Docker kills it after the grace (137)."""
    subprocess.run(["docker", "stop", "-t", "30", container.name], check=True, capture_output=True)
    code = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.ExitCode}}", container.name],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip

    assert code == "0"
