"""`make bench` keeps working: a quick run of the harness writes both reports, and the warm
path makes exactly the AWS calls the design promises. No timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dev import template

pytestmark = pytest.mark.slow


def test_quick_bench_writes_reports_with_every_figure_and_its_floor(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.run"],
        cwd=template.ROOT,
        env={**os.environ, "BENCH_QUICK": "1", "BENCH_OUT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    # A record the logger cannot write is printed with a traceback, inside the timings.
    assert "Logging error" not in result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    cases = {f"{p} {size}" for p in ("stripe", "github", "discord") for size in ("10KB", "1MB")}
    assert {r["case"] for r in results["cold_start"]} == cases
    assert all(r["floor_ms"] > 0 and r["hookgate_ms"] > 0 for r in results["cold_start"])
    assert {r["case"] for r in results["warm"]} == cases
    assert {r["case"] for r in results["verify_throughput"]} == cases
    assert {r["scheme"] for r in results["verify_throughput"]} == {"hmac-sha256", "ed25519"}
    assert {r["side"] for r in results["end_to_end"]} == {"hookgate", "floor"}
    # Each account's secret is read once, when it is first seen, and never on the warm path.
    assert [(r["accounts"], r["secret_reads_warming"], r["secret_reads_warm"])
            for r in results["accounts"]] == [(0, 1, 0), (1, 1, 0), (50, 50, 0)]  # fmt: skip
    assert [r["allow_list"] for r in results["sources"]] == [
        "none", "published (stripe)", "200 CIDRs"
    ]  # fmt: skip
    assert all(r["p50_ms"] > 0 for r in results["sources"])
    layer = results["layer"]
    assert layer["zipped_mib"] > 0
    # Python 3.13 is to be had here (Debian's, as `make sam-local` uses), so the layer carries
    # bytecode and its import is timed both ways.
    assert layer["bytecode"] is True
    assert layer["import"]["with_bytecode_ms"] > 0
    assert layer["import"]["sources_only_ms"] > 0
    # The warm path: no Secrets Manager call, one conditional write, one PutEvents, one update;
    # bodies too large for EventBridge add one S3 put.
    for case, calls in results["aws_calls_per_delivery"].items():
        expected = {"PutItem": 1, "PutEvents": 1, "UpdateItem": 1}
        if case.endswith("1MB"):
            expected["PutObject"] = 1
        assert calls == expected, case
    assert "| stripe 10KB |" in (tmp_path / "results.md").read_text()
