"""Run one measurement in a fresh Python process so peak-memory numbers are not polluted.

The worker prints one JSON line: seconds (best of ``repeats``) and the peak resident memory
added by the measured call over what the inputs already held (from ``ru_maxrss``).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from typing import Callable


def current_rss_kb() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def time_and_peak(fn: Callable[[], object], repeats: int) -> dict:
    """Peak extra memory of the first call, then the best time over ``repeats`` calls."""
    import gc

    gc.collect()
    base = current_rss_kb()
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    peak = peak_rss_kb()
    del result
    best = first
    for _ in range(max(0, repeats - 1)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return {"seconds": best, "peak_extra_mb": max(0, peak - base) / 1024, "peak_total_mb": peak / 1024}


def run_worker(module: str, spec: dict, timeout: float = 3600) -> dict:
    """Run ``python -m <module> --worker <spec>`` and parse its last JSON line."""
    cmd = [sys.executable, "-m", module, "--worker", json.dumps(spec)]
    env = dict(os.environ)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker failed ({spec}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def force_two_call_path() -> None:
    """Make masked self-attention in this process run as if no kernel returned its log-sum-exp.

    That is the two-call path (full + same-object) that ran before the one-pass kernel; benches
    time it next to the default path in a fresh worker process.
    """
    from ..attention import one_pass

    one_pass._candidates = lambda device, dtype: []
    one_pass._KERNELS.clear()
