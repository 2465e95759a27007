"""The end of a cold-start child process: its peak memory, then an exit with no teardown
(standard library only, so the floor stays bare)."""

from __future__ import annotations

import os
import sys


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


def end_cold_start() -> None:
    """Report the peak RSS and leave at once, as measured: answered is the end of a cold start.

    Lambda never tears the interpreter down after answering, but a normal exit here would:
    collecting every module and botocore's loaded service models takes 0.3-0.4 s on this
    machine (more for the process with more modules), which would count in the figure.
    """
    report_peak_rss()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
