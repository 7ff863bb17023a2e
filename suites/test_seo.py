"""SEO basics from HTTP alone: the listed pages may be indexed and say what they are, robots.txt
lets crawlers in, the sitemap lists this site; or, on an environment declared not indexable,
that it stays out of search.

Judged on environments meant to be indexed (``[envs.X.seo] indexable``; by default the
protected ones). A handful of GETs through the session's response cache: robots.txt, the
sitemaps (bounded) and the same-host page a canonical link names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import seo
from pytest_prodready.config import Environment, PageSpec
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.seo import SiteSeo, gather

pytestmark = pytest.mark.smoke


def site(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    *,
    indexable: bool = True,
) -> SiteSeo:
    """What search engines see (gathered once per session), or a skip when this environment
    is not judged that way; read inside the test, so a network error is its one-line
    failure."""
    name = target.name
    if not target.seo.judged:
        pytest.skip(
            f"{name} is not a production environment: set [envs.{name}.seo] indexable = true "
            "to judge it as one, or false to check that it stays out of search"
        )
    if target.seo.indexable and not indexable:
        pytest.skip(f"{name} is indexable: this test is for environments declared not to be")
    if indexable and not target.seo.indexable:
        pytest.skip(f"[envs.{name}.seo] indexable = false: {name} must stay out of search")
    facts: SiteSeo = gather_once("seo", lambda: gather(fetch, target))
    record_figure("seo_pages_judged", len(facts.pages))
    record_figure("seo_sitemap_urls", facts.sitemap_urls)
    return facts


def test_page_can_be_indexed(
    page_spec: PageSpec,
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = site(target, fetch, gather_once, record_figure)
    page = facts.pages.get(page_spec.path)
    if page is None:
        pytest.skip(f"{page_spec.path}: {facts.left_out[page_spec.path]}")
    login = page_spec.path in {target.login_path, target.login.path if target.login else None}
    assert_no_findings(seo.evaluate_page(page, facts.own, login_page=login))


def test_titles_and_descriptions_are_unique(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = site(target, fetch, gather_once, record_figure)
    if len(facts.pages) < 2:
        pytest.skip("fewer than two listed pages are judged")
    assert_no_findings(seo.evaluate_duplicates(list(facts.pages.values())))


def test_robots_txt_lets_crawlers_in(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = site(target, fetch, gather_once, record_figure)
    assert_no_findings(seo.evaluate_robots(facts.robots))


def test_sitemap_lists_this_site(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = site(target, fetch, gather_once, record_figure)
    assert_no_findings(seo.evaluate_sitemaps(facts.sitemaps, facts.own))


def test_environment_stays_out_of_search(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    """Only with ``indexable = false``: every judged page says noindex or robots.txt keeps
    crawlers from it."""
    facts = site(target, fetch, gather_once, record_figure, indexable=False)
    assert_no_findings(seo.evaluate_staging(list(facts.pages.values()), facts.robots))
