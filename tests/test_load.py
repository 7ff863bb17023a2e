"""Load suite: SLO judgement on plain data, then real short locust runs (child processes)
against the embedded demo and small servers on 127.0.0.1, including the plain locust CLI,
the safety caps on protected envs, and that no locust process outlives a run or a Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pytest_prodready.config import Environment
from pytest_prodready.config.load import LoadSpec, Slo
from pytest_prodready.load import runner as load
from pytest_prodready.load.process import alive
from pytest_prodready.load.report import chart_svg, read_history
from pytest_prodready.load.slo import Figures, SloSpec, Thresholds, evaluate
from tests.servers import ThreadedServer, serve

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_load.py")
SMOKE = ROOT / "locustfiles" / "smoke.py"
NODE = "suites/test_load.py::test_load_meets_slos"


def figures(name: str = "/api/items", method: str = "GET", **kw: float) -> Figures:
    values: dict[str, float] = {"requests": 1000, "failures": 0, "rps": 100.0, "p95_ms": 50.0}
    values |= kw
    return Figures(
        method=method,
        name=name,
        requests=int(values["requests"]),
        failures=int(values["failures"]),
        rps=values["rps"],
        p95_ms=values["p95_ms"],
        p99_ms=values.get("p99_ms", 80.0),
    )


TOTAL = figures("Aggregated", "")


@pytest.mark.parametrize(
    ("total_slo", "requests_slo", "measured", "expected"),
    [
        (Thresholds(p95_ms=500), {}, {"p95_ms": 612}, "p95 612 ms > 500 ms on all requests"),
        (Thresholds(p99_ms=70), {}, {}, "p99 80 ms > 70 ms on all requests"),
        (
            Thresholds(error_rate=0.01),
            {},
            {"failures": 32},
            "error rate 3.20 % (32 of 1000 failed) > 1.00 % on all requests",
        ),
        (Thresholds(min_rps=150), {}, {}, "throughput 100.0 req/s < 150 req/s on all requests"),
        (Thresholds(), {"GET /api/items": Thresholds(p95_ms=40)}, {}, None),
        (Thresholds(), {"/api/items": Thresholds(p95_ms=40)}, {}, None),
    ],
)
def test_each_slo_breach_reads_measured_against_limit(
    total_slo: Thresholds,
    requests_slo: dict[str, Thresholds],
    measured: dict[str, float],
    expected: str | None,
) -> None:
    total = figures("Aggregated", "", **measured)
    breaches = evaluate(SloSpec(total_slo, requests_slo), total, [figures()])
    message = expected or "p95 50 ms > 40 ms on GET /api/items"
    assert [b.message for b in breaches] == [message]


def test_met_slos_a_tiny_error_rate_and_missing_requests() -> None:
    spec = SloSpec(Thresholds(p95_ms=500, error_rate=0.05))
    assert evaluate(spec, figures("Aggregated", "", failures=20), []) == []
    [none] = evaluate(spec, figures("Aggregated", "", requests=0), [])
    assert none.message == "the load run made no requests"
    spec = SloSpec(requests={"GET /api/orders": Thresholds(p95_ms=100)})
    [missing] = evaluate(spec, TOTAL, [figures()])
    assert missing.kind == "no-requests"
    assert "'GET /api/orders' was made" in missing.message


def test_slo_json_round_trip_and_one_line_errors() -> None:
    spec = SloSpec(Thresholds(p95_ms=500, error_rate=0.01), {"GET /x": Thresholds(p99_ms=9)})
    assert SloSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError, match="unknown key"):
        SloSpec.from_json('{"p96_ms": 1}')
    with pytest.raises(ValueError, match=r"requests\['GET /x'\]\.p95_ms is 'fast'"):
        SloSpec.from_json('{"requests": {"GET /x": {"p95_ms": "fast"}}}')


def test_findings_and_generator_bound(tmp_path: Path) -> None:
    spec = SloSpec(requests={"GET /api/items": Thresholds(p95_ms=40)})
    result = load.LoadResult(
        total=TOTAL,
        requests=(figures(),),
        breaches=tuple(evaluate(spec, TOTAL, [figures()])),
        slo=spec,
        users=10,
        peak_users=10,
        duration_s=10.0,
        cpu_percent=97.0,
        generator_bound=True,
        workers=0,
        pids=(1,),
        errors=(),
        exceptions=(),
        history=(),
    )
    found = load.findings(result, "https://a.test")
    assert [(f.id, f.url) for f in found] == [
        ("load.p95", "https://a.test/api/items"),
        ("load.generator-bound", None),
    ]
    assert "locust CPU 97 %" in found[1].evidence
    assert "<li>p95 50 ms &gt; 40 ms on GET /api/items</li>" in result.html()


HISTORY = """Timestamp,User Count,Type,Name,Requests/s,Failures/s,95%,Total Request Count
100,0,,Aggregated,0,0,N/A,0
101,5,GET,/a,0,0,0,10
101,5,,Aggregated,0,0,0,10
102,5,,Aggregated,0,0,20,60
104,5,,Aggregated,0,0,25,160
"""


def test_history_rates_from_counts_and_an_svg_chart(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(HISTORY)
    points = read_history(path)
    assert [(p.t_s, p.rps, p.p95_ms) for p in points] == [
        (1.0, 10.0, None),
        (2.0, 50.0, 20.0),
        (4.0, 50.0, 25.0),
    ]
    svg = chart_svg(points, p95_slo_ms=30)
    assert svg.startswith("<svg")
    assert svg.count("<polyline") == 2
    assert "p95 SLO 30 ms" in svg
    assert "too short" in chart_svg(points[:1])
    assert chart_svg(points).count("<polyline") == 2  # no SLO line, and no p95 before 2 s
    assert read_history(tmp_path / "missing.csv") == ()


def spec(**kw: object) -> LoadSpec:
    return LoadSpec(locustfile=SMOKE, **kw)  # type: ignore[arg-type]


def test_commands_bind_loopback_and_cap_the_run_time(tmp_path: Path) -> None:
    env = Environment("s", "https://s.test")
    [one] = load.commands(env, spec(duration_s=2.5, slo=Slo(p95_ms=5)), tmp_path)
    assert one[one.index("--run-time") + 1] == "3s"
    assert json.loads(one[one.index("--prodready-slo") + 1]) == {"p95_ms": 5.0}
    [forked] = load.commands(env, spec(processes=3), tmp_path)
    assert forked[forked.index("--master-bind-host") + 1] == "127.0.0.1"
    master, *workers = load.commands(env, spec(workers=2, processes=2), tmp_path)
    assert master[master.index("--expect-workers") + 1] == "4"
    assert len(workers) == 2
    assert "--worker" in workers[0]
    capped = spec(duration_s=9, max_users=10, max_duration_s=4.5)
    [run] = load.commands(env, capped, tmp_path)
    assert run[run.index("--run-time") + 1] == "4s"


def test_a_protected_env_without_caps_sends_nothing(tmp_path: Path) -> None:
    env = Environment("prod", "https://127.0.0.1:9", protected=True)
    with pytest.raises(load.LoadError, match="protected and declares no max_users"):
        load.run(env, spec(), tmp_path)


# --- real locust runs ---------------------------------------------------------------------


def local_app() -> Starlette:
    """/fast, /slow (300 ms), /error (always 500), /flaky (every 50th request a 500)."""
    counter = itertools.count(1)

    async def fast(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def slow(request: Request) -> PlainTextResponse:
        await asyncio.sleep(0.3)
        return PlainTextResponse("slow")

    async def error(request: Request) -> PlainTextResponse:
        return PlainTextResponse("boom", 500)

    async def flaky(request: Request) -> PlainTextResponse:
        return PlainTextResponse("x", 500 if next(counter) % 50 == 0 else 200)

    return Starlette(
        routes=[Route(f"/{f.__name__}", f) for f in (fast, slow, error, flaky)],
    )


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    with serve(local_app()) as running:
        yield running


LOCUSTFILE = """
from locust import task
from pytest_prodready.locust_plugin import ProdreadyUser

class Mix(ProdreadyUser):
    think_time = (0.0, 0.05)
{tasks}
"""


def locustfile(pytester: pytest.Pytester, **weights: int) -> str:
    tasks = "".join(
        f"\n    @task({w})\n    def {p}(self):\n        self.client.get('/{p}')\n"
        for p, w in weights.items()
    )
    path = pytester.path / "mix.py"
    path.write_text(LOCUSTFILE.format(tasks=tasks))
    return path.name


def run_suite(
    pytester: pytest.Pytester, config: str, *args: str, locust: bool = True
) -> pytest.RunResult:
    """Run the load suite; in a subprocess when locust starts (clean process accounting)."""
    (pytester.path / "prodready.toml").write_text(config)
    runpytest = pytester.runpytest_subprocess if locust else pytester.runpytest
    return runpytest(
        SUITE,
        "--prodready-config",
        str(pytester.path / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        "-rP",
        "--prodready-json",
        str(pytester.path / "summary.json"),
        *args,
    )


def recorded(pytester: pytest.Pytester) -> dict[str, object]:
    summary = json.loads((pytester.path / "summary.json").read_text())
    figures: dict[str, object] = summary["figures"][NODE]
    return figures


def assert_all_ended(pids: object) -> None:
    numbers = [int(p) for p in str(pids).split()]
    assert numbers
    assert not [p for p in numbers if alive(p)]


def test_demo_within_caps_passes_with_progress_chart_and_no_process_left(
    pytester: pytest.Pytester,
) -> None:
    config = f"""
[envs.prod]
embedded = "demo"
[envs.prod.load]
locustfile = "{SMOKE}"
users = 4
spawn_rate = 4
duration_s = 3
max_users = 5
max_duration_s = 4
p95_ms = 1000
error_rate = 0.01
"""
    report = pytester.path / "report.html"
    result = run_suite(
        pytester,
        config,
        "--target-env=prod",
        "--allow-destructive=prod",
        f"--html={report}",
        "--self-contained-html",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "prodready load: smoke.py: 4 users for 3 s against https://127.0.0.1:* (one process)",
            "prodready load:   * s, 4 users, * req/s, p95 * ms, 0 failures (0.00 %)",
            "prodready load: locust processes * ended",
            "load: 4 users, *: * req/s, p95 * ms, p99 * ms, errors 0.00 % (0 of *)*",
        ]
    )
    figures = recorded(pytester)
    assert figures["load_peak_users"] == 4
    assert float(str(figures["load_duration_s"])) <= 4
    assert_all_ended(figures["load_pids"])
    html = report.read_text()  # pytest-html keeps extras escaped in a JSON blob
    assert "<svg xmlns" in html.replace("&lt;", "<")
    assert "prodready-load-chart" in html
    assert "prodready-load-table" in html


def test_caps_are_enforced_on_a_protected_env(pytester: pytest.Pytester) -> None:
    base = f'[envs.prod]\nembedded = "demo"\n[envs.prod.load]\nlocustfile = "{SMOKE}"\n'
    capped = "users = 2\nduration_s = 2\nmax_users = 5\nmax_duration_s = 4\n"
    cases = [
        ("users = 50\nmax_users = 5\nmax_duration_s = 4\n", "*users*is 50, above max_users = 5*"),
        ("users = 2\n", "*must both be set on a protected environment*"),
        (capped.replace("duration_s = 2", "duration_s = 9"), "*is 9, above max_duration_s = 4*"),
    ]
    for table, error in cases:
        refused = run_suite(pytester, base + table, "--target-env=prod", locust=False)
        assert refused.ret == pytest.ExitCode.USAGE_ERROR
        refused.stderr.fnmatch_lines([error])
    gated = run_suite(pytester, base + capped, "--target-env=prod", locust=False)
    gated.assert_outcomes(skipped=1)
    gated.stdout.fnmatch_lines(["*SKIPPED*--allow-destructive=prod*"])


def test_slow_and_erroring_endpoints_breach_with_figures(
    pytester: pytest.Pytester, server: ThreadedServer
) -> None:
    name = locustfile(pytester, fast=3, slow=1, error=1)
    config = f"""
[envs.local]
base_url = "{server.url}"
[envs.local.load]
locustfile = "{name}"
users = 4
duration_s = 2
error_rate = 0.01
[envs.local.load.requests."GET /slow"]
p95_ms = 100
"""
    result = run_suite(pytester, config, "--target-env=local")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*2 findings:",
            "- [[]HIGH] load.error-rate  * (evidence: error rate *% (* of * failed) > 1.00 % "
            "on all requests)*",
            "- [[]HIGH] load.p95  * (evidence: p95 * ms > 100 ms on GET /slow) at "
            f"{server.url}/slow*",
            "*failure: *x GET /error: *500*",
        ]
    )


def test_errors_fail_within_the_default_budget_when_no_error_rate_is_set(
    pytester: pytest.Pytester, server: ThreadedServer
) -> None:
    name = locustfile(pytester, fast=1, error=1)
    config = f"""
[envs.local]
base_url = "{server.url}"
[envs.local.load]
locustfile = "{name}"
users = 2
duration_s = 2
p95_ms = 5000
"""
    result = run_suite(pytester, config, "--target-env=local")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*load.error-rate*> 1.00 % on all requests*"])


def test_a_tiny_error_rate_within_budget_passes_on_processes(
    pytester: pytest.Pytester, server: ThreadedServer
) -> None:
    name = locustfile(pytester, flaky=1)
    config = f"""
[envs.local]
base_url = "{server.url}"
[envs.local.load]
locustfile = "{name}"
users = 4
duration_s = 3
processes = 2
error_rate = 0.05
"""
    result = run_suite(pytester, config, "--target-env=local")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*(2 processes)", "*failure: *x GET /flaky: *500*"])
    figures = recorded(pytester)
    assert int(str(figures["load_failures"])) > 0
    assert float(str(figures["load_error_rate"])) < 0.05
    pids = str(figures["load_pids"]).split()
    assert len(pids) == 3  # the master and the two forked workers
    assert_all_ended(figures["load_pids"])


def locust_cli(server: ThreadedServer, path: str, *slo: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "locust", "-f", str(SMOKE), "--headless", "-u", "3"),
            *("-r", "3", "-t", "2s", "-H", server.url, "--only-summary"),
            *("--prodready-pages", path, "--prodready-health", path),
            *("--prodready-think-time", "0", *slo),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_same_locustfile_gates_a_plain_locust_cli_run(server: ThreadedServer) -> None:
    within = locust_cli(server, "/flaky", "--prodready-error-rate", "0.5")
    assert "GET /flaky" in within.stderr + within.stdout
    assert within.returncode == 0, within.stderr[-2000:]  # locust alone exits 1 on any failure
    breach = locust_cli(server, "/slow", "--prodready-p95-ms", "100")
    assert breach.returncode == 1
    assert "- p95 3" in breach.stderr
    assert "ms > 100 ms on all requests" in breach.stderr


def locust_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"--prodready-parent-pid" in argv and str(parent).encode() in argv:
                found.append(int(entry.name))
    return found


def test_ctrl_c_stops_master_and_workers(pytester: pytest.Pytester, server: ThreadedServer) -> None:
    name = locustfile(pytester, fast=1)
    (pytester.path / "prodready.toml").write_text(
        f'[envs.local]\nbase_url = "{server.url}"\n[envs.local.load]\n'
        f'locustfile = "{name}"\nusers = 2\nduration_s = 8\nworkers = 1\nerror_rate = 0.01\n'
    )
    config = str(pytester.path / "prodready.toml")
    argv = [sys.executable, "-m", "pytest", SUITE, "--target-env=local", "-p", "no:cacheprovider"]
    proc = subprocess.Popen(
        [*argv, "--prodready-config", config],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or ()])
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while not any(" s, 2 users, " in line for line in seen):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=0.5))
        children = locust_children(proc.pid)
        assert len(children) == 2, "".join(seen)
        argv = (Path(f"/proc/{children[0]}") / "cmdline").read_bytes().split(b"\0")
        flag = b"--master-bind-port" if b"--master-bind-port" in argv else b"--master-port"
        port = int(argv[argv.index(flag) + 1])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == pytest.ExitCode.INTERRUPTED
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(10)
        proc.stdout.close()
    assert not [p for p in children if alive(p)]
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the master's port is still open"


def test_locust_and_gevent_never_enter_the_pytest_process(pytester: pytest.Pytester) -> None:
    """gevent's monkey-patching, applied late inside pytest, breaks ssl and hangs browsers:
    the plugin and the load suite must leave locust to the child process."""
    pytester.makepyfile(
        checkimports="""
        import sys

        def pytest_sessionfinish(session):
            late = sorted(m for m in ("locust", "gevent") if m in sys.modules)
            print(f"\\nIMPORTED-IN-PYTEST: {late}")
        """
    )
    result = pytester.runpytest_subprocess(
        SUITE,
        "-p",
        "checkimports",
        "--target-env=demo",
        f"--prodready-config={ROOT / 'prodready.toml'}",
        "-s",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["IMPORTED-IN-PYTEST: []"])
