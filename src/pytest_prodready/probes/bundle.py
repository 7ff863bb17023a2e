"""Gather the public assets a visitor's browser receives: pages, same-origin scripts, maps.

Every GET goes through the session's response cache, so pages the other suites read cost
nothing more; at most ``max_assets`` scripts are fetched, each body capped by the client.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from pytest_prodready.checks.bundle import Asset
from pytest_prodready.http import ResponseCache

__all__ = ["gather"]

_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL=(\S+)\s*$")


class _ScriptSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


def _source_map(url: str, text: str, headers: dict[str, str]) -> str | None:
    declared = headers.get("sourcemap") or headers.get("x-sourcemap")
    if declared is None:
        tail = text[-500:].rstrip().splitlines()
        match = _MAP_COMMENT.search(tail[-1]) if tail else None
        declared = match.group(1) if match else None
    if declared is None or declared.startswith("data:"):
        return None
    return urljoin(url, declared)


def gather(
    fetch: ResponseCache, page_paths: tuple[str, ...], *, max_assets: int = 20
) -> list[Asset]:
    """The pages, then up to ``max_assets`` same-origin scripts they load (with their maps)."""
    assets: list[Asset] = []
    scripts: list[str] = []
    for path in page_paths:
        response = fetch(path)
        page_url = str(response.url)
        if "html" not in response.headers.get("content-type", ""):
            continue
        assets.append(Asset(page_url, response.text))
        parser = _ScriptSources()
        parser.feed(response.text)
        host = urlsplit(page_url).netloc
        for src in parser.sources:
            url = urljoin(page_url, src)
            if urlsplit(url).netloc == host and url not in scripts:
                scripts.append(url)
    for url in scripts[:max_assets]:
        response = fetch(url)
        if response.status_code != 200:
            continue
        map_url = _source_map(url, response.text, dict(response.headers))
        public = False
        if map_url is not None and urlsplit(map_url).netloc == urlsplit(url).netloc:
            answer = fetch(map_url)
            public = answer.status_code == 200 and '"mappings"' in answer.text[:65536]
        assets.append(Asset(url, response.text, map_url, public))
    return assets
