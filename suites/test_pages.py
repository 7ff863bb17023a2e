"""Critical pages answer; protected pages and guarded endpoints refuse strangers.

The guarded-endpoint requests carry no credentials, so a correct target refuses them: they
are safe on protected environments.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import pages
from pytest_prodready.config import Environment, GuardedEndpoint, PageSpec
from pytest_prodready.http import ResponseCache

pytestmark = pytest.mark.smoke


def test_page_answers(
    page_spec: PageSpec,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
    record_figure: Callable[[str, object], None],
) -> None:
    response = fetch(page_spec.path)
    ttfb = fetch.ttfb(page_spec.path)
    if ttfb is not None:
        record_figure("ttfb_ms", round(ttfb * 1000, 1))
    assert_no_findings(pages.evaluate_page(page_spec, response, ttfb))


def test_protected_page_refuses_anonymous(
    protected_page: str,
    target: Environment,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = fetch(protected_page)
    assert_no_findings(pages.evaluate_protected(response, login_path=target.login_path))


def test_guarded_endpoint_refuses_unauthenticated(
    guarded_endpoint: GuardedEndpoint, http: httpx.Client, assert_no_findings: AssertNoFindings
) -> None:
    body = b"{}" if guarded_endpoint.method in ("POST", "PUT", "PATCH") else None
    response = http.request(
        guarded_endpoint.method,
        guarded_endpoint.path,
        content=body,
        headers={"Content-Type": "application/json"} if body else None,
    )
    assert_no_findings(pages.evaluate_guarded(guarded_endpoint, response))
