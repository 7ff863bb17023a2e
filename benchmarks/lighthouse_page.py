"""What one Lighthouse run of a page costs: the field Next.js build's good ``/gallery``, mobile.

Prints the median (of N) wall time of one Lighthouse run (the suite's own runner: the CPU
benchmark that calibrates the slowdown, then Lighthouse 12 on the system Chromium, behind
nginx's TLS with the leaf pinned), each run's time and scores. A nightly run with the default
``runs = 3`` costs about three times this per page.

    python benchmarks/lighthouse_page.py [--runs 3]

Needs Node.js and npm (the pinned Lighthouse of tests/lighthouse and the field build are
installed on first use) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page", default="/gallery")
    args = parser.parse_args()

    from pytest_prodready.browser.launch import chromium_switches, find_chromium, leaf_pin
    from pytest_prodready.browser.lighthouse import (
        benchmark_index,
        calibrated_slowdown,
        find_lighthouse,
        run_lighthouse,
    )
    from pytest_prodready.checks.lighthouse import summarize
    from tests.field.nextjs_stack import deployment, ensure_build
    from tests.lighthouse.install import ensure_lighthouse

    chromium = find_chromium(None, "", {})
    if chromium.path is None:
        sys.exit(chromium.problem or "no Chromium")
    tool = find_lighthouse(ROOT, {"PRODREADY_LIGHTHOUSE": str(ensure_lighthouse())})
    print(f"field build: {ensure_build().describe()}")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    times: list[float] = []
    with tempfile.TemporaryDirectory() as work, deployment("good", Path(work) / "app") as live:
        pin = leaf_pin(live.base_url, live.ca_bundle, 10)
        switches = chromium_switches(root=root, pins=[pin] if pin else [])
        for n in range(1, args.runs + 1):
            start = time.perf_counter()
            index = benchmark_index(chromium.path, switches, 30)
            slowdown = calibrated_slowdown(index) if index is not None else None
            run = run_lighthouse(
                tool,
                live.base_url + args.page,
                chromium=chromium.path,
                chrome_switches=switches,
                form_factor="mobile",
                max_wait_ms=10_000,
                timeout_s=120,
                parent=Path(work) / "runs",
                cpu_slowdown=slowdown,
            )
            took = time.perf_counter() - start
            if run.report is None:
                sys.exit(f"run {n}: {run.error}")
            times.append(took)
            scores = summarize(run.report).scores
            print(f"run {n}: {took:.1f} s (benchmark {index}, slowdown {slowdown}x) {scores}")
    print(
        f"Lighthouse, one mobile run of the field build's good {args.page}: "
        f"median {statistics.median(times):.1f} s of {args.runs} "
        f"(min {min(times):.1f}, max {max(times):.1f})"
    )


if __name__ == "__main__":
    main()
