"""The pure checks behind the browser suites: facts a real browser gathered in, findings out.

Console errors, failed same-origin requests, mixed content, CSP violations, and the flows'
verdicts (login, logout, a protected page seen by a stranger); web vitals are judged in
:mod:`pytest_prodready.browser.vitals`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from pytest_prodready.browser.facts import (
    ConsoleEntry,
    DocumentScripts,
    LoginOutcome,
    PageFacts,
    Violation,
    same_origin,
)
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "LOGIN_FAILED",
    "LOGOUT_KEPT_SESSION",
    "PROTECTED_NOT_REDIRECTED",
    "console_errors",
    "cookie_findings",
    "csp_violations",
    "failed_requests",
    "is_login_page",
    "judge_anonymous",
    "lands_on",
    "login_findings",
    "mixed_content",
    "page_findings",
]

CONSOLE_ERROR = rule(
    "browser.console-error",
    Severity.MEDIUM,
    "The page logs a console error or throws an uncaught exception",
    "Fix the script error the evidence quotes (a broken bundle, a missing global, a failed "
    "API call): users see a page that half works.",
)
FAILED_REQUEST = rule(
    "browser.failed-request",
    Severity.MEDIUM,
    "A same-origin request of the page failed or returned an error status",
    "Deploy the missing asset or fix the endpoint; check the build's asset paths and the "
    "CDN/proxy routes for the URL in the evidence.",
)
MIXED_CONTENT = rule(
    "browser.mixed-content",
    Severity.MEDIUM,
    "An HTTPS page loads a subresource over plain HTTP (mixed content)",
    "Reference the resource with https:// (or a relative URL); add "
    "Content-Security-Policy: upgrade-insecure-requests as a safety net.",
)
CSP_VIOLATION = rule(
    "csp.violation",
    Severity.MEDIUM,
    "The browser reports a Content-Security-Policy violation on the page",
    "Blocked (enforce): the policy breaks the page; allow that source with a nonce or hash, "
    "or stop loading it. Report-only: fix it before enforcing.",
)
INLINE_SCRIPT_RAN = rule(
    "csp.meta-inline-script-ran",
    Severity.HIGH,
    "An inline script without a nonce or hash ran under a <meta>-delivered policy",
    "The policy in the page's <meta http-equiv> tag (which no header check sees) lets inline "
    "scripts run, so it would not stop an injected one either: drop 'unsafe-inline' in "
    "favour of per-response nonces, best sent as a header.",
)

# Chrome 120+ words violations "Executing inline script violates ..." / "Loading the image
# '...' violates ..."; older versions "Refused to ... because it violates ...".
_CSP_MESSAGE = re.compile(r"Content[ -]Security[ -]Policy", re.IGNORECASE)
_CSP_VIOLATION_MESSAGE = re.compile(r"violates|Refused to", re.IGNORECASE)
_INSECURE_URL = re.compile(r"insecure [\w -]+? '((?:http|ws)://[^']+)'")
_NONCE_OR_HASH = re.compile(r"'(nonce-[^']+|sha(?:256|384|512)-[^']+)'", re.IGNORECASE)
_FAILED_LOAD = "Failed to load resource"
# A request the page itself cancelled (navigation, media range, preload no longer needed).
_ABORTED = "net::ERR_ABORTED"
MAX_EVIDENCE = 200


def _is_csp(entry: ConsoleEntry) -> bool:
    return bool(_CSP_MESSAGE.search(entry.text))


def _is_mixed(entry: ConsoleEntry) -> bool:
    return entry.text.startswith("Mixed Content:")


def _insecure_urls(facts: PageFacts) -> dict[str, str]:
    """Insecure URL -> what Chrome said about it (or that it was requested)."""
    found: dict[str, str] = {}
    for entry in facts.console:
        if not _is_mixed(entry):
            continue
        match = _INSECURE_URL.search(entry.text)
        url = match.group(1) if match else entry.text
        tail = entry.text.split("'. ", 1)[-1] if match else ""
        found.setdefault(url, tail or "Chrome reported mixed content")
    for url in facts.insecure_requests:
        found.setdefault(url, "requested over plain HTTP")
    return found


def console_errors(facts: PageFacts) -> list[Finding]:
    """Uncaught exceptions and console errors, except what other checks report better: CSP
    and mixed-content messages, and resource failures of same-origin (``failed_requests``) or
    insecure (``mixed_content``) URLs."""
    insecure = _insecure_urls(facts)
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for entry in facts.console:
        if entry.type == "pageerror":
            label = "uncaught exception"
        elif entry.type == "error" and not (_is_csp(entry) or _is_mixed(entry)):
            label = "console error"
            failed_load = entry.text.startswith(_FAILED_LOAD)
            if failed_load and (same_origin(entry.url, facts.origin) or entry.url in insecure):
                continue
        else:
            continue
        if (label, entry.text) in seen:
            continue
        seen.add((label, entry.text))
        where = f" at {entry.source}" if entry.source else ""
        findings.append(
            CONSOLE_ERROR(f"{label}: {clip(entry.text, MAX_EVIDENCE)}{where}", url=facts.url)
        )
    return findings


def failed_requests(facts: PageFacts) -> list[Finding]:
    """Same-origin requests that failed or answered >= 400 (the page itself: high)."""
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for request in facts.failed:
        if not same_origin(request.url, facts.origin) or request.failure == _ABORTED:
            continue
        outcome = f"HTTP {request.status}" if request.status is not None else request.failure
        key = (request.url, str(outcome))
        if key in seen:
            continue
        seen.add(key)
        document = request.resource_type == "document"
        findings.append(
            FAILED_REQUEST(
                f"{request.method} {request.url} ({request.resource_type}): {outcome}",
                url=facts.url,
                severity=Severity.HIGH if document else None,
            )
        )
    return findings


def mixed_content(facts: PageFacts) -> list[Finding]:
    """Plain-HTTP subresources of an HTTPS page, requested or blocked (one finding per URL)."""
    if urlsplit(facts.url).scheme != "https":
        return []
    return [
        MIXED_CONTENT(f"{url}: {clip(how, 120)}", url=facts.url)
        for url, how in sorted(_insecure_urls(facts).items())
    ]


def _allowed_tokens(policies: Iterable[str]) -> set[str]:
    return {m.group(1).lower() for p in policies for m in _NONCE_OR_HASH.finditer(p)}


def _script_hashes(text: str) -> set[str]:
    data = text.encode("utf-8")
    return {
        f"{name}-{base64.b64encode(hashlib.new(name, data).digest()).decode()}".lower()
        for name in ("sha256", "sha384", "sha512")
    }


def _unblocked_inline(doc: DocumentScripts) -> list[str]:
    """Texts of inline scripts that ran without a nonce or hash the policy names."""
    allowed = _allowed_tokens(doc.policies)
    ran: list[str] = []
    for nonce, text, blocked in doc.inline:
        if blocked or not text.strip() or (nonce and f"nonce-{nonce}".lower() in allowed):
            continue
        if _script_hashes(text) & allowed:
            continue
        ran.append(text)
    return ran


def _implicit_favicon(violation: Violation) -> bool:
    # Chrome fetches /favicon.ico by itself when a page declares no icon; that request is not
    # the page's doing (it has no source line) and users never see it fail.
    return not violation.source and urlsplit(violation.blocked_uri).path == "/favicon.ico"


def csp_violations(facts: PageFacts) -> list[Finding]:
    """Violations the browser fired (enforced: the policy blocked part of the page; report-only:
    it would), and inline scripts that ran under a <meta>-delivered policy without a nonce or
    hash, i.e. that policy would not stop an injected one either."""
    findings: list[Finding] = []
    counted = Counter(v for v in facts.violations if not _implicit_favicon(v))
    for violation, count in sorted(counted.items(), key=lambda item: repr(item[0])):
        enforced = violation.disposition == "enforce"
        parts = [
            f"{violation.directive} blocked {violation.blocked_uri or 'inline'}"
            if enforced
            else f"{violation.directive} would block {violation.blocked_uri or 'inline'}",
            "enforced" if enforced else "report-only",
        ]
        if violation.source:
            parts.append(f"source {violation.source}")
        if violation.sample:
            parts.append(f"sample {clip(violation.sample, 60)!r}")
        if count > 1:
            parts.append(f"{count} times")
        findings.append(
            CSP_VIOLATION(
                "; ".join(parts), url=facts.url, severity=None if enforced else Severity.LOW
            )
        )
    if not facts.violations:
        # Events are the better evidence; the console is the fallback (e.g. a frame whose
        # events were not collected).
        messages = {
            e.text for e in facts.console if _is_csp(e) and _CSP_VIOLATION_MESSAGE.search(e.text)
        }
        findings += [
            CSP_VIOLATION(
                clip(text, MAX_EVIDENCE),
                url=facts.url,
                severity=Severity.LOW if "report" in text.lower() else None,
            )
            for text in sorted(messages)
        ]
    for doc in facts.documents:
        # A header policy that lets inline scripts run is csp.script-unsafe-inline, found by
        # the header check; only a <meta> policy is something that check cannot see.
        if not doc.meta:
            continue
        ran = _unblocked_inline(doc)
        if ran:
            policy = clip(" , ".join(doc.meta), 160)
            findings.append(
                INLINE_SCRIPT_RAN(
                    f"{len(ran)} inline <script> without a valid nonce or hash ran under the "
                    f"<meta> policy ({policy}); first: {clip(ran[0], 60)!r}",
                    url=doc.url,
                )
            )
    return findings


def page_findings(facts: PageFacts) -> list[Finding]:
    """Every non-vitals check, for a page or a whole user flow."""
    return [
        *console_errors(facts),
        *failed_requests(facts),
        *mixed_content(facts),
        *csp_violations(facts),
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


def login_findings(outcome: LoginOutcome) -> list[Finding]:
    """``flow.login-failed`` when the login did not succeed: the flow's verdict only (what the
    pages said along the way is :func:`page_findings` of ``outcome.facts``, its own test)."""
    if not outcome.ok:
        return [LOGIN_FAILED(outcome.evidence, url=outcome.login_url)]
    return []
