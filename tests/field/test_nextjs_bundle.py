"""Field test bed: the bundle and budget suites against real Next.js production builds.

Two ``next build`` outputs of ``tests/field/nextjs`` (see :mod:`tests.field.nextjs_public`):
the production one ships public keys only and must raise nothing with the expectations
declared; the leaky one inlines every seed vendor's server key (in the home page's client
chunk and in a Pages Router chunk that only the build manifest names), Stripe's test mode,
staging's Supabase project, Sentry's development environment, a staging API and a heavy
catalog, and must raise every id of :data:`LEDGER`. ``next dev`` serves the same app as a
development build: the markers ``bundle.dev-build`` reads are there and in neither build.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_prodready.checks import build, bundle
from pytest_prodready.config import Environment
from pytest_prodready.config.bundle import BuildExpect
from pytest_prodready.http import ResponseCache, make_client
from pytest_prodready.probes.assets import discover
from pytest_prodready.probes.bundle import gather_all
from tests.field.bed import Ledger, Run, Target, false_alarms, misses, run_suites
from tests.field.nextjs_public import (
    API_ORIGIN,
    LEAKED_VENDORS,
    LEAKY,
    PRODUCTION,
    SUPABASE_REF,
)
from tests.field.nextjs_stack import (
    APP,
    NEXT_BIN,
    START_TIMEOUT_S,
    BuildReport,
    _stop,
    next_start,
    ready_build,
)
from tests.servers import free_port

SUITES = ("suites/test_bundle.py", "suites/test_budgets.py")
WATCHDOG_S = 120.0

LEDGER = Ledger(
    stack="Next.js build with leaked configuration",
    misconfigured={
        # Server keys of every seed vendor inlined by NEXT_PUBLIC_ (one in a route chunk only
        # the build manifest names), a pk_test_ key with live mode declared, staging's
        # Supabase project, Sentry's "development", a staging API.
        "security": frozenset(
            {
                "bundle.secret-key",
                "bundle.test-mode-key",
                "bundle.foreign-project",
                "bundle.sentry-environment",
                "bundle.staging-origin",
            }
        ),
        # A 1.4 MB catalog imported by the home page's client component.
        "health": frozenset({"budget.first-load-js", "budget.page-weight"}),
    },
)
TOOL_DEFECTS: dict[str, str] = {}
TOOL_MISSES: dict[str, str] = {}

EXPECT = BuildExpect(
    stripe_mode="live",
    supabase_ref=SUPABASE_REF,
    sentry_environment="production",
    api_origins=(API_ORIGIN,),
)
ENV_TOML = f"""
plain_http = true
pages = ["/"]

[envs.field.expect]
stripe_mode = "live"
supabase_ref = "{SUPABASE_REF}"
sentry_environment = "production"
api_origins = ["{API_ORIGIN}"]
"""


@pytest.fixture(scope="session")
def production_build() -> BuildReport:
    """The production build (``.next``), shared with tests/field/test_nextjs.py."""
    return ready_build("production")


@pytest.fixture(scope="session")
def leaky_build() -> BuildReport:
    """The leaky build (``.next-leaky``), made once per machine like the first."""
    return ready_build("leaky")


@contextlib.contextmanager
def _started(flavour: str, workdir: Path) -> Iterator[str]:
    with next_start("good", "field-bundle-password", workdir, flavour) as (port, _):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def _fetch(base_url: str) -> Iterator[ResponseCache]:
    env = Environment(name="field", base_url=base_url, plain_http=True)
    with make_client(env) as client:
        yield ResponseCache(client)


def _suites(base_url: str, workdir: Path) -> Run:
    return run_suites(
        Target(base_url=base_url, env_toml=ENV_TOML),
        workdir,
        marks="smoke",
        suites=SUITES,
        watchdog_s=WATCHDOG_S,
    )


def test_production_build_raises_nothing(
    production_build: BuildReport,
    tmp_path: Path,
    record_property: pytest.RecordProperty,
) -> None:
    with _started("production", tmp_path / "next") as base_url:
        with _fetch(base_url) as fetch:
            start = time.perf_counter()
            assets, coverage = gather_all(fetch, ("/",))
            findings = bundle.evaluate(assets, production=True)
            findings += build.evaluate(assets, EXPECT, site=base_url)
            record_property("scan_s", round(time.perf_counter() - start, 3))
        text = "\n".join(a.text for a in assets)
        # The public keys are in the bundle, and are not findings.
        for name in ("STRIPE_PUBLISHABLE_KEY", "SUPABASE_ANON_KEY", "SUPABASE_PUBLISHABLE_KEY"):
            assert PRODUCTION[f"NEXT_PUBLIC_{name}"] in text, name
        assert PRODUCTION["NEXT_PUBLIC_SENTRY_DSN"] in text
        assert findings == [], findings
        assert not [m for a in assets for m in build.dev_markers(a.text)]
        assert coverage.left == 0
        run = _suites(base_url, tmp_path / "suites")
    assert false_alarms(run) == [], run.explain()
    assert run.outcomes.get("passed", 0) >= 3, run.explain()


def test_leaky_build_is_caught(
    leaky_build: BuildReport,
    tmp_path: Path,
    record_property: pytest.RecordProperty,
) -> None:
    with _started("leaky", tmp_path / "next") as base_url:
        with _fetch(base_url) as fetch:
            start = time.perf_counter()
            assets, coverage = gather_all(fetch, ("/",))
            findings = bundle.evaluate(assets, production=True)
            scan_s = time.perf_counter() - start
            record_property("scan_s", round(scan_s, 3))
            record_property("scripts_read", coverage.read)
            tagged = set(discover(fetch, ("/",), kinds=("script",), max_assets=1000))
        # Each chunk judged alone (one run reports a key once, where first seen).
        by_url: dict[str, set[str]] = {}
        for asset in assets:
            for finding in bundle.evaluate([asset], production=True):
                if finding.id == "bundle.secret-key":
                    kind = finding.evidence.rsplit(" in ", 1)[0].rsplit(" ", 1)[0]
                    by_url.setdefault(asset.url, set()).add(kind)
        # Every vendor's key in a chunk the page's tags load, and again in the Pages Router
        # chunk that no tag names (the build manifest does).
        loaded = {url for url in by_url if url in tagged}
        manifest_only = {url for url in by_url if url not in tagged}
        assert set().union(*(by_url[u] for u in loaded)) >= LEAKED_VENDORS, by_url
        assert set().union(*(by_url[u] for u in manifest_only)) >= LEAKED_VENDORS, by_url
        # No key is printed whole.
        evidence = " ".join(f.evidence for f in findings)
        assert not [v for k, v in LEAKY.items() if k not in PRODUCTION and v in evidence]
        run = _suites(base_url, tmp_path / "suites")
    print(f"leaky build: {coverage.describe()}, scanned in {scan_s:.2f} s")
    assert misses(run, LEDGER.expected - set(TOOL_MISSES)) == [], run.explain()
    assert "page weight: / " in run.output, run.output[-3000:]


def test_next_dev_is_a_development_build(production_build: BuildReport, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    env.update(FIELD_DIST_DIR=".next-dev", NEXT_TELEMETRY_DISABLED="1", FIELD_VARIANT="good")
    log = tmp_path / "next-dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["node", str(NEXT_BIN), "dev", "-H", "127.0.0.1", "-p", str(port)],
            cwd=APP,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                # The first request compiles the page: allow it the whole start budget.
                if httpx.get(base_url + "/", timeout=START_TIMEOUT_S).status_code == 200:
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.5)
        with _fetch(base_url) as fetch:
            assets, _ = gather_all(fetch, ("/",))
        found = build.evaluate(assets, BuildExpect(), site=base_url)
    finally:
        _stop(proc)
    # Every marker, each in its own file (a development build also names local hosts: its
    # dev tools talk to them).
    markers = {m for a in assets for m in build.dev_markers(a.text)}
    assert len(markers) == 3, markers
    assert "bundle.dev-build" in {f.id for f in found}, found
