"""Error pages: plain and signature-free in `demo`, Django-style debug output in `demo-broken`."""

from __future__ import annotations

import html
import logging
import sys
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pytest_prodready.demo.responses import api_error, is_api_path

logger = logging.getLogger(__name__)

# Tracebacks show the paths a containerised deployment would, not this machine's.
_SRC_ROOT = Path(__file__).resolve().parents[2]
_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
_SITE_PACKAGES = f"/usr/local/lib/python{_PYTHON}/site-packages/"

_PLAIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main><h1>{title}</h1><p><a href="/">Back to the home page</a></p></main></body>
</html>
"""

_DEBUG_STYLE = (
    "<style>body{font:small sans-serif;background:#eee}#summary{background:#ffc}"
    "#explanation{background:#eee}pre{background:#fff;padding:1em}th{text-align:right}</style>"
)


def plain_error(request: Request, status_code: int, title: str) -> Response:
    if is_api_path(request.url.path):
        return api_error(status_code, title)
    return HTMLResponse(_PLAIN_PAGE.format(title=_text(title)), status_code=status_code)


def make_http_exception_handler(
    *, broken: bool
) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if broken and exc.status_code == 404:
            return debug_404_page(request)
        response = plain_error(request, exc.status_code, exc.detail)
        # Keep what the exception carried, e.g. the Allow header of a 405.
        response.headers.update(exc.headers or {})
        return response

    return handle_http_exception


class ErrorPageMiddleware:
    """Turn an unhandled exception into a 500 page instead of letting it reach the server.

    Sits inside the header middleware so error pages carry the variant's headers, and never
    re-raises: a deliberate crash in `demo-broken` must not print a traceback to the test
    run's output.
    """

    def __init__(self, app: ASGIApp, *, broken: bool) -> None:
        self.app = app
        self.broken = broken

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_and_track(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception as exc:
            if not self.broken:
                logger.exception("demo: unhandled error on %s %s", scope["method"], scope["path"])
            if started:
                return
            request = Request(scope)
            response: Response
            if self.broken:
                response = debug_500_page(request, exc)
            else:
                response = plain_error(request, 500, "Internal Server Error")
            await response(scope, receive, send)


def debug_404_page(request: Request) -> HTMLResponse:
    paths = dict.fromkeys(route.path for route in request.app.routes if isinstance(route, Route))
    patterns = "".join(f"<li>{_text(path)}</li>" for path in paths)
    body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta http-equiv="content-type" content="text/html; charset=utf-8">
<title>Page not found at {_text(request.url.path)}</title>
<meta name="robots" content="NONE,NOARCHIVE">{_DEBUG_STYLE}</head>
<body>
<div id="summary"><h1>Page not found <span>(404)</span></h1>
<table class="meta">
<tr><th>Request Method:</th><td>{_text(request.method)}</td></tr>
<tr><th>Request URL:</th><td>{_text(str(request.url))}</td></tr>
</table></div>
<div id="info"><p>Using the URLconf defined in <code>app.urls</code>, Django tried these URL
patterns, in this order:</p><ol>{patterns}</ol>
<p>The current path, <code>{_text(request.url.path.lstrip("/"))}</code>, didn't match any
of these.</p></div>
<div id="explanation"><p>You're seeing this error because you have <code>DEBUG = True</code> in
your Django settings file. Change that to <code>False</code>, and Django will display a standard
404 page.</p></div>
</body>
</html>
"""
    return HTMLResponse(body, status_code=404)


def debug_500_page(request: Request, exc: Exception) -> HTMLResponse:
    kind = type(exc).__qualname__
    if type(exc).__module__ != "builtins":
        kind = f"{type(exc).__module__}.{kind}"
    value = _text(str(exc))
    where = _text(f"{kind} at {request.url.path}")
    body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta http-equiv="content-type" content="text/html; charset=utf-8">
<title>{where}</title><meta name="robots" content="NONE,NOARCHIVE">{_DEBUG_STYLE}</head>
<body>
<div id="summary"><h1>{where}</h1><pre class="exception_value">{value}</pre>
<table class="meta">
<tr><th>Request Method:</th><td>{_text(request.method)}</td></tr>
<tr><th>Request URL:</th><td>{_text(str(request.url))}</td></tr>
<tr><th>Exception Type:</th><td>{_text(kind)}</td></tr>
<tr><th>Exception Value:</th><td><pre>{value}</pre></td></tr>
<tr><th>Python Executable:</th><td>/usr/local/bin/python</td></tr>
<tr><th>Python Version:</th><td>{_text(sys.version.split()[0])}</td></tr>
</table></div>
<div id="traceback"><h2>Traceback</h2>
<pre id="traceback_area">{_text(public_traceback(exc))}</pre></div>
<div id="explanation"><p>You're seeing this error because you have <code>DEBUG = True</code> in
your Django settings file. Change that to <code>False</code>, and Django will display a standard
page generated by the handler for this status code.</p></div>
</body>
</html>
"""
    return HTMLResponse(body, status_code=500)


def _text(value: str) -> str:
    # Text nodes only need <, > and & escaped; leaving quotes as they are keeps the traceback
    # greppable as `File "/app/...", line N`, the way scanners look for it.
    return html.escape(value, quote=False)


def public_traceback(exc: BaseException) -> str:
    """The traceback as `traceback` prints it, with deployment-style file paths."""
    lines = ["Traceback (most recent call last):\n"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(
            f'  File "{_public_path(frame.filename)}", line {frame.lineno}, in {frame.name}\n'
        )
        if frame.line:
            lines.append(f"    {frame.line.strip()}\n")
    lines.extend(traceback.format_exception_only(type(exc), exc))
    return "".join(lines)


def _public_path(filename: str) -> str:
    path = Path(filename)
    if path.is_relative_to(_SRC_ROOT):
        return "/app/" + path.relative_to(_SRC_ROOT).as_posix()
    if "site-packages" in path.parts:
        index = path.parts.index("site-packages")
        return _SITE_PACKAGES + "/".join(path.parts[index + 1 :])
    return f"/usr/local/lib/python{_PYTHON}/{path.name}"
