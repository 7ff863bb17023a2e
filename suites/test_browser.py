"""Each page of the environment in a real Chromium: what its users' browsers would report.

A page is loaded once per session (``browser_visit``); each concern is its own test.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.browser import PageFacts
from pytest_prodready.browser import checks as browser_checks
from pytest_prodready.browser import vitals as browser_vitals
from pytest_prodready.config import Environment, PageSpec

pytestmark = [pytest.mark.flows]

Visit = Callable[[str], PageFacts]


def test_no_console_errors(
    page_spec: PageSpec, browser_visit: Visit, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(browser_checks.console_errors(browser_visit(page_spec.path)))


def test_no_failed_requests(
    page_spec: PageSpec, browser_visit: Visit, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(browser_checks.failed_requests(browser_visit(page_spec.path)))


def test_no_mixed_content(
    page_spec: PageSpec, browser_visit: Visit, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(browser_checks.mixed_content(browser_visit(page_spec.path)))


def test_no_csp_violations(
    page_spec: PageSpec, browser_visit: Visit, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(browser_checks.csp_violations(browser_visit(page_spec.path)))


def test_web_vitals_within_budget(
    page_spec: PageSpec,
    target: Environment,
    browser_visit: Visit,
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = browser_visit(page_spec.path)
    median = browser_vitals.median_vitals(facts.vitals)
    for name in ("lcp_ms", "cls", "fcp_ms", "ttfb_ms", "tbt_ms"):
        value = getattr(median, name)
        if value is not None:
            record_figure(name, round(value, 3))
    assert_no_findings(browser_vitals.vitals(facts.vitals, target.vitals, facts.url))
