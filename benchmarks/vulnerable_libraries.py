"""Known-vulnerable library matching: dataset load time, then the median time to match the
scripts of three corpora, and the slowest patterns.

The corpora: a deterministic synthetic minified bundle (``tests/checks/bundle_corpus.py``;
it holds no library, so nothing may be detected), the real releases of
``tests/vendor_libs`` (when ``npm ci`` installed them) and the field bed's Next.js build
chunks (when built). Target: well under a second for 2 MB.

    python benchmarks/vulnerable_libraries.py [--size 2000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the corpus lives with the tests

from tests.checks.bundle_corpus import synthetic_bundle

ROOT = Path(__file__).resolve().parent.parent


def corpora(size: int) -> dict[str, list[str]]:
    found = {"synthetic": [synthetic_bundle(size)]}
    vendor = sorted((ROOT / "tests" / "vendor_libs" / "node_modules").glob("*/**/*.js"))
    releases = [p for p in vendor if p.stat().st_size > 20_000 and "/src/" not in str(p)]
    if releases:
        found["npm releases"] = [p.read_text(encoding="utf-8") for p in releases[:40]]
    chunks = sorted((ROOT / "tests" / "field" / "nextjs" / ".next" / "static").rglob("*.js"))
    if chunks:
        found["Next.js build"] = [p.read_text(encoding="utf-8") for p in chunks]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from pytest_prodready.checks.libraries import Script, detect
    from pytest_prodready.probes.vulndata import load

    start = time.perf_counter()
    dataset = load()
    print(f"dataset: {dataset.label}, {len(dataset.libraries)} libraries")
    print(f"load: {(time.perf_counter() - start) * 1000:.0f} ms")
    for name, texts in corpora(args.size).items():
        scripts = [Script(f"https://a.test/{i}.js", text) for i, text in enumerate(texts)]
        size = sum(map(len, texts)) / 1e6
        times, found = [], set()
        for _ in range(args.runs + 1):  # the first run compiles the patterns it needs
            start = time.perf_counter()
            found = {(d.library, d.version) for s in scripts for d in detect(dataset, s)}
            times.append(time.perf_counter() - start)
        median = statistics.median(times[1:])
        print(
            f"{name}: {len(texts)} scripts, {size:.2f} MB: first {times[0]:.3f} s, median of "
            f"{args.runs} {median:.3f} s ({size / median:.1f} MB/s); detected {len(found)}: "
            + ", ".join(f"{lib} {version}" for lib, version in sorted(found)[:12])
        )
    text = "\n".join(t for texts in corpora(args.size).values() for t in texts)
    slowest = []
    for lib in dataset.libraries:
        for extractor in (*lib.filecontent, *lib.filecontentreplace):
            pattern = extractor.pattern
            start = time.perf_counter()
            if pattern is not None and extractor.needs in text:  # as detect() does
                sum(1 for _ in pattern.finditer(text))
            slowest.append((time.perf_counter() - start, lib.name, extractor.source[:60]))
    print("slowest patterns (all corpora at once):")
    for seconds, name, source in sorted(slowest, reverse=True)[:5]:
        print(f"  {seconds:.3f} s  {name}: {source}")


if __name__ == "__main__":
    main()
