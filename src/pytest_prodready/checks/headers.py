"""Security response headers: HSTS, framing, MIME sniffing, referrer, cross-origin isolation.

Values are judged the way browsers process them (the last valid Referrer-Policy token wins,
only the first HSTS header counts, HSTS over plain HTTP is ignored), so a finding is something a
browser actually does or fails to do. CSP itself is judged by :mod:`pytest_prodready.checks.csp`.
"""

from __future__ import annotations

import httpx

from pytest_prodready.checks.grammar import (
    header_evidence,
    joined,
    media_type,
    parse_hsts,
    parse_sf_item,
    request_of,
    split_list,
)
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "evaluate",
    "evaluate_asset",
]

SIX_MONTHS = 15552000
_HSTS_GOOD = "Strict-Transport-Security: max-age=63072000; includeSubDomains"

HSTS_MISSING = rule(
    "hsts.missing",
    Severity.HIGH,
    "No Strict-Transport-Security header",
    f"Send {_HSTS_GOOD}",
)
HSTS_INVALID = rule(
    "hsts.invalid",
    Severity.HIGH,
    "Strict-Transport-Security header that browsers ignore",
    f"Fix the syntax (one max-age in seconds, each directive once, ';' between): {_HSTS_GOOD}",
)
HSTS_TOO_SHORT = rule(
    "hsts.max-age-too-short",
    Severity.MEDIUM,
    "Strict-Transport-Security max-age is too short",
    "Raise max-age to at least six months (15552000); two years (63072000) is the norm.",
)
HSTS_DISABLED = rule(
    "hsts.disabled",
    Severity.HIGH,
    "Strict-Transport-Security max-age=0 switches HSTS off",
    f"Unless forgetting HSTS is a deliberate rollback, send {_HSTS_GOOD}",
)
HSTS_MULTIPLE = rule(
    "hsts.multiple",
    Severity.MEDIUM,
    "More than one Strict-Transport-Security header",
    "Set HSTS in one layer only (app or proxy): browsers use the first, and a proxy that "
    "merges the two into one comma-joined line makes it invalid.",
)
HSTS_NO_SUBDOMAINS = rule(
    "hsts.no-include-subdomains",
    Severity.LOW,
    "Strict-Transport-Security without includeSubDomains",
    "Add includeSubDomains once every subdomain serves HTTPS (it also protects cookies set "
    "for the parent domain).",
)
XFO_MISSING = rule(
    "xfo.missing",
    Severity.MEDIUM,
    "No clickjacking protection (X-Frame-Options or CSP frame-ancestors)",
    "Send Content-Security-Policy: frame-ancestors 'none' (or 'self'), and X-Frame-Options: "
    "DENY for older browsers.",
)
XFO_INVALID = rule(
    "xfo.invalid",
    Severity.MEDIUM,
    "X-Frame-Options value that browsers do not enforce",
    "Use X-Frame-Options: DENY or SAMEORIGIN; ALLOW-FROM is obsolete, use CSP frame-ancestors "
    "to allow named origins.",
)
XCTO_MISSING = rule(
    "xcto.missing",
    Severity.LOW,
    "No X-Content-Type-Options header",
    "Send X-Content-Type-Options: nosniff on every response.",
)
XCTO_INVALID = rule(
    "xcto.invalid",
    Severity.LOW,
    "X-Content-Type-Options is not nosniff",
    "Send exactly X-Content-Type-Options: nosniff (it has no other value).",
)
REFERRER_UNSAFE = rule(
    "referrer.unsafe",
    Severity.MEDIUM,
    "Referrer-Policy sends URLs or origins where they should not go",
    "Use Referrer-Policy: strict-origin-when-cross-origin (or no-referrer, same-origin, "
    "strict-origin).",
)
REFERRER_INVALID = rule(
    "referrer.invalid",
    Severity.LOW,
    "Referrer-Policy has no value browsers recognise",
    "Use Referrer-Policy: strict-origin-when-cross-origin.",
)
CORP_INVALID = rule(
    "corp.invalid",
    Severity.LOW,
    "Cross-Origin-Resource-Policy value browsers ignore",
    "Use exactly one of same-origin, same-site, cross-origin (lowercase, once).",
)
COOP_INVALID = rule(
    "coop.invalid",
    Severity.LOW,
    "Cross-Origin-Opener-Policy value browsers ignore",
    "Use same-origin (or same-origin-allow-popups, noopener-allow-popups, unsafe-none), "
    "lowercase and sent once.",
)
COEP_INVALID = rule(
    "coep.invalid",
    Severity.LOW,
    "Cross-Origin-Embedder-Policy value browsers ignore",
    "Use require-corp or credentialless (or unsafe-none), lowercase and sent once.",
)
PERMISSIONS_POLICY_MISSING = rule(
    "permissions-policy.missing",
    Severity.LOW,
    "No Permissions-Policy header",
    "Deny the powerful features the site does not use, e.g. Permissions-Policy: camera=(), "
    "microphone=(), geolocation=(). Taking payments with Stripe? Not payment=(), which breaks "
    'its wallet buttons: payment=(self "https://js.stripe.com").',
)
DEPRECATED = rule(
    "header.deprecated",
    Severity.LOW,
    "Deprecated security header",
    "Remove it: Expect-CT and Public-Key-Pins are dead, and Feature-Policy is now "
    "Permissions-Policy.",
)
XSS_PROTECTION = rule(
    "header.x-xss-protection",
    Severity.INFO,
    "X-XSS-Protection is set: obsolete, and ignored by current browsers",
    "Harmless in current browsers (Chrome removed its XSS Auditor in 2019, Edge followed, "
    "Firefox never had one), so this never fails a run by default; OWASP now advises 0 or "
    "no header, as the auditor itself caused leaks in old browsers. The Content-Security-"
    "Policy is the protection.",
)

# Fetch's referrer-policy tokens; a browser skips any other token in the list.
_REFERRER_POLICIES = frozenset(
    {
        "no-referrer",
        "no-referrer-when-downgrade",
        "same-origin",
        "origin",
        "strict-origin",
        "origin-when-cross-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    }
)
# These two leak only the origin, and only cross-origin or on downgrade.
_REFERRER_ORIGIN_ONLY = frozenset({"origin", "origin-when-cross-origin"})
_REFERRER_UNSAFE = _REFERRER_ORIGIN_ONLY | {"unsafe-url", "no-referrer-when-downgrade"}

_CORP = frozenset({"same-origin", "same-site", "cross-origin"})
_COOP = frozenset(
    {"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"}
)
_COEP = frozenset({"require-corp", "credentialless", "unsafe-none"})
_DEPRECATED = ("Expect-CT", "Public-Key-Pins", "Public-Key-Pins-Report-Only", "Feature-Policy")
_DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_NO_BODY_STATUSES = frozenset({204, 205, 304})


def evaluate(
    response: httpx.Response,
    *,
    hsts_min_age: int = SIX_MONTHS,
    api: bool = False,
    csp_frame_ancestors: bool = False,
) -> list[Finding]:
    """Security-header findings for one response.

    ``api`` skips what only matters for documents a person views (framing, Permissions-Policy).
    ``csp_frame_ancestors`` says the page is already framing-protected by CSP; a
    ``frame-ancestors`` directive in the response's own enforced CSP counts too.
    """
    request = request_of(response)
    url = str(request.url) if request is not None else None
    # Unknown scheme (a response built without its request) is judged as HTTPS: prod is.
    https = request is None or request.url.scheme == "https"
    findings: list[Finding] = []
    if https:
        findings += _hsts(response, hsts_min_age, url)
    findings += _framing(response, api, csp_frame_ancestors or _has_frame_ancestors(response), url)
    findings += _nosniff(response, url)
    findings += _referrer(response, url)
    findings += _cross_origin(response, url)
    if not api and _is_document(response) and "permissions-policy" not in response.headers:
        stripe = "js.stripe.com" in response.text
        evidence = "Permissions-Policy is absent" + (
            ' (the page loads js.stripe.com: allow payment=(self "https://js.stripe.com"))'
            if stripe
            else ""
        )
        findings.append(PERMISSIONS_POLICY_MISSING(evidence, url=url))
    findings += _deprecated(response, url)
    return findings


def evaluate_asset(response: httpx.Response) -> list[Finding]:
    """Header findings for a script or stylesheet a page loads: ``nosniff``, which is what
    stops a browser from running a response of the wrong type as script or style. The
    document headers (framing, referrer, Permissions-Policy, HSTS) are the page's to send."""
    request = request_of(response)
    return _nosniff(response, str(request.url) if request is not None else None)


def _is_document(response: httpx.Response) -> bool:
    return media_type(response) in _DOCUMENT_TYPES and not 300 <= response.status_code < 400


def _has_frame_ancestors(response: httpx.Response) -> bool:
    # Only the directive's presence matters here; how strict it is, is the CSP check's call.
    for policy in response.headers.get_list("content-security-policy"):
        for directive in policy.split(";"):
            words = directive.split()
            if words and words[0].lower() == "frame-ancestors":
                return True
    return False


def _hsts(response: httpx.Response, min_age: int, url: str | None) -> list[Finding]:
    name = "Strict-Transport-Security"
    values = response.headers.get_list(name)
    if not values:
        return [HSTS_MISSING(f"{name} is absent on an HTTPS response", url=url)]
    findings: list[Finding] = []
    if len(values) > 1:
        findings.append(HSTS_MULTIPLE(f"{len(values)} headers: " + " | ".join(values), url=url))
    # RFC 6797 §8.1: a UA processes only the first header; the rest is judged by it.
    first = values[0]
    hsts = parse_hsts(first)
    evidence = header_evidence(name, first)
    if hsts.max_age is None:
        findings.append(HSTS_INVALID(f"{evidence} ({hsts.error})", url=url))
        return findings
    if hsts.max_age == 0:
        findings.append(HSTS_DISABLED(evidence, url=url))
        return findings
    if hsts.max_age < min_age:
        findings.append(HSTS_TOO_SHORT(f"{evidence} (minimum {min_age})", url=url))
    if not hsts.include_subdomains:
        findings.append(HSTS_NO_SUBDOMAINS(evidence, url=url))
    return findings


def _framing(
    response: httpx.Response, api: bool, frame_ancestors: bool, url: str | None
) -> list[Finding]:
    value = joined(response, "x-frame-options")
    if value is None:
        if api or frame_ancestors or not _is_document(response):
            return []
        return [XFO_MISSING("X-Frame-Options and CSP frame-ancestors are both absent", url=url)]
    # The HTML standard's processing: lowercase the comma-split set; several values that
    # include deny/sameorigin/allowall block framing, any other set allows it.
    options = {member.lower() for member in split_list(value)}
    if len(options) == 1 and options <= {"deny", "sameorigin"}:
        return []
    if len(options) > 1 and options & {"deny", "sameorigin", "allowall"}:
        return []
    # With frame-ancestors present browsers ignore X-Frame-Options, so a bad one costs little.
    severity = Severity.LOW if frame_ancestors else None
    return [XFO_INVALID(header_evidence("X-Frame-Options", value), url=url, severity=severity)]


def _nosniff(response: httpx.Response, url: str | None) -> list[Finding]:
    if response.status_code in _NO_BODY_STATUSES or 300 <= response.status_code < 400:
        return []
    value = joined(response, "x-content-type-options")
    if value is None:
        return [XCTO_MISSING("X-Content-Type-Options is absent", url=url)]
    # Fetch reads only the first list member, so the "nosniff, nosniff" of an app and its
    # proxy both setting it still works.
    members = split_list(value)
    if members and members[0].lower() == "nosniff":
        return []
    return [XCTO_INVALID(header_evidence("X-Content-Type-Options", value), url=url)]


def _referrer(response: httpx.Response, url: str | None) -> list[Finding]:
    value = joined(response, "referrer-policy")
    if value is None:
        # Browsers default to strict-origin-when-cross-origin, which is what we recommend.
        return []
    evidence = header_evidence("Referrer-Policy", value)
    known = [token.lower() for token in split_list(value) if token.lower() in _REFERRER_POLICIES]
    if not known:
        return [REFERRER_INVALID(evidence, url=url)]
    # The last recognised token wins: fallbacks come first, the wanted policy last.
    policy = known[-1]
    if policy not in _REFERRER_UNSAFE:
        return []
    if len(split_list(value)) > 1:
        evidence += f" (effective: {policy})"
    severity = Severity.LOW if policy in _REFERRER_ORIGIN_ONLY else None
    return [REFERRER_UNSAFE(evidence, url=url, severity=severity)]


def _cross_origin(response: httpx.Response, url: str | None) -> list[Finding]:
    findings: list[Finding] = []
    corp = joined(response, "cross-origin-resource-policy")
    # Fetch compares the combined value byte for byte: case and duplicates matter.
    if corp is not None and corp.strip() not in _CORP:
        findings.append(
            CORP_INVALID(header_evidence("Cross-Origin-Resource-Policy", corp), url=url)
        )
    for header, allowed, declared in (
        ("Cross-Origin-Opener-Policy", _COOP, COOP_INVALID),
        ("Cross-Origin-Embedder-Policy", _COEP, COEP_INVALID),
    ):
        value = joined(response, header)
        if value is None:
            continue
        item = parse_sf_item(value)
        if item is None or not item.is_token or item.value not in allowed:
            findings.append(declared(header_evidence(header, value), url=url))
    return findings


def _deprecated(response: httpx.Response, url: str | None) -> list[Finding]:
    findings = [
        DEPRECATED(header_evidence(name, response.headers[name]), url=url)
        for name in _DEPRECATED
        if name in response.headers
    ]
    xss = joined(response, "x-xss-protection")
    # "0" switches the legacy auditor off, which is the recommended value, not a finding.
    if xss is not None and xss.split(";", 1)[0].strip() != "0":
        findings.append(XSS_PROTECTION(header_evidence("X-XSS-Protection", xss), url=url))
    return findings
