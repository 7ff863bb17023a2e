"""Contract suite versus the raw tool: ``pytest suites/test_contracts.py`` against
``schemathesis run``, on the same demo, schema, phases, checks, example budget and seed.

One demo server serves both. The schemathesis configuration the suite builds for the run
(``contracts_config.engine_settings``) is written as the CLI's ``schemathesis.toml``, so both
tools run exactly the same configuration. Each command runs once to warm up, then ``--runs``
times alternately; the medians of the wall times (process start to exit) and their ratio are
printed (target: suite <= 1.2x the CLI), with the requests each run sent.

Each tool's start-up floor is printed too, and what each does beyond it: the floor is the tool
started and doing no work. For pytest, a one-test file that passes (pytest and every installed
plugin, hypothesis included through schemathesis's pytest plugin). For the CLI,
``schemathesis run`` with the same configuration against an OpenAPI document with no
operations (imports, configuration, schema loading, the engine's capability probes) and no
phase enabled: an enabled phase with nothing to test waits out the engine's 0.1 s worker poll,
idling that no real run does. ``schemathesis --version`` would not do: it imports neither
hypothesis nor the engine, so the CLI's start-up would count as its work.

Both run with bytecode caching on, in a throwaway ``PYTHONPYCACHEPREFIX``, as on a developer
machine or a CI cache: an environment with ``PYTHONDONTWRITEBYTECODE`` makes pytest rewrite
every plugin module at each start, which costs ~1.5 s that neither tool's work explains.

    python benchmarks/contracts.py [--runs 3] [--max-examples 100]

The default budget is schemathesis's own (100 examples per operation). With small budgets
the ratio is dominated by pytest's fixed start-up and exit (about 0.5 s more than the CLI
with the usual plugins installed): 20 examples measured 1.38-1.44x, 100 measured 1.16-1.17x.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from schemathesis.config import SanitizationConfig

from pytest_prodready.config.contract import ContractSpec
from pytest_prodready.contracts.policy import OPERATION_PHASES, engine_settings
from pytest_prodready.demo import DemoServer, DemoSettings, read_request_log

ROOT = Path(__file__).resolve().parent.parent
TOKEN_VAR = "PRODREADY_BENCH_API_TOKEN"
SEED = 20261123
# The CLI's floor: an OpenAPI document that loads and has nothing to test.
EMPTY_DOCUMENT = {"openapi": "3.0.3", "info": {"title": "empty", "version": "1"}, "paths": {}}


def toml_value(value: Any) -> str:
    """TOML for the plain values a schemathesis configuration holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple | set):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    raise TypeError(f"no TOML for {value!r}")


# `schemathesis run` exits 2 for a document without operations: the floor's expected end.
NO_OPERATIONS = 2


def timed(
    command: list[str], cwd: Path, env: dict[str, str], log: Path, *, returncode: int = 0
) -> tuple[float, int]:
    """Wall time of one run and the requests the demo logged during it."""
    before = len(read_request_log(log))
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != returncode:
        sys.exit(f"{command[2]} failed ({proc.returncode}):\n{proc.stdout[-4000:]}{proc.stderr}")
    return elapsed, len(read_request_log(log)) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    # schemathesis's default budget, what `schemathesis run` does unless told otherwise.
    parser.add_argument("--max-examples", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="prodready-bench-contracts-"))
    token = secrets.token_urlsafe(18)
    log = work / "requests.jsonl"
    demo = DemoSettings(
        variant="demo", admin_password=secrets.token_urlsafe(18), api_token=token, request_log=log
    )
    try:
        with DemoServer(demo, work / "demo") as server:
            spec = ContractSpec(
                max_examples=args.max_examples,
                seed=SEED,
                headers={"Authorization": "Bearer {api_token}"},
            )
            (work / "prodready.toml").write_text(
                f'[envs.bench]\nbase_url = "{server.base_url}"\nca_bundle = "{server.ca_bundle}"\n'
                f'openapi = "/api/openapi.json"\nsecrets = {{ api_token = "{TOKEN_VAR}" }}\n'
                f"[envs.bench.contract]\nmax_examples = {args.max_examples}\nseed = {SEED}\n"
                'headers = { Authorization = "Bearer {api_token}" }\n'
            )
            for name, phases in (("schemathesis", OPERATION_PHASES), ("floor", ())):
                settings = engine_settings(
                    spec,
                    headers={"Authorization": f"Bearer {token}"},
                    secret_headers=["Authorization"],
                    sanitized_by_default=SanitizationConfig().keys_to_sanitize,
                    ca_bundle=server.ca_bundle,
                    timeout_s=10.0,
                    protected=False,
                    phases=phases,
                )
                (work / f"{name}.toml").write_text(
                    "".join(f"{key} = {toml_value(value)}\n" for key, value in settings.items())
                )
            (work / "empty.json").write_text(json.dumps(EMPTY_DOCUMENT))
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env |= {TOKEN_VAR: token, "PYTHONPYCACHEPREFIX": str(work / "pycache")}
            bin_dir = Path(sys.executable).parent
            commands = {
                "schemathesis run": [
                    str(bin_dir / "schemathesis"),
                    "--config-file",
                    str(work / "schemathesis.toml"),
                    "run",
                    f"{server.base_url}/api/openapi.json",
                ],
                "pytest contract suite": [
                    sys.executable,
                    "-m",
                    "pytest",
                    str(ROOT / "suites" / "test_contracts.py"),
                    "--target-env",
                    "bench",
                    "--prodready-config",
                    str(work / "prodready.toml"),
                    "-q",
                    "-p",
                    "no:cacheprovider",
                ],
            }
            (work / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
            # What each tool costs before doing any work: interpreter, imports, plugins, exit.
            floors = {
                "schemathesis run": [
                    str(bin_dir / "schemathesis"),
                    "--config-file",
                    str(work / "floor.toml"),
                    "run",
                    str(work / "empty.json"),
                    "--url",
                    server.base_url,
                ],
                "pytest contract suite": [
                    sys.executable,
                    "-m",
                    "pytest",
                    "test_nothing.py",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                ],
            }
            times: dict[str, list[float]] = collections.defaultdict(list)
            floor: dict[str, list[float]] = collections.defaultdict(list)
            sent: dict[str, list[int]] = collections.defaultdict(list)
            ends = {"schemathesis run": NO_OPERATIONS, "pytest contract suite": 0}
            for name, command in commands.items():  # warm up: bytecode, OS caches
                timed(command, work, env, log)
                timed(floors[name], work, env, log, returncode=ends[name])
            for _ in range(args.runs):
                for name, command in commands.items():
                    elapsed, requests = timed(command, work, env, log)
                    times[name].append(elapsed)
                    sent[name].append(requests)
                    floor[name].append(
                        timed(floors[name], work, env, log, returncode=ends[name])[0]
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"demo API, 8 operations; phases examples+coverage+fuzzing; default checks; "
        f"max_examples {args.max_examples}; seed {SEED}; {args.runs} runs each (median)"
    )
    for name in commands:
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(
            f"{name:>22}: {statistics.median(times[name]):.2f} s  (runs: {runs}; "
            f"requests per run: {statistics.median(sent[name]):.0f}; "
            f"start-up floor {statistics.median(floor[name]):.2f} s)"
        )
    cli, suite = (statistics.median(times[name]) for name in commands)
    cli_floor, suite_floor = (statistics.median(floor[name]) for name in commands)
    print(f"{'ratio':>22}: {suite / cli:.2f}x the CLI (target <= 1.20)")
    print(
        f"{'start-up floors':>22}: {suite_floor:.2f} s vs {cli_floor:.2f} s "
        "(pytest, one passing test; schemathesis run, a document without operations)"
    )
    suite_work, cli_work = suite - suite_floor, cli - cli_floor
    beyond = f"{suite_work:.2f} s vs {cli_work:.2f} s, {suite_work / cli_work:.2f}x"
    print(f"{'beyond start-up':>22}: {beyond}")


if __name__ == "__main__":
    main()
