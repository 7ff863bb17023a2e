"""Cookies: Secure, HttpOnly and SameSite on what each page sets."""

from __future__ import annotations

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import cookies
from pytest_prodready.config import Environment, PageSpec
from pytest_prodready.http import ResponseCache

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_cookie_flags(
    page_spec: PageSpec,
    target: Environment,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = fetch(page_spec.path)
    assert_no_findings(
        cookies.evaluate(
            response, session_names=target.expect.session_cookies, plain_http=target.plain_http
        )
    )
