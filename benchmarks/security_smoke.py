"""Security smoke run against the embedded demo: wall time beyond collection, requests sent.

Prints the median (of N) wall time of ``pytest suites -m "smoke and security" --target-env
demo`` minus the median of the same command with ``--collect-only``; the requests the demo
logged in one run (total, distinct method+path, and any path requested more than once); and
the TLS subset alone. Targets: <= 1.0 s beyond collection, one request per distinct URL or
probe (the CSP nonce check fetches a page twice by design), TLS <= 1 s.

    python benchmarks/security_smoke.py [--runs 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = [
    sys.executable,
    "-m",
    "pytest",
    "suites",
    "--target-env",
    "demo",
    "-q",
    "-p",
    "no:cacheprovider",
]


def wall(args: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [*BASE, *args], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    security = ["-m", "smoke and security"]
    tls = ["-m", "smoke and security", "-k", "certificate_and_protocols"]
    wall(security)  # warm caches
    full, collect, tls_only, tls_collect = [], [], [], []
    for _ in range(runs):
        full.append(wall(security))
        collect.append(wall([*security, "--collect-only"]))
        tls_only.append(wall(tls))
        tls_collect.append(wall([*tls, "--collect-only"]))
    beyond = statistics.median(full) - statistics.median(collect)
    tls_beyond = statistics.median(tls_only) - statistics.median(tls_collect)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        wall(security, env={**os.environ, "PRODREADY_DEMO_LOG": str(log)})
        requests = [json.loads(line) for line in log.read_text().splitlines()]
    per_url = collections.Counter(f"{r['method']} {r['scheme']}:{r['path']}" for r in requests)
    repeated = {url: n for url, n in per_url.items() if n > 1}
    print(f"runs: {runs} each (median)")
    print(
        f"security smoke: {statistics.median(full):.2f} s total, "
        f"{statistics.median(collect):.2f} s collection, {beyond:.2f} s beyond (target <= 1.0)"
    )
    print(f"TLS subset:     {tls_beyond:.3f} s beyond collection (target <= 1.0)")
    print(f"requests:       {len(requests)} total, {len(per_url)} distinct method+URL")
    for url, n in sorted(repeated.items()):
        print(f"  repeated x{n}: {url}")


if __name__ == "__main__":
    main()
