"""Response headers and cookie attributes: the hardened set and the broken one.

Every security header the demo sends is decided here, so the two variants differ in one place.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NONCE_STATE_KEY = "csp_nonce"

HSTS = "max-age=63072000; includeSubDomains; preload"
HTML_CSP = (
    "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' https: 'unsafe-inline'; "
    "object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; report-to csp; report-uri /api/csp-report"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
BROKEN_CSP = (
    "default-src *; script-src 'self' 'unsafe-inline' 'unsafe-eval' "
    "https://cdnjs.cloudflare.com http:; style-src 'self' 'unsafe-inline'"
)

_DEMO_ALWAYS = {
    "server": "demo",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    # Routes that may be cached (static assets) say so themselves; everything else is
    # per-user or must be fresh.
    "cache-control": "no-store",
}
_DEMO_HTML = {
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
    "reporting-endpoints": 'csp="/api/csp-report"',
}
_BROKEN_ALWAYS = {
    "server": "nginx/1.18.0",
    "x-powered-by": "Express",
    "x-xss-protection": "1; mode=block",
    "feature-policy": "camera 'none'",
    "referrer-policy": "unsafe-url",
    "content-security-policy": BROKEN_CSP,
}


def csp_nonce(request: Request) -> str:
    """The nonce SecurityHeadersMiddleware will put in this response's CSP."""
    return str(request.scope["state"][NONCE_STATE_KEY])


class SecurityHeadersMiddleware:
    """Add the variant's headers to every response, keeping any a route set itself."""

    def __init__(self, app: ASGIApp, *, broken: bool) -> None:
        self.app = app
        self.broken = broken

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A fresh nonce per response: a reused nonce lets injected markup borrow it.
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})[NONCE_STATE_KEY] = nonce
        https = scope["scheme"] == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if self.broken:
                    _apply(headers, _BROKEN_ALWAYS)
                else:
                    _apply(headers, demo_headers(headers.get("content-type", ""), nonce, https))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def demo_headers(content_type: str, nonce: str, https: bool) -> dict[str, str]:
    headers = dict(_DEMO_ALWAYS)
    # HSTS over plain HTTP is ignored by browsers and forbidden by RFC 6797.
    if https:
        headers["strict-transport-security"] = HSTS
    if content_type.startswith("text/html"):
        headers.update(_DEMO_HTML)
        headers["content-security-policy"] = HTML_CSP.format(nonce=nonce)
    else:
        headers["content-security-policy"] = API_CSP
    return headers


def _apply(headers: MutableHeaders, defaults: dict[str, str]) -> None:
    for name, value in defaults.items():
        headers.setdefault(name, value)


def set_cookie(
    response: Response,
    name: str,
    value: str,
    *,
    broken: bool,
    httponly: bool,
    samesite: str,
    max_age: int | None = None,
) -> None:
    """Append a Set-Cookie header; `broken` drops Secure, HttpOnly and SameSite.

    Written by hand rather than with Response.set_cookie so the attributes come out in the
    canonical spelling (`SameSite=Lax`) scanners and browsers' devtools show.
    """
    parts = [f"{name}={value}", "Path=/"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if not broken:
        parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        parts.append(f"SameSite={samesite}")
    response.headers.append("set-cookie", "; ".join(parts))


def constant_time_equal(given: str, expected: str) -> bool:
    """Compare secrets in constant time, so timing does not reveal how much matched.

    Encoded first: `hmac.compare_digest` rejects non-ASCII str, and headers, cookies and a
    fuzzer's JSON strings can carry any character, lone surrogates included.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
