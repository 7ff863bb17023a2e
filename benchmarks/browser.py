"""Browser suites against the embedded demo: wall time, and what launching Chromium costs.

Prints the median (of N) wall time of ``pytest suites/test_browser.py suites/test_flows.py
--target-env demo`` (serial, as the suites are meant to run on a small machine) and of the
same command with ``--collect-only``, the difference being what the browser work costs; then
the median time to launch and close the system Chromium with the suites' switches, and to
open a first context and page in it.

    python benchmarks/browser.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["suites/test_browser.py", "suites/test_flows.py"]
BASE = [sys.executable, "-m", "pytest", *SUITES, "--target-env", "demo", "-q"]
BASE += ["-p", "no:cacheprovider", "-p", "no:xdist"]


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*BASE, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-3000:]}")
    return elapsed


def launch_times(runs: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    from pytest_prodready.browser.launch import chromium_switches, find_chromium

    chromium = find_chromium(None, "prodready.toml", os.environ)
    if chromium.path is None:
        sys.exit(chromium.problem or "no Chromium")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    launches, first_pages = [], []
    with sync_playwright() as playwright:
        for _ in range(runs):
            start = time.perf_counter()
            browser = playwright.chromium.launch(
                executable_path=str(chromium.path), args=chromium_switches(root=root)
            )
            launched = time.perf_counter()
            page = browser.new_context().new_page()
            page.goto("about:blank")
            first_pages.append(time.perf_counter() - launched)
            browser.close()
            launches.append(launched - start)
    return launches, first_pages


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    wall([])  # warm the page cache: the first run reads Chromium and Python from disk
    full = [wall([]) for _ in range(runs)]
    collect = [wall(["--collect-only"]) for _ in range(runs)]
    launches, first_pages = launch_times(runs)
    median_full, median_collect = statistics.median(full), statistics.median(collect)
    each = ", ".join(f"{t:.2f}" for t in full)
    print(f"runs: {runs} each (median)")
    print(
        f"browser suites on demo: {median_full:.2f} s total, {median_collect:.2f} s collection, "
        f"{median_full - median_collect:.2f} s beyond  (each: {each})"
    )
    print(
        f"chromium launch + close: {statistics.median(launches):.2f} s launch, "
        f"{statistics.median(first_pages):.2f} s first context and page"
    )


if __name__ == "__main__":
    main()
