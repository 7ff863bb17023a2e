"""Gather the public assets a visitor's browser receives: pages, same-origin scripts, maps.

Every GET goes through the session's response cache, so pages the other suites read cost
nothing more; at most ``max_assets`` scripts are fetched, each body capped by the client.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from pytest_prodready.checks.bundle import Asset
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.assets import discover

__all__ = ["gather"]

_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL=(\S+)\s*$")


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
    assets = [
        Asset(str(response.url), response.text)
        for response in map(fetch, page_paths)
        if "html" in response.headers.get("content-type", "")
    ]
    for url in discover(fetch, page_paths, kinds=("script",), max_assets=max_assets):
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
