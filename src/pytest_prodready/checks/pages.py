"""Critical pages answer, protected pages are closed to strangers, guarded endpoints refuse.

A stranger is judged three ways: with no cookie at all, with a forged session cookie, and
with the header that made Next.js skip its middleware (CVE-2025-29927). The two forged
requests are judged against the anonymous answer: a correct app answers them exactly as it
answers a stranger, and a page already served to a stranger is one hole, reported once.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks._text import truncation_note
from pytest_prodready.config import GuardedEndpoint, PageSpec
from pytest_prodready.core.findings import Finding, Rule, Severity, rule
from pytest_prodready.core.safety import redact_location

__all__ = [
    "evaluate_forged_session",
    "evaluate_guarded",
    "evaluate_middleware_bypass",
    "evaluate_page",
    "evaluate_protected",
    "served",
]

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
FORGED_SESSION = rule(
    "page.protected-forged-session",
    Severity.HIGH,
    "A protected page is served to anyone who sends a made-up session cookie",
    "Verify the session before serving (its signature, expiry or a store lookup), not only "
    "that the cookie exists: in middleware too. Supabase: getUser() or getClaims(), never "
    "getSession(), on the server; JWTs: verify, not decode.",
)
MIDDLEWARE_BYPASS = rule(
    "page.middleware-bypass",
    Severity.HIGH,
    "A protected page is served when the request claims to be a Next.js middleware "
    "subrequest (CVE-2025-29927)",
    "Upgrade Next.js (12.3.5, 13.5.9, 14.2.25, 15.2.3 or later), drop x-middleware-subrequest "
    "from incoming requests at the proxy or CDN, and check the session in the page or route "
    "handler as well as in middleware.",
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


def served(response: httpx.Response) -> bool:
    """The page itself answered (2xx): what :func:`evaluate_protected` calls exposed."""
    return 200 <= response.status_code < 300


def evaluate_forged_session(
    anonymous: httpx.Response, forged: httpx.Response, *, carried: str, login_path: str
) -> list[Finding]:
    """A forged session cookie must open no more than no cookie does.

    ``carried`` says what the forged request carried (cookie names, never values).
    """
    return _opened_by(FORGED_SESSION, anonymous, forged, carried=carried, login_path=login_path)


def evaluate_middleware_bypass(
    anonymous: httpx.Response, bypass: httpx.Response, *, carried: str, login_path: str
) -> list[Finding]:
    """``x-middleware-subrequest`` must open no more than a plain anonymous request does."""
    return _opened_by(MIDDLEWARE_BYPASS, anonymous, bypass, carried=carried, login_path=login_path)


def _opened_by(
    found: Rule,
    anonymous: httpx.Response,
    attempt: httpx.Response,
    *,
    carried: str,
    login_path: str,
) -> list[Finding]:
    # Served to a stranger already: page.protected-exposed reports that hole, and whatever
    # the forged request got says nothing more about it.
    if served(anonymous):
        return []
    # The protected-page rule judges the forged answer; only a served page is a finding. A
    # refusal of another shape (a 5xx for a cookie it cannot parse, a redirect elsewhere)
    # still serves nothing.
    verdict = evaluate_protected(attempt, login_path=login_path)
    if not any(finding.id == PROTECTED_EXPOSED.id for finding in verdict):
        return []
    evidence = f"{carried}: {_answer(attempt)}; anonymous: {_answer(anonymous)}"
    return [found(evidence, url=str(attempt.request.url))]


def _answer(response: httpx.Response) -> str:
    """A response in a few words; a Location without its query or fragment."""
    status = response.status_code
    if response.has_redirect_location:
        return f"{status} → {redact_location(response.headers['location'])}"
    if served(response):
        return f"{status} with {len(response.content)} bytes{truncation_note(response)}"
    return str(status)


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
