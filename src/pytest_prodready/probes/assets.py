"""Find the same-origin scripts and stylesheets a page loads, for the checks that judge
assets as well as pages (nosniff, caching, compression, public secrets).

Pages come from the session's response cache, so finding their assets costs no request.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin, urlsplit

from pytest_prodready.http import ResponseCache

__all__ = ["Kind", "discover"]

Kind = Literal["script", "stylesheet"]


class _AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[Kind, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and named.get("src"):
            self.links.append(("script", named["src"] or ""))
        elif tag == "link" and named.get("href"):
            rel = (named.get("rel") or "").lower().split()
            # A preload of a script or style is the same file the page runs.
            as_ = (named.get("as") or "").lower()
            if "stylesheet" in rel or ("preload" in rel and as_ == "style"):
                self.links.append(("stylesheet", named["href"] or ""))
            elif "modulepreload" in rel or ("preload" in rel and as_ == "script"):
                self.links.append(("script", named["href"] or ""))


def discover(
    fetch: ResponseCache,
    page_paths: tuple[str, ...],
    *,
    kinds: tuple[Kind, ...] = ("script", "stylesheet"),
    max_assets: int = 20,
    any_origin: bool = False,
) -> list[str]:
    """Same-origin asset URLs of ``kinds`` linked from the HTML pages among ``page_paths``,
    in page order, each once, at most ``max_assets`` (the first ones: the critical path);
    ``any_origin``: other origins' too (a CDN's), for what their URL alone says."""
    found: list[str] = []
    for path in page_paths:
        response = fetch(path)
        if "html" not in response.headers.get("content-type", ""):
            continue
        page_url = str(response.url)
        host = urlsplit(page_url).netloc
        parser = _AssetLinks()
        parser.feed(response.text)
        for kind, link in parser.links:
            url = urljoin(page_url, link.strip())
            parts = urlsplit(url)
            web = parts.scheme in ("http", "https")
            same_origin = web and (parts.netloc == host or any_origin)
            if kind in kinds and same_origin and url not in found:
                found.append(url)
    return found[:max_assets]
