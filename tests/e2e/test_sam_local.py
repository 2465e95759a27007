"""Real `sam local invoke` and `sam local start-api`, in Docker, against the local AWS emulator.

`make sam-local`'s own steps set everything up (Docker from Debian's packages, a locally built
Lambda base image, a host-architecture build); the containers reach the session's moto server
through the relay on Docker's bridge address, exactly as they reach `make run`'s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dev import template
from dev.local.emulator import MotoServer, free_port
from dev.local.relay import Relay, docker_bridge_address
from dev.local.samples import sample
from dev.samlocal import setup as samlocal
from dev.samlocal.events import write_events
from tests.conftest import Bus

pytestmark = pytest.mark.slow
ROOT = template.ROOT
SAM = str(Path(sys.executable).parent / "sam")
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}


@pytest.fixture(scope="module")
def sam_local(aws: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Docker, the base image and the local build; yields the env-vars file for this emulator."""
    samlocal.ensure_docker()
    samlocal.ensure_base_image()
    samlocal.sam_build()
    bridge = docker_bridge_address()
    assert bridge is not None
    relay = Relay((bridge, aws.port), ("127.0.0.1", aws.port)).start()
    env_file = samlocal.write_env_file(
        f"http://{bridge}:{aws.port}", tmp_path_factory.mktemp("sam") / "env.json"
    )
    yield env_file
    relay.stop()


@pytest.mark.parametrize("provider", ["stripe", "github"])
def test_sam_local_invoke_publishes_the_event(
    provider: str, sam_local: Path, bus: Bus, tmp_path: Path
) -> None:
    [valid, _] = write_events([provider], out_dir=tmp_path)
    logical_id = template.function_for(provider)

    result = subprocess.run(
        [SAM, "local", "invoke", "--config-env", "local", logical_id, "-e", str(valid),
         "--env-vars", str(sam_local)],
        cwd=ROOT, env=SAM_ENV, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200, result.stderr[-2000:]
    [published] = bus.seen(settle_s=1.5)
    assert published["source"] == f"hookgate.{provider}"
    assert "Mounting" in result.stderr  # it really ran in a container


def test_sam_local_start_api_serves_the_webhook_route(sam_local: Path, bus: Bus) -> None:
    port = free_port()
    server = subprocess.Popen(
        [SAM, "local", "start-api", "--config-env", "local", "--env-vars", str(sam_local),
         "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT, env=SAM_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/webhooks/stripe"
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "sam local start-api did not start"
                time.sleep(0.5)
        delivery = sample("stripe")

        response = requests.post(url, data=delivery.body, headers=delivery.headers, timeout=120)

        assert response.status_code == 200, response.text
        assert response.json() == {"received": True, "duplicate": False}
        [published] = bus.events_for(delivery.delivery_id)
        assert published["detail-type"] == delivery.event_type
    finally:
        server.terminate()
        server.wait(timeout=30)
