"""`make fuzz` runs the atheris harness for a bounded time and finds nothing."""

from __future__ import annotations

import re
import subprocess

from dev import template


def test_make_fuzz_runs_every_parser_without_a_crash() -> None:
    result = subprocess.run(
        ["make", "fuzz", "FUZZ_SECONDS=25"],
        cwd=template.ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    runs = int(re.search(r"Done (\d+) runs", output).group(1))  # type: ignore[union-attr]
    assert runs > 1000
    print(f"atheris: {runs} inputs")
