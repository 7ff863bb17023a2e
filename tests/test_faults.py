"""Reliability under faults and bad input (issue 10), proved against a misbehaving server.

Each fault of :mod:`tests.faults.catalogue` is faced by the suites in a child ``python -m
pytest`` (env ``timeout_s`` = 1 s) under a hard watchdog; :func:`tests.faults.harness.judge`
lists what is wrong with how the run reported it. Then: bodies and their decompression are
capped (peak RSS of the child), SIGINT leaves no process or port, and every malformed
configuration is refused in one paragraph.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.faults import harness
from tests.faults.catalogue import FAULTS, HTTP_SUITES, Fault, by_name
from tests.faults.configs import BAD_CONFIGS, BadConfig, judge_usage_error, write_case
from tests.faults.conftest import fault_server  # noqa: F401 - a fixture, see tests/faults
from tests.faults.procs import accepts_connections, alive, descendants, listening_ports
from tests.faults.server import FaultServer

# Child runs mostly import plugins or wait out timeouts: three at a time on two cores cut this
# file's wall time by more than half without slowing any run past its margin.
PARALLEL_RUNS = 3


class FaultRuns:
    """Fault runs in a small thread pool, each started at most once; ``outcome`` waits."""

    def __init__(self, server: FaultServer, workdir: Path, workers: int) -> None:
        self._server = server
        self._workdir = workdir
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="fault-run")
        # Taken now: in-process pytester runs patch os.environ while these run in threads.
        self._env = harness.child_env()
        self._futures: dict[str, Future[harness.Outcome]] = {}
        self._lock = threading.Lock()

    def submit(self, fault: Fault) -> Future[harness.Outcome]:
        with self._lock:
            if fault.name not in self._futures:
                workdir = self._workdir / fault.name
                self._futures[fault.name] = self._pool.submit(
                    harness.run, self._server, fault, workdir, self._env
                )
            return self._futures[fault.name]

    def outcome(self, fault: Fault) -> harness.Outcome:
        return self.submit(fault).result()

    def close(self) -> None:
        # Runs under way finish (each is bounded by its watchdog); queued ones are dropped.
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def fault_runs(
    fault_server: FaultServer,  # noqa: F811 - the imported fixture
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[FaultRuns]:
    """Runs the selected faults ahead of the tests that judge them (on demand, one at a
    time, under xdist: a worker does not know which of the tests it will get)."""
    xdist = hasattr(request.config, "workerinput")
    runs = FaultRuns(
        fault_server, tmp_path_factory.mktemp("fault-runs"), 1 if xdist else PARALLEL_RUNS
    )
    if not xdist:
        for item in request.session.items:
            callspec = getattr(item, "callspec", None)
            if getattr(item, "originalname", None) == "test_fault_is_reported_cleanly" and callspec:
                runs.submit(callspec.params["fault"])
    yield runs
    runs.close()


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_fault_is_reported_cleanly(fault: Fault, fault_runs: FaultRuns) -> None:
    """The suites facing ``fault`` finish within their requests' timeouts; every failure is
    one line (or a findings list), without a stack dump; the fault is named; every test of
    the session reports."""
    outcome = fault_runs.outcome(fault)
    if outcome.problems:
        pytest.fail(outcome.report(), pytrace=False)


BODY_CAP_MB = 1
# With max_body_mb = 1 a run holds a few capped bodies (cached pages, the copies made while
# reading them): about 7 MB above a run against a healthy target. A 50 MB body kept whole, or
# a gzip bomb inflated a whole network read at a time, is far above.
MEMORY_SLACK_MB = 16
HEALTHY = Fault("ok", "a healthy target", suites=HTTP_SUITES)


def _capped_run(server: FaultServer, fault: Fault, workdir: Path) -> harness.Launch:
    the_plan = harness.plan(server, fault, workdir, max_body_mb=BODY_CAP_MB)
    return harness.launch(the_plan.args, cwd=workdir, watchdog_s=the_plan.watchdog_s)


@pytest.fixture(scope="module")
def healthy_rss_mb(
    fault_server: FaultServer,  # noqa: F811 - the imported fixture
    tmp_path_factory: pytest.TempPathFactory,
) -> float:
    """Peak RSS of the same suites against a healthy target: the baseline."""
    result = _capped_run(fault_server, HEALTHY, tmp_path_factory.mktemp("healthy"))
    assert result.ret == 0, result.output[-3000:]
    assert result.max_rss_mb is not None
    return result.max_rss_mb


@pytest.mark.parametrize("name", ["huge-body", "endless-chunked", "gzip-bomb"])
def test_body_is_read_up_to_the_cap(
    name: str,
    fault_server: FaultServer,  # noqa: F811 - the imported fixture
    healthy_rss_mb: float,
    tmp_path: Path,
) -> None:
    """A 50 MB body, an endless stream and a gzip bomb cost a run no more memory than a few
    capped bodies: reading (and decompression) stop at ``max_body_mb``."""
    result = _capped_run(fault_server, by_name(name), tmp_path)
    assert result.ret in (0, 1), f"the run did not finish: exit {result.ret}\n{result.output}"
    assert result.max_rss_mb is not None
    grown = result.max_rss_mb - healthy_rss_mb
    if grown > MEMORY_SLACK_MB:
        pytest.fail(
            f"{name}: the run peaked at {result.max_rss_mb:.0f} MB RSS, {grown:.0f} MB above "
            f"the same suites against a healthy target ({healthy_rss_mb:.0f} MB), with "
            f"max_body_mb = {BODY_CAP_MB}: more than {MEMORY_SLACK_MB} MB means a body, or "
            "its decompression, was not stopped at the cap",
            pytrace=False,
        )


# As a user's project runs it: this repository's own ini turns every warning into an error,
# and a Ctrl-C landing inside another plugin's old-style hookwrapper warns (pluggy), which that
# setting would turn into an INTERNALERROR no user sees.
SMOKE_DEMO = (
    *(sys.executable, "-m", "pytest", "suites", "-m", "smoke", "--target-env", "demo"),
    *("-o", "filterwarnings="),
)
SIGINT_ATTEMPTS = 3
DEMO_START_S = 60.0
EXIT_AFTER_SIGINT_S = 30.0
SERVED_AT = re.compile(r"prodready: embedded demo target served at https://127\.0\.0\.1:(\d+)")


def _wait_for_first_request(proc: subprocess.Popen[bytes], log: Path) -> bool:
    """Until the demo has logged a request (it serves, tests run), or the run ended."""
    deadline = time.monotonic() + DEMO_START_S
    while time.monotonic() < deadline and proc.poll() is None:
        if log.exists() and log.stat().st_size > 0:
            return True
        time.sleep(0.005)
    return False


def test_sigint_leaves_no_process_or_port(tmp_path: Path) -> None:
    """Ctrl-C in the middle of ``pytest suites -m smoke --target-env demo``: the run stops,
    and no process it started and no port it listened on survives.

    The demo's ports are found by the PIDs of the run and its children (psutil, else
    /proc/PID/fd matched against /proc/net/tcp) as soon as the demo has logged its first request
    (PRODREADY_DEMO_LOG), and checked against the "served at" line the run prints on its way
    out. The signal goes to the pytest process alone (as a CI runner cancelling a job sends it),
    not its process group, so the run itself must stop what it started.
    """
    for attempt in range(SIGINT_ATTEMPTS):
        log = tmp_path / f"requests-{attempt}.jsonl"
        output = tmp_path / f"output-{attempt}.txt"
        with output.open("wb") as out:
            proc = subprocess.Popen(
                [*SMOKE_DEMO, "-p", "no:cacheprovider"],
                cwd=harness.ROOT,
                env=harness.child_env({"PRODREADY_DEMO_LOG": str(log)}),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                serving = _wait_for_first_request(proc, log)
                # The demo serves from a child process: its listeners are the child's.
                children = descendants(proc.pid)
                ports = set().union(*(listening_ports(p) for p in (proc.pid, *children)))
                if serving:
                    os.kill(proc.pid, signal.SIGINT)
                ret = proc.wait(timeout=EXIT_AFTER_SIGINT_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                pytest.fail(
                    f"the run did not exit within {EXIT_AFTER_SIGINT_S:g} s of SIGINT",
                    pytrace=False,
                )
        text = output.read_text(errors="replace")
        # A signal that lands while a finalizer runs (a response stream closed by the garbage
        # collector) is swallowed by Python and printed as unraisable: the run goes on to its
        # end, as any Python program would.
        swallowed = ret == pytest.ExitCode.OK and "PytestUnraisableExceptionWarning" in text
        if not serving or "KeyboardInterrupt" not in text or swallowed:
            continue  # the signal did not land mid-run: try again
        assert ret == pytest.ExitCode.INTERRUPTED, text[-3000:]
        assert len(ports) >= 2, f"the demo's two listeners were not found by PID: {ports}"
        served = SERVED_AT.search(text)
        if served:
            assert int(served.group(1)) in ports, (served.group(0), ports)
        left_ports = sorted(port for port in ports if accepts_connections(port))
        left_children = sorted(pid for pid in children if alive(pid))
        assert not left_ports, f"ports still accepting connections after SIGINT: {left_ports}"
        assert not left_children, f"child processes alive after SIGINT: {left_children}"
        assert not alive(proc.pid)
        return
    pytest.fail(
        f"no attempt out of {SIGINT_ATTEMPTS} could interrupt the run mid-way", pytrace=False
    )


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[case.name for case in BAD_CONFIGS])
def test_bad_config_is_refused_in_one_paragraph(case: BadConfig, pytester: pytest.Pytester) -> None:
    """Each malformed configuration stops the run before any test with one
    ``ERROR: prodready: ...`` line naming the file and the key: exit code 4, no traceback."""
    path = write_case(case, pytester.path / "config")
    result = pytester.runpytest(
        "--collect-only", "--prodready-config", str(path), "--target-env", case.env
    )
    problems = judge_usage_error(case, path, result.ret, result.stdout.str(), result.stderr.str())
    if problems:
        pytest.fail(f"{case.name}: " + "; ".join(problems), pytrace=False)
