"""probes.assets.discover on plain pages: which links count as the page's own assets."""

from __future__ import annotations

from typing import Any

import httpx

from pytest_prodready.probes.assets import discover

BASE = "https://shop.example.com"

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/static/app.css">
<link rel="preload" as="style" href="/static/fonts.css">
<link rel="modulepreload" href="/_next/static/chunks/main.js">
<link rel="preload" as="font" href="/static/font.woff2">
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="https://cdn.example.net/lib.css">
<script src="/static/app.js"></script>
<script src="//cdn.example.net/lib.js"></script>
<script src="data:text/javascript,1"></script>
<script>inline()</script>
</head><body><script src="static/rel.js"></script><script src="/static/app.js"></script>
</body></html>"""


def pages(**bodies: tuple[str, str]) -> dict[str, httpx.Response]:
    return {
        path: httpx.Response(
            200,
            headers={"Content-Type": ctype},
            text=text,
            request=httpx.Request("GET", BASE + path),
        )
        for path, (ctype, text) in bodies.items()
    }


def fetcher(responses: dict[str, httpx.Response]) -> Any:
    """A stand-in for the session's ResponseCache: ``fetch(path)`` only."""
    return lambda path: responses[path]


def test_same_origin_scripts_and_stylesheets_in_page_order_each_once() -> None:
    fetch = fetcher(pages(**{"/shop/": ("text/html; charset=utf-8", PAGE)}))
    assert discover(fetch, ("/shop/",)) == [
        f"{BASE}/static/app.css",
        f"{BASE}/static/fonts.css",
        f"{BASE}/_next/static/chunks/main.js",
        f"{BASE}/static/app.js",
        f"{BASE}/shop/static/rel.js",
    ]


def test_kinds_and_the_bound_are_honoured() -> None:
    fetch = fetcher(pages(**{"/shop/": ("text/html", PAGE)}))
    scripts = discover(fetch, ("/shop/",), kinds=("script",), max_assets=2)
    assert scripts == [f"{BASE}/_next/static/chunks/main.js", f"{BASE}/static/app.js"]


def test_non_html_pages_link_nothing() -> None:
    fetch = fetcher(pages(**{"/api/health": ("application/json", '{"src": "<script src=/x.js>"}')}))
    assert discover(fetch, ("/api/health",)) == []
