"""`make bench`: every figure beside its floor, measured in the same run, interleaved.

Writes bench/results.json and bench/results.md. Figures are medians unless named otherwise;
nothing here asserts a speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.cold_hookgate import Context
from bench.floor import floor_handle
from bench.responder import LocalResponder
from bench.workload import PROVIDERS, SIZES, STORED_SECRETS, Case, delivery_event
from dev import template
from dev.local.emulator import FAKE_CREDENTIALS, REGION, MotoServer, environ_without_aws, provision
from dev.local.samples import STORED_DEV_SECRETS
from dev.runtime import python as lambda_python
from dev.runtime.rie import LambdaFunction
from hookgate import build_pipeline, providers
from hookgate.aws.clients import CLIENT_CONFIG
from hookgate.material import SecretMaterial
from hookgate.request import Request

ROOT = template.ROOT
OUT = ROOT / "bench"
QUICK = os.environ.get("BENCH_QUICK") == "1"  # a smoke run, for tests of the harness
#: Where the functions' log lines go while measured in process. One for the whole run: the
#: Powertools logger keeps the stream it first wrote to, so a closed one would make every
#: later record a logging error (printed, and timed with the deliveries).
_DEVNULL = open(os.devnull, "w")  # noqa: SIM115


def _ms(ns: float) -> float:
    return round(ns / 1e6, 4)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- cold start (fresh processes)


#: Sources the cold-start processes import from this tree (site-packages has its own bytecode).
COLD_START_SOURCES = ("layers/hookgate/src", "bench", "functions")


def _compile_sources() -> None:
    """Bytecode of this tree's sources for this interpreter, before any cold start is timed.

    Deployed, both sides import bytecode: the runtime's boto3 comes compiled and the layer
    carries hookgate's and Powertools' (`make build`). Here PYTHONDONTWRITEBYTECODE may be
    set, so without this every hookgate cold start would compile hookgate again (about 25 ms
    on this machine), a cost Lambda never pays.
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / s) for s in COLD_START_SOURCES)],
        check=True, capture_output=True,
    )  # fmt: skip


def cold_starts(cases: list[Case], runs: int) -> list[dict[str, Any]]:
    results = []
    _compile_sources()
    with MotoServer() as aws, tempfile.TemporaryDirectory() as scratch:
        resources = provision(aws, {**STORED_DEV_SECRETS, **STORED_SECRETS})
        for case in cases:
            logical_id = template.function_for(case.provider)
            env = {
                **environ_without_aws(), **resources.env_for(logical_id),
                "PYTHONPATH": str(ROOT), "POWERTOOLS_LOG_LEVEL": "WARNING",
            }  # fmt: skip
            function_dir = ROOT / template.functions()[logical_id]["CodeUri"]
            times: dict[str, list[float]] = {"hookgate": [], "floor": []}
            rss: dict[str, list[int]] = {"hookgate": [], "floor": []}
            for round_ in range(runs):
                # Interleaved, and each side goes first in every other round: the emulator
                # grows and the machine's state drifts between the two processes of a round.
                pair = ("floor", "hookgate") if round_ % 2 == 0 else ("hookgate", "floor")
                for side in pair:
                    event_file = Path(scratch) / "event.json"
                    event_file.write_text(json.dumps(delivery_event(case)))
                    rss_file = Path(scratch) / "rss"
                    command = (
                        [sys.executable, "-m", "bench.floor", str(event_file)]
                        if side == "floor"
                        else [sys.executable, "-m", "bench.cold_hookgate", str(function_dir),
                              str(event_file)]
                    )  # fmt: skip
                    started = time.perf_counter_ns()
                    ran = subprocess.run(
                        command, cwd=ROOT, capture_output=True, text=True, check=False,
                        env={**env, "BENCH_RSS_FILE": str(rss_file)},
                    )  # fmt: skip
                    if ran.returncode != 0:
                        raise RuntimeError(f"{side} cold start failed:\n{ran.stdout[-2000:]}"
                                           f"{ran.stderr[-2000:]}")  # fmt: skip
                    times[side].append(time.perf_counter_ns() - started)
                    rss[side].append(int(rss_file.read_text()))
            hookgate_ms, floor_ms = (
                _ms(statistics.median(times[s])) for s in ("hookgate", "floor")
            )
            results.append(
                {
                    "case": case.name, "runs": runs,
                    "hookgate_ms": hookgate_ms, "floor_ms": floor_ms,
                    "ratio": round(hookgate_ms / floor_ms, 3),
                    "hookgate_peak_rss_mib": round(max(rss["hookgate"]) / 1024, 1),
                    "floor_peak_rss_mib": round(max(rss["floor"]) / 1024, 1),
                }
            )  # fmt: skip
    return results


# ------------------------------------------------------- warm path (AWS answered in-process)


def _stubbed_clients(responder: LocalResponder, config: Config | None = None) -> dict[str, Any]:
    """Clients answered by `responder`; `config` as hookgate sets it, or boto3's defaults."""
    return {
        service: responder.attach(
            boto3.client(
                service,
                region_name=REGION,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                config=config,
            )
        )
        for service in ("secretsmanager", "dynamodb", "events", "s3")
    }


def warm(
    cases: list[Case], requests: dict[str, int]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    results, calls = [], {}
    env_base = {"HOOKGATE_REPLAY_TABLE": "replay", "HOOKGATE_EVENT_BUS": "bus",
                "HOOKGATE_SECRET_ID": "secret", "HOOKGATE_PAYLOAD_BUCKET": "payloads"}  # fmt: skip
    with contextlib.redirect_stdout(_DEVNULL):
        for case in cases:
            responder = LocalResponder(STORED_SECRETS[case.provider])
            # hookgate's clients carry its own botocore config; the floor's are boto3's defaults,
            # as hand-written code would create them. A second floor uses hookgate's config, so
            # what the config saves and what hookgate's code costs show apart. All three are
            # answered by the same responder.
            clients = _stubbed_clients(responder, CLIENT_CONFIG)
            floor_clients = {
                "floor": _stubbed_clients(responder),
                "tuned_floor": _stubbed_clients(responder, CLIENT_CONFIG),
            }
            pipeline = build_pipeline(case.provider, environ=env_base, clients=clients)
            context = Context()
            samples: dict[str, list[float]] = {"hookgate": [], "floor": [], "tuned_floor": []}
            order = random.Random(case.name)
            secret = STORED_SECRETS[case.provider]
            count = requests[case.size]
            for index in range(count + 20):  # the first 20 of each side warm up
                event = delivery_event(case)
                sides = list(samples)
                order.shuffle(sides)  # no side always runs first, after the signing above
                for side in sides:
                    started = time.perf_counter_ns()
                    if side == "hookgate":
                        response = pipeline.handle_lambda(event, context)
                        assert response["statusCode"] == 200, response
                    else:
                        floor_handle(event, secret, floor_clients[side], env_base)
                    if index >= 20:
                        samples[side].append(time.perf_counter_ns() - started)
            responder.calls.clear()
            for _ in range(50):
                pipeline.handle_lambda(delivery_event(case), context)
            calls[case.name] = {op: n / 50 for op, n in sorted(responder.calls.items())}
            h, f, t = samples["hookgate"], samples["floor"], samples["tuned_floor"]
            results.append(
                {
                    "case": case.name, "requests": count,
                    "hookgate_p50_ms": _ms(_pct(h, 0.5)), "floor_p50_ms": _ms(_pct(f, 0.5)),
                    "overhead_p50_ms": _ms(_pct(h, 0.5) - _pct(f, 0.5)),
                    "hookgate_p99_ms": _ms(_pct(h, 0.99)), "floor_p99_ms": _ms(_pct(f, 0.99)),
                    "overhead_p99_ms": _ms(_pct(h, 0.99) - _pct(f, 0.99)),
                    "tuned_floor_p50_ms": _ms(_pct(t, 0.5)),
                    "overhead_over_tuned_p50_ms": _ms(_pct(h, 0.5) - _pct(t, 0.5)),
                }
            )  # fmt: skip
    return results, calls


# ------------------------------------------------------------------ accounts


def accounts(requests: int, counts: tuple[int, ...]) -> list[dict[str, Any]]:
    """Stripe 10 KB deliveries spread over `count` accounts, each with its own cached secret,
    beside the bare route: warm latency, the secrets cache's heap, and the secret reads.

    Every account is warmed first (one `GetSecretValue` each), then `requests` deliveries go
    round the accounts. The heap figure is what tracemalloc sees allocated by the warm-up and
    still held (mostly the accounts' secret stores), in a pass of its own: tracing slows
    Python down, so the latencies come from a pass without it.
    """
    case = Case("stripe", "10KB")
    env = {"HOOKGATE_REPLAY_TABLE": "replay", "HOOKGATE_EVENT_BUS": "bus",
           "HOOKGATE_SECRET_ID": "hookgate/stripe", "HOOKGATE_PAYLOAD_BUCKET": "payloads",
           "HOOKGATE_ACCOUNT_CACHE_SIZE": str(max(counts))}  # fmt: skip
    results = []
    with contextlib.redirect_stdout(_DEVNULL):
        for count in (0, *counts):
            names: list[str | None] = [f"account-{i:05d}" for i in range(count)] or [None]
            responder = LocalResponder(STORED_SECRETS["stripe"])
            pipeline = build_pipeline(
                "stripe", environ=env, clients=_stubbed_clients(responder, CLIENT_CONFIG)
            )
            context = Context()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for name in names:
                assert (
                    pipeline.handle_lambda(delivery_event(case, name), context)["statusCode"] == 200
                )
            heap = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            warm_up_reads = responder.calls["GetSecretValue"]
            events = [delivery_event(case, names[i % len(names)]) for i in range(requests)]
            samples: list[float] = []
            for event in events:
                started = time.perf_counter_ns()
                assert pipeline.handle_lambda(event, context)["statusCode"] == 200
                samples.append(time.perf_counter_ns() - started)
            results.append(
                {
                    "accounts": count, "requests": requests,
                    "p50_ms": _ms(_pct(samples, 0.5)), "p99_ms": _ms(_pct(samples, 0.99)),
                    "warm_up_heap_kib": round(heap / 1024, 1),
                    "secret_reads_warming": warm_up_reads,
                    "secret_reads_warm": responder.calls["GetSecretValue"] - warm_up_reads,
                }
            )  # fmt: skip
    return results


# ------------------------------------------------------------------ source allow-lists


#: Allow-lists to compare: none, Stripe's published addresses, and a long list of CIDRs (the
#: sender's address is in the last network of each, so every network is looked at).
ALLOW_LISTS = {
    "none": None,
    "published (stripe)": "published",
    "200 CIDRs": ",".join(f"198.18.{i}.0/24" for i in range(199)) + ",54.187.216.0/24",
}
SENDER = "54.187.216.72"  # one of Stripe's published webhook addresses


def sources(requests: int) -> list[dict[str, Any]]:
    """Stripe 10 KB deliveries from an allowed address, with each allow-list: warm latency."""
    case = Case("stripe", "10KB")
    env = {"HOOKGATE_REPLAY_TABLE": "replay", "HOOKGATE_EVENT_BUS": "bus",
           "HOOKGATE_SECRET_ID": "secret", "HOOKGATE_PAYLOAD_BUCKET": "payloads"}  # fmt: skip
    results = []
    with contextlib.redirect_stdout(_DEVNULL):
        for label, setting in ALLOW_LISTS.items():
            responder = LocalResponder(STORED_SECRETS["stripe"])
            listed = env if setting is None else {**env, "HOOKGATE_ALLOWED_SOURCES": setting}
            pipeline = build_pipeline(
                "stripe", environ=listed, clients=_stubbed_clients(responder, CLIENT_CONFIG)
            )
            context = Context()
            samples: list[float] = []
            for index in range(requests + 20):  # the first 20 warm up
                event = delivery_event(case)
                event["requestContext"]["identity"]["sourceIp"] = SENDER
                started = time.perf_counter_ns()
                assert pipeline.handle_lambda(event, context)["statusCode"] == 200
                if index >= 20:
                    samples.append(time.perf_counter_ns() - started)
            results.append(
                {"allow_list": label, "requests": requests,
                 "p50_ms": _ms(_pct(samples, 0.5)), "p99_ms": _ms(_pct(samples, 0.99))}
            )  # fmt: skip
    return results


# ------------------------------------------------------------------ verification throughput


def _rate(work: Callable[[], object], size: int, seconds: float) -> float:
    """MB/s of `work` over `size` bytes, repeated for about `seconds`."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        work()
        done += 1
    return done * size / elapsed / 1e6


Work = Callable[[], object]


def _verifiers(case: Case) -> tuple[Work, Work, Work, int]:
    """(hookgate's verify, the same check written by hand, the bare primitive, body size).

    The hand-written check does what hookgate's does, directly: take the signature (and the
    signed timestamp) from the header, check the window, compute, compare. The bare primitive
    is the `hmac` / `cryptography` call alone, with the header already parsed.
    """
    request = Request.from_event(delivery_event(case))
    headers = {name: request.headers[name] for name in request.headers}
    stored = STORED_SECRETS[case.provider]
    material = SecretMaterial.parse(stored)
    definition = providers.get(case.provider)
    now, body = time.time(), request.body
    if case.provider == "stripe":
        key = stored.encode()
        header = headers["stripe-signature"]
        prefix = header.split(",")[0][2:].encode() + b"."
        offered = header.split("v1=")[1].encode()

        def bare() -> bool:
            mac = hmac.new(key, prefix, hashlib.sha256)
            mac.update(body)
            return hmac.compare_digest(mac.hexdigest().encode(), offered)

        def by_hand() -> bool:
            items = dict(item.split("=", 1) for item in headers["stripe-signature"].split(","))
            timestamp = int(items["t"])
            if abs(now - timestamp) > 300:
                return False
            mac = hmac.new(key, b"%d." % timestamp, hashlib.sha256)
            mac.update(body)
            return hmac.compare_digest(mac.hexdigest().encode(), items["v1"].encode())
    elif case.provider == "discord":
        public_key = Ed25519PublicKey.from_public_bytes(
            bytes.fromhex(json.loads(stored)["public_key"])
        )
        signature = bytes.fromhex(headers["x-signature-ed25519"])
        timestamp = headers["x-signature-timestamp"].encode()

        def bare() -> bool:
            public_key.verify(signature, timestamp + body)
            return True

        def by_hand() -> bool:
            signed_at = headers["x-signature-timestamp"]
            if abs(now - int(signed_at)) > 300:
                return False
            public_key.verify(
                bytes.fromhex(headers["x-signature-ed25519"]), signed_at.encode() + body
            )
            return True
    else:
        key = stored.encode()
        offered = headers["x-hub-signature-256"].encode()

        def bare() -> bool:
            expected = b"sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()
            return hmac.compare_digest(expected, offered)

        def by_hand() -> bool:
            expected = b"sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()
            return hmac.compare_digest(expected, headers["x-hub-signature-256"].encode())

    def hookgate() -> object:
        return definition.verify(request, material, now_s=now, tolerance_s=300)

    assert bare()
    assert by_hand()
    return hookgate, by_hand, bare, len(body)


SCHEMES = {"stripe": "hmac-sha256", "github": "hmac-sha256", "discord": "ed25519"}


def verify_throughput(cases: list[Case], seconds: float) -> list[dict[str, Any]]:
    results = []
    for case in cases:
        hookgate, by_hand, bare, size = _verifiers(case)
        sides = {"hookgate": hookgate, "by_hand": by_hand, "bare": bare}
        rates: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(15):  # interleaved rounds, short: the machine is shared
            for side, work in sides.items():
                rates[side].append(_rate(work, size, seconds / 45))
        h, d, b = (statistics.median(rates[side]) for side in sides)
        results.append(
            {"case": case.name, "scheme": SCHEMES[case.provider], "hookgate_mb_s": round(h, 1),
             "direct_mb_s": round(d, 1), "ratio": round(h / d, 3),
             "bare_mb_s": round(b, 1), "ratio_to_bare": round(h / b, 3)}
        )  # fmt: skip
    return results


# ---------------------------------------------------------------------------- layer size


#: What a function imports at init, timed on the runtime's Python (boto3, which the runtime
#: brings precompiled, is imported first and not timed).
LAYER_IMPORT_PROBE = """
import time, boto3, botocore.client, botocore.session
started = time.perf_counter()
import hookgate
from hookgate import providers
providers.get("stripe")
import aws_lambda_powertools.utilities.parameters.secrets
print((time.perf_counter() - started) * 1000)
"""


def layer_size_and_import(runs: int) -> dict[str, Any]:
    """The layer as `make build` makes it (with bytecode for the runtime's Python when one can
    be had here), its size, and how long importing it takes with and without that bytecode."""
    runtime = lambda_python.available()
    with tempfile.TemporaryDirectory() as scratch:
        venv_bin = Path(sys.executable).parent
        shell_command = lambda_python.shell_command(runtime) if runtime else ""
        env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "LAMBDA_PYTHON": shell_command,
               "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
        subprocess.run(
            [str(venv_bin / "sam"), "build", "HookgateLayer",
             "--build-dir", f"{scratch}/build", "--cache-dir", f"{scratch}/cache"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        layer = Path(scratch) / "build" / "HookgateLayer"
        unzipped = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file())
        archive = Path(scratch) / "layer.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for file in sorted(layer.rglob("*")):
                zipped.write(file, file.relative_to(layer))
        result: dict[str, Any] = {
            "unzipped_mib": round(unzipped / 2**20, 2),
            "zipped_mib": round(archive.stat().st_size / 2**20, 2),
            "limit_zipped_mib": 8,
            "bytecode": runtime is not None,
        }
        if runtime is not None:
            result["import"] = _layer_import(layer / "python", runtime, Path(scratch), runs)
        return result


def _layer_import(
    layer: Path, runtime: tuple[list[str], dict[str, str]], scratch: Path, runs: int
) -> dict[str, Any]:
    """Milliseconds to import the layer on the runtime's Python from a read-only-like place
    (no bytecode written), with the layer's bytecode and with sources only, interleaved."""
    argv, runtime_env = runtime
    version = lambda_python.lambda_python_version()
    boto = scratch / "runtime"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(boto), "--python-version", version, "--only-binary=:all:",
         "--implementation", "cp", "boto3"],
        check=True, capture_output=True,
    )  # fmt: skip
    sources_only = scratch / "sources-only"
    shutil.copytree(layer, sources_only, ignore=shutil.ignore_patterns("__pycache__"))
    times: dict[str, list[float]] = {"with_bytecode": [], "sources_only": []}
    for _ in range(runs):
        for side, path in (("with_bytecode", layer), ("sources_only", sources_only)):
            ran = subprocess.run(
                [*argv, "-c", LAYER_IMPORT_PROBE],
                env={**environ_without_aws(), **runtime_env, "PYTHONDONTWRITEBYTECODE": "1",
                     "PYTHONPATH": f"{path}{os.pathsep}{boto}"},
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            times[side].append(float(ran.stdout.strip().splitlines()[-1]))
    return {
        "python": version,
        "runs": runs,
        **{f"{side}_ms": round(statistics.median(values), 1) for side, values in times.items()},
    }


# ------------------------------------------------ end to end through the runtime emulator


def end_to_end(deliveries: int) -> list[dict[str, Any]]:
    results = []
    with MotoServer() as aws:
        resources = provision(aws, {**STORED_DEV_SECRETS, **STORED_SECRETS})
        stripe = template.function_for("stripe")
        env = {**resources.env_for(stripe), "POWERTOOLS_LOG_LEVEL": "WARNING",
               "PYTHONPATH": str(ROOT)}  # fmt: skip
        sides = {
            "hookgate": LambdaFunction(
                ROOT / template.functions()[stripe]["CodeUri"], env, name=stripe
            ),
            "floor": LambdaFunction(ROOT / "bench" / "floor_function", env, name="Floor"),
        }
        for function in sides.values():
            function.start()
        try:
            case = Case("stripe", "10KB")
            latencies: dict[str, list[float]] = {"hookgate": [], "floor": []}
            for index in range(deliveries + 5):
                for side, function in sides.items():
                    event = delivery_event(case)
                    started = time.perf_counter_ns()
                    result = function.invoke(event)
                    elapsed = time.perf_counter_ns() - started
                    assert result["statusCode"] == 200, result
                    if index >= 5:  # after the init and warm-up invokes
                        latencies[side].append(elapsed)
            for side, values in latencies.items():
                results.append(
                    {"side": side, "case": case.name, "deliveries": deliveries,
                     "per_second": round(len(values) / (sum(values) / 1e9), 1),
                     "p50_ms": _ms(_pct(values, 0.5)), "p99_ms": _ms(_pct(values, 0.99))}
                )  # fmt: skip
        finally:
            for function in sides.values():
                function.stop()
    return results


# ------------------------------------------------------------------------------ report


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# hookgate benchmark",
        "",
        f"{results['meta']['date']} · Python {results['meta']['python']} · "
        f"{results['meta']['machine']} · {results['meta']['cpus']} CPUs. Regenerate: `make bench`.",
        "Every figure stands beside a floor measured in the same run, interleaved with it.",
        "",
        "## Cold start (fresh process: import, clients, one delivery against the AWS emulator)",
        "",
        "| case | hookgate ms | floor ms | ratio | peak RSS MiB (hookgate / floor) |",
        "|---|---|---|---|---|",
    ]
    for r in results["cold_start"]:
        lines.append(
            f"| {r['case']} | {r['hookgate_ms']:.0f} | {r['floor_ms']:.0f} | {r['ratio']:.2f} "
            f"| {r['hookgate_peak_rss_mib']} / {r['floor_peak_rss_mib']} |"
        )
    lines += [
        "",
        "Floor: a process that imports boto3, creates the same four clients, reads the secret,",
        "verifies the signature and makes the same DynamoDB, EventBridge (and S3) requests",
        "directly. Both end with `os._exit` once answered: Lambda never tears the interpreter",
        "down, and teardown took 0.3-0.4 s of either figure here. Both import bytecode, as",
        "deployed (the bench compiles this tree's sources for its Python first). Medians of",
        "interleaved runs on a shared machine: run-to-run spread is about ±0.1 in the ratio.",
        "",
        "## Warm path (AWS answered in-process, the same responder for all)",
        "",
        "| case | requests | hookgate p50 | floor p50 | overhead p50 | hookgate p99 | floor p99 |"
        " overhead p99 | tuned floor p50 | over tuned floor p50 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["warm"]:
        lines.append(
            f"| {r['case']} | {r['requests']} | {r['hookgate_p50_ms']:.3f} | "
            f"{r['floor_p50_ms']:.3f} | **{r['overhead_p50_ms']:.3f}** | "
            f"{r['hookgate_p99_ms']:.3f} | {r['floor_p99_ms']:.3f} | {r['overhead_p99_ms']:.3f} | "
            f"{r['tuned_floor_p50_ms']:.3f} | {r['overhead_over_tuned_p50_ms']:.3f} |"
        )
    lines += [
        "",
        "Milliseconds. Floor: the same requests made directly with boto3's default client",
        "(the replay record's conditional write with its in-progress expiry, `PutEvents`, the",
        "completion update; S3 over 1 MB) and the bare verification; it logs nothing and",
        "emits no metrics, hookgate writes one log record per request carrying its metrics.",
        "Tuned floor: the same, with hookgate's client configuration (`CLIENT_CONFIG` in",
        "`hookgate.aws.clients`: no client-side parameter validation, a fixed User-Agent). The",
        "overhead is what hookgate costs more than a receiver written directly; over the tuned",
        "floor, it is what hookgate's own code (normalization, parsing, Powertools logging,",
        "metrics and idempotency) costs once both use the same client configuration.",
        "The sides run in a shuffled order for each delivery.",
        "",
        "AWS API calls per delivery on the warm path:",
        "",
    ]
    for case, calls in results["aws_calls_per_delivery"].items():
        described = ", ".join(f"{op} {n:g}" for op, n in calls.items())
        lines.append(f"- {case}: {described}")
    lines += [
        "",
        "## Accounts (stripe 10KB, AWS answered in-process)",
        "",
        "| accounts | requests | p50 ms | p99 ms | heap held after warming KiB | secret reads "
        "warming / warm |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["accounts"]:
        label = "bare route" if r["accounts"] == 0 else str(r["accounts"])
        lines.append(
            f"| {label} | {r['requests']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} "
            f"| {r['warm_up_heap_kib']:g} | {r['secret_reads_warming']} / "
            f"{r['secret_reads_warm']} |"
        )
    lines += [
        "",
        "Each account's first delivery reads its secret (one `GetSecretValue`), then the",
        "deliveries go round every account from the cache. The heap is what tracemalloc sees",
        "allocated while warming and still held (the accounts' secret stores; also the replay",
        "and logging state the first deliveries set up, which is why one account is not zero),",
        "in a pass of its own; the latencies are from a pass without tracing.",
        "",
        "## Source allow-lists (stripe 10KB from an allowed address, AWS answered in-process)",
        "",
        "| allow-list | requests | p50 ms | p99 ms |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['allow_list']} | {r['requests']} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} |"
        for r in results["sources"]
    ]
    lines += [
        "",
        "The address is in the last network of each list, so each request looks at them all.",
        "",
        "## Verification throughput (against the same check written directly)",
        "",
        "Direct: the header parsed, the window checked and the signature computed and",
        "compared by hand with `hmac` / `cryptography`. Bare: the primitive call alone, given",
        "the header already parsed (at 10 KB the parse costs about as much as 1 KB of HMAC).",
        "",
        "| case | scheme | hookgate MB/s | direct MB/s | ratio | bare MB/s | ratio to bare |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results["verify_throughput"]:
        lines.append(
            f"| {r['case']} | {r['scheme']} | {r['hookgate_mb_s']} | {r['direct_mb_s']} "
            f"| {r['ratio']:.2f} | {r['bare_mb_s']} | {r['ratio_to_bare']:.2f} |"
        )
    layer = results["layer"]
    lines += [
        "",
        f"## Layer: {layer['zipped_mib']} MiB zipped, {layer['unzipped_mib']} MiB unzipped "
        f"(goal: under {layer['limit_zipped_mib']} MiB zipped)",
        "",
    ]
    if "import" in layer:
        imported = layer["import"]
        lines += [
            f"Bytecode for Python {imported['python']} included. Importing the layer at a cold "
            f"start on Python {imported['python']} (median of {imported['runs']} fresh "
            f"processes, nothing written, as from Lambda's read-only /opt): "
            f"**{imported['with_bytecode_ms']} ms** with it, {imported['sources_only_ms']} ms "
            "from sources only.",
            "",
        ]
    else:
        lines += ["No Python of the runtime's version here: the layer has no bytecode.", ""]
    lines += [
        "## End to end through the Lambda runtime interface emulator (stripe 10KB, sequential)",
        "",
        "| side | deliveries | per second | p50 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    for r in results["end_to_end"]:
        lines.append(
            f"| {r['side']} | {r['deliveries']} | {r['per_second']} | {r['p50_ms']:.2f} "
            f"| {r['p99_ms']:.2f} |"
        )
    lines += [
        "",
        "Floor for end to end: a function that does the floor's work behind the same emulator.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    cases = [Case(p, s) for p in PROVIDERS for s in SIZES]
    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        }
    }
    print("cold starts ...", flush=True)
    results["cold_start"] = cold_starts(cases, runs=2 if QUICK else 17)
    print("warm path ...", flush=True)
    counts = {"10KB": 50, "1MB": 5} if QUICK else {"10KB": 3000, "1MB": 150}
    results["warm"], results["aws_calls_per_delivery"] = warm(cases, counts)
    print("accounts ...", flush=True)
    results["accounts"] = accounts(200 if QUICK else 3000, counts=(1, 50) if QUICK else (1, 1000))
    print("source allow-lists ...", flush=True)
    results["sources"] = sources(200 if QUICK else 3000)
    print("verification throughput ...", flush=True)
    results["verify_throughput"] = verify_throughput(cases, seconds=0.3 if QUICK else 3.0)
    print("layer size ...", flush=True)
    results["layer"] = layer_size_and_import(runs=3 if QUICK else 9)
    print("end to end ...", flush=True)
    results["end_to_end"] = end_to_end(deliveries=10 if QUICK else 200)
    results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    out_dir = Path(os.environ.get("BENCH_OUT", OUT))
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "results.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
