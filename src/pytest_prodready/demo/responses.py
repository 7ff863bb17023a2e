"""Response and routing helpers shared by the pages, the API and the error handlers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped.

    Starlette's JSONResponse encodes raw UTF-8, which fails on lone surrogates that a fuzzer
    can legally send inside a JSON string and we echo back; escaping keeps every echo valid.
    """

    def render(self, content: Any) -> bytes:
        return json.dumps(content, allow_nan=False, separators=(",", ":")).encode("ascii")


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> AsciiJSONResponse:
    return AsciiJSONResponse(content, status_code=status_code, headers=headers)


def api_error(
    status_code: int, detail: str, headers: Mapping[str, str] | None = None
) -> AsciiJSONResponse:
    """The one error shape of the API: `{"detail": "..."}`."""
    return json_response({"detail": detail}, status_code=status_code, headers=headers)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def route(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    """One route per path with a handler per method.

    Separate Routes for GET and POST of one path would each answer 405 with only their own
    methods in `Allow`; one Route lists them all.
    """

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, dispatch, methods=list(handlers))
