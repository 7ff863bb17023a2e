"""Full nightly run on the field test bed's Next.js production build: wall time vs. its waits.

Builds the app once (cached, like the field tests), starts the good variant behind nginx,
runs every shipped suite against it (no ``-m``: security, health, rate limits with their
reset waits, browser and flows, contracts, and load when ``--load-s`` is above zero), and
prints the run's wall time beside the waits it made: each rate-limit reset wait, the load
run, as the JSON summary records them. The target: wall <= the longest single wait + 30 s
(the waits overlap each other instead of adding up).

    python benchmarks/nightly.py [--runs 3] [--load-s 10] [--durations]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.field.bed import run_suites  # noqa: E402
from tests.field.nextjs_stack import deployment, ensure_build, node_missing  # noqa: E402
from tests.field.test_nextjs import target_of  # noqa: E402

LOAD_TOML = """
[envs.field.load]
locustfile = "{locustfile}"
users = 5
spawn_rate = 5
duration_s = {duration}
error_rate = 0.01
"""


def waits_of(summary: dict[str, dict[str, dict[str, object]]]) -> dict[str, float]:
    """The deliberate waits the run recorded (figure ``wait_s``), by test name (seconds)."""
    return {
        test.split("::")[-1]: float(str(figures["wait_s"]))
        for test, figures in summary.get("figures", {}).items()
        if "wait_s" in figures
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--load-s", type=float, default=10.0, help="0: no load run")
    parser.add_argument("--durations", action="store_true", help="print pytest's 15 slowest")
    args = parser.parse_args()
    problem = node_missing()
    if problem:
        sys.exit(f"nightly benchmark: {problem}")
    build = ensure_build()
    if build.build_s is None:
        print("build: cached")
    else:
        print(f"build: npm ci {build.npm_ci_s or 0:.1f} s, next build {build.build_s:.1f} s")
    walls: list[float] = []
    longest: list[float] = []
    with tempfile.TemporaryDirectory(prefix="prodready-nightly-") as tmp:
        work = Path(tmp)
        with deployment("good", work / "live") as live:
            target = target_of(live)
            if args.load_s > 0:
                locustfile = ROOT / "locustfiles" / "smoke.py"
                extra = LOAD_TOML.format(locustfile=locustfile, duration=args.load_s)
                target = type(target)(
                    base_url=target.base_url,
                    env_toml=target.env_toml + extra,
                    secrets=target.secrets,
                )
            for index in range(args.runs):
                start = time.perf_counter()
                run = run_suites(
                    target,
                    work / f"run{index}",
                    marks="",
                    watchdog_s=600,
                    extra_args=["--durations=15"] if args.durations else [],
                )
                wall = time.perf_counter() - start
                summary = json.loads((work / f"run{index}" / "summary.json").read_text())
                waits = waits_of(summary)
                walls.append(wall)
                longest.append(max(waits.values(), default=0.0))
                listed = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(waits.items()))
                print(
                    f"run {index + 1}: wall {wall:.1f} s; outcomes {run.outcomes}; "
                    f"waits: {listed or 'none'} (sum {sum(waits.values()):.1f} s)"
                )
                if run.failing:
                    print(f"  failing findings (a good target should have none): {run.failing}")
                if args.durations:
                    tail = run.output.split("slowest 15 durations", 1)[-1]
                    print("\n".join(tail.splitlines()[:18]))
    wall_median = statistics.median(walls)
    longest_median = statistics.median(longest)
    print(
        f"nightly on Next.js: wall median {wall_median:.1f} s over {args.runs} runs; longest "
        f"single wait {longest_median:.1f} s; wall - longest wait = "
        f"{wall_median - longest_median:.1f} s (target <= 30 s)"
    )


if __name__ == "__main__":
    main()
