"""The real Lambda runtime interface, locally: the emulator (RIE) bundled in the aws-sam-cli
wheel, running `python -m awslambdaric app.lambda_handler` in a function's folder."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests

from dev.local.emulator import environ_without_aws, free_port, stop_process

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
START_ATTEMPTS = 3


class EmulatorExited(RuntimeError):
    """The emulator process ended before it listened (most often: its port was taken)."""


def emulator_binary() -> Path:
    """`aws-lambda-rie-<arch>` from the installed aws-sam-cli package."""
    import samcli  # type: ignore[import-untyped]

    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    path = Path(samcli.__file__).parent / "local" / "rapid" / f"aws-lambda-rie-{arch}"
    if not path.exists():
        raise RuntimeError(f"the Lambda runtime emulator is missing: {path}")
    return path


class LambdaFunction:
    """One function behind the runtime interface emulator; `invoke` posts an event to it.

    The emulator runs one invocation at a time, as a single Lambda execution environment does.
    """

    def __init__(
        self,
        code_dir: Path,
        env: dict[str, str],
        *,
        name: str = "function",
        handler: str = "app.lambda_handler",
        timeout_s: int = 10,
        log_file: Path | None = None,
    ) -> None:
        self.code_dir = code_dir
        self.name = name
        self.handler = handler
        self.timeout_s = timeout_s
        self.port = free_port()
        self._env = env
        self._log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{INVOKE_PATH}"

    def start(self) -> LambdaFunction:
        """Start the emulator; retried on fresh ports if it exits at once.

        `free_port` only finds a port that was free a moment ago: with dozens of emulators and
        their outbound connections on one machine, another socket can take it before the
        emulator binds, and the emulator then exits at start.
        """
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_once()
                return self
            except EmulatorExited:
                if attempt == START_ATTEMPTS:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _start_once(self) -> None:
        api_port = free_port()
        env = {
            **environ_without_aws(),
            **self._env,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(self.timeout_s),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "_HANDLER": self.handler,
        }
        output = self._log_file.open("ab") if self._log_file else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [
                str(emulator_binary()),
                "--runtime-interface-emulator-address",
                f"127.0.0.1:{self.port}",
                "--runtime-api-address",
                f"127.0.0.1:{api_port}",
                sys.executable,
                "-m",
                "awslambdaric",
                self.handler,
            ],
            cwd=self.code_dir,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self._wait_listening()

    def _wait_listening(self, timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise EmulatorExited(f"the runtime emulator for {self.name} exited at start")
            try:
                requests.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"the runtime emulator for {self.name} did not start")

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke with `event` and return the handler's result (a proxy response)."""
        with self._lock:
            response = requests.post(self.url, data=json.dumps(event), timeout=self.timeout_s + 5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def stop(self) -> None:
        stop_process(self._process, grace_s=5)

    def __enter__(self) -> LambdaFunction:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
