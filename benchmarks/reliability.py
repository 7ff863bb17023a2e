"""Reliability figures (issue 10): how the plugin copes with broken targets and bad input.

Runs every fault of ``tests/faults`` against the suites exactly as ``tests/test_faults.py``
does (a child pytest per fault, env ``timeout_s`` = 1 s, a hard watchdog); every malformed
configuration of ``tests/faults/configs.py`` through ``pytest --collect-only``; and runs that
fail in several suites while using secrets (every suite against the embedded demo-broken, a
browser login flow that fails after typing the password, and a target that reflects request
headers into its error pages), scanning the terminal output and every file they write (JUnit,
HTML, JSON, SARIF, Playwright screenshots and traces, zip members included) for the values
and their URL-, JSON- and base64-encoded forms. The scanner lives in
``tests/faults/secret_scan.py``; ``tests/test_secret_sweep.py`` runs it on one such run (all
three in one) in every test run.

    python benchmarks/reliability.py [--jobs 3] [--only FAULT ...] [--no-configs] [--no-secrets]

Prints the figures, then one block per fault, case or file that went wrong.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the harness lives with the tests

from tests.faults import harness  # noqa: E402
from tests.faults.catalogue import FAULTS, Fault  # noqa: E402
from tests.faults.configs import BAD_CONFIGS, BadConfig, judge_usage_error, write_case  # noqa: E402
from tests.faults.secret_scan import fresh_values, occurrences, report_args, texts  # noqa: E402
from tests.faults.server import FaultServer  # noqa: E402

CONFIG_WATCHDOG_S = 60.0
SECRETS_WATCHDOG_S = 600.0


def run_faults(
    server: FaultServer, faults: list[Fault], workdir: Path, jobs: int
) -> list[harness.Outcome]:
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda f: harness.run(server, f, workdir / f.name), faults))


def run_config(case: BadConfig, workdir: Path) -> list[str]:
    directory = workdir / case.name
    path = write_case(case, directory)
    args = ["--collect-only", "-p", "no:cacheprovider", "--prodready-config", str(path)]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *args, "--target-env", case.env],
            cwd=directory,
            env=harness.child_env(),
            capture_output=True,
            text=True,
            timeout=CONFIG_WATCHDOG_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [f"hang: no answer within {CONFIG_WATCHDOG_S:g} s"]
    return judge_usage_error(case, path, proc.returncode, proc.stdout, proc.stderr)


@dataclass
class SecretScan:
    runs: list[str]
    files: int = 0
    occurrences: int = 0
    where: dict[str, int] = field(default_factory=dict)


DEMO_SECRETS = ("PRODREADY_DEMO_ADMIN_PASSWORD", "PRODREADY_DEMO_API_TOKEN")
SECRET_DEMO = """
[envs.login-fails]
embedded = "demo"
[envs.login-fails.secrets]
admin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"
api_token = "PRODREADY_DEMO_API_TOKEN"
[envs.login-fails.flows.login]
path = "/login"
username = "admin@demo.test"
password_secret = "admin_password"
submit_selector = "#login-submit"
success_url = "/not-where-login-lands"
logout_selector = "#logout-submit"
session_cookie = "session"
"""
SECRET_ECHO = """
[envs.leaky]
base_url = "http://127.0.0.1:{port}/echo"
openapi = "http://127.0.0.1:{port}/echo/api/openapi.json"
pages = ["/", "/api/echo"]
secrets = {{ api_token = "FAULT_ECHO_TOKEN" }}
timeout_s = 2
[envs.leaky.contract]
max_examples = 5
headers = {{ Authorization = "Bearer {{api_token}}" }}
"""


def secret_run(
    name: str, args: list[str], variables: tuple[str, ...], workdir: Path, result: SecretScan
) -> None:
    """One run with fresh secret values, then every occurrence of them in what it left."""
    values = fresh_values(variables, prefix="rb")
    out = workdir / name
    out.mkdir(parents=True)
    launched = harness.launch(
        [*args, *report_args(out)],
        cwd=out,
        watchdog_s=SECRETS_WATCHDOG_S,
        env=harness.child_env(values),
    )
    (out / "terminal.txt").write_text(launched.output)
    result.runs.append(f"{name}: exit {launched.ret}, {_summary(launched.output)}")
    scanned, found = occurrences(texts(out), values)
    result.files += scanned
    result.occurrences += sum(found.values())
    result.where.update({f"{name}/{where}": count for where, count in found.items()})


def secret_runs(server: FaultServer, workdir: Path) -> SecretScan:
    result = SecretScan(runs=[])
    suites = str(ROOT / "suites")
    # Every suite against the demo with every flaw: contracts send the token, flows type the
    # password, and many tests fail.
    demo = [suites, "--prodready-config", str(ROOT / "prodready.toml")]
    secret_run("demo-broken", [*demo, "--target-env", "demo-broken"], DEMO_SECRETS, workdir, result)
    # A login flow that fails after typing the password: its browser artifacts are kept.
    config = workdir / "login-fails.toml"
    config.write_text(SECRET_DEMO)
    flows = [str(ROOT / "suites" / "test_flows.py"), "--prodready-config", str(config)]
    secret_run(
        "login-fails", [*flows, "--target-env", "login-fails"], DEMO_SECRETS, workdir, result
    )
    # A target that reflects request headers, the API token included, into its error pages.
    config = workdir / "echo.toml"
    config.write_text(SECRET_ECHO.format(port=server.http_port))
    echo = [suites, "--prodready-config", str(config), "--target-env", "leaky", "-m", "not flows"]
    secret_run("echo", echo, ("FAULT_ECHO_TOKEN",), workdir, result)
    return result


def _summary(output: str) -> str:
    lines = [line.strip("= ") for line in output.splitlines() if " in " in line and "=" in line]
    return lines[-1] if lines else "(no summary line)"


@dataclass
class Results:
    outcomes: list[harness.Outcome]
    configs: dict[str, list[str]]
    leaks: SecretScan | None
    server_left: list[str]
    wall_s: float


def collect(options: argparse.Namespace) -> Results:
    faults = [f for f in FAULTS if not options.only or f.name in options.only]
    started = time.monotonic()
    configs: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        workdir = Path(tmp)
        with FaultServer(workdir / "server") as server:
            outcomes = run_faults(server, faults, workdir / "faults", options.jobs)
            if not options.no_configs:
                with ThreadPoolExecutor(options.jobs) as pool:
                    found = pool.map(lambda c: run_config(c, workdir / "configs"), BAD_CONFIGS)
                    configs = dict(zip((c.name for c in BAD_CONFIGS), found, strict=True))
            leaks = None if options.no_secrets else secret_runs(server, workdir / "secrets")
        left = server.leftovers() + server.errors
    return Results(outcomes, configs, leaks, left, time.monotonic() - started)


def print_figures(results: Results) -> None:
    outcomes = results.outcomes
    clean = [o for o in outcomes if not o.problems]
    print(f"faults tried:                   {len(outcomes)}")
    print(f"faults reported cleanly:        {len(clean)}")
    print(f"hangs (watchdog fired):         {sum(o.hung for o in outcomes)}")
    worst = max(outcomes, key=lambda o: o.max_overrun_s, default=None)
    if worst is not None:
        print(
            f"max overrun beyond timeout:     {max(worst.max_overrun_s, 0):.2f} s "
            f"({worst.fault.name}: {worst.worst_test}; a test's time minus "
            f"{harness.TIMEOUT_S:g} s per request it makes)"
        )
    stalls = [o for o in outcomes if o.fault.stalls and not o.hung]
    if stalls:
        slowest = max(stalls, key=lambda o: o.launch.wall_s)
        print(
            f"slowest stalled run:            {slowest.launch.wall_s:.1f} s wall "
            f"({slowest.fault.name}: {len(slowest.tests)} tests, one timeout each)"
        )
    peak = max(outcomes, key=lambda o: o.launch.max_rss_mb or 0, default=None)
    if peak is not None and peak.launch.max_rss_mb is not None:
        print(
            f"peak RSS of a fault run:        {peak.launch.max_rss_mb:.0f} MB ({peak.fault.name})"
        )
    if results.configs:
        rejected = [name for name, problems in results.configs.items() if not problems]
        print(f"bad configs tried:              {len(results.configs)}")
        print(f"bad configs rejected cleanly:   {len(rejected)}")
    if results.leaks is not None:
        print(
            f"secret occurrences found:       {results.leaks.occurrences} (in {results.leaks.files}"
            f" files and terminal outputs of {len(results.leaks.runs)} runs)"
        )
    print(f"fault server leftovers:         {len(results.server_left)}")
    print(f"wall time:                      {results.wall_s:.0f} s")


def print_details(results: Results) -> None:
    for outcome in results.outcomes:
        if outcome.problems:
            print()
            print(outcome.report())
    for name, problems in results.configs.items():
        if problems:
            print(f"\nbad config {name!r}:\n- " + "\n- ".join(problems))
    if results.leaks is not None:
        print("\nsecret runs: " + "; ".join(results.leaks.runs))
        for where, count in results.leaks.where.items():
            print(f"- {count}x in {where}")
    for item in results.server_left:
        print(f"\nfault server: {item}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3, help="child runs at a time (default 3)")
    parser.add_argument("--only", nargs="*", default=None, help="only these faults")
    parser.add_argument("--no-configs", action="store_true")
    parser.add_argument("--no-secrets", action="store_true")
    results = collect(parser.parse_args())
    print_figures(results)
    print_details(results)


if __name__ == "__main__":
    main()
