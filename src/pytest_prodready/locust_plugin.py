"""The locust side of pytest-prodready. Imported only inside a locust process, never by pytest.

Importing locust monkey-patches the standard library with gevent, so pytest-prodready runs
locust as a child process (:mod:`pytest_prodready.load.runner`), whose launcher imports this module
before locust reads the locustfile. A locustfile importing :class:`ProdreadyUser` loads it
too, so a plain ``locust -f locustfiles/smoke.py`` run gets the same behaviour:

- ``--prodready-*`` options: SLOs, the results path, the CA bundle, pages, think time;
- one progress line every few seconds on the master (or the only process);
- an ``events.quitting`` listener that computes the figures from locust's own stats objects,
  writes the results JSON and sets the exit code from the SLOs: 0 when every SLO is met,
  even if some requests failed within the error budget; 1 on any breach. Without any SLO
  option the exit code stays locust's own.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
import gevent.ssl  # type: ignore[import-untyped]
import locust
import psutil  # type: ignore[import-untyped]
from locust import FastHttpUser, events
from locust.env import Environment
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, WorkerRunner
from locust.stats import StatsEntry, StatsError, sort_stats

from pytest_prodready import __version__
from pytest_prodready.load.slo import (
    CPU_BOUND_PERCENT,
    DEFAULT_PROGRESS_S,
    PROGRESS_PREFIX,
    RESULTS_VERSION,
    Breach,
    Figures,
    SloSpec,
    Thresholds,
    breach_lines,
    evaluate,
)

__all__ = ["PROGRESS_PREFIX", "ProdreadyUser", "health_paths", "option", "page_paths"]

USER_AGENT = f"pytest-prodready/{__version__} (load; locust {locust.__version__})"
TICK_S = 1.0
# Greenlet loops end on their own: this long after the run time, or after MAX_LIFETIME_S
# for a run without one (the web UI, a plain CLI run without -t).
AFTER_RUN_S = 600.0
MAX_LIFETIME_S = 2 * 3600.0
MAX_REPORTED_ERRORS = 10
logger = logging.getLogger("prodready")


@dataclass
class _RunState:
    """This process's view of the run (each locust process has its own copy)."""

    started_wall: float | None = None
    started_mono: float | None = None
    stopped_mono: float | None = None
    cpu_start_s: float = 0.0
    cpu_percent: float | None = None
    cpu_frozen: bool = False
    peak_users: int = 0
    workers: dict[str, tuple[int, float | None]] = field(default_factory=dict)


_RUN = _RunState()


def option(environment: Environment, name: str, default: Any = None) -> Any:
    """A ``--prodready-*`` option's value (``name`` without the prefix, e.g. ``"pages"``)."""
    parsed = environment.parsed_options
    value = getattr(parsed, f"prodready_{name}", None) if parsed is not None else None
    return default if value is None else value


def _paths(environment: Environment, name: str, default: tuple[str, ...]) -> list[str]:
    text = option(environment, name)
    paths = [p.strip() for p in str(text).split(",") if p.strip()] if text else []
    return paths or list(default)


def page_paths(environment: Environment) -> list[str]:
    """``--prodready-pages /,/login``: the environment's pages (default ``/``)."""
    return _paths(environment, "pages", ("/",))


def health_paths(environment: Environment) -> list[str]:
    """``--prodready-health /api/health``: the health endpoints (default ``/api/health``)."""
    return _paths(environment, "health", ("/api/health",))


class ProdreadyUser(FastHttpUser):
    """FastHttpUser that verifies TLS (with ``--prodready-ca-bundle`` for a private CA), sends
    a pytest-prodready User-Agent, uses the env's timeout and waits ``think_time`` seconds
    (uniform, overridable with ``--prodready-think-time MIN,MAX``) between tasks."""

    abstract = True
    # Locust's default skips certificate checks; a load check must not hide a bad certificate.
    insecure = False
    think_time: tuple[float, float] = (1.0, 3.0)

    def __init__(self, environment: Environment) -> None:
        bundle = option(environment, "ca_bundle")
        if bundle:
            # An instance attribute: a function stored on the class would be bound as a method.
            self.ssl_context_factory = _trusting(str(bundle))
        timeout = option(environment, "timeout")
        if timeout:
            self.network_timeout = self.connection_timeout = float(timeout)
        self.default_headers = {"User-Agent": USER_AGENT, **(self.default_headers or {})}
        super().__init__(environment)

    def wait_time(self) -> float:
        low, high = option(self.environment, "think_time") or self.think_time
        return random.uniform(low, high)


def _trusting(bundle: str) -> Callable[..., Any]:
    def factory(**_: Any) -> Any:
        # geventhttpclient passes its own cafile (certifi); the env's CA replaces it.
        return gevent.ssl.create_default_context(cafile=bundle)

    return factory


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _slo_json(text: str) -> str:
    # Kept as text: locust ships options to workers with msgpack, which takes no objects.
    try:
        SloSpec.from_json(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _think(text: str) -> tuple[float, float]:
    parts = [_non_negative(p) for p in text.split(",")]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or parts[0] > parts[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: write MIN,MAX seconds, e.g. 1,3 (or 0)")
    return parts[0], parts[1]


def _ratio(text: str) -> float:
    value = _non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} is above 1: write a ratio, 0.01 for 1 %")
    return value


def _existing_file(text: str) -> str:
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return text


def _add_arguments(parser: Any, **_: Any) -> None:
    def add(name: str, help: str, **kwargs: Any) -> None:
        parser.add_argument(f"--prodready-{name}", help=help, include_in_web_ui=False, **kwargs)

    add("slo", "All SLOs as JSON (pytest-prodready passes this)", type=_slo_json)
    add("p95-ms", "SLO: 95th-percentile latency of all requests, ms", type=_non_negative)
    add("p99-ms", "SLO: 99th-percentile latency of all requests, ms", type=_non_negative)
    add("error-rate", "SLO: error budget, a ratio (0.01 = 1 %%)", type=_ratio)
    add("min-rps", "SLO: minimum requests/s over the run", type=_non_negative)
    add("results", "Write the figures and breaches here as JSON")
    add("progress", "Seconds between progress lines (0: none)", type=_non_negative)
    add("ca-bundle", "PEM CA bundle to verify the target's certificate", type=_existing_file)
    add("timeout", "Connect and network timeout per request, seconds", type=_non_negative)
    add("pages", "Comma-separated page paths for the smoke mix")
    add("health", "Comma-separated health endpoint paths for the smoke mix")
    add("think-time", "MIN,MAX seconds each user waits between tasks", type=_think)
    add("parent-pid", "Stop when this process is gone (set by pytest-prodready)", type=int)


def _slo(environment: Environment) -> SloSpec | None:
    """The run's SLOs: ``--prodready-slo`` JSON, with any single-threshold flag on top;
    None when no SLO option was given at all (then locust keeps its own exit code)."""
    text = option(environment, "slo")
    spec = SloSpec.from_json(text) if text else None
    flags = {k: option(environment, k) for k in ("p95_ms", "p99_ms", "error_rate", "min_rps")}
    if all(v is None for v in flags.values()):
        return spec
    base = spec or SloSpec()
    merged = {k: v if v is not None else getattr(base.total, k) for k, v in flags.items()}
    return SloSpec(Thresholds(**merged), base.requests)


def _cpu_seconds() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def _cpu_average() -> float | None:
    """This process's CPU use, in % of one core, averaged since the test started."""
    if _RUN.cpu_frozen or _RUN.started_mono is None:
        return _RUN.cpu_percent
    elapsed = time.monotonic() - _RUN.started_mono
    if elapsed < 1.0:
        return None
    return 100.0 * (_cpu_seconds() - _RUN.cpu_start_s) / elapsed


def _on_test_start(environment: Environment, **_: Any) -> None:
    _RUN.started_wall, _RUN.started_mono = time.time(), time.monotonic()
    _RUN.stopped_mono, _RUN.peak_users = None, 0
    _RUN.cpu_start_s, _RUN.cpu_frozen, _RUN.cpu_percent = _cpu_seconds(), False, None


def _on_test_stop(environment: Environment, **_: Any) -> None:
    _RUN.cpu_percent = _cpu_average()
    _RUN.cpu_frozen = True
    _RUN.stopped_mono = time.monotonic()


def _on_spawned(user_count: int, **_: Any) -> None:
    _RUN.peak_users = max(_RUN.peak_users, user_count)


def _report_to_master(client_id: str, data: dict[str, Any], **_: Any) -> None:
    data["prodready"] = {"pid": os.getpid(), "cpu": _cpu_average()}


def _on_worker_report(client_id: str, data: dict[str, Any], **_: Any) -> None:
    info = data.get("prodready")
    if isinstance(info, dict):
        _RUN.workers[client_id] = (int(info.get("pid") or 0), info.get("cpu"))


def _on_init(environment: Environment, runner: Any = None, **_: Any) -> None:
    if runner is None:
        return
    parent = option(environment, "parent_pid")
    ticks = _ticks(environment)
    if parent:
        gevent.spawn(_watch_parent, int(parent), ticks)
    if not isinstance(runner, WorkerRunner):
        gevent.spawn(_progress, environment, ticks)


def _ticks(environment: Environment) -> int:
    # Greenlet loops end on their own, a while after the longest the run can last.
    run_time = getattr(environment.parsed_options, "run_time", None)
    lifetime = float(run_time) + AFTER_RUN_S if run_time else MAX_LIFETIME_S
    return int(lifetime / TICK_S)


def _watch_parent(pid: int, ticks: int) -> None:
    # The harness starts locust in its own session; if the harness dies without stopping
    # it (SIGKILL), locust must not load the target on its own.
    for _ in range(ticks):
        gevent.sleep(TICK_S)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            logger.warning("prodready: the harness (pid %d) is gone; stopping locust", pid)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        except PermissionError:
            continue


def _progress(environment: Environment, ticks: int) -> None:
    interval = float(option(environment, "progress", DEFAULT_PROGRESS_S))
    last_time, last_count = time.monotonic(), 0
    for _ in range(ticks):
        gevent.sleep(TICK_S)
        runner = environment.runner
        if runner is None or runner.state not in (STATE_SPAWNING, STATE_RUNNING):
            continue
        _RUN.peak_users = max(_RUN.peak_users, runner.user_count)
        now = time.monotonic()
        if interval <= 0 or now - last_time < interval or _RUN.started_mono is None:
            continue
        total = environment.stats.total
        # Requests since the previous line: locust's current_rps lags on short runs.
        rps = (total.num_requests - last_count) / (now - last_time)
        last_time, last_count = now, total.num_requests
        p95 = total.get_current_response_time_percentile(0.95)
        if p95 is None:
            p95 = total.get_response_time_percentile(0.95)
        latency = f"p95 {p95:.0f} ms" if total.num_requests else "p95 n/a"
        print(
            f"{PROGRESS_PREFIX} {now - _RUN.started_mono:5.1f} s, {runner.user_count} users, "
            f"{rps:.1f} req/s, {latency}, {total.num_failures} failures "
            f"({total.fail_ratio * 100:.2f} %)",
            flush=True,
        )


def _figures(entry: StatsEntry, duration_s: float) -> Figures:
    timed = entry.num_requests - entry.num_none_requests
    # Over the whole run, like k6's rate: locust's total_rps divides by the span between the
    # first and the last request, which overstates a run whose requests came early.
    rps = entry.num_requests / duration_s if duration_s > 0 else float(entry.total_rps)

    def percentile(p: float) -> float | None:
        return float(entry.get_response_time_percentile(p)) if timed else None

    return Figures(
        method=entry.method or "",
        name=entry.name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        rps=rps,
        avg_ms=round(entry.avg_response_time, 2) if timed else None,
        min_ms=float(entry.min_response_time) if entry.min_response_time is not None else None,
        max_ms=float(entry.max_response_time) if timed else None,
        p50_ms=percentile(0.5),
        p95_ms=percentile(0.95),
        p99_ms=percentile(0.99),
    )


def _errors(environment: Environment) -> list[dict[str, Any]]:
    errors = sorted(environment.stats.errors.values(), key=lambda e: -e.occurrences)
    return [
        {
            "method": e.method,
            "name": e.name,
            "error": StatsError.parse_error(e.error),
            "occurrences": e.occurrences,
        }
        for e in errors[:MAX_REPORTED_ERRORS]
    ]


def _on_quitting(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if runner is None or isinstance(runner, WorkerRunner):
        return
    spec = _slo(environment)
    stats = environment.stats
    duration = _duration()
    total = _figures(stats.total, duration)
    requests = [_figures(entry, duration) for entry in sort_stats(stats.entries)]
    breaches = evaluate(spec or SloSpec(), total, requests)
    master = isinstance(runner, MasterRunner)
    worker_cpu = [cpu for _, cpu in _RUN.workers.values() if cpu is not None]
    cpu = max(worker_cpu, default=None) if master else _cpu_average()
    warned = bool(runner.cpu_warning_emitted or getattr(runner, "worker_cpu_warning_emitted", 0))
    code = (1 if breaches else 0) if spec is not None else None
    results = {
        "version": RESULTS_VERSION,
        "locust": locust.__version__,
        "host": environment.host,
        "started": _RUN.started_wall,
        "duration_s": duration,
        "peak_users": _RUN.peak_users,
        "workers": len(_RUN.workers) if master else 0,
        "cpu_percent": None if cpu is None else round(cpu, 1),
        "cpu_warning": warned,
        "generator_bound": warned or (cpu is not None and cpu > CPU_BOUND_PERCENT),
        "pids": sorted({os.getpid(), *(pid for pid, _ in _RUN.workers.values() if pid)}),
        "total": total.to_json(),
        "requests": [f.to_json() for f in requests],
        "errors": _errors(environment),
        "exceptions": [
            {"count": e["count"], "msg": e["msg"]}
            for e in list(runner.exceptions.values())[:MAX_REPORTED_ERRORS]
        ],
        "slo": json.loads(spec.to_json()) if spec is not None else None,
        "breaches": [_breach_json(b) for b in breaches],
        "exit_code": code,
    }
    path = option(environment, "results")
    if path:
        _write_json(Path(path), results)
    if spec is None:
        return
    _log_verdict(breaches)
    environment.process_exit_code = code


def _duration() -> float:
    if _RUN.started_mono is None:
        return 0.0
    return round((_RUN.stopped_mono or time.monotonic()) - _RUN.started_mono, 3)


def _breach_json(breach: Breach) -> dict[str, Any]:
    return {
        "kind": breach.kind,
        "label": breach.label,
        "measured": breach.measured,
        "limit": breach.limit,
        "message": breach.message,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    # Atomic: the reader never sees half a file.
    partial.replace(path)


def _log_verdict(breaches: list[Breach]) -> None:
    if not breaches:
        logger.info("prodready: every SLO met")
        return
    lines = "\n".join(breach_lines(breaches))
    count = len(breaches)
    logger.error("prodready: %d SLO breach%s:\n%s", count, "es" if count != 1 else "", lines)


# Registered at import: the launcher imports this module before locust parses its options.
LISTENERS: dict[str, Callable[..., None]] = {
    "init_command_line_parser": _add_arguments,
    "test_start": _on_test_start,
    "test_stop": _on_test_stop,
    "spawning_complete": _on_spawned,
    "report_to_master": _report_to_master,
    "worker_report": _on_worker_report,
    "init": _on_init,
    "quitting": _on_quitting,
}
for _event, _listener in LISTENERS.items():
    _hook: Any = getattr(events, _event)  # locust's EventHook is untyped
    _hook.add_listener(_listener)
