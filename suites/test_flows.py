"""Critical user flows in a real browser, driven by ``[envs.X.flows.login]`` (an anonymous
visit to each of ``protected_pages`` needs no login).

Flows that create data must be marked ``destructive`` (the safety gate skips them on protected
environments); the ones here only sign in and out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_prodready import AssertNoFindings, Finding
from pytest_prodready.browser import LoginOutcome, PageFacts, PageWatch
from pytest_prodready.browser import checks as browser_checks
from pytest_prodready.browser.flows import anonymous_visit, log_out, logged_in_visit
from pytest_prodready.config import Environment, LoginFlow

if TYPE_CHECKING:
    # Imported for annotations only: a run that selects no flow never loads Playwright.
    from playwright.sync_api import Page

pytestmark = [pytest.mark.flows]

Visit = tuple[list[Finding], PageFacts]


def test_login_succeeds(browser_login: LoginOutcome, assert_no_findings: AssertNoFindings) -> None:
    # The flow's verdict only: a red login test always means the login broke.
    assert_no_findings(browser_checks.login_findings(browser_login))


def test_pages_seen_during_login_are_clean(
    browser_login: LoginOutcome, assert_no_findings: AssertNoFindings
) -> None:
    """What the browser reported on the login's pages: console, failed requests, CSP."""
    if not browser_login.ok or browser_login.facts is None:
        pytest.skip("the login failed: see test_login_succeeds")
    assert_no_findings(browser_checks.page_findings(browser_login.facts))


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


@pytest.fixture
def logged_in_result(
    protected_page: str,
    request: pytest.FixtureRequest,
    target: Environment,
    login_flow: LoginFlow,
    gather_once: Callable[[str, Callable[[], Visit]], Visit],
) -> Visit:
    """A logged-in browser's visit to ``protected_page``, made once and judged twice: the
    flow (did the session hold?) and the page (was it clean?)."""

    def visit() -> Visit:
        page: Page = request.getfixturevalue("logged_in_page")
        watch: PageWatch = request.getfixturevalue("page_watch")(page)
        assert target.base_url is not None
        return logged_in_visit(page, protected_page, target.base_url, login_flow.path, watch)

    return gather_once(f"logged-in-visit:{protected_page}", visit)


def test_protected_page_works_when_logged_in(
    logged_in_result: Visit, assert_no_findings: AssertNoFindings
) -> None:
    flow, _ = logged_in_result
    assert_no_findings(flow)


def test_protected_page_is_clean_when_logged_in(
    logged_in_result: Visit, assert_no_findings: AssertNoFindings
) -> None:
    flow, facts = logged_in_result
    if flow:
        pytest.skip("the session did not reach the page: see its works_when_logged_in test")
    assert_no_findings(browser_checks.page_findings(facts))


def test_landing_page_after_login_is_accessible(
    browser_login: LoginOutcome,
    logged_in_page: Page,
    axe: Callable[[Page], list[Finding]],
    target: Environment,
    assert_no_findings: AssertNoFindings,
) -> None:
    """axe-core on the page the login lands on, as the signed-in user sees it."""
    landing = browser_login.facts.url if browser_login.facts else browser_login.login_url
    logged_in_page.goto(landing, wait_until="load")
    assert_no_findings(axe(logged_in_page))


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
