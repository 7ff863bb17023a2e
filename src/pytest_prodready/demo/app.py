"""Assemble the demo ASGI apps: the full HTTPS app and the plain-HTTP one."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from pytest_prodready.demo.api import Api
from pytest_prodready.demo.cors import CorsMiddleware
from pytest_prodready.demo.errors import ErrorPageMiddleware, make_http_exception_handler
from pytest_prodready.demo.pages import Pages
from pytest_prodready.demo.requestlog import RequestLogMiddleware
from pytest_prodready.demo.security import SecurityHeadersMiddleware
from pytest_prodready.demo.settings import DemoSettings
from pytest_prodready.demo.state import DemoState

# Low enough that every HTML page is compressed, high enough to skip tiny JSON bodies.
_GZIP_MINIMUM_SIZE = 256


def create_app(settings: DemoSettings) -> Starlette:
    """The full demo app, hardened or broken according to `settings.variant`."""
    state = DemoState(settings)
    broken = settings.broken
    # Outermost first. Headers wrap CORS and the error pages so that preflight answers and
    # 500 pages carry them too; the request log sees the final status of everything.
    middleware = [
        Middleware(GZipMiddleware, minimum_size=_GZIP_MINIMUM_SIZE),
        Middleware(SecurityHeadersMiddleware, broken=broken),
        Middleware(CorsMiddleware, broken=broken),
        Middleware(ErrorPageMiddleware, broken=broken),
    ]
    if settings.request_log is not None:
        middleware.insert(0, Middleware(RequestLogMiddleware, path=settings.request_log))
    app = Starlette(
        routes=Pages(state).routes() + Api(state).routes(),
        middleware=middleware,
        exception_handlers={HTTPException: make_http_exception_handler(broken=broken)},
    )
    # "/api/items/" must be a 404 the schema documents, not a redirect it does not.
    app.router.redirect_slashes = False
    app.state.demo = state
    return app


def create_redirect_app(
    https_base_url: str, settings: DemoSettings, *, app: ASGIApp | None = None
) -> ASGIApp:
    """The app for the plain-HTTP listener.

    `demo` answers everything with 301 to the same path on `https_base_url`. `demo-broken`
    serves the full app over plain HTTP: `app` if given (so both listeners share sessions
    and data), else a new one.
    """
    if settings.broken:
        return app if app is not None else create_app(settings)
    redirect: ASGIApp = HttpsRedirect(https_base_url)
    if settings.request_log is not None:
        redirect = RequestLogMiddleware(redirect, settings.request_log)
    return redirect


class HttpsRedirect:
    def __init__(self, https_base_url: str) -> None:
        self.base = https_base_url.rstrip("/").encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        # raw_path keeps the client's percent-encoding, so the target is the same resource.
        # An absolute-form target ("GET http://other/ HTTP/1.1") must not steer the redirect.
        path = scope.get("raw_path") or b"/"
        location = self.base + (path if path.startswith(b"/") else b"/")
        if scope["query_string"]:
            location += b"?" + scope["query_string"]
        await send(
            {
                "type": "http.response.start",
                "status": 301,
                "headers": [
                    (b"location", location),
                    (b"server", b"demo"),
                    (b"content-length", b"0"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})
