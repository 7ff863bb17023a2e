"""Collection overhead of the plugin: ``pytest --collect-only -q suites`` with and without it.

Prints the median wall time of each (N runs, interleaved so machine noise hits both alike),
the difference in milliseconds and the ratio. Target: at most 150 ms of overhead.

    python benchmarks/import_overhead.py [--runs 11]
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
TARGET_MS = 150.0
COMMON = ["-o", "addopts=", "-o", "filterwarnings=ignore::pytest.PytestUnknownMarkWarning"]
# The post-deploy job's selection. Without it, collecting the contract suite reads the env's
# OpenAPI document (one test per operation), which starts the embedded demo: a target's
# latency, not the plugin's overhead.
SELECT = ["-m", "smoke"]


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        # Same settings both ways; without the plugin its markers are unknown, hence -W.
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "suites", *SELECT, *COMMON, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 5):
        sys.exit(f"pytest failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    wall([])  # warm the file cache and bytecode
    wall(["-p", "no:prodready"])
    with_plugin: list[float] = []
    without: list[float] = []
    for _ in range(runs):
        with_plugin.append(wall(["--target-env", "demo"]))
        without.append(wall(["-p", "no:prodready"]))
    a, b = statistics.median(with_plugin), statistics.median(without)
    overhead_ms = (a - b) * 1000
    print(f"runs: {runs} each, interleaved")
    print(f"with plugin    median {a * 1000:7.1f} ms")
    print(f"without plugin median {b * 1000:7.1f} ms")
    print(
        f"overhead       {overhead_ms:7.1f} ms  (ratio {a / b:.2f}x, target <= {TARGET_MS:.0f} ms)"
    )
    print("verdict:", "OK" if overhead_ms <= TARGET_MS else "OVER TARGET")


if __name__ == "__main__":
    main()
