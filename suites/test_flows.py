"""Critical user flows in a real browser, driven by ``[envs.X.flows.login]`` (an anonymous
visit to each of ``protected_pages`` needs no login).

Flows that create data must be marked ``destructive`` (the safety gate skips them on protected
environments); the ones here only sign in and out.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from pytest_prodready import AssertNoFindings
from pytest_prodready.browser import LoginOutcome, PageWatch
from pytest_prodready.browser import checks as browser_checks
from pytest_prodready.browser.flows import anonymous_visit, log_out, logged_in_visit
from pytest_prodready.config import Environment, LoginFlow

pytestmark = [pytest.mark.flows]


def test_login_succeeds(browser_login: LoginOutcome, assert_no_findings: AssertNoFindings) -> None:
    # On success, also what the browser reported along the way (console, CSP, requests).
    assert_no_findings(browser_checks.login_findings(browser_login))


def test_cookies_set_by_login(
    browser_login: LoginOutcome,
    login_flow: LoginFlow,
    target: Environment,
    assert_no_findings: AssertNoFindings,
) -> None:
    session = (login_flow.session_cookie,) if login_flow.session_cookie else ()
    names = session + target.expect.session_cookies
    assert_no_findings(browser_checks.cookie_findings(browser_login, names))


def test_protected_page_redirects_anonymous_browser(
    protected_page: str, page: Page, target: Environment, assert_no_findings: AssertNoFindings
) -> None:
    # No login needed: judged against the environment's login_path, as the HTTP check does.
    page.set_default_timeout(target.timeout_s * 1000)
    assert target.base_url is not None
    assert_no_findings(anonymous_visit(page, protected_page, target.base_url, target.login_path))


def test_protected_page_works_when_logged_in(
    protected_page: str,
    logged_in_page: Page,
    page_watch: Callable[[Page], PageWatch],
    target: Environment,
    login_flow: LoginFlow,
    assert_no_findings: AssertNoFindings,
) -> None:
    watch = page_watch(logged_in_page)
    assert target.base_url is not None
    assert_no_findings(
        logged_in_visit(logged_in_page, protected_page, target.base_url, login_flow.path, watch)
    )


def test_logout_clears_session_cookie(
    page: Page,
    log_in: Callable[[Page], LoginOutcome],
    login_flow: LoginFlow,
    target: Environment,
    assert_no_findings: AssertNoFindings,
) -> None:
    if login_flow.logout_selector is None or login_flow.session_cookie is None:
        pytest.skip(
            f"prodready: set logout_selector and session_cookie in "
            f"[envs.{target.name}.flows.login] to check logout"
        )
    # A login of its own: logging out the session's shared login would end it for every test.
    outcome = log_in(page)
    if not outcome.ok:
        pytest.fail(
            f"prodready: cannot check logout, the login failed: {outcome.evidence}", pytrace=False
        )
    assert_no_findings(log_out(page, login_flow, timeout_s=target.timeout_s))
