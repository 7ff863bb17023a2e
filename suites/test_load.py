"""Load: the environment's locust scenario against its SLOs, judged k6-threshold style.

``[envs.X.load]`` names the locustfile, users, duration and SLOs. Locust runs in a child
process (it patches the standard library with gevent), prints a progress line every few
seconds, and is always stopped at the end. Every SLO is judged once the run is over; any
breach fails the test, each on its own line with the measured figure and the limit.

Load is ``destructive``: on a protected environment it runs only with
``--allow-destructive=<env>`` and within the environment's ``max_users``/``max_duration_s``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.config import Environment
from pytest_prodready.load import runner as load

pytestmark = [pytest.mark.load, pytest.mark.destructive]


@pytest.fixture
def load_result(
    target: Environment,
    pytestconfig: pytest.Config,
    tmp_path_factory: pytest.TempPathFactory,
    gather_once: Callable[[str, Callable[[], load.LoadResult]], load.LoadResult],
) -> load.LoadResult:
    """The environment's load run, once per session."""
    spec = target.load
    if spec is None:
        pytest.skip(f"environment {target.name!r} declares no [envs.{target.name}.load] table")

    def measure() -> load.LoadResult:
        return load.run(
            target,
            spec,
            tmp_path_factory.mktemp("load"),
            cwd=pytestconfig.rootpath,
            progress=load.terminal_progress(pytestconfig),
        )

    try:
        return gather_once("load", measure)
    except load.LoadError as exc:
        pytest.fail(str(exc), pytrace=False)


def test_load_meets_slos(
    load_result: load.LoadResult,
    target: Environment,
    request: pytest.FixtureRequest,
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    result = load_result
    total = result.total
    figures: dict[str, object] = {
        "load_requests": total.requests,
        "load_failures": total.failures,
        "load_error_rate": round(total.error_rate, 6),
        "load_rps": round(total.rps, 2),
        "load_p95_ms": total.p95_ms,
        "load_p99_ms": total.p99_ms,
        "load_peak_users": result.peak_users,
        "load_duration_s": round(result.duration_s, 2),
        # The run's deliberate waits, for benchmarks/nightly.py: this one runs alone (traffic
        # of other checks would blur its latencies, and its load theirs).
        "wait_s": round(result.duration_s, 2),
        "load_cpu_percent": result.cpu_percent,
        "load_pids": " ".join(map(str, result.pids)),
    }
    for name, value in figures.items():
        record_figure(name, value)
    print(result.summary())
    if request.config.pluginmanager.has_plugin("html"):
        from pytest_html import extras as html_extras

        request.getfixturevalue("extras").append(html_extras.html(result.html()))
    assert_no_findings(load.findings(result, target.base_url))
    if result.exceptions:
        pytest.fail(
            "the locustfile raised exceptions during the run (its figures are incomplete):\n"
            + "\n".join(f"- {e}" for e in result.exceptions),
            pytrace=False,
        )
