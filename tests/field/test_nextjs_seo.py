"""Field test bed: the SEO suite against the real Next.js production build behind nginx.

The good variant (a title and description per page, canonical links to each page's own URL
from ``metadata``, robots.txt allowing the site and naming its sitemap, a sitemap of its own
host) must raise no ``seo.*`` finding; the degraded one (staging's ``robots: { index: false }``
on ``/`` and ``/gallery``, ``/gallery`` a copy of the home page's title with no description
and staging's canonical, robots.txt ``Disallow: /``, a sitemap of staging URLs) must raise
each id of :data:`EXPECTED`, and nothing more. The staging host is named, never fetched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pytest_prodready.config import Environment, PageSpec
from pytest_prodready.http import ResponseCache, make_client
from pytest_prodready.probes.seo import SiteSeo, gather
from tests.field.bed import Run, Target, false_alarms, misses, run_suites
from tests.field.nextjs_stack import (
    BuildReport,
    Deployment,
    deployment,
    ready_build,
)

SUITES = ("suites/test_seo.py",)
WATCHDOG_S = 120.0
PAGES = ("/", "/login", "/gallery")
STAGING = "https://staging.example.com"

EXPECTED = frozenset(
    {
        "seo.noindex",
        "seo.title-duplicate",
        "seo.description-missing",
        "seo.canonical-elsewhere",
        "seo.robots-disallow-all",
        "seo.sitemap-foreign-host",
    }
)


def env_toml(live: Deployment) -> str:
    return f"""
ca_bundle = "{live.ca_bundle}"
pages = {list(PAGES)!r}
protected_pages = ["/dashboard"]

[envs.field.seo]
indexable = true
""".replace("'", '"')


@pytest.fixture(scope="session")
def nextjs_build() -> BuildReport:
    """The production build, made once per machine (shared with tests/field/test_nextjs.py)."""
    return ready_build()


def _facts(live: Deployment) -> SiteSeo:
    """What the suite's probe gathers, read here directly to check the facts themselves."""
    env = Environment(
        name="field",
        base_url=live.base_url,
        ca_bundle=live.ca_bundle,
        pages=tuple(PageSpec(p) for p in PAGES),
        protected_pages=("/dashboard",),
    )
    with make_client(env) as client:
        return gather(ResponseCache(client), env)


def _suite(live: Deployment, workdir: Path) -> Run:
    return run_suites(
        Target(base_url=live.base_url, env_toml=env_toml(live)),
        workdir,
        marks="smoke",
        suites=SUITES,
        watchdog_s=WATCHDOG_S,
    )


@pytest.fixture
def good(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    with deployment("good", tmp_path / "good") as live:
        yield live


@pytest.fixture
def degraded(tmp_path: Path, nextjs_build: BuildReport) -> Iterator[Deployment]:
    with deployment("degraded", tmp_path / "degraded") as live:
        yield live


def test_good_variant_raises_no_seo_finding(
    good: Deployment, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    start = time.perf_counter()
    facts = _facts(good)
    record_property("gather_s", round(time.perf_counter() - start, 3))
    # The facts the silence rests on: three pages with their own titles, descriptions and
    # canonical links; a sitemap of the site's three pages, named by robots.txt.
    assert list(facts.pages) == list(PAGES)
    titles = [page.head.title for page in facts.pages.values()]
    assert len(set(titles)) == 3, titles
    descriptions = [page.head.description for page in facts.pages.values()]
    assert len(set(descriptions)) == 3, descriptions
    for path, page in facts.pages.items():
        assert page.noindex() is None
        if page.canonical_url is None:  # /login declares none
            continue
        # Next.js writes the home page's as the bare origin, no trailing slash.
        canonical = urlsplit(page.canonical_url)
        assert canonical.netloc == urlsplit(good.base_url).netloc, page.head.canonical_tag
        assert canonical.path.rstrip("/") == path.rstrip("/"), page.head.canonical_tag
    assert facts.robots.status == 200
    [sitemap] = facts.sitemaps.documents
    assert (sitemap.url, sitemap.named_by) == (good.base_url + "/sitemap.xml", "robots.txt line 6")
    assert facts.sitemap_urls == 3
    run = _suite(good, tmp_path / "suite")
    assert false_alarms(run) == [], run.explain()
    # Three pages, duplicates, robots.txt, sitemap; the staging test skips.
    assert run.outcomes.get("passed", 0) == 6, run.explain()


def test_degraded_variant_raises_each_seo_finding(degraded: Deployment, tmp_path: Path) -> None:
    run = _suite(degraded, tmp_path / "suite")
    assert misses(run, EXPECTED) == [], run.explain()
    assert {i for i in run.fired if i.startswith("seo.")} == EXPECTED, run.explain()
    where = {fid: set(urls) for fid, urls in run.failing.items()}
    base = degraded.base_url
    assert where["seo.noindex"] == {base + "/", base + "/gallery"}
    assert where["seo.title-duplicate"] == {base + "/gallery"}
    assert where["seo.description-missing"] == {base + "/gallery"}
    assert where["seo.canonical-elsewhere"] == {base + "/gallery"}
    assert where["seo.robots-disallow-all"] == {base + "/robots.txt"}
    assert where["seo.sitemap-foreign-host"] == {base + "/sitemap.xml"}
    assert f'href="{STAGING}/gallery"' in run.output
    assert f"3 of 3 <loc> URLs on another host: {STAGING}/" in run.output
