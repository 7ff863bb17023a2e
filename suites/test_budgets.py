"""Page weight budgets (``[envs.X.budgets]``): each listed page's first load, measured in
bytes transferred over HTTP (HTML, same-origin scripts, styles and fonts); no browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import budget
from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.budget import measure

pytestmark = [pytest.mark.smoke]


def test_pages_within_weight_budgets(
    target: Environment,
    fetch: ResponseCache,
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    pages = measure(fetch, target.page_paths)
    for page in pages:
        path = page.url.split("://", 1)[-1].partition("/")[2]
        record_figure(f"weight_kb /{path}", budget.kb(page.total))
        record_figure(f"first_load_js_kb /{path}", budget.kb(page.first_load_js))
    assert_no_findings(budget.evaluate(pages, target.budgets))
