"""Security headers, leaky headers and caching, on every page the environment lists and on the
same-origin scripts and stylesheets those pages load (at most 20)."""

from __future__ import annotations

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import caching, headers, leaks
from pytest_prodready.checks.pagefacts import is_api
from pytest_prodready.config import Environment, PageSpec
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes import assets

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_security_headers(
    page_spec: PageSpec,
    target: Environment,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = fetch(page_spec.path)
    assert_no_findings(
        headers.evaluate(response, hsts_min_age=target.expect.hsts_min_age, api=is_api(response))
    )


def test_no_leaky_headers(
    page_spec: PageSpec, fetch: ResponseCache, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(leaks.evaluate(fetch(page_spec.path)))


def test_caching_and_compression(
    page_spec: PageSpec, fetch: ResponseCache, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(caching.evaluate(fetch(page_spec.path)))


def test_page_assets_are_served_safely(
    target: Environment, fetch: ResponseCache, assert_no_findings: AssertNoFindings
) -> None:
    """``nosniff`` matters most on scripts and stylesheets; they are cached and compressed
    like the pages. Nobody has to list them in ``pages``."""
    urls = assets.discover(fetch, target.page_paths)
    if not urls:
        pytest.skip("the pages link no same-origin script or stylesheet")
    findings = []
    for url in urls:
        response = fetch(url)
        # A missing asset is the browser suite's browser.failed-request, seen as a user would.
        if response.status_code == 200:
            findings += headers.evaluate_asset(response) + caching.evaluate(response)
    assert_no_findings(findings)
