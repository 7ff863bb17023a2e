"""Cookie attributes: Secure, HttpOnly and SameSite on what a response sets.

Session cookies (what an attacker would steal to become the user) are held to a higher bar and
reported under their own ids. Cookies that delete themselves are never findings: a logout that
expires the session cookie without repeating its attributes is harmless.
"""

from __future__ import annotations

import re

import httpx

from pytest_prodready.checks.grammar import Cookie, parse_set_cookie, request_of, response_date
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["evaluate", "is_session_cookie"]

NO_SECURE = rule(
    "cookie.no-secure",
    Severity.MEDIUM,
    "Cookie set without Secure over HTTPS",
    "Add Secure to every cookie an HTTPS site sets, so it never travels over plain HTTP.",
)
SESSION_NO_SECURE = rule(
    "cookie.session-no-secure",
    Severity.HIGH,
    "Session cookie set without Secure",
    "Add Secure to the session cookie: without it one plain-HTTP request hands it to anyone "
    "on the network.",
)
SESSION_NO_HTTPONLY = rule(
    "cookie.session-no-httponly",
    Severity.MEDIUM,
    "Session cookie readable by scripts (no HttpOnly)",
    "Add HttpOnly to the session cookie, so an XSS cannot read and exfiltrate it.",
)
SAMESITE_INVALID = rule(
    "cookie.samesite-invalid",
    Severity.LOW,
    "Cookie SameSite value browsers do not recognise",
    "Use SameSite=Lax (or Strict; None only with Secure for cross-site use).",
)
SAMESITE_NONE_INSECURE = rule(
    "cookie.samesite-none-insecure",
    Severity.MEDIUM,
    "SameSite=None cookie without Secure",
    "Add Secure: browsers reject SameSite=None cookies that are not Secure.",
)
CSRF_NO_SAMESITE = rule(
    "cookie.csrf-no-samesite",
    Severity.MEDIUM,
    "Session or anti-CSRF cookie without a SameSite attribute",
    "Set SameSite=Lax (or Strict) explicitly: not every browser defaults to Lax, and the "
    "cookie then rides along on cross-site requests (CSRF).",
)

_SESSION_WORDS = ("sess", "login", "auth", "token", "jwt")
# "sid" only as its own word: as a substring it is in "sidebar", "inside", "consider".
_SID = re.compile(r"(?<![a-z])sid(?![a-z])")
# Anti-CSRF tokens must be readable by page scripts (double submit), so they are not
# session cookies even when named "csrftoken" or "XSRF-TOKEN".
_ANTI_CSRF = ("csrf", "xsrf")
# Infrastructure cookies named like sessions that carry no identity (load-balancer affinity).
_NOT_SESSION = frozenset({"heroku-session-affinity"})
_SAMESITE_VALUES = frozenset({"strict", "lax", "none"})


def is_session_cookie(name: str, session_names: tuple[str, ...] = ()) -> bool:
    """Whether ``name`` looks like a session or authentication cookie.

    ``session_names`` are always session cookies (exact, case-sensitive names, as cookie names
    are); otherwise names containing sess, login, auth, token, jwt or the word sid count,
    except anti-CSRF tokens and known load-balancer affinity cookies.
    """
    if name in session_names:
        return True
    lowered = name.lower()
    if lowered in _NOT_SESSION or _is_anti_csrf(name):
        return False
    return any(word in lowered for word in _SESSION_WORDS) or _SID.search(lowered) is not None


def _is_anti_csrf(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _ANTI_CSRF)


def evaluate(
    response: httpx.Response,
    *,
    session_names: tuple[str, ...] = (),
    https: bool | None = None,
    plain_http: bool = False,
) -> list[Finding]:
    """Findings for every cookie ``response`` sets.

    ``https`` defaults to the request's scheme (HTTPS when the response has no request). Over
    plain HTTP a missing Secure is the transport's finding (``tls.no-https``), except on a
    session cookie, which is still reported, unless the env is on plain HTTP on purpose
    (``plain_http``).
    """
    request = request_of(response)
    url = str(request.url) if request is not None else None
    if https is None:
        https = request is None or request.url.scheme == "https"
    now = response_date(response)
    findings: list[Finding] = []
    for value in response.headers.get_list("set-cookie"):
        cookie = parse_set_cookie(value)
        if (not cookie.name and not cookie.value) or cookie.is_deletion(now):
            continue
        findings += _judge(cookie, session_names, https, url, plain_http=plain_http)
    return findings


def _judge(
    cookie: Cookie,
    session_names: tuple[str, ...],
    https: bool,
    url: str | None,
    *,
    plain_http: bool = False,
) -> list[Finding]:
    session = is_session_cookie(cookie.name, session_names)
    evidence = f"Set-Cookie: {clip(cookie.raw, 160)}"
    findings: list[Finding] = []
    if not cookie.secure:
        if cookie.prefix is not None:
            # Browsers drop a prefixed cookie that lacks Secure, on any scheme: the cookie
            # the app relies on never exists.
            findings.append(
                NO_SECURE(
                    f"{evidence} ({cookie.prefix} requires Secure; browsers reject it)",
                    url=url,
                    severity=Severity.HIGH,
                )
            )
        elif session and (https or not plain_http):
            # Over plain HTTP too: the site lacks HTTPS, and its session rides in cleartext.
            findings.append(SESSION_NO_SECURE(evidence, url=url))
        elif https:
            findings.append(NO_SECURE(evidence, url=url))
    if session and not cookie.http_only:
        findings.append(SESSION_NO_HTTPONLY(evidence, url=url))
    same_site = cookie.same_site
    if same_site is not None and same_site.lower() not in _SAMESITE_VALUES:
        findings.append(
            SAMESITE_INVALID(evidence, url=url, severity=Severity.MEDIUM if session else None)
        )
    if same_site is not None and same_site.lower() == "none" and not cookie.secure:
        findings.append(
            SAMESITE_NONE_INSECURE(evidence, url=url, severity=Severity.HIGH if session else None)
        )
    if same_site is None and (session or _is_anti_csrf(cookie.name)):
        findings.append(
            CSRF_NO_SAMESITE(evidence, url=url, severity=None if session else Severity.LOW)
        )
    return findings
