"""The config-driven login (``[envs.X.flows.login]``) in a real browser.

The username and password are typed into the form and go nowhere else: the outcome's evidence
describes where the browser ended up, never what was typed, and the cookies the login set are
kept with their values masked (a session token is a credential too). After a failed login the
fields that got a secret are emptied, and masked in the failure screenshot.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from pytest_prodready.browser.checks import lands_on
from pytest_prodready.browser.facts import LoginOutcome
from pytest_prodready.browser.watch import POLL_S, PageWatch, is_main_frame
from pytest_prodready.config.flows import LoginFlow
from pytest_prodready.core.secrets import MASK

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

__all__ = ["log_in"]

_COOKIE_VALUE = re.compile(r"^(\s*[^=;]+=)([^;]*)")


def _mask_cookie(value: str) -> str:
    return _COOKIE_VALUE.sub(lambda m: m.group(1) + (MASK if m.group(2) else ""), value, count=1)


def log_in(
    page: Page,
    flow: LoginFlow,
    base_url: str,
    *,
    username: str,
    password: str,
    timeout_s: float,
    screenshot: bool,
    keep_state: bool = False,
    username_is_secret: bool = False,
) -> LoginOutcome:
    """Fill and submit the login form on ``page`` and wait for the success URL or selector.

    A classic form post that answers >= 400 fails at once; otherwise the login has
    ``timeout_s`` to reach its success condition.
    """
    from playwright.sync_api import Error as PlaywrightError

    origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
    login_url = urljoin(base_url, flow.path)
    watch = PageWatch(page, origin)
    cookies: list[tuple[str, str]] = []
    documents: list[tuple[str, int]] = []

    def on_response(response: Response) -> None:
        for header in response.headers_array():
            if header["name"].lower() == "set-cookie":
                cookies.append((response.url, _mask_cookie(header["value"])))
        request = response.request
        if request.is_navigation_request() and is_main_frame(request):
            documents.append((response.url, response.status))

    page.on("response", on_response)
    page.set_default_timeout(timeout_s * 1000)

    # The fields that get a secret: the password, and the username when it is one too.
    secret_fields = [flow.password_selector]
    if username_is_secret:
        secret_fields.append(flow.username_selector)

    def failed(evidence: str) -> LoginOutcome:
        # The page stays open (pytest-playwright screenshots it too): empty what was typed, and
        # mask those fields in our screenshot in case emptying them did not work. A browser
        # hides a type=password field's value, but not a token typed into a text field.
        _clear(page, secret_fields)
        shot = _screenshot(page, secret_fields) if screenshot else None
        return LoginOutcome(False, login_url, evidence, tuple(cookies), screenshot=shot)

    try:
        response = page.goto(login_url)
    except PlaywrightError as exc:
        return failed(f"the browser could not load the login page: {_first_line(exc)}")
    if response is not None and response.status >= 400:
        return failed(f"the login page answered HTTP {response.status}")
    for name, selector, value in (
        ("username_selector", flow.username_selector, username),
        ("password_selector", flow.password_selector, password),
    ):
        try:
            page.locator(selector).first.fill(value)
        except PlaywrightError:
            return failed(f"no fillable element matches {name} {selector!r} on {flow.path}")
    submitted = len(documents)
    try:
        page.locator(flow.submit_selector).first.click()
    except PlaywrightError:
        return failed(f"no clickable element matches submit_selector {flow.submit_selector!r}")
    reason = _wait_for_success(page, flow, base_url, documents, submitted, timeout_s)
    if reason:
        return failed(reason)
    watch.settle()
    state = page.context.storage_state() if keep_state else None
    return LoginOutcome(True, login_url, "", tuple(cookies), watch.facts(), state)


def _wait_for_success(
    page: Page,
    flow: LoginFlow,
    base_url: str,
    documents: list[tuple[str, int]],
    submitted: int,
    timeout_s: float,
) -> str:
    """'' once the success condition holds, else why the login is taken as failed."""
    from playwright.sync_api import Error as PlaywrightError

    expected = " and ".join(
        part
        for part in (
            f"the URL {flow.success_url}" if flow.success_url else "",
            f"an element matching {flow.success_selector!r}" if flow.success_selector else "",
        )
        if part
    )
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            url_ok = flow.success_url is None or lands_on(page.url, flow.success_url, base_url)
            selector_ok = flow.success_selector is None or (
                page.locator(flow.success_selector).first.is_visible()
            )
        except PlaywrightError:
            url_ok = selector_ok = False  # mid-navigation: ask again
        if url_ok and selector_ok:
            return ""
        answered = [status for _, status in documents[submitted:] if status >= 400]
        out_of_time = time.monotonic() >= deadline
        if answered or out_of_time:
            with contextlib.suppress(PlaywrightError):
                # The error page's text is the best evidence: let it render first.
                page.wait_for_load_state("load", timeout=2000)
            where = urlsplit(page.url).path or "/"
            status = f" (HTTP {answered[-1]})" if answered else ""
            alert = _alert_text(page)
            said = f"; the page says {alert!r}" if alert else ""
            waited = "" if answered else f" within {timeout_s:g} s"
            return (
                f"after submitting the form on {flow.path} the browser is at {where}{status}, "
                f"not at {expected}{waited}{said}"
            )
        page.wait_for_timeout(POLL_S * 1000)


def _alert_text(page: Page) -> str:
    from playwright.sync_api import Error as PlaywrightError

    try:
        alert = page.locator("[role=alert], .error, .alert-danger").first
        if alert.count() and alert.is_visible():
            text = " ".join(alert.inner_text(timeout=1000).split())
            return text[:120]
    except PlaywrightError:
        pass
    return ""


def _clear(page: Page, selectors: list[str]) -> None:
    from playwright.sync_api import Error as PlaywrightError

    for selector in selectors:
        # evaluate_all does not wait: a field that is gone (the page moved on) costs nothing.
        with contextlib.suppress(PlaywrightError):
            page.locator(selector).evaluate_all(
                "els => els.forEach(e => { if ('value' in e) e.value = ''; })"
            )


def _screenshot(page: Page, masked: list[str]) -> bytes | None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        return page.screenshot(
            type="png", timeout=5000, mask=[page.locator(selector) for selector in masked]
        )
    except PlaywrightError:
        return None


def _first_line(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
