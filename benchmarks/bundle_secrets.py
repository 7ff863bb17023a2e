"""Secret scanning over a large public bundle: median time, the slowest rules, false positives.

Builds a deterministic synthetic minified bundle (``tests/checks/bundle_corpus.py``: minified
code plus the seed vendors' public-by-design keys) and times
``checks.bundle.evaluate`` on it. Target: well under a second for 2 MB, and no finding (the
bundle holds no key). The first run also loads detect-secrets' plugins; it is reported apart.

    python benchmarks/bundle_secrets.py [--size 2000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the corpus lives with the tests

from tests.checks.bundle_corpus import synthetic_bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from pytest_prodready.checks.bundle import Asset, evaluate
    from pytest_prodready.checks.secret_rules import rules

    text = synthetic_bundle(args.size)
    asset = Asset("https://a.test/app.js", text)
    start = time.perf_counter()
    findings = evaluate([asset], production=True)
    first = time.perf_counter() - start
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        evaluate([asset], production=True)
        times.append(time.perf_counter() - start)
    print(f"bundle: {len(text) / 1e6:.2f} MB, {len(rules())} patterns")
    print(f"first run (loads detect-secrets): {first:.3f} s")
    print(f"median of {args.runs}: {statistics.median(times):.3f} s")
    print(f"findings (false positives): {len(findings)}")
    for finding in findings[:10]:
        print(f"  {finding.id}: {finding.evidence}")
    slowest = []
    lowered = text.lower()
    for kind, needle, pattern, _ in rules():
        start = time.perf_counter()
        if needle is None or needle.search(lowered):  # as scan() does
            sum(1 for _ in pattern.finditer(text))
        slowest.append((time.perf_counter() - start, kind, pattern.pattern[:50]))
    print("slowest patterns:")
    for seconds, kind, pattern in sorted(slowest, reverse=True)[:5]:
        print(f"  {seconds:.3f} s  {kind}: {pattern}")


if __name__ == "__main__":
    main()
