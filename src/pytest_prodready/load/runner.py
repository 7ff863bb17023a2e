"""Load: run locust headless in a child process, read its figures back, judge the SLOs.

Importing locust monkey-patches the standard library with gevent (measured: a RecursionError
in ssl, a hang with a Playwright page open), so nothing here imports it. :func:`run` starts
the command lines of :mod:`~pytest_prodready.load.command` under
:mod:`~pytest_prodready.load.process`; :mod:`pytest_prodready.locust_plugin`, inside the
child, writes a results JSON from locust's stats objects, and locust's CSV history feeds the
chart. The SLOs are judged k6-style once the run has ended.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_prodready.config import Environment
from pytest_prodready.config.load import LoadSpec
from pytest_prodready.core.findings import Finding, Rule, Severity, rule
from pytest_prodready.load.command import (
    FINISH_S,
    STARTUP_S,
    LoadError,
    check_caps,
    commands,
    describe_mode,
    run_time_s,
    slo_of,
)
from pytest_prodready.load.process import alive, supervise
from pytest_prodready.load.report import HistoryPoint, read_history, report_html
from pytest_prodready.load.slo import (
    AGGREGATED,
    DEFAULT_PROGRESS_S,
    PROGRESS_PREFIX,
    Breach,
    Figures,
    SloSpec,
    evaluate,
)

if TYPE_CHECKING:
    import pytest

__all__ = [
    "LoadError",
    "LoadResult",
    "commands",
    "findings",
    "run",
    "slo_of",
    "terminal_progress",
]

P95 = rule(
    "load.p95",
    Severity.HIGH,
    "95th-percentile latency under load is above its SLO",
    "Profile the slowest requests under this load (queries, locks, pool sizes, upstream "
    "calls) or add capacity; the chart shows whether latency grew with the users.",
)
P99 = rule(
    "load.p99",
    Severity.MEDIUM,
    "99th-percentile latency under load is above its SLO",
    "Look for tail causes: cold caches, GC or event-loop pauses, retries and timeouts to "
    "slow dependencies, a single saturated instance behind the load balancer.",
)
ERROR_RATE = rule(
    "load.error-rate",
    Severity.HIGH,
    "Requests failed under load beyond the error budget",
    "Read the failures listed with the test: 5xx and timeouts under load point at "
    "exhausted connection pools, worker limits, rate limiting of the generator, or crashes.",
)
THROUGHPUT = rule(
    "load.throughput",
    Severity.MEDIUM,
    "Throughput under load is below the required minimum",
    "Check whether the target or the generator is the bottleneck (see load.generator-bound); "
    "scale the target, or lower think time / raise users if the test itself is too light.",
)
NO_REQUESTS = rule(
    "load.no-requests",
    Severity.HIGH,
    "The load run made no requests, or none of a request that has an SLO",
    "Check the locustfile's tasks and request names against [envs.X.load.requests] keys "
    '("GET /api/items" or a bare name), and that the target is reachable.',
)
GENERATOR_BOUND = rule(
    "load.generator-bound",
    Severity.INFO,
    "The load generator's CPU was above 90 %: the figures are generator-bound",
    "Spread the load: processes = N (one per core), or locust workers on more machines; "
    "the measured latency and throughput are the generator's limits, not the target's.",
)
_RULES: dict[str, Rule] = {
    "p95": P95,
    "p99": P99,
    "error-rate": ERROR_RATE,
    "throughput": THROUGHPUT,
    "no-requests": NO_REQUESTS,
}


@dataclass(frozen=True)
class LoadResult:
    """What a run measured and how it compares with its SLOs."""

    total: Figures
    requests: tuple[Figures, ...]
    breaches: tuple[Breach, ...]
    slo: SloSpec
    users: int
    peak_users: int
    duration_s: float
    cpu_percent: float | None
    generator_bound: bool
    workers: int
    pids: tuple[int, ...]
    errors: tuple[str, ...]
    exceptions: tuple[str, ...]
    history: tuple[HistoryPoint, ...]

    def headline(self) -> str:
        """``10 users, 10.0 s: 812.3 req/s, p95 12 ms, p99 30 ms, errors 0.12 % (1 of 812)``."""
        t = self.total
        cpu = "" if self.cpu_percent is None else f"; generator CPU {self.cpu_percent:.0f} %"
        return (
            f"{self.peak_users} users, {self.duration_s:.1f} s: {t.rps:.1f} req/s, "
            f"p95 {_ms(t.p95_ms)}, p99 {_ms(t.p99_ms)}, errors {t.error_rate * 100:.2f} % "
            f"({t.failures} of {t.requests}){cpu}"
        )

    def summary(self) -> str:
        """The headline, one line per request name, then failures and exceptions."""
        lines = [f"load: {self.headline()}"]
        lines += [
            f"  {f.label}: {f.requests} requests, {f.rps:.1f} req/s, p50 {_ms(f.p50_ms)}, "
            f"p95 {_ms(f.p95_ms)}, p99 {_ms(f.p99_ms)}, errors {f.error_rate * 100:.2f} %"
            for f in self.requests
        ]
        lines += [f"  failure: {e}" for e in self.errors]
        lines += [f"  locustfile exception: {e}" for e in self.exceptions]
        return "\n".join(lines)

    def html(self) -> str:
        """The report extra: headline, rps/p95 chart, per-request table, breaches."""
        return report_html(
            self.headline(),
            self.history,
            self.total,
            self.requests,
            self.breaches,
            self.slo.total.p95_ms,
        )


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def run(
    env: Environment,
    spec: LoadSpec,
    workdir: Path,
    *,
    cwd: Path | None = None,
    progress: Callable[[str], None] = lambda line: None,
    progress_s: float | None = None,
    extra_args: Sequence[str] = (),
) -> LoadResult:
    """Run ``spec`` against ``env`` and return what locust measured, judged against the
    SLOs. Progress lines come every ``progress_s`` seconds (default: a quarter of the run,
    1 to 5 s). Raises :class:`LoadError` when the run produced no figures; re-raises an
    interrupt after every locust process is stopped."""
    if env.base_url is None:
        raise LoadError(f"prodready load: environment {env.name!r} has no base_url to load.")
    check_caps(env, spec)
    workdir.mkdir(parents=True, exist_ok=True)
    if progress_s is None:
        progress_s = min(DEFAULT_PROGRESS_S, max(1.0, run_time_s(spec) / 4))
    argv = commands(env, spec, workdir, progress_s=progress_s, extra_args=extra_args)
    mode = describe_mode(spec)
    progress(
        f"{PROGRESS_PREFIX} {spec.locustfile.name}: {spec.users} users for "
        f"{run_time_s(spec)} s against {env.base_url} ({mode})"
    )
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    outcome = supervise(
        argv,
        env=child_env,
        cwd=cwd or Path.cwd(),
        deadline_s=STARTUP_S + run_time_s(spec) + FINISH_S,
        progress=progress,
        progress_prefix=PROGRESS_PREFIX,
    )
    data = _read_results(workdir / "results.json")
    pids = tuple(sorted({*outcome.pids, *(int(p) for p in (data or {}).get("pids", []))}))
    left = [p for p in pids if alive(p)]
    if left:
        progress(f"{PROGRESS_PREFIX} locust processes STILL RUNNING: {', '.join(map(str, left))}")
        raise LoadError(f"prodready load: locust processes {left} did not stop; stop them.")
    progress(f"{PROGRESS_PREFIX} locust processes {', '.join(map(str, pids))} ended")
    last = "\n".join(outcome.tail[-15:]) or "(no output)"
    if outcome.timed_out:
        raise LoadError(
            f"prodready load: locust did not finish within {STARTUP_S + FINISH_S:g} s after "
            f"its {run_time_s(spec)} s run and was stopped. Last output:\n{last}"
        )
    if data is None:
        raise LoadError(
            f"prodready load: locust exited (code {outcome.returncode}) without results; "
            f"the locustfile or its options are likely wrong. Last output:\n{last}"
        )
    return _result(data, spec, pids, workdir / "locust_stats_history.csv")


def _read_results(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _result(
    data: dict[str, Any], spec: LoadSpec, pids: tuple[int, ...], history: Path
) -> LoadResult:
    try:
        total = Figures.from_json(data["total"])
        requests = tuple(Figures.from_json(r) for r in data["requests"])
        errors = tuple(
            f"{e['occurrences']}x {e['method']} {e['name']}: {e['error']}" for e in data["errors"]
        )
        exceptions = tuple(f"{e['count']}x {e['msg']}" for e in data["exceptions"])
        cpu = data.get("cpu_percent")
        slo = slo_of(spec)
        return LoadResult(
            total=total,
            requests=requests,
            breaches=tuple(evaluate(slo, total, requests)),
            slo=slo,
            users=spec.users,
            peak_users=int(data["peak_users"]),
            duration_s=float(data["duration_s"]),
            cpu_percent=None if cpu is None else float(cpu),
            generator_bound=bool(data["generator_bound"]),
            workers=int(data["workers"]),
            pids=pids,
            errors=errors,
            exceptions=exceptions,
            history=read_history(history),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LoadError(
            f"prodready load: the results JSON is malformed ({exc!r}); was it written by "
            "another version of pytest_prodready.locust_plugin?"
        ) from None


def findings(result: LoadResult, base_url: str | None = None) -> list[Finding]:
    """One finding per SLO breach, and an info finding when the generator was CPU-bound."""
    found = []
    for breach in result.breaches:
        name = breach.label.partition(" ")[2] if breach.label != AGGREGATED else ""
        url = f"{base_url}{name}" if base_url and name.startswith("/") else None
        found.append(_RULES[breach.kind](breach.message, url=url))
    if result.generator_bound:
        cpu = "above 90 %" if result.cpu_percent is None else f"{result.cpu_percent:.0f} %"
        found.append(
            GENERATOR_BOUND(
                f"locust CPU {cpu} at {result.total.rps:.1f} req/s: the figures measure "
                "the generator as much as the target"
            )
        )
    return found


def terminal_progress(config: pytest.Config) -> Callable[[str], None]:
    """Write progress lines to the terminal as they come, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None:
            return
        if capture is None:
            reporter.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)

    return write
