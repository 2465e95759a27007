"""`make sam-local`: make `sam local invoke` and `sam local start-api` work here, offline.

1. Docker: install Debian's docker.io and start dockerd when no engine answers.
2. The base image SAM looks for (`public.ecr.aws/lambda/python:<version>-<arch>`), built
   locally since no registry is reachable: a Debian root filesystem whose Python matches the
   template's runtime, with awslambdaric and boto3, and `/var/runtime/bootstrap` running
   `python3 -m awslambdaric "$_HANDLER"`. SAM adds its own runtime emulator on top.
3. `sam build` for the host's architecture into .aws-sam/local (the template deploys arm64;
   on an x86_64 host the local build uses Architecture=x86_64 and x86_64 wheels, rather than
   emulating arm64 with qemu).
4. env.json: each function's environment, pointing AWS_ENDPOINT_URL at the local emulator
   as containers reach it: Docker's bridge address, where `make run` relays to loopback.

Then, with `make run` serving the emulator:
    .venv/bin/sam local invoke --config-env local StripeFunction -e events/stripe/valid.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from dev import template
from dev.local.emulator import function_environments
from dev.local.relay import docker_bridge_address

ROOT = template.ROOT
WORK_DIR = ROOT / ".local" / "sam-image"
BUILD_DIR = ROOT / ".aws-sam" / "local"
ENV_FILE = ROOT / "env.json"
IMAGE_REPO = "public.ecr.aws/lambda/python"
#: The Debian suite whose python3 is each Lambda Python version.
DEBIAN_SUITES = {"3.11": "bookworm", "3.13": "trixie"}
DEFAULT_AWS_PORT = 5055  # `make run`'s emulator

BOOTSTRAP = """#!/bin/sh
# The runtime entry point SAM's emulator starts: the Lambda runtime interface client.
export PYTHONPATH="/var/task:/opt/python:/var/runtime/lib${PYTHONPATH:+:$PYTHONPATH}"
cd "${LAMBDA_TASK_ROOT:-/var/task}"
exec /usr/bin/python3 -m awslambdaric "$_HANDLER"
"""


def log(message: str) -> None:
    print(f"[sam-local] {message}", flush=True)


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def lambda_python_version() -> str:
    runtime: str = template.load()["Globals"]["Function"]["Runtime"]
    return runtime.removeprefix("python")


def host_architecture() -> str:
    """The template's Architecture value for this host: local runs match it, no emulation."""
    return "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"


def base_image_tag() -> str:
    return f"{IMAGE_REPO}:{lambda_python_version()}-{host_architecture()}"


def apt_install(*packages: str) -> None:
    log(f"installing {' '.join(packages)} from Debian's packages")
    run(["apt-get", "update", "-qq"])
    run(
        ["apt-get", "install", "-y", "-qq", *packages],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return result.returncode == 0


def ensure_docker(timeout_s: float = 90) -> None:
    """A running Docker engine: Debian's docker.io, started in the background if needed."""
    if _docker_answers():
        return
    if shutil.which("dockerd") is None:
        apt_install("docker.io")
    log("starting dockerd")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    with (WORK_DIR.parent / "dockerd.log").open("ab") as output:
        subprocess.Popen(
            ["dockerd"], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _docker_answers():
            return
        time.sleep(1)
    raise SystemExit("dockerd did not start: see .local/dockerd.log")


def _image_exists(tag: str) -> bool:
    result = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    return result.returncode == 0


def ensure_debian_rootfs(version: str) -> Path:
    """A Debian root filesystem whose python3 is `version` (debootstrap, once; needs root)."""
    suite = DEBIAN_SUITES.get(version)
    if suite is None:
        raise SystemExit(f"no Debian suite ships Python {version}; add one to DEBIAN_SUITES")
    rootfs = WORK_DIR / f"rootfs-{suite}"
    if not (rootfs / "usr" / "bin" / f"python{version}").exists():
        if shutil.which("debootstrap") is None:
            apt_install("debootstrap")
        shutil.rmtree(rootfs, ignore_errors=True)
        log(f"building a Debian {suite} root filesystem with Python {version} (about a minute)")
        run(
            ["debootstrap", "--variant=minbase", "--include=python3,ca-certificates", suite,
             str(rootfs)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return rootfs


def ensure_base_image(*, rebuild: bool = False) -> str:
    """The local stand-in for the Lambda base image, built once."""
    tag = base_image_tag()
    if _image_exists(tag) and not rebuild:
        return tag
    version = lambda_python_version()
    rootfs = ensure_debian_rootfs(version)
    arch = "aarch64" if host_architecture() == "arm64" else "x86_64"
    log("installing awslambdaric and boto3 into the image")
    run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--upgrade", "--target", str(rootfs / "var/runtime/lib"), "--implementation", "cp",
         "--python-version", version, "--only-binary=:all:",
         *[f"--platform={p}_{arch}" for p in ("manylinux_2_28", "manylinux_2_17", "manylinux2014")],
         "awslambdaric==4.2.2", "boto3"],
    )  # fmt: skip
    bootstrap = rootfs / "var/runtime/bootstrap"
    bootstrap.write_text(BOOTSTRAP)
    bootstrap.chmod(0o755)
    (rootfs / "var/task").mkdir(parents=True, exist_ok=True)
    log(f"importing {tag}")
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    run(
        ["docker", "import",
         "--change", "ENV LAMBDA_TASK_ROOT=/var/task",
         "--change", "ENV LAMBDA_RUNTIME_DIR=/var/runtime",
         "--change", "ENV LANG=C.UTF-8",
         "--change", "WORKDIR /var/task",
         "--change", 'ENTRYPOINT ["/var/runtime/bootstrap"]',
         "-", tag],
        stdin=tar.stdout, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    tar.wait()
    _remove_rapid_images()
    return tag


def _remove_rapid_images() -> None:
    """SAM caches its emulator layer on top of the base image: drop it after a rebuild."""
    listed = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPO],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for image in listed:
        if "-rapid-" in image:
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)


def sam_build() -> Path:
    """`sam build` for local runs (host architecture) into .aws-sam/local."""
    log("sam build for local runs")
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "LAMBDA_ARCH": "aarch64" if host_architecture() == "arm64" else "x86_64",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sam"), "build", "--template-file",
         str(ROOT / "template.yaml"), "--build-dir", str(BUILD_DIR),
         "--parameter-overrides", f"Architecture={host_architecture()}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"sam build failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return BUILD_DIR / "template.yaml"


def write_env_file(aws_endpoint: str, path: Path = ENV_FILE) -> Path:
    """The --env-vars file: each function's environment, against the local emulator."""
    environments = function_environments({"LocalAwsEndpoint": aws_endpoint})
    path.write_text(json.dumps(environments, indent=2, sort_keys=True) + "\n")
    return path


def container_aws_endpoint(port: int = DEFAULT_AWS_PORT) -> str:
    """The emulator's URL as containers see it: through the relay on Docker's bridge address."""
    bridge = docker_bridge_address()
    if bridge is None:
        raise SystemExit("Docker's bridge network was not found: is dockerd running?")
    return f"http://{bridge}:{port}"


def prepare(aws_port: int = DEFAULT_AWS_PORT, *, rebuild_image: bool = False) -> Path:
    """Everything `sam local` needs; returns the built template."""
    ensure_docker()
    ensure_base_image(rebuild=rebuild_image)
    endpoint = container_aws_endpoint(aws_port)
    built = sam_build()
    write_env_file(endpoint)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make sam-local", description=__doc__)
    parser.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT)
    parser.add_argument("--rebuild-image", action="store_true")
    args = parser.parse_args(argv)
    built = prepare(args.aws_port, rebuild_image=args.rebuild_image)
    log(f"ready: {base_image_tag()}, {built.relative_to(ROOT)}, {ENV_FILE.name}")
    print(
        "\nWith `make run` in another terminal (it serves the AWS emulator):\n"
        "  make events\n"
        "  .venv/bin/sam local invoke --config-env local StripeFunction"
        " -e events/stripe/valid.json\n"
        "  .venv/bin/sam local start-api --config-env local --port 3001\n",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
