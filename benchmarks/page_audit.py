"""What the browser suite's page audit costs: axe-core and the image facts, per page.

Loads each page of the field Next.js build's good variant in a fresh Chromium context, reads
its images and runs axe-core (the ``browser_audit`` fixture's work), N times, and prints the
median wall time per page. A nightly run audits each listed page once.

    python benchmarks/page_audit.py [--runs 5]

Needs Node.js and npm (the field build is made on first use) and /usr/bin/chromium.
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
PAGES = ("/", "/login", "/gallery")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from pytest_prodready.browser.audit import audit_page
    from pytest_prodready.browser.launch import chromium_switches, find_chromium, leaf_pin
    from pytest_prodready.config.flows import A11y
    from tests.field.nextjs_stack import deployment, ensure_build

    chromium = find_chromium(None, "", {})
    if chromium.path is None:
        sys.exit(chromium.problem or "no Chromium")
    print(f"field build: {ensure_build().describe()}")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    with (
        tempfile.TemporaryDirectory() as work,
        deployment("good", Path(work) / "app") as live,
        sync_playwright() as playwright,
    ):
        pin = leaf_pin(live.base_url, live.ca_bundle, 10)
        browser = playwright.chromium.launch(
            executable_path=chromium.path,
            args=chromium_switches(root=root, pins=[pin] if pin else []),
        )
        try:
            for page in PAGES:
                times: list[float] = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    facts = audit_page(browser, {}, live.base_url + page, A11y(), timeout_s=30)
                    times.append(time.perf_counter() - start)
                    if facts.error:
                        sys.exit(facts.error)
                print(
                    f"{page}: median {statistics.median(times):.2f} s of {args.runs} "
                    f"(min {min(times):.2f}, max {max(times):.2f}); "
                    f"{len(facts.images)} images, {len(facts.violations)} axe violations"
                )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
