"""Gather the public assets a visitor's browser can load: pages, scripts, chunks, maps.

First the pages' own scripts (``<script src>``, module preloads), then what the framework's
manifests name: Next.js's ``/_next/static/<buildId>/_buildManifest.js`` (the Pages Router's
route chunks, which no ``<script>`` tag of another page names) and the chunk paths in the App
Router payload (``self.__next_f.push``) and in every script read (lazy chunks); Vite's
``.vite/manifest.json`` (or ``manifest.json``) where served. Every GET goes through the
session's response cache; reading stops at the bounds (``[envs.X.bundle]``), and the
:class:`~pytest_prodready.checks.bundle.Coverage` says where.
"""

from __future__ import annotations

import json
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks.bundle import Asset, Coverage
from pytest_prodready.checks.libraries import Script
from pytest_prodready.config.bundle import BundleLimits
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.assets import discover

__all__ = ["gather", "gather_all", "loaded_scripts"]

_MAP_COMMENT = re.compile(r"[#@]\s*sourceMappingURL=(\S+)\s*$")
# The build id, in the App Router payload (``"b":"…"``, escaped inside the HTML) or in the
# Pages Router's __NEXT_DATA__ (``"buildId":"…"``).
_BUILD_ID = re.compile(r'\\?"(?:b|buildId)\\?"\s*:\s*\\?"([\w-]{6,64})\\?"')
_NEXT_CHUNK = re.compile(r"(?:/_next/)?(static/(?:chunks|css)/[\w\-./%@~\[\]]+?\.js)\b")
_VITE_SCRIPT = re.compile(r"/assets/[^/]+-[\w-]{8}\.js$")
_VITE_MANIFESTS = (".vite/manifest.json", "manifest.json")


def _source_map(url: str, text: str, headers: dict[str, str]) -> str | None:
    declared = headers.get("sourcemap") or headers.get("x-sourcemap")
    if declared is None:
        tail = text[-500:].rstrip().splitlines()
        match = _MAP_COMMENT.search(tail[-1]) if tail else None
        declared = match.group(1) if match else None
    if declared is None or declared.startswith("data:"):
        return None
    return urljoin(url, declared)


def _next_root(urls: list[str]) -> str | None:
    """Where ``/_next/`` lives (a basePath kept), from the first script under it."""
    for url in urls:
        head, found, _ = url.partition("/_next/static/")
        if found:
            return head + "/_next/"
    return None


def _next_chunks(text: str, root: str) -> list[str]:
    return [root + m.group(1) for m in _NEXT_CHUNK.finditer(text)]


def _vite_chunks(fetch: ResponseCache, scripts: list[str]) -> list[str]:
    """The JS files of the first Vite manifest served beside the pages' hashed scripts."""
    hashed = next((u for u in scripts if _VITE_SCRIPT.search(urlsplit(u).path)), None)
    if hashed is None:
        return []
    base = hashed[: hashed.rindex("/assets/") + 1]
    for name in _VITE_MANIFESTS:
        response = fetch(base + name)
        if response.status_code != 200:
            continue
        try:
            data = json.loads(response.text)
        except ValueError:  # a page, or a web app manifest's neighbour: not Vite's
            continue
        if isinstance(data, dict):
            files = [e.get("file") for e in data.values() if isinstance(e, dict)]
            found = [base + f for f in files if isinstance(f, str) and f.endswith(".js")]
            if found:
                return found
    return []


def _wire_bytes(response: httpx.Response) -> int:
    return response.num_bytes_downloaded or len(response.content)


def gather_all(
    fetch: ResponseCache, page_paths: tuple[str, ...], limits: BundleLimits | None = None
) -> tuple[list[Asset], Coverage]:
    """The pages, then every same-origin script they and the manifests name, in that order,
    until ``limits`` (with their maps); and how much was read."""
    limits = limits or BundleLimits()
    pages = [
        response
        for response in map(fetch, page_paths)
        if "html" in response.headers.get("content-type", "")
    ]
    assets = [Asset(str(response.url), response.text, page=True) for response in pages]
    scripts = discover(fetch, page_paths, kinds=("script",), max_assets=limits.max_assets * 10)
    queue: deque[str] = deque(scripts)
    root = _next_root(scripts)
    if root is not None:
        host = urlsplit(root).netloc
        for page in pages:
            build = _BUILD_ID.search(page.text)
            if build:
                queue.append(f"{root}static/{build.group(1)}/_buildManifest.js")
            queue.extend(_next_chunks(page.text, root))
    else:
        host = ""
        queue.extend(_vite_chunks(fetch, scripts))
    known: set[str] = set()
    read = size = failed = 0
    order: list[str] = []
    while queue:
        url = queue.popleft()
        if url in known:
            continue
        known.add(url)
        order.append(url)
        if read >= limits.max_assets or size >= limits.max_bytes:
            continue  # counted as left unread; later names may still be new ones
        response = fetch(url)
        if response.status_code != 200:
            failed += 1
            continue
        read += 1
        size += _wire_bytes(response)
        text = response.text
        if root is not None and urlsplit(url).netloc == host:
            queue.extend(_next_chunks(text, root))
        map_url = _source_map(url, text, dict(response.headers))
        public = False
        if map_url is not None and urlsplit(map_url).netloc == urlsplit(url).netloc:
            answer = fetch(map_url)
            public = answer.status_code == 200 and '"mappings"' in answer.text[:65536]
        assets.append(Asset(url, text, map_url, public))
    left = len(order) - read - failed
    bound = "max_assets" if read >= limits.max_assets else "max_bytes_mb"
    return assets, Coverage(read, size, max(left, 0), bound if left > 0 else None)


def gather(
    fetch: ResponseCache, page_paths: tuple[str, ...], *, max_assets: int = 200
) -> list[Asset]:
    """The pages, then up to ``max_assets`` same-origin scripts (see :func:`gather_all`)."""
    return gather_all(fetch, page_paths, BundleLimits(max_assets=max_assets))[0]


def loaded_scripts(
    fetch: ResponseCache, page_paths: tuple[str, ...], assets: list[Asset]
) -> list[Script]:
    """Every script the pages load, for the library check: those read (with their text),
    then those only named, by their URL alone (another origin's, a CDN's, is never fetched;
    a same-origin one the bounds left unread). No request: the pages are in the cache."""
    read = [Script(asset.url, asset.text) for asset in assets if not asset.page]
    known = {script.url for script in read}
    named = discover(fetch, page_paths, kinds=("script",), max_assets=10_000, any_origin=True)
    return read + [Script(url) for url in named if url not in known]
