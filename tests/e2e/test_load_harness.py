"""`make load` at a CI-sized budget: the report is written and the run reconciles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dev import template


def test_load_run_reconciles_and_writes_its_report(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--deliveries", "300", "--concurrency", "16",
         "--environments", "2", "--out", str(tmp_path)],
        cwd=template.ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((tmp_path / "load.json").read_text())
    reconciliation = report["reconciliation"]
    assert report["mix"]["duplicate"] > 0
    assert report["mix"]["forged"] > 0
    assert reconciliation["published_unique"] == reconciliation["genuine_unique_deliveries"]
    assert reconciliation["published_more_than_once"] == []
    assert reconciliation["forged_published"] == reconciliation["forged_acknowledged"] == 0
    assert report["final_status"].get("401") == report["mix"]["forged"]
    assert "| reconciled | yes |" in (tmp_path / "load.md").read_text()
