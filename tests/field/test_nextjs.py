"""Field test bed: the shipped suites against a real Next.js production build.

``next build`` once (App Router, ``src/proxy.js`` with a per-request nonce CSP, route handlers
with an in-memory limiter), then ``next start`` behind nginx (TLS from a private CA) in two
variants of the same build: the good one must raise nothing, the misconfigured one every id
of :data:`LEDGER`. See ``tests/field/nextjs_stack.py`` for the build cache and the launch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_prodready.browser.launch import find_chromium
from tests.field.bed import Ledger, Run, Target, false_alarms, misses, run_suites, without_defects
from tests.field.nextjs_stack import (
    RELEASE,
    USERNAME,
    BuildReport,
    Deployment,
    deployment,
    ready_build,
    variant_marker,
)

MARKS = "not load"
# Each variant's run takes 30-60 s on two cores (more under -n 2); the watchdog bounds a hang.
WATCHDOG_S = 240.0
PASSWORD_VAR = "FIELD_NEXTJS_PASSWORD"

LEDGER = Ledger(
    stack="Next.js production build",
    misconfigured={
        # Seed 003's CSP from the proxy, seed 001's CORS with the origin reflected, and an
        # nginx with TLS 1.0/1.1, server_tokens, a second HSTS header, the deploy directory
        # as its root (.env) and plain HTTP proxied; next.config.js poweredByHeader left on.
        # Seed 003's CSP also lacks base-uri and frame-ancestors: both are info, rightly (no
        # nonce for a <base> to steal; X-Frame-Options: DENY already forbids framing).
        "security": frozenset(
            {
                "csp.script-unsafe-inline",
                "csp.object-src-missing",
                "csp.strict-dynamic-missing",
                "csp.form-action-missing",
                "csp.style-unsafe-inline",
                "cors.credentialed-reflection",
                "cors.null-origin",
                "tls.protocol-outdated",
                "redirect.missing",
                "leak.server-version",
                "leak.powered-by",
                "hsts.multiple",
                "exposure.dotenv",
            }
        ),
        # Database down in the detailed health, the health check cacheable by a CDN, the
        # previous release still running, /dashboard missing from the proxy's route list,
        # and the cron route's guard off without CRON_SECRET.
        "health": frozenset(
            {
                "health.component-unhealthy",
                "health.cacheable",
                "release.mismatch",
                "page.protected-exposed",
                "endpoint.unguarded",
            }
        ),
        # The login route never calls the limiter; the API's limiter refuses with a bare 429
        # and advertises seed 001's 100 where it enforces 10.
        "rate limits": frozenset(
            {
                "ratelimit.not-enforced",
                "ratelimit.no-retry-after",
                "ratelimit.headers-inconsistent",
            }
        ),
        # A bare session cookie, a logout that keeps it, an unprotected dashboard.
        "flows": frozenset(
            {
                "flow.protected-not-redirected",
                "flow.logout-kept-session",
                "cookie.session-no-secure",
                "cookie.session-no-httponly",
                "cookie.csrf-no-samesite",
            }
        ),
    },
)

# Findings on the good variant that are the tool's error, not the app's: id -> why.
TOOL_DEFECTS: dict[str, str] = {}
# Misconfigurations of the bad variant the tool should report and does not: id -> what.
TOOL_MISSES: dict[str, str] = {}


def target_of(live: Deployment) -> Target:
    env_toml = f"""
http_url = "{live.http_url}"
ca_bundle = "{live.ca_bundle}"
pages = ["/", "/login", "/api/health"]
protected_pages = ["/dashboard"]
login_path = "/login"
release = {{ path = "/api/version", field = "version", expect = "{RELEASE}" }}
secrets = {{ login_password = "{PASSWORD_VAR}" }}
# Total Blocking Time on a bed that shares two cores: see test_nextjs_page_quality.py.
vitals = {{ tbt_ms = 500 }}

[[envs.field.health.endpoints]]
path = "/api/health"
json = {{ status = "ok" }}
max_latency_ms = 500

[[envs.field.health.endpoints]]
path = "/api/health/detailed"
components_ok = ["operational", "ok"]

[[envs.field.guarded_endpoints]]
path = "/api/cron/cleanup"
method = "GET"

[[envs.field.rate_limits]]
name = "login"
path = "/api/auth/login"
method = "POST"
json = {{ email = "{USERNAME}", password = "wrong" }}
limit = 5
window_s = 3

[[envs.field.rate_limits]]
name = "api"
path = "/api/items"
method = "GET"
limit = 10
window_s = 3

[envs.field.flows.login]
path = "/login"
username = "{USERNAME}"
password_secret = "login_password"
success_url = "/dashboard"
success_selector = "#welcome"
logout_selector = "#logout-submit"
session_cookie = "session"
"""
    return Target(base_url=live.base_url, env_toml=env_toml, secrets={PASSWORD_VAR: live.password})


@pytest.fixture(scope="session")
def nextjs_build() -> BuildReport:
    """The production build, made once per machine (reused across sessions and workers)."""
    return ready_build()


def _live(variant: str, tmp_path: Path) -> Iterator[Deployment]:
    # The flows group needs a browser. The child run sees no PRODREADY_* variables
    # (bed.run_suites drops them), so it auto-detects one the same way as this.
    chromium = find_chromium(None, "", {})
    if not chromium.found:
        pytest.skip(chromium.problem or "no Chromium for the browser suites")
    with deployment(variant, tmp_path / variant) as live:
        # One build serves both: the variant must show in what this process answers.
        expected = "down" if variant == "misconfigured" else "operational"
        database = variant_marker(live.base_url, live.ca_bundle).get("database")
        assert database == expected, f"{variant}: database {database!r}, not read at run time?"
        yield live


# One fixture per variant: under xdist each test starts only the deployment it judges. Both
# need the build first (nextjs_build), then start their own `next start` from it.
@pytest.fixture
def good_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    yield from _live("good", tmp_path)


@pytest.fixture
def misconfigured_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    yield from _live("misconfigured", tmp_path)


def _run(
    live: Deployment, workdir: Path, build: BuildReport, record: Callable[[str, object], None]
) -> Run:
    start = time.monotonic()
    run = run_suites(target_of(live), workdir, marks=MARKS, watchdog_s=WATCHDOG_S)
    wall = round(time.monotonic() - start, 1)
    figures: dict[str, object] = {
        "npm_ci_s": build.npm_ci_s,
        "next_build_s": build.build_s,
        "node_modules_mb": round(build.node_modules_mb),
        "next_start_ready_s": round(live.ready_s, 2),
        "suites_wall_s": wall,
        "fired": sorted(run.fired),
        "below_threshold": sorted(run.below),
    }
    for name, value in figures.items():
        record(name, value)
    print(f"nextjs {live.variant}: {build.describe()}; next start ready in {live.ready_s:.2f} s")
    print(f"  suites ({MARKS}) took {wall} s; {dict(run.outcomes)}")
    print(f"  failing: {sorted(run.fired)}\n  below threshold: {sorted(run.below)}")
    return run


def test_good_nextjs_has_no_false_alarm(
    good_nextjs: Deployment,
    nextjs_build: BuildReport,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    workdir = tmp_path / "suites"
    run = _run(good_nextjs, workdir, nextjs_build, record_property)
    assert false_alarms(without_defects(run, workdir, TOOL_DEFECTS)) == [], run.explain()
    # A defect entry that no longer fires is stale: the tool was fixed, drop the entry.
    assert set(TOOL_DEFECTS) <= run.fired, run.explain()


def test_misconfigured_nextjs_is_caught(
    misconfigured_nextjs: Deployment,
    nextjs_build: BuildReport,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    run = _run(misconfigured_nextjs, tmp_path / "suites", nextjs_build, record_property)
    assert misses(run, LEDGER.expected - set(TOOL_MISSES)) == [], run.explain()
    # A miss entry the tool now catches is stale: it counts as caught, drop the entry.
    assert not set(TOOL_MISSES) & run.fired, run.explain()
