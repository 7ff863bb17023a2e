"""Lighthouse's four categories for each page, against ``[envs.X.lighthouse]`` budgets.

Nightly by default (``slow``, not ``smoke``): a Lighthouse run costs seconds per page. Each
page is audited once per session (the median of ``runs``); each category is its own test.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.browser import LighthousePage

pytestmark = [pytest.mark.flows, pytest.mark.slow]

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


@pytest.mark.parametrize("category", CATEGORIES)
def test_lighthouse_score_within_budget(
    lighthouse_page: str,
    category: str,
    lighthouse_audit: Callable[[str], LighthousePage],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    audited = lighthouse_audit(lighthouse_page)
    score = audited.score(category)
    if score is not None:
        record_figure(f"lighthouse_{category.replace('-', '_')}", score)
    assert_no_findings(audited.findings(category))
