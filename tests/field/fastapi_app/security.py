"""Security headers, set by one pure-ASGI middleware (as teams do when no proxy sets them).

Pure ASGI rather than ``@app.middleware("http")``: BaseHTTPMiddleware buffers streaming
responses and runs the route in another task, and the headers must also reach the answers
other middleware produce first (CORS preflights, slowapi's 429s).
"""

from __future__ import annotations

import hmac

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=63072000; includeSubDomains"
# The landing page has no script or style of its own: everything else is refused.
HTML_CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# A JSON answer is never a document: if a browser ever renders one, nothing may load.
API_CSP = "default-src 'none'; frame-ancestors 'none'"

_GOOD_ALWAYS = {
    "strict-transport-security": HSTS,
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    # API answers are per-user or must be fresh; a route that may be cached says so itself.
    "cache-control": "no-store",
}
_GOOD_HTML = {
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cross-origin-opener-policy": "same-origin",
    "content-security-policy": HTML_CSP,
}
# Copied from an old blog post: a one-day HSTS "while we test", the obsolete XSS auditor
# switch, and no CSP, framing or Permissions-Policy at all.
_MISCONFIGURED_ALWAYS = {
    "strict-transport-security": "max-age=86400",
    "x-content-type-options": "nosniff",
    "x-xss-protection": "1; mode=block",
}


class SecurityHeadersMiddleware:
    """Add the variant's headers to every response, keeping any a route set itself."""

    def __init__(self, app: ASGIApp, *, good: bool) -> None:
        self.app = app
        self.good = good

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers(headers.get("content-type", "")).items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, content_type: str) -> dict[str, str]:
        if not self.good:
            return _MISCONFIGURED_ALWAYS
        if content_type.startswith("text/html"):
            return {**_GOOD_ALWAYS, **_GOOD_HTML}
        return {**_GOOD_ALWAYS, "content-security-policy": API_CSP}


def constant_time_equal(given: str, expected: str) -> bool:
    """Compare secrets in constant time. Encoded first: ``hmac.compare_digest`` refuses
    non-ASCII str, and a fuzzer's headers and JSON strings carry any character."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )
