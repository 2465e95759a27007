"""Peak memory of a benchmark child process (standard library only, so the floor stays bare)."""

from __future__ import annotations

import os


def report_peak_rss() -> None:
    """Write this process's peak RSS (KiB) where the benchmark asked, if it did.

    VmHWM, not ru_maxrss: the latter starts from the parent's size at fork.
    """
    target = os.environ.get("BENCH_RSS_FILE")
    if target:
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(peak)
