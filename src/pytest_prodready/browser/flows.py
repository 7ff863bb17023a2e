"""Flow findings and the flows that need no login of their own: logout, and a protected page
seen by a stranger and by a logged-in browser.

Typed secrets go into the form and nowhere else: no evidence or message built here contains a
typed value, and cookie values are masked before any check quotes them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from pytest_prodready.config.load import LoginFlow
from pytest_prodready.core.findings import Finding, Severity, rule

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from pytest_prodready.browser.login import LoginOutcome
    from pytest_prodready.browser.watch import PageWatch

__all__ = [
    "LOGIN_FAILED",
    "anonymous_visit",
    "cookie_findings",
    "is_login_page",
    "judge_anonymous",
    "lands_on",
    "log_out",
    "logged_in_visit",
]

LOGIN_FAILED = rule(
    "flow.login-failed",
    Severity.HIGH,
    "The configured login does not succeed in a real browser",
    "Check the evidence: the credentials (secret variables), the form selectors in "
    "[envs.X.flows.login], and the login route; users cannot sign in.",
)
PROTECTED_NOT_REDIRECTED = rule(
    "flow.protected-not-redirected",
    Severity.HIGH,
    "A protected page is shown to an anonymous browser instead of the login page",
    "Require a session on this route: redirect anonymous visitors to the login page (or "
    "answer 401/403).",
)
LOGOUT_KEPT_SESSION = rule(
    "flow.logout-kept-session",
    Severity.HIGH,
    "Logging out leaves the session cookie in the browser",
    "On logout, expire the session cookie (same name, path and domain, Max-Age=0) and revoke "
    "the session server-side.",
)

POLL_S = 0.1


def lands_on(url: str, expected: str, base_url: str) -> bool:
    """Whether ``url`` is ``expected`` (a path or URL; its query too, when it has one)."""
    want = urlsplit(urljoin(base_url, expected))
    got = urlsplit(url)
    if (got.scheme, got.netloc, got.path.rstrip("/") or "/") != (
        want.scheme,
        want.netloc,
        want.path.rstrip("/") or "/",
    ):
        return False
    return not want.query or got.query == want.query


def cookie_findings(outcome: LoginOutcome, session_names: tuple[str, ...]) -> list[Finding]:
    """``cookie.*`` findings (:mod:`pytest_prodready.checks.cookies`) for every cookie the
    login's responses set, read from their Set-Cookie headers: the browser's cookie jar would
    not say which attributes were sent. Values arrive masked."""
    import httpx

    from pytest_prodready.checks.cookies import evaluate

    by_url: dict[str, list[str]] = {}
    for url, value in outcome.set_cookies:
        by_url.setdefault(url, []).append(value)
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for url, values in by_url.items():
        response = httpx.Response(
            200,
            headers=[("set-cookie", v) for v in values],
            request=httpx.Request("GET", url),
        )
        for finding in evaluate(response, session_names=session_names):
            # The same cookie set on several responses of one flow is one finding.
            key = (finding.id, finding.evidence)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return findings


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


def is_login_page(url: str, login_path: str) -> bool:
    """Whether ``url`` is a login page: the environment's ``login_path``, or any path that says
    login or signin (the rule of the HTTP check, ``checks.pages.evaluate_protected``)."""
    path = urlsplit(url).path
    return path.rstrip("/") == login_path.rstrip("/") or "login" in path or "signin" in path


def judge_anonymous(
    path: str, status: int | None, landed: str, login_path: str, base_url: str
) -> list[Finding]:
    """An anonymous browser asked for ``path`` and ended at ``landed`` (the last response's
    ``status``): it must be refused (401/403) or be on a login page (:func:`is_login_page`)."""
    if status in (401, 403) or is_login_page(landed, login_path):
        return []
    where = urlsplit(landed).path or "/"
    return [
        PROTECTED_NOT_REDIRECTED(
            f"an anonymous browser asking for {path} got HTTP {status} at {where}, not the "
            f"login page {login_path} (nor another login or signin path, nor HTTP 401/403)",
            url=urljoin(base_url, path),
        )
    ]


def anonymous_visit(page: Page, path: str, base_url: str, login_path: str) -> list[Finding]:
    """A fresh browser asks for ``path``: it must land on the login page (or get 401/403)."""
    response = page.goto(urljoin(base_url, path))
    status = response.status if response is not None else None
    return judge_anonymous(path, status, page.url, login_path, base_url)


def logged_in_visit(
    page: Page, path: str, base_url: str, login_path: str, watch: PageWatch
) -> list[Finding]:
    """A logged-in browser asks for ``path``: it must stay there, and the page must be clean."""
    url = urljoin(base_url, path)
    page.goto(url)
    watch.settle()
    if lands_on(page.url, login_path, base_url):
        return [
            LOGIN_FAILED(
                f"a logged-in browser asking for {path} was sent to the login page: the "
                "session the login created is not honoured",
                url=url,
            )
        ]
    # A protected page that answers >= 400 is a failed request of the page, reported there.
    return watch.findings()
