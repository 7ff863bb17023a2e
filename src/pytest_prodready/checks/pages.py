"""Critical pages answer, protected pages are closed to strangers, guarded endpoints refuse."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks._text import truncation_note
from pytest_prodready.config import GuardedEndpoint, PageSpec
from pytest_prodready.core.findings import Finding, Severity, rule
from pytest_prodready.core.safety import redact_location

__all__ = ["evaluate_guarded", "evaluate_page", "evaluate_protected"]

PAGE_STATUS = rule(
    "page.status",
    Severity.HIGH,
    "A critical page answers with an unexpected status",
    "Fix the route or its dependency; users see this page first.",
)
PAGE_MARKER = rule(
    "page.marker-missing",
    Severity.MEDIUM,
    "A critical page lacks its expected text",
    "The page rendered something else (an error shell, a stale build): check the deploy.",
)
PAGE_SLOW = rule(
    "page.slow",
    Severity.MEDIUM,
    "A critical page's time to first byte exceeds its budget",
    "Profile the server render and its queries; cache what can be cached.",
)
PROTECTED_EXPOSED = rule(
    "page.protected-exposed",
    Severity.HIGH,
    "A protected page is served to an anonymous visitor",
    "Require a session: redirect anonymous requests to the login page or answer 401/403.",
)
PROTECTED_REDIRECT = rule(
    "page.protected-bad-redirect",
    Severity.MEDIUM,
    "A protected page redirects anonymous visitors somewhere other than the login page",
    "Redirect anonymous requests to the login page (or answer 401/403).",
)
UNGUARDED = rule(
    "endpoint.unguarded",
    Severity.HIGH,
    "An endpoint that needs a signature or secret accepts an unauthenticated call",
    "Verify the webhook signature (e.g. Stripe-Signature) or the CRON_SECRET bearer first.",
)
GUARD_STATUS = rule(
    "endpoint.unexpected-status",
    Severity.MEDIUM,
    "A guarded endpoint refuses an unauthenticated call with an unexpected status",
    "Refuse with 400/401/403 before doing any work; a 5xx means it crashed instead.",
)


def evaluate_page(spec: PageSpec, response: httpx.Response, ttfb_s: float | None) -> list[Finding]:
    """Status, text marker and TTFB budget of one critical page."""
    url = str(response.request.url)
    if response.status_code != spec.status:
        # A Location's query and fragment can carry tokens: evidence quotes neither.
        location = response.headers.get("location", "")
        where = f" → {redact_location(location)}" if response.has_redirect_location else ""
        return [PAGE_STATUS(f"{response.status_code}{where} instead of {spec.status}", url=url)]
    findings = []
    if spec.contains is not None and spec.contains not in response.text:
        findings.append(PAGE_MARKER(f"{spec.contains!r} not found in the body", url=url))
    if spec.max_ttfb_ms is not None and ttfb_s is not None and ttfb_s * 1000 > spec.max_ttfb_ms:
        findings.append(
            PAGE_SLOW(f"TTFB {ttfb_s * 1000:.0f} ms > {spec.max_ttfb_ms:g} ms", url=url)
        )
    return findings


def evaluate_protected(response: httpx.Response, *, login_path: str) -> list[Finding]:
    """An anonymous request for a protected page must be redirected to login or refused."""
    url = str(response.request.url)
    status = response.status_code
    if status in (401, 403):
        return []
    if response.is_redirect:
        location = response.headers.get("location", "")
        try:
            target = urljoin(url, location)
            path = urlsplit(target).path
        except ValueError:
            shown = redact_location(location)
            return [PROTECTED_REDIRECT(f"{status} → {shown!r}, not a valid URL", url=url)]
        if path.rstrip("/") == login_path.rstrip("/") or "login" in path or "signin" in path:
            return []
        return [PROTECTED_REDIRECT(f"{status} → {redact_location(target)}", url=url)]
    if 200 <= status < 300:
        size = f"{len(response.content)} bytes{truncation_note(response)}"
        return [PROTECTED_EXPOSED(f"{status} with {size}", url=url)]
    return [PAGE_STATUS(f"{status} for an anonymous visitor", url=url)]


def evaluate_guarded(spec: GuardedEndpoint, response: httpx.Response) -> list[Finding]:
    """An unauthenticated call to a webhook or cron endpoint must be refused."""
    url = str(response.request.url)
    status = response.status_code
    evidence = f"{spec.method} without credentials answered {status}"
    if 200 <= status < 300:
        return [UNGUARDED(evidence, url=url)]
    if status not in spec.expect_status:
        expected = "/".join(str(s) for s in spec.expect_status)
        return [GUARD_STATUS(f"{evidence}, expected {expected}", url=url)]
    return []
