"""Field test bed: page quality in a real Chromium on the Next.js production build.

The good variant (next/image with alt text, AVIF/WebP, lazy below the fold, a month's cache; a
labelled icon button with an instant handler) must raise no accessibility, image, INP or TBT
finding on /, /login and /gallery; the degraded one (a plain 2400x1600 PNG hero with no alt,
cached a minute, eager product images, an unnamed icon button whose click blocks ~300 ms, a
~600 ms task at load) must raise each of them, for the reason it has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_prodready.browser.launch import find_chromium
from tests.field.bed import Run, Target, run_suites
from tests.field.nextjs_stack import (
    USERNAME,
    BuildReport,
    Deployment,
    deployment,
    ready_build,
)

PASSWORD_VAR = "FIELD_NEXTJS_PASSWORD"
WATCHDOG_S = 240.0
TESTS = "accessible or images or interaction or web_vitals"
QUALITY = ("a11y.", "images.", "vitals.inp", "vitals.tbt")
TBT_MS = 500


def target_of(live: Deployment) -> Target:
    env_toml = f"""
ca_bundle = "{live.ca_bundle}"
pages = ["/", "/login", "/gallery"]
secrets = {{ login_password = "{PASSWORD_VAR}" }}
interaction = {{ page = "/gallery", selector = "#add-to-cart" }}
# The bed shares two cores with other work, which makes every main-thread task several times
# longer: the good build's hydration reached 300 ms of TBT at a load average of 11. 500 ms
# (the default is Lighthouse's 200 ms, for a runner of its own) stays under the degraded
# /gallery's 600 ms task, 550-680 ms of TBT loaded or not. One load and one click, a smoke
# run's count: a page or control over its budget is then loaded or clicked up to three times
# before it is a finding.
vitals = {{ tbt_ms = {TBT_MS}, runs = 1 }}

[envs.field.flows.login]
path = "/login"
username = "{USERNAME}"
password_secret = "login_password"
success_url = "/dashboard"
success_selector = "#welcome"
"""
    return Target(base_url=live.base_url, env_toml=env_toml, secrets={PASSWORD_VAR: live.password})


@pytest.fixture(scope="session")
def nextjs_build() -> BuildReport:
    return ready_build()


def _live(variant: str, tmp_path: Path) -> Iterator[Deployment]:
    chromium = find_chromium(None, "", {})
    if not chromium.found:
        pytest.skip(chromium.problem or "no Chromium for the browser suites")
    with deployment(variant, tmp_path / variant) as live:
        yield live


@pytest.fixture
def good_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    yield from _live("good", tmp_path)


@pytest.fixture
def degraded_nextjs(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    yield from _live("degraded", tmp_path)


def _run(live: Deployment, workdir: Path) -> tuple[Run, list[dict[str, str]]]:
    run = run_suites(
        target_of(live),
        workdir,
        marks="flows",
        suites=("suites/test_browser.py", "suites/test_flows.py"),
        watchdog_s=WATCHDOG_S,
        extra_args=("-k", TESTS),
    )
    summary = json.loads((workdir / "summary.json").read_text(encoding="utf-8"))
    findings = [f for f in summary["findings"] if f["id"].startswith(QUALITY)]
    print(f"nextjs {live.variant}: {dict(run.outcomes)}")
    for finding in findings:
        print(f"  {finding['id']} at {finding.get('url')}: {finding.get('evidence')}")
    return run, findings


def test_good_nextjs_pages_raise_no_page_quality_finding(
    good_nextjs: Deployment, tmp_path: Path
) -> None:
    run, findings = _run(good_nextjs, tmp_path / "suites")
    assert findings == [], run.explain()
    assert run.failed_tests == {}, run.explain()
    # /, /login, /gallery: vitals, a11y and images each; INP; the landing page's a11y.
    assert run.outcomes.get("passed") == 11, run.explain()


def test_degraded_nextjs_raises_each_page_quality_finding(
    degraded_nextjs: Deployment, tmp_path: Path
) -> None:
    run, findings = _run(degraded_nextjs, tmp_path / "suites")
    failing = [f for f in findings if f.get("status") == "failing"]

    def said(finding_id: str, path: str) -> list[str]:
        return [
            f["evidence"]
            for f in failing
            if f["id"] == finding_id and (f.get("url") or "").endswith(path)
        ]

    a11y = " ".join(said("a11y.violation", "/gallery"))
    assert "image-alt (critical" in a11y, run.explain()
    assert "button-name (critical" in a11y, run.explain()
    assert "#add-to-cart" in a11y, run.explain()
    for image_id in ("images.legacy-format", "images.oversized", "images.short-cache"):
        assert any("/media/hero.png" in e for e in said(image_id, "/gallery")), image_id
    assert any("/media/product-" in e for e in said("images.not-lazy", "/gallery"))
    # Both confirmed: one sample missed, then three were judged.
    inp = said("vitals.inp", "/gallery")
    assert any("'#add-to-cart' (median of 3 clicks:" in e for e in inp), run.explain()
    assert any("(median of 3 loads:" in e for e in said("vitals.tbt", "/gallery")), run.explain()
    # The degraded release changed /gallery only: the other pages stay quiet.
    elsewhere = {f["id"] for f in failing if not (f.get("url") or "").endswith("/gallery")}
    assert elsewhere == set(), run.explain()
