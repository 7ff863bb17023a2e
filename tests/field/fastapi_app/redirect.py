"""The plain-HTTP listener of the good deployment: every request is sent to HTTPS.

It redirects to the configured HTTPS origin, never to the request's Host header, which a
client controls.
"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import Receive, Scope, Send

from tests.field.fastapi_app.settings import HTTPS_ORIGIN_VAR

HTTPS_ORIGIN = os.environ.get(HTTPS_ORIGIN_VAR, "")


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    request = Request(scope)
    target = HTTPS_ORIGIN + request.url.path
    if request.url.query:
        target += "?" + request.url.query
    # 308 keeps the method and body of a POST that arrived on plain HTTP.
    await RedirectResponse(target, status_code=308)(scope, receive, send)
