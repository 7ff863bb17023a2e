"""Gather what search engines see of the listed pages, robots.txt and the sitemaps, for
:mod:`pytest_prodready.checks.seo`.

A handful of GETs through the session's response cache (the pages are usually read already):
``/robots.txt``; the sitemaps robots.txt names (or ``/sitemap.xml``), at most
``MAX_SITEMAPS``, a sitemap index followed one level deep; the same-host page a canonical link
names, at most ``MAX_CANONICAL_TARGETS``. Nothing on another host is ever fetched: it is
reported as named. Bodies are capped by the client (``max_body_mb``, 5 MB by default) and
the URLs read by ``MAX_SITEMAP_URLS`` over the whole run.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_prodready.checks.seo import (
    CanonicalTarget,
    PageSeo,
    RobotsFacts,
    SitemapDoc,
    SitemapFacts,
    own_hosts,
    site_host,
)
from pytest_prodready.checks.seo_parse import (
    MAX_SITEMAP_URLS,
    parse_head,
    parse_robots,
    parse_sitemap,
)
from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache

__all__ = ["MAX_CANONICAL_TARGETS", "MAX_SITEMAPS", "SiteSeo", "gather"]

MAX_SITEMAPS = 6  # documents fetched: named or default, then an index's children
MAX_CANONICAL_TARGETS = 5
_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class SiteSeo:
    """The judged pages, why the others were left alone, robots.txt and the sitemaps."""

    pages: dict[str, PageSeo]  # listed path -> the page, in the order listed
    left_out: dict[str, str]  # listed path -> why it is not judged
    robots: RobotsFacts
    sitemaps: SitemapFacts
    own: frozenset[str]
    sitemap_urls: int = 0


def _html(response: httpx.Response) -> bool:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return media in ("text/html", "application/xhtml+xml")


def _origin(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _here(origin: str, url: str) -> str:
    """``url`` (on the host under test) as fetched: on the base URL's scheme and port, so a
    ``http://`` link on an https site is not a plain-HTTP request."""
    parts = urlsplit(url)
    return origin + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _left_out(response: httpx.Response) -> str:
    """Why a listed page that was fetched is not judged ("" when it is)."""
    if response.status_code in (401, 403) or response.is_redirect:
        return f"answers {response.status_code} to a visitor without a session"
    if response.status_code != 200:
        return f"answers {response.status_code}"
    if not _html(response):
        return "not an HTML page"
    return ""


def _pages(fetch: ResponseCache, env: Environment) -> tuple[dict[str, PageSeo], dict[str, str]]:
    pages: dict[str, PageSeo] = {}
    left_out: dict[str, str] = {}
    targets = 0
    base = env.base_url or ""
    origin = _origin(base)
    for spec in env.pages:
        if spec.noindex:
            left_out[spec.path] = "listed with noindex = true"
            continue
        if spec.path in env.protected_pages:
            left_out[spec.path] = "a protected page (behind a login)"
            continue
        response = fetch(spec.path)
        if why := _left_out(response):
            left_out[spec.path] = why
            continue
        page = PageSeo(
            url=str(response.url),
            head=parse_head(response.text),
            x_robots_tag=tuple(response.headers.get_list("x-robots-tag")),
        )
        canonical = page.canonical_url
        # Another path of the very host under test: is it another page? (Never another host,
        # not even one declared the site's own.)
        if (
            canonical
            and site_host(canonical) == site_host(base)
            and urlsplit(canonical).path.rstrip("/") != urlsplit(page.url).path.rstrip("/")
            and targets < MAX_CANONICAL_TARGETS
        ):
            targets += 1
            try:
                answer = fetch(_here(origin, canonical))
            except (httpx.RequestError, httpx.InvalidURL):
                answer = None  # not judged: the pages suite reports an unreachable target
            if answer is not None:
                title = parse_head(answer.text).title if _html(answer) else None
                target = CanonicalTarget(canonical, answer.status_code, title)
                page = PageSeo(page.url, page.head, page.x_robots_tag, target)
        pages[spec.path] = page
    return pages, left_out


def _body(response: httpx.Response) -> str:
    """The body as text; a gzip file (``sitemap.xml.gz`` served without Content-Encoding)
    inflated, boundedly: at most as many bytes as the client reads."""
    data = response.content
    if data.startswith(_GZIP):
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 5 * 1024 * 1024)
        except zlib.error:
            return ""
    return data.decode("utf-8", errors="replace")


def _sitemaps(fetch: ResponseCache, origin: str, robots: RobotsFacts) -> tuple[SitemapFacts, int]:
    named = list(robots.robots.sitemaps) if robots.robots else []
    queue = [
        (urljoin(origin + "/", url), f"robots.txt line {number}") for number, url in named if url
    ]
    if not any(site_host(url) == site_host(origin) for url, _ in queue):
        queue.append((origin + "/sitemap.xml", "robots.txt names no sitemap; the default"))
    documents: list[SitemapDoc] = []
    fetched = 0
    budget = MAX_SITEMAP_URLS
    while queue:
        url, named_by = queue.pop(0)
        if site_host(url) != site_host(origin) or fetched == MAX_SITEMAPS:
            # Another host (never fetched), or past the bound: reported as named.
            documents.append(SitemapDoc(url, 0, None, named_by))
            continue
        fetched += 1
        try:
            response = fetch(_here(origin, url))
        except (httpx.RequestError, httpx.InvalidURL):
            # Status 0: it could not be read (a timeout, a reset); judged as no sitemap.
            documents.append(SitemapDoc(url, 0, None, named_by))
            continue
        sitemap = parse_sitemap(_body(response), budget) if response.status_code == 200 else None
        documents.append(SitemapDoc(url, response.status_code, sitemap, named_by))
        if sitemap is None:
            continue
        budget -= len(sitemap.locs)
        if sitemap.kind == "sitemapindex" and named_by.startswith("robots.txt"):
            # One level deep: the children of an index named by robots.txt or the default.
            queue += [(loc, f"the sitemap index {url}") for loc in sitemap.locs]
    return SitemapFacts(tuple(documents)), MAX_SITEMAP_URLS - budget


def gather(fetch: ResponseCache, env: Environment) -> SiteSeo:
    """Read the listed pages, robots.txt and the sitemaps (see the module docstring)."""
    origin = _origin(env.base_url or "")
    own = own_hosts(origin, env.seo.hosts)
    pages, left_out = _pages(fetch, env)
    # robots.txt and the default sitemap live at the origin's root, whatever the base path.
    answer = fetch(origin + "/robots.txt")
    robots = RobotsFacts(
        str(answer.url),
        answer.status_code,
        parse_robots(_body(answer)) if answer.status_code == 200 else None,
    )
    sitemaps, urls = _sitemaps(fetch, origin, robots)
    return SiteSeo(pages, left_out, robots, sitemaps, own, urls)
