"""`make load`: a bounded load test of the local stack, loopback only.

The stack is `make run`'s: the AWS emulator provisioned from template.yaml, Lambda runtime
interface emulators running the functions, and the HTTP gateway; here each provider gets a
pool of emulators, as Lambda scales out to concurrent execution environments. Clients send
genuine deliveries, duplicates of them (some at the same moment) and forgeries, and retry a
5xx as providers do. The report (`bench/load.json`, `bench/load.md`) gives throughput and
latency, which are measurements, and the reconciliation, which is checked: every genuine
delivery on the bus exactly once, no forgery on it. Exit status 1 when it does not reconcile.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from dev import template
from dev.local.emulator import MotoServer, free_port, provision, receive_events
from dev.local.gateway import Gateway
from dev.local.samples import DEV_SECRETS, STORED_DEV_SECRETS
from dev.runtime.rie import LambdaFunction
from hookgate.aws.clients import ENV_READ_TIMEOUT
from hookgate.devtools.simulate import TestDelivery, make_delivery

PROVIDERS = ("stripe", "github", "slack")
OUT = Path(__file__).resolve().parent
MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class Planned:
    """A delivery to send; signed when sent (providers sign each attempt afresh)."""

    delivery: TestDelivery
    kind: str  # "genuine", "duplicate", "forged"

    def signed(self, url: str) -> TestDelivery:
        provider = self.delivery.provider
        secret = (
            DEV_SECRETS[provider] if self.kind != "forged" else "forged-" + DEV_SECRETS[provider]
        )
        return make_delivery(
            provider,
            secret,
            body=self.delivery.body,
            delivery_id=self.delivery.delivery_id,
            url=url.format(provider=provider),
        )


class Pool:
    """Several execution environments of one function; a request takes a free one."""

    def __init__(self, functions: list[LambdaFunction]) -> None:
        self._free: queue.Queue[LambdaFunction] = queue.Queue()
        for function in functions:
            self._free.put(function)

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        function = self._free.get()
        try:
            return function.invoke(event)
        finally:
            self._free.put(function)


def plan(total: int, url: str, rng: random.Random) -> list[Planned]:
    """`total` requests: 10 % duplicates of earlier genuine ones, 5 % forged, the rest genuine."""
    planned: list[Planned] = []
    genuine: list[TestDelivery] = []
    for _ in range(total):
        roll = rng.random()
        provider = rng.choice(PROVIDERS)
        target = url.format(provider=provider)
        if roll < 0.05:
            forged = make_delivery(provider, "forged-" + DEV_SECRETS[provider], url=target)
            planned.append(Planned(forged, "forged"))
        elif roll < 0.15 and genuine:
            planned.append(Planned(rng.choice(genuine), "duplicate"))
        else:
            sent = make_delivery(provider, DEV_SECRETS[provider], url=target)
            genuine.append(sent)
            planned.append(Planned(sent, "genuine"))
    return planned


def send(session: requests.Session, url: str, item: Planned) -> tuple[list[int], float]:
    """POST like a provider: retry a 5xx (after a short pause) until acknowledged."""
    statuses: list[int] = []
    started = time.perf_counter()
    for attempt in range(MAX_ATTEMPTS):
        sent = item.signed(url)
        response = session.post(
            url.format(provider=sent.provider), data=sent.body, headers=sent.headers, timeout=60
        )
        statuses.append(response.status_code)
        if response.status_code < 500:
            break
        time.sleep(min(0.05 * 2**attempt, 2.0))
    return statuses, (time.perf_counter() - started) * 1000


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(total: int, concurrency: int, pool_size: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    aws = MotoServer().start()
    started_functions: list[LambdaFunction] = []
    gateway: Gateway | None = None
    try:
        resources = provision(aws, STORED_DEV_SECRETS)
        routes = {}
        for provider in PROVIDERS:
            logical_id = template.function_for(provider)
            properties = template.functions()[logical_id]
            functions = [
                LambdaFunction(
                    template.ROOT / properties["CodeUri"],
                    # The emulator answers in tens of milliseconds, and in seconds when its
                    # queue is long: a 1 s read timeout would turn that into retried PutEvents,
                    # which EventBridge (and the emulator) cannot deduplicate.
                    {**resources.env_for(logical_id), ENV_READ_TIMEOUT: "20"},
                    name=logical_id,
                    timeout_s=60,  # so no invocation is cut off by the runtime mid-publish
                ).start()
                for _ in range(pool_size)
            ]
            started_functions.extend(functions)
            routes[("POST", f"/webhooks/{provider}")] = Pool(functions).invoke
        gateway = Gateway(("127.0.0.1", free_port()), routes)
        threading.Thread(target=gateway.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{gateway.server_address[1]}/webhooks/{{provider}}"
        planned = plan(total, url, rng)

        local = threading.local()

        def one(item: Planned) -> tuple[Planned, list[int], float]:
            if not hasattr(local, "session"):
                local.session = requests.Session()
            statuses, latency_ms = send(local.session, url, item)
            return item, statuses, latency_ms

        # The bus is tailed while the load runs: the emulator slows down as its queue grows.
        received: list[dict[str, Any]] = []
        sending = threading.Event()
        sending.set()
        last_seen = [time.monotonic()]

        def tail() -> None:
            while sending.is_set() or time.monotonic() - last_seen[0] < 3:
                events = receive_events(aws, resources.queue_url, wait_s=1)
                if events:
                    received.extend(events)
                    last_seen[0] = time.monotonic()

        tailer = threading.Thread(target=tail, daemon=True)
        tailer.start()
        began = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as executor:
            outcomes = list(executor.map(one, planned))
        elapsed_s = time.perf_counter() - began
        last_seen[0] = time.monotonic()
        sending.clear()
        tailer.join()

        on_bus: Counter[str] = Counter()
        forged_bodies = {p.delivery.body for p in planned if p.kind == "forged"}
        forged_published = 0
        for event in received:
            on_bus[event["detail"]["delivery_id"]] += 1
            payload = json.dumps(event["detail"].get("payload"), separators=(",", ":"))
            forged_published += any(payload.encode() in body for body in forged_bodies)
    finally:
        if gateway is not None:
            gateway.shutdown()
        for function in started_functions:
            function.stop()
        aws.stop()

    genuine_ids = {p.delivery.delivery_id for p in planned if p.kind == "genuine"}
    forged_ids = {p.delivery.delivery_id for p in planned if p.kind == "forged"}
    latencies = [latency for _, _, latency in outcomes]
    final = Counter(statuses[-1] for _, statuses, _ in outcomes)
    attempts = sum(len(statuses) for _, statuses, _ in outcomes)
    unacknowledged = [
        p.delivery.delivery_id
        for p, statuses, _ in outcomes
        if p.kind != "forged" and statuses[-1] >= 300
    ]
    forged_accepted = [
        p for p, statuses, _ in outcomes if p.kind == "forged" and statuses[-1] < 300
    ]
    reconciliation = {
        "genuine_unique_deliveries": len(genuine_ids),
        "published_unique": len(set(on_bus) & genuine_ids),
        "published_more_than_once": sorted(i for i, n in on_bus.items() if n > 1),
        "genuine_missing": sorted(genuine_ids - set(on_bus)),
        "unexpected_on_bus": sorted(set(on_bus) - genuine_ids - forged_ids),
        "forged_published": forged_published,
        "forged_acknowledged": len(forged_accepted),
        "unacknowledged_after_retries": len(unacknowledged),
    }
    reconciled = (
        reconciliation["published_unique"] == len(genuine_ids)
        and not reconciliation["published_more_than_once"]
        and not reconciliation["unexpected_on_bus"]
        and forged_published == 0
        and not forged_accepted
        and not unacknowledged
    )
    return {
        "requests": total,
        "concurrency": concurrency,
        "environments_per_function": pool_size,
        "mix": dict(Counter(p.kind for p in planned)),
        "http_attempts": attempts,
        "seconds": round(elapsed_s, 2),
        "requests_per_second": round(total / elapsed_s, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p95": round(percentile(latencies, 0.95), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "mean": round(statistics.fmean(latencies), 1),
        },
        "final_status": {str(k): v for k, v in sorted(final.items())},
        "reconciliation": reconciliation,
        "reconciled": reconciled,
    }


def markdown(report: dict[str, Any]) -> str:
    r, latency = report["reconciliation"], report["latency_ms"]
    return "\n".join(
        [
            "# Load test (local stack, loopback)",
            "",
            f"{report['requests']} requests ({report['mix']}) from {report['concurrency']} "
            f"clients, {report['environments_per_function']} execution environments per "
            f"function; {report['http_attempts']} HTTP attempts with retries of 5xx.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| requests/s | {report['requests_per_second']} |",
            f"| latency p50 / p95 / p99 (ms, with retries) | {latency['p50']} / "
            f"{latency['p95']} / {latency['p99']} |",
            f"| final statuses | {report['final_status']} |",
            f"| genuine unique deliveries | {r['genuine_unique_deliveries']} |",
            f"| on the bus (unique) | {r['published_unique']} |",
            f"| on the bus more than once | {len(r['published_more_than_once'])} |",
            f"| genuine missing | {len(r['genuine_missing'])} |",
            f"| forged published / acknowledged | {r['forged_published']} / "
            f"{r['forged_acknowledged']} |",
            f"| reconciled | {'yes' if report['reconciled'] else 'NO'} |",
            "",
            "Throughput and latency are this machine's, with every component on it (the AWS",
            "emulator is the bottleneck); they are not a prediction for AWS.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    # The emulator serves one request at a time: more environments only lengthen its queue.
    parser.add_argument("--environments", type=int, default=2, help="per function")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    report = run(args.deliveries, args.concurrency, args.environments, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "load.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
