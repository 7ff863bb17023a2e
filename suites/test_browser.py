"""Each page of the environment in a real Chromium: what its users' browsers would report.

A page is loaded once per session for the watch (``browser_visit``) and once more, on its own,
for the audits (``browser_audit``: axe-core and images); each concern is its own test.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.browser import AuditFacts, PageFacts
from pytest_prodready.browser import a11y as browser_a11y
from pytest_prodready.browser import checks as browser_checks
from pytest_prodready.browser import images as browser_images
from pytest_prodready.browser import vitals as browser_vitals
from pytest_prodready.config import Environment, PageSpec

pytestmark = [pytest.mark.flows]

Visit = Callable[[str], PageFacts]
Audit = Callable[[str], AuditFacts]


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
    reason = browser_vitals.not_a_page(facts)
    if reason is not None:
        pytest.skip(reason)
    median = browser_vitals.median_vitals(facts.vitals)
    for name in ("lcp_ms", "cls", "fcp_ms", "ttfb_ms", "tbt_ms"):
        value = getattr(median, name)
        if value is not None:
            record_figure(name, round(value, 3))
    assert_no_findings(browser_vitals.vitals(facts.vitals, target.vitals, facts.url))


def test_page_is_accessible(
    page_spec: PageSpec,
    target: Environment,
    browser_audit: Audit,
    assert_no_findings: AssertNoFindings,
) -> None:
    facts = browser_audit(page_spec.path)
    assert_no_findings(
        browser_a11y.accessibility(
            facts.violations, target.a11y, facts.url, axe_version=facts.axe_version
        )
    )


def test_images_are_optimised(
    page_spec: PageSpec, browser_audit: Audit, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(browser_images.images(browser_audit(page_spec.path)))


def test_interaction_latency_within_budget(
    target: Environment,
    interaction_timing: tuple[str, list[float]],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    assert target.interaction is not None
    url, samples = interaction_timing
    if samples:
        record_figure("inp_ms", round(statistics.median(samples), 1))
    assert_no_findings(
        browser_vitals.interaction_latency(samples, target.vitals, url, target.interaction.selector)
    )
