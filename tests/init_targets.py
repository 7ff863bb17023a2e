"""Targets for ``prodready init``'s tests: small ASGI apps that record every request.

:class:`Maze` is the worst case for the request budget: every path redirects one step deeper
on the same origin, and the home page links everywhere. :class:`Recorder` answers a fixed
table of routes (and sets a cookie on each answer, which init must never send back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.types import Receive, Scope, Send


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: Mapping[str, str]


@dataclass
class Route:
    status: int = 200
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    delay_s: float = 0.0


@dataclass
class Recorder:
    """Answers ``routes`` (404 elsewhere) and records every request it gets."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    delay_s: float = 0.0

    def answer(self, path: str) -> Route:
        return self.routes.get(path, Route(404, "not found", "text/plain"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append(Seen(scope["method"], path, headers))
        route = self.answer(path)
        if route.delay_s or self.delay_s:
            await asyncio.sleep(route.delay_s or self.delay_s)
        raw = [
            (b"content-type", route.content_type.encode()),
            (b"set-cookie", b"session=s3cr3t; Path=/; HttpOnly"),
        ]
        if route.location is not None:
            raw.append((b"location", route.location.encode()))
        await send({"type": "http.response.start", "status": route.status, "headers": raw})
        await send({"type": "http.response.body", "body": route.body.encode()})


class Maze(Recorder):
    """Every path but the home page redirects one level deeper, forever; the home page
    links to a hundred pages, login pages and OpenAPI documents."""

    def answer(self, path: str) -> Route:
        if path == "/":
            links = "".join(f'<a href="/page{i}">p{i}</a>' for i in range(100))
            links += '<a href="/login">Log in</a><a href="/openapi.json">API</a>'
            return Route(body=f"<html><body>{links}</body></html>")
        return Route(302, location=path.split("?", 1)[0].rstrip("/") + "/deeper")


HOME = """<!doctype html><html><head><title>Shop</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script>
</head><body><nav><a href="/">Home</a> <a href="/pricing">Pricing</a>
<a href="/account/sign-in">Sign in</a> <a href="/logout">Log out</a>
<a href="https://elsewhere.example/">Partner</a></nav></body></html>"""

LOGIN = """<!doctype html><html><body><form method="post" action="/account/sign-in">
<input type="hidden" name="csrf" value="t"><input type="email" name="email" id="email">
<input type="password" name="password" id="password"><button>Sign in</button></form>
</body></html>"""


def shop() -> Recorder:
    """A small app with the usual endpoints: health (a component map), version, a login page
    that protected pages redirect to, a public page, assets."""
    json = "application/json"
    return Recorder(
        {
            "/": Route(body=HOME),
            "/pricing": Route(body="<html><body><h1>Pricing</h1></body></html>"),
            "/account/sign-in": Route(body=LOGIN),
            "/health": Route(
                body='{"status": "UP", "checks": {"db": "connected"}}', content_type=json
            ),
            "/version": Route(body='{"commit": "abc123"}', content_type=json),
            "/account": Route(302, location="/account/sign-in?next=/account"),
            "/dashboard": Route(302, location="/dashboard/"),
            "/dashboard/": Route(302, location="/account/sign-in?next=/dashboard/"),
        }
    )
