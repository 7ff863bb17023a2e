"""CORS: one trusted origin in `demo`, every origin reflected with credentials in `demo-broken`.

Hand-written rather than Starlette's CORSMiddleware, whose refusal of a preflight still sends
`Access-Control-Allow-Credentials` and a framework-specific body.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_prodready.demo.responses import api_error, is_api_path

TRUSTED_ORIGIN = "https://app.demo.test"
_ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
_ALLOWED_HEADERS = "Authorization, Content-Type"
_EXPOSED_HEADERS = "RateLimit, RateLimit-Policy, Retry-After, Location"
_PREFLIGHT_MAX_AGE = "600"


class CorsMiddleware:
    def __init__(self, app: ASGIApp, *, broken: bool) -> None:
        self.app = app
        self.broken = broken

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not (self.broken or is_api_path(scope["path"])):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        origin = request_headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        # The misconfiguration real apps ship: echo whatever Origin came, "null" included.
        allowed = self.broken or origin == TRUSTED_ORIGIN
        if scope["method"] == "OPTIONS" and "access-control-request-method" in request_headers:
            await self._preflight(origin, allowed, request_headers)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # Caches must key on Origin, or one origin's answer is served to another.
                headers.add_vary_header("Origin")
                if allowed:
                    headers["access-control-allow-origin"] = origin
                    headers["access-control-allow-credentials"] = "true"
                    headers["access-control-expose-headers"] = _EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _preflight(self, origin: str, allowed: bool, request_headers: Headers) -> Response:
        if not allowed:
            response: Response = api_error(403, "origin not allowed")
            response.headers["vary"] = "Origin"
            return response
        requested_headers = request_headers.get("access-control-request-headers", "")
        response = Response(status_code=204)
        response.headers.update(
            {
                "access-control-allow-origin": origin,
                "access-control-allow-credentials": "true",
                "access-control-allow-methods": (
                    request_headers["access-control-request-method"]
                    if self.broken
                    else _ALLOWED_METHODS
                ),
                "access-control-allow-headers": (
                    requested_headers if self.broken and requested_headers else _ALLOWED_HEADERS
                ),
                "access-control-max-age": _PREFLIGHT_MAX_AGE,
                "vary": "Origin",
            }
        )
        return response
