"""Field test bed: the Lighthouse suite against the real Next.js build, good and degraded.

The good variant's ``/`` and ``/gallery`` must meet the default budgets (the seeds'
90/95/95/90) on Lighthouse's mobile profile (its CPU factor at 1x on this shared machine: see
``_run``), behind nginx's TLS from a private CA (trusted by leaf pin); the degraded
``/gallery`` (a 2400x1600 PNG hero without alt shown 320 px wide, an icon button without a
name, a long task at load, ``noindex``) must fail accessibility, performance and SEO, each
with the audits that say why. Each Lighthouse run costs 10 to 40 s on a shared two-core
machine, so the degraded page gets one run (load only lowers its scores) and the good pages the
nightly default of three, judged on the median as Lighthouse's own variability guide advises: a
single run of the good ``/gallery`` once scored 89 (FCP 2.4 s, LCP 3.0 s) while the other
workers loaded the machine, against 94 to 99 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_prodready.browser.launch import find_chromium
from tests.field.bed import Run, Target, false_alarms, run_suites
from tests.field.nextjs_stack import (
    BuildReport,
    Deployment,
    deployment,
    node_missing,
    ready_build,
)
from tests.lighthouse.install import InstallError, ensure_lighthouse

SUITES = ("suites/test_lighthouse.py",)
WATCHDOG_S = 400.0


@pytest.fixture(scope="module")
def lighthouse_cli() -> Path:
    reason = node_missing()
    if reason is not None:
        pytest.skip(reason)
    chromium = find_chromium(None, "", {})
    if not chromium.found:
        pytest.skip(chromium.problem or "no Chromium for Lighthouse")
    try:
        return ensure_lighthouse()
    except InstallError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def nextjs_build(lighthouse_cli: Path) -> BuildReport:
    return ready_build()


def _run(
    live: Deployment, pages: list[str], runs: int, cli: Path, workdir: Path
) -> tuple[Run, dict]:
    env_toml = f"""
ca_bundle = "{live.ca_bundle}"
pages = {json.dumps(pages)}

[envs.field.lighthouse]
runs = {runs}
# The bed's machine is two cores shared by several workers (load average 6 to 11): at
# Lighthouse's 4x the good /gallery scored 72 to 91 across runs, its network-bound metrics
# good (FCP 1.3 s, LCP 1.6 s) and its Total Blocking Time 0.7 to 1.8 s, mostly React's
# hydration and "Unattributable" tasks stretched by the other workers; "auto" calibrates to a
# one-second benchmark and cannot see the load that comes during the run. So the bed takes
# the CPU factor out and keeps the rest of the mobile profile (screen, slow 4G).
cpu_slowdown = 1
"""
    target = Target(
        base_url=live.base_url, env_toml=env_toml, secrets={"PRODREADY_LIGHTHOUSE": str(cli)}
    )
    run = run_suites(target, workdir, marks="slow", suites=SUITES, watchdog_s=WATCHDOG_S)
    summary = json.loads((workdir / "summary.json").read_text(encoding="utf-8"))
    print(run.explain())
    return run, summary


@pytest.fixture(scope="module")
def good(
    nextjs_build: BuildReport, lighthouse_cli: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Run, dict]]:
    workdir = tmp_path_factory.mktemp("lighthouse-good")
    with deployment("good", workdir / "app") as live:
        yield _run(live, ["/", "/gallery"], 3, lighthouse_cli, workdir / "suites")


@pytest.fixture(scope="module")
def degraded(
    nextjs_build: BuildReport, lighthouse_cli: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Run, dict]]:
    workdir = tmp_path_factory.mktemp("lighthouse-degraded")
    with deployment("degraded", workdir / "app") as live:
        yield _run(live, ["/gallery"], 1, lighthouse_cli, workdir / "suites")


def test_good_nextjs_meets_the_default_budgets_on_mobile(good: tuple[Run, dict]) -> None:
    run, _summary = good
    assert dict(run.outcomes).get("passed") == 8, run.explain()
    assert false_alarms(run) == [], run.explain()
    # The TLS of the private CA was trusted (by pin): Lighthouse audited the pages themselves.
    assert "prodready lighthouse: /gallery mobile run 3/3: " in run.output


def test_degraded_gallery_fails_accessibility_performance_and_seo(
    degraded: tuple[Run, dict],
) -> None:
    run, summary = degraded
    expected = {
        "lighthouse.accessibility-below",
        "lighthouse.performance-below",
        "lighthouse.seo-below",
    }
    assert expected <= run.fired, run.explain()
    evidence = {f["id"]: f["evidence"] for f in summary["findings"]}
    # No alt on the hero, no name on the icon button.
    assert "image-alt" in evidence["lighthouse.accessibility-below"]
    assert "button-name" in evidence["lighthouse.accessibility-below"]
    # The long task at load, and the hero's bytes (a 2400 px PNG shown 320 px wide).
    performance = evidence["lighthouse.performance-below"]
    assert "total-blocking-time" in performance or "largest-contentful-paint" in performance
    assert "KiB" in performance, performance
    # noindex on the page.
    assert "is-crawlable" in evidence["lighthouse.seo-below"]
    for finding in summary["findings"]:
        assert finding["url"].endswith("/gallery")
