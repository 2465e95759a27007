"""`make run`: the whole stack on this machine, no Docker and no AWS account.

moto server (table, bus, secrets, SQS tail) + one Lambda runtime emulator per function running
the real handler + an HTTP endpoint per function at the template's paths (the bare route and
`/{account}`), with demo accounts for Stripe.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType

from dev import template
from dev.local.certificates import local_certificate_hosts
from dev.local.emulator import (
    FAKE_CREDENTIALS,
    REGION,
    LocalResources,
    MotoServer,
    port_is_free,
    provision,
    receive_events,
)
from dev.local.gateway import Gateway, Invoke
from dev.local.relay import Relay, docker_bridge_address
from dev.local.samples import DEMO_ACCOUNTS, STORED_DEV_SECRETS
from dev.runtime.rie import LambdaFunction
from hookgate.devtools.simulate import stored_dev_secret

ROOT = template.ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    parser.add_argument("--aws-port", type=int, default=5055, help="moto server port")
    parser.add_argument("--verbose", action="store_true", help="print each event's full body")
    args = parser.parse_args(argv)

    for port, option in ((args.port, "--port"), (args.aws_port, "--aws-port")):
        if not port_is_free(port):
            print(f"port {port} is already in use: stop what uses it or pass {option}", flush=True)
            return 1
    log_dir = ROOT / ".local"
    log_dir.mkdir(exist_ok=True)
    stop = threading.Event()
    cleanups: list[Callable[[], None]] = []
    aws = MotoServer(args.aws_port).start()
    cleanups.append(aws.stop)
    try:
        resources = provision(aws, STORED_DEV_SECRETS)
        routes = start_functions(resources, log_dir, cleanups)
        for logical_id in set(template.api_routes().values()):
            log_file = log_dir / f"{logical_id}.log"
            threading.Thread(target=_follow_responses, args=(log_file, stop), daemon=True).start()
        gateway = Gateway(("127.0.0.1", args.port), routes, observer=_print_request)
        cleanups.append(gateway.shutdown)
        relay = _relay_for_containers(args.aws_port)
        if relay is not None:
            cleanups.append(relay.stop)
        _banner(args.port, resources.endpoint, routes, resources.secrets, log_dir, relay)

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        threading.Thread(target=gateway.serve_forever, daemon=True).start()
        while not stop.is_set():
            for event in receive_events(aws, resources.queue_url, wait_s=1):
                _print_event(event, verbose=args.verbose)
        print("\nstopping", flush=True)
        return 0
    finally:
        stop.set()
        for cleanup in reversed(cleanups):
            cleanup()
        print("stopped", flush=True)


def start_functions(
    resources: LocalResources, log_dir: Path, cleanups: list[Callable[[], None]]
) -> dict[tuple[str, str], Invoke]:
    """A runtime emulator per function, serving all its API routes, each function logging to
    `log_dir/<logical id>.log`, and the PayPal, SNS and Plaid functions' key hosts; each stop is
    added to `cleanups`. Returns the gateway's routes."""
    certificate_hosts = local_certificate_hosts()
    for certificate_host in certificate_hosts.values():
        certificate_host.start()
        cleanups.append(certificate_host.stop)
    invokes: dict[str, Invoke] = {}
    routes: dict[tuple[str, str], Invoke] = {}
    for (method, path), logical_id in template.api_routes().items():
        if logical_id in invokes:
            routes[(method, path)] = invokes[logical_id]
            continue
        properties = template.functions()[logical_id]
        env = resources.env_for(logical_id)
        if (host := certificate_hosts.get(env["HOOKGATE_PROVIDER"])) is not None:
            # Only here, never in template.yaml: the provider's host through a local proxy,
            # and the dev CA as the only trusted root (see dev/local/certificates.py).
            env |= host.environment()
        function = LambdaFunction(
            ROOT / properties["CodeUri"],
            env,
            name=logical_id,
            timeout_s=int(properties.get("Timeout", 10)),
            log_file=log_dir / f"{logical_id}.log",
        ).start()
        cleanups.append(function.stop)
        invokes[logical_id] = routes[(method, path)] = function.invoke
    return routes


def _relay_for_containers(aws_port: int) -> Relay | None:
    """When Docker runs here, relay its bridge address to the emulator, for `sam local`."""
    bridge = docker_bridge_address()
    if bridge is None:
        return None
    try:
        return Relay((bridge, aws_port), ("127.0.0.1", aws_port)).start()
    except OSError:
        print(f"  (could not listen on {bridge}:{aws_port}; sam local cannot reach the emulator)")
        return None


def _banner(
    port: int,
    aws_endpoint: str,
    routes: Mapping[tuple[str, str], object],
    secrets: dict[str, str],
    log_dir: Path,
    relay: Relay | None,
) -> None:
    print("hookgate local stack is up", flush=True)
    print(f"  AWS emulator (moto): {aws_endpoint}")
    if relay is not None:
        host, relay_port = relay.server_address[:2]
        print(f"  ... and for sam local containers: http://{host!s}:{relay_port}")
    methods: dict[str, list[str]] = {}
    for method, path in sorted(routes):
        if not path.endswith("/{account}"):
            methods.setdefault(path, []).append(method)
    for path, allowed in methods.items():
        provider = path.rsplit("/", 1)[-1]
        print(f"  {'|'.join(allowed)} http://127.0.0.1:{port}{path}[/<account>]")
        print(f"      secret {secrets[provider]!r} = {STORED_DEV_SECRETS[provider]!r}")
        for account in DEMO_ACCOUNTS.get(provider, ()):
            print(f"      account {account}: http://127.0.0.1:{port}{path}/{account}")
            print(f"        secret {secrets[provider] + '/' + account!r} = "
                  f"{stored_dev_secret(provider, account)!r}")  # fmt: skip
    print(f"  function logs: {log_dir}/")
    print("Send a signed test delivery from another terminal:  make send P=stripe [A=acme]")
    credentials = " ".join(
        f"{k}={v}"
        for k, v in {**FAKE_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}.items()
        if "SESSION" not in k
    )
    print(f"Accounts:  AWS_ENDPOINT_URL={aws_endpoint} {credentials} "
          ".venv/bin/hookgate account add|list|remove <provider> [<account>] [--dev]")  # fmt: skip
    print("Each delivery and each event on the bus appears below. Ctrl-C stops everything.\n")
    sys.stdout.flush()


def _print_request(method: str, path: str, status: int, latency_ms: float, invoked: bool) -> None:
    # Deliveries that reached a function are reported from its own log (_print_delivery).
    if not invoked or status == 502:
        stamp = time.strftime("%H:%M:%S")
        print(f"{stamp}  {method} {path} -> {status} ({latency_ms:.0f} ms)", flush=True)


def _print_delivery(record: dict[str, object]) -> None:
    """One line per delivery, from the function's "responded" log record."""
    outcome = str(record.get("outcome", "?"))
    if record.get("reason"):
        outcome += f": {record['reason']}"
    latency_ms = float(str(record.get("latency_ms", 0)))
    print(
        "  ".join(
            [
                time.strftime("%H:%M:%S"),
                f"{_sender(record):<8}",
                f"{record.get('event_type', '-')!s}",
                f"{record.get('delivery_id', '-')!s}",
                f"{outcome} ({record.get('status')}, {latency_ms:.0f} ms)",
            ]
        ),
        flush=True,
    )


def _sender(record: dict[str, object]) -> str:
    provider = str(record.get("provider", "?"))
    return f"{provider}/{record['account']}" if record.get("account") else provider


def _follow_responses(log_file: Path, stop: threading.Event) -> None:
    """Tail a function's log and report each "responded" record."""
    with log_file.open("r", encoding="utf-8", errors="replace") as handle:
        handle.seek(0, os.SEEK_END)
        while not stop.is_set():
            line = handle.readline()
            if not line:
                time.sleep(0.1)
                continue
            if not line.startswith("{") or '"responded"' not in line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "responded":
                _print_delivery(record)


def _print_event(event: dict[str, object], *, verbose: bool) -> None:
    detail = event.get("detail")
    assert isinstance(detail, dict)
    print(
        f"{time.strftime('%H:%M:%S')}  on the bus: {event.get('source')} "
        f"{event.get('detail-type')} delivery={detail.get('delivery_id')}"
        + (f" account={detail['account']}" if "account" in detail else ""),
        flush=True,
    )
    if verbose:
        print(json.dumps(event, indent=2), flush=True)


if __name__ == "__main__":
    sys.exit(main())
