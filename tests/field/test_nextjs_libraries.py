"""Field test bed: known-vulnerable libraries on the real Next.js production build.

The good variant's scripts are next@16.5.0's and react@19.3.1's production chunks: the
dataset knows both libraries, and neither release has an advisory, so nothing may fire. The
degraded variant also loads the npm-pinned jQuery 1.12.4 (``/vendor/jquery.min.js`` on ``/``
and ``/gallery``), which must be raised with its advisories, by the shipped suite as by the
check in-process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_prodready.checks import libraries
from pytest_prodready.config import Environment
from pytest_prodready.core.findings import Finding
from pytest_prodready.http import ResponseCache, make_client
from pytest_prodready.probes import vulndata
from pytest_prodready.probes.bundle import gather_all, loaded_scripts
from tests.field.bed import Run, Target, run_suites
from tests.field.nextjs_stack import (
    BuildReport,
    Deployment,
    deployment,
    ready_build,
)

PAGES = ("/", "/login", "/gallery")
WATCHDOG_S = 120.0


@pytest.fixture(scope="session")
def nextjs_build() -> BuildReport:
    """The production build, made once per machine (reused across sessions and workers)."""
    return ready_build()


@pytest.fixture
def good_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    with deployment("good", tmp_path / "good") as live:
        yield live


@pytest.fixture
def degraded_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    with deployment("degraded", tmp_path / "degraded") as live:
        yield live


def judge(live: Deployment) -> tuple[list[Finding], set[tuple[str, str]]]:
    """The findings, and every (library, version) recognised, on the deployment's pages."""
    env = Environment(name="field", base_url=live.base_url, ca_bundle=live.ca_bundle)
    with make_client(env) as client:
        fetch = ResponseCache(client)
        assets, _ = gather_all(fetch, PAGES)
        scripts = loaded_scripts(fetch, PAGES, assets)
    dataset = vulndata.load()
    seen = {(d.library, d.version) for s in scripts for d in libraries.detect(dataset, s)}
    return libraries.evaluate(dataset, scripts), seen


def suite(live: Deployment, workdir: Path) -> Run:
    pages = ", ".join(f'"{p}"' for p in PAGES)
    target = Target(
        base_url=live.base_url, env_toml=f'ca_bundle = "{live.ca_bundle}"\npages = [{pages}]\n'
    )
    return run_suites(
        target,
        workdir,
        marks="smoke",
        suites=("suites/test_bundle.py",),
        watchdog_s=WATCHDOG_S,
        extra_args=("-k", "vulnerable"),
    )


def test_good_build_raises_no_vulnerable_library(good_nextjs: Deployment, tmp_path: Path) -> None:
    findings, seen = judge(good_nextjs)
    assert findings == []
    # Not for want of looking: every library recognised is a current release.
    assert all(library in {"nextjs", "react", "react-dom"} for library, _ in seen), seen
    run = suite(good_nextjs, tmp_path / "suite")
    assert run.failing == {}, run.explain()
    assert run.outcomes.get("passed") == 1, run.explain()


def test_degraded_build_raises_its_jquery(degraded_nextjs: Deployment, tmp_path: Path) -> None:
    findings, seen = judge(degraded_nextjs)
    [jquery] = findings
    assert ("jquery", "1.12.4") in seen
    assert jquery.id == "bundle.vulnerable-library"
    assert jquery.url == degraded_nextjs.base_url + "/vendor/jquery.min.js"
    assert jquery.evidence.startswith("jquery 1.12.4 (from its content): 6 advisories")
    for advisory in ("CVE-2020-11022", "CVE-2020-11023", "CVE-2019-11358", "CVE-2015-9251"):
        assert advisory in jquery.evidence
    assert "upgrade to 3.5.0 or later" in jquery.evidence
    run = suite(degraded_nextjs, tmp_path / "suite")
    assert run.failing == {
        "bundle.vulnerable-library": (degraded_nextjs.base_url + "/vendor/jquery.min.js",)
    }, run.explain()
