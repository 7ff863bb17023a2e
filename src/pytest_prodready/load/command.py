"""The locust command lines of a load run: one process, ``--processes N``, or a master on
127.0.0.1 with local workers; plus the checks that run before any load is sent.

The child is ``python -c <launcher>``: locust's own ``main`` with
:mod:`pytest_prodready.locust_plugin` imported first, so the plugin's options and listeners
exist whatever the locustfile imports. Nothing here imports locust.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_prodready.config import Environment
from pytest_prodready.config.load import LoadSpec, Slo
from pytest_prodready.load.process import free_port
from pytest_prodready.load.slo import DEFAULT_PROGRESS_S, SloSpec, Thresholds

__all__ = [
    "FINISH_S",
    "LAUNCHER",
    "STARTUP_S",
    "LoadError",
    "check_caps",
    "commands",
    "describe_mode",
    "run_time_s",
    "slo_of",
]

# Startup (imports, workers connecting) and shutdown, on top of the run time, before the
# harness stops a locust that did not stop itself.
STARTUP_S = 30.0
FINISH_S = 20.0
LAUNCHER = (
    "import sys; sys.argv[0] = 'locust'; import locust.main; "
    "import pytest_prodready.locust_plugin; locust.main.main()"
)


class LoadError(RuntimeError):
    """No load was sent (refused before starting) or the run produced no figures (locust
    failed to start, crashed, or had to be stopped)."""


def slo_of(spec: LoadSpec) -> SloSpec:
    """The config's SLOs in the form the locust child and :func:`evaluate` take."""

    def thresholds(slo: Slo) -> Thresholds:
        return Thresholds(slo.p95_ms, slo.p99_ms, slo.error_rate, slo.min_rps)

    return SloSpec(thresholds(spec.slo), {k: thresholds(v) for k, v in spec.requests.items()})


def run_time_s(spec: LoadSpec) -> int:
    """The run time locust gets: whole seconds (0 would mean "run forever"), within caps."""
    seconds = max(1, math.ceil(spec.duration_s))
    if spec.max_duration_s is not None:
        if spec.max_duration_s < 1:
            raise LoadError(
                f"prodready load: max_duration_s = {spec.max_duration_s:g} is below the "
                "1 s locust can run; raise it or remove the load table."
            )
        seconds = min(seconds, math.floor(spec.max_duration_s))
    return seconds


def check_caps(env: Environment, spec: LoadSpec) -> None:
    """LoadError unless a protected env declares caps and ``users`` is within them.

    The config refuses these at startup; checked again where the load is generated.
    """
    if env.protected and (spec.max_users is None or spec.max_duration_s is None):
        raise LoadError(
            f"prodready load: environment {env.name!r} is protected and declares no "
            "max_users / max_duration_s; no load was sent."
        )
    if spec.max_users is not None and spec.users > spec.max_users:
        raise LoadError(
            f"prodready load: users = {spec.users} is above max_users = {spec.max_users} "
            f"on {env.name!r}; no load was sent."
        )


def commands(
    env: Environment,
    spec: LoadSpec,
    workdir: Path,
    *,
    progress_s: float = DEFAULT_PROGRESS_S,
    extra_args: Sequence[str] = (),
) -> list[list[str]]:
    """The locust command lines: the one that ends the run first, then local workers."""
    assert env.base_url is not None
    shared = [sys.executable, "-c", LAUNCHER, "-f", str(spec.locustfile)]
    shared += ["--prodready-parent-pid", str(os.getpid()), "--prodready-timeout"]
    shared += [f"{env.timeout_s:g}"]
    if env.ca_bundle is not None:
        shared += ["--prodready-ca-bundle", str(env.ca_bundle)]
    shared += ["--prodready-pages", ",".join(env.page_paths)]
    shared += ["--prodready-health", ",".join(h.path for h in env.health)]
    main = [*shared, "--headless", "--host", env.base_url, "--users", str(spec.users)]
    main += ["--spawn-rate", f"{spec.spawn_rate or spec.users:g}"]
    main += ["--run-time", f"{run_time_s(spec)}s", "--only-summary"]
    main += ["--csv", str(workdir / "locust"), "--csv-full-history"]
    main += ["--prodready-results", str(workdir / "results.json")]
    main += ["--prodready-slo", slo_of(spec).to_json(), "--prodready-progress"]
    main += [f"{progress_s:g}", *extra_args]
    if spec.workers == 0 and spec.processes == 1:
        return [main]
    # The master listens on loopback only, on a port of its own (locust's default is
    # every interface, port 5557, which parallel runs would fight over).
    port = str(free_port())
    if spec.workers == 0:
        main += ["--processes", str(spec.processes), "--master-bind-host", "127.0.0.1"]
        return [[*main, "--master-bind-port", port, "--master-port", port]]
    main += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port]
    main += ["--expect-workers", str(spec.workers * spec.processes)]
    main += ["--expect-workers-max-wait", f"{STARTUP_S:g}"]
    worker = [*shared, "--worker", "--master-host", "127.0.0.1", "--master-port", port]
    if spec.processes > 1:
        worker += ["--processes", str(spec.processes)]
    return [main, *([*worker, *extra_args] for _ in range(spec.workers))]


def describe_mode(spec: LoadSpec) -> str:
    """``one process``, ``4 processes`` or ``master + 2 workers``, for the start line."""
    if spec.workers:
        return f"master + {spec.workers} worker{'s' if spec.workers > 1 else ''}"
    if spec.processes > 1:
        return f"{spec.processes} processes"
    return "one process"
