"""The flows that need no login of their own: logout, and a protected page seen by a stranger
and by a logged-in browser (their findings are judged in :mod:`pytest_prodready.browser.checks`).

Typed secrets go into the form and nowhere else: no evidence or message built here contains a
typed value, and cookie values are masked before any check quotes them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from pytest_prodready.browser.checks import (
    LOGIN_FAILED,
    LOGOUT_KEPT_SESSION,
    judge_anonymous,
    lands_on,
)
from pytest_prodready.browser.watch import POLL_S
from pytest_prodready.config.flows import LoginFlow
from pytest_prodready.core.findings import Finding

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from pytest_prodready.browser.facts import PageFacts
    from pytest_prodready.browser.watch import PageWatch

__all__ = ["anonymous_visit", "log_out", "logged_in_visit"]


def log_out(page: Page, flow: LoginFlow, *, timeout_s: float) -> list[Finding]:
    """Click the logout control of a logged-in ``page``; the session cookie must be gone once
    the page it leads to has loaded."""
    from playwright.sync_api import Error as PlaywrightError

    assert flow.logout_selector is not None
    assert flow.session_cookie is not None
    navigated: list[int] = []
    page.on(
        "response",
        lambda r: navigated.append(r.status) if r.request.is_navigation_request() else None,
    )
    try:
        page.locator(flow.logout_selector).first.click()
    except PlaywrightError:
        return [
            LOGOUT_KEPT_SESSION(
                f"no clickable element matches logout_selector {flow.logout_selector!r}",
                url=page.url,
            )
        ]
    deadline = time.monotonic() + timeout_s
    while True:
        kept = [
            c
            for c in page.context.cookies()
            if c.get("name") == flow.session_cookie and c.get("value")
        ]
        if not kept:
            return []
        if (navigated and _loaded(page)) or time.monotonic() >= deadline:
            return [
                LOGOUT_KEPT_SESSION(
                    f"after clicking {flow.logout_selector!r} the browser still holds cookie "
                    f"{flow.session_cookie!r} (value not shown) for "
                    f"{kept[0].get('domain', '')}{kept[0].get('path', '')}",
                    url=page.url,
                )
            ]
        page.wait_for_timeout(POLL_S * 1000)


def _loaded(page: Page) -> bool:
    from playwright.sync_api import Error as PlaywrightError

    try:
        return bool(page.evaluate("document.readyState === 'complete'"))
    except PlaywrightError:
        return False  # mid-navigation


def anonymous_visit(page: Page, path: str, base_url: str, login_path: str) -> list[Finding]:
    """A fresh browser asks for ``path``: it must land on the login page (or get 401/403)."""
    response = page.goto(urljoin(base_url, path))
    status = response.status if response is not None else None
    return judge_anonymous(path, status, page.url, login_path, base_url)


def logged_in_visit(
    page: Page, path: str, base_url: str, login_path: str, watch: PageWatch
) -> tuple[list[Finding], PageFacts]:
    """A logged-in browser asks for ``path``: the flow's verdict (it must stay there) and
    what the page showed on the way, for the page checks to judge on their own."""
    url = urljoin(base_url, path)
    page.goto(url)
    watch.settle()
    if lands_on(page.url, login_path, base_url):
        failed = LOGIN_FAILED(
            f"a logged-in browser asking for {path} was sent to the login page: the "
            "session the login created is not honoured",
            url=url,
        )
        return [failed], watch.facts()
    # A protected page that answers >= 400 is a failed request of the page, reported there.
    return [], watch.facts()
