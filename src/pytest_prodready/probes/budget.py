"""Measure each listed page's first load from HTTP: the HTML and the same-origin scripts,
stylesheets and fonts it names, in bytes transferred, for :mod:`pytest_prodready.checks.budget`.

Fonts are those a page preloads and those its stylesheets' ``url(...)`` name. Every GET goes
through the session's response cache, so the bundle scan's scripts cost nothing twice.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks.budget import Kind, PageWeight, Part
from pytest_prodready.http import ResponseCache

__all__ = ["measure"]

_FONT = re.compile(r"""url\(\s*["']?([^"')]+?\.(?:woff2?|ttf|otf|eot)(?:[?#][^"')]*)?)["']?\s*\)""")


class _Loads(HTMLParser):
    """What a modern browser fetches for a page: scripts (not ``nomodule``), styles, fonts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[Kind, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and named.get("src") and "nomodule" not in named:
            self.links.append(("script", named["src"] or ""))
        elif tag == "link" and named.get("href"):
            rel = (named.get("rel") or "").lower().split()
            as_ = (named.get("as") or "").lower()
            href = named["href"] or ""
            if "stylesheet" in rel or ("preload" in rel and as_ == "style"):
                self.links.append(("stylesheet", href))
            elif "modulepreload" in rel or ("preload" in rel and as_ == "script"):
                self.links.append(("script", href))
            elif "preload" in rel and as_ == "font":
                self.links.append(("font", href))


def _wire_bytes(response: httpx.Response) -> int:
    return response.num_bytes_downloaded or len(response.content)


def measure(fetch: ResponseCache, page_paths: tuple[str, ...]) -> list[PageWeight]:
    """One :class:`PageWeight` per HTML page among ``page_paths``."""
    pages: list[PageWeight] = []
    for path in page_paths:
        response = fetch(path)
        if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
            continue
        page_url = str(response.url)
        host = urlsplit(page_url).netloc
        parser = _Loads()
        parser.feed(response.text)
        parts = [Part(page_url, "html", _wire_bytes(response))]
        seen = {page_url}
        links = [(kind, urljoin(page_url, link.strip())) for kind, link in parser.links]
        while links:
            kind, url = links.pop(0)
            parsed = urlsplit(url)
            if url in seen or parsed.netloc != host or parsed.scheme not in ("http", "https"):
                continue
            seen.add(url)
            asset = fetch(url)
            if asset.status_code != 200:
                continue
            parts.append(Part(url, kind, _wire_bytes(asset)))
            if kind == "stylesheet":
                links += [("font", urljoin(url, m.group(1))) for m in _FONT.finditer(asset.text)]
        pages.append(PageWeight(page_url, tuple(parts)))
    return pages
