"""The field test bed's FastAPI stack: the shipped suites against a real FastAPI service.

The service (``tests/field/fastapi_app``) is served by uvicorn with TLS on 127.0.0.1: its own
generated OpenAPI document, slowapi on the login route, Starlette's CORS middleware, security
headers from a middleware, and health and version endpoints. The good deployment must raise no
failing finding and fail no test; the misconfigured one must fail on every id of the ledger.
Each variant is one run of the suites with ``-m "not load"`` (rate limits, contracts and the
browser suites included), in its own fixture, so ``pytest -n 2`` can put them on either worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.field.bed import Ledger, Run, false_alarms, misses, run_suites, without_defects
from tests.field.fastapi_stack import Stack, serve, target_of

MARKS = "not load"
# Each variant's run measured 22-48 s (idle machine to a loaded `-n 2` run); the watchdog
# only stops a hang.
WATCHDOG_S = 300.0

LEDGER = Ledger(
    stack="FastAPI + uvicorn",
    misconfigured={
        "security": frozenset(
            {
                "hsts.max-age-too-short",  # Strict-Transport-Security: max-age=86400
                "hsts.no-include-subdomains",
                "csp.missing",  # no Content-Security-Policy on the page or the API
                "xfo.missing",  # nor X-Frame-Options / frame-ancestors on the page
                "permissions-policy.missing",
                "compression.missing",  # no GZipMiddleware
                "cors.credentialed-reflection",  # allow_origins=["*"], allow_credentials=True
                "cors.null-origin",
                "redirect.missing",  # the API also served on plain HTTP
            }
        ),
        "health": frozenset(
            {
                "health.component-unhealthy",  # the cache check reports down, status degraded
                "health.cacheable",  # no Cache-Control on the health answers
                "release.unreadable",  # APP_VERSION unset: {"version": null}
                "endpoint.unguarded",  # CRON_SECRET unset: the cron route lets anyone in
            }
        ),
        "rate limits": frozenset({"ratelimit.not-enforced"}),  # slowapi enabled=False
        "contracts": frozenset(
            {
                "contract.schema-violation",  # raw rows bypass response_model
                "contract.server-error",  # KeyError for an unknown item id
                "contract.undocumented-status",  # 401 (and 404, 400) never documented
                "leak.stack-trace",  # FastAPI(debug=True): the 500's body is a traceback
            }
        ),
    },
)

# Findings on the good deployment that are the tool's mistake, not the service's:
# id -> why the check judges wrongly (the good-variant test subtracts them).
TOOL_DEFECTS: dict[str, str] = {}
# Ids the misconfigured deployment deserves but the tool does not raise: id -> what it misses.
TOOL_MISSES: dict[str, str] = {}


@pytest.fixture
def good_stack(tmp_path: Path) -> Iterator[Stack]:
    with serve("good", tmp_path / "stack") as stack:
        yield stack


@pytest.fixture
def misconfigured_stack(tmp_path: Path) -> Iterator[Stack]:
    with serve("misconfigured", tmp_path / "stack") as stack:
        yield stack


def _run(stack: Stack, workdir: Path, record: Callable[[str, object], None]) -> Run:
    started = time.monotonic()
    run = run_suites(target_of(stack), workdir, marks=MARKS, watchdog_s=WATCHDOG_S)
    seconds = round(time.monotonic() - started, 1)
    record("suite_run_s", seconds)
    record("fired", sorted(run.fired))
    record("below_threshold", sorted(run.below))
    print(f"{stack.variant}: suites ran {seconds} s; {run.explain()}")
    return run


def test_good_deployment_raises_no_false_alarm(
    good_stack: Stack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    workdir = tmp_path / "suites"
    run = _run(good_stack, workdir, record_property)
    assert false_alarms(without_defects(run, workdir, TOOL_DEFECTS)) == [], (
        f"{run.explain()}\n{good_stack.log_tail()}"
    )
    # A defect entry that no longer fires is stale: the tool was fixed, drop the entry.
    assert set(TOOL_DEFECTS) <= run.fired, run.explain()


def test_misconfigured_deployment_fails_on_every_ledger_id(
    misconfigured_stack: Stack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    run = _run(misconfigured_stack, tmp_path / "suites", record_property)
    assert misses(run, LEDGER.expected - set(TOOL_MISSES)) == [], run.explain()
    # A miss entry the tool now catches is stale: move the id into the ledger.
    assert not set(TOOL_MISSES) & run.fired, run.explain()
