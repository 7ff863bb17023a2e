"""The access matrix: each declared role against each declared path.

An allowed role must be served the page (2xx). A denied role must not be: the protected-page
judgement of :mod:`pytest_prodready.checks.pages` decides what "served" means, so a 401/403, a
redirect to the login page, or a refusal of any other shape (a 404 that hides the page, a
redirect home) passes, and only a page actually served is a finding. Evidence names the role,
the path and the answer, never the credential.
"""

from __future__ import annotations

import httpx

from pytest_prodready.checks._text import truncation_note
from pytest_prodready.checks.pages import served
from pytest_prodready.core.findings import Finding, Severity, rule
from pytest_prodready.core.safety import redact_location

__all__ = ["evaluate_role"]

DENIED_SERVED = rule(
    "access.denied-role-served",
    Severity.HIGH,
    "A page or API route is served to a role the access rules deny",
    "Check the role (or the object's owner) on the server for every request, in the route "
    "handler or a policy layer, not only in the navigation or the middleware; answer 403 "
    "(or 404 to hide the object).",
)
ALLOWED_REFUSED = rule(
    "access.allowed-role-refused",
    Severity.MEDIUM,
    "A page or API route refuses a role the access rules allow",
    "Grant the role in the route's policy; if its session or token was refused, renew the "
    "probe account's credential (the evidence shows how it was answered).",
)


def _answer(response: httpx.Response) -> str:
    status = response.status_code
    if response.has_redirect_location:
        return f"{status} → {redact_location(response.headers['location'])}"
    if served(response):
        return f"{status} with {len(response.content)} bytes{truncation_note(response)}"
    return str(status)


def evaluate_role(
    role: str, path: str, response: httpx.Response, *, allowed: bool
) -> list[Finding]:
    """One role's GET of one path, against what the access rules say of that role."""
    url = str(response.request.url)
    evidence = f"role {role}: GET {path} answered {_answer(response)}"
    if allowed and not served(response):
        return [ALLOWED_REFUSED(f"{evidence}, expected 2xx", url=url)]
    if not allowed and served(response):
        return [DENIED_SERVED(f"{evidence}, expected 401/403 or the login page", url=url)]
    return []
