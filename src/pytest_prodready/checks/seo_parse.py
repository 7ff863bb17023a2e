"""Pure parsers for the SEO checks: a page's head facts, robots.txt (RFC 9309) and sitemaps.

robots.txt is parsed here rather than by :mod:`urllib.robotparser`, which answers as no search
engine does: it applies the first matching line (``Disallow: /`` then ``Allow: /`` blocks the
home page; RFC 9309 and Google let the longest match win, ``Allow`` on a tie) and knows no
wildcards (``Disallow: /*`` blocks nothing there, everything for Google).

Sitemaps are read with a regular expression over ``<loc>`` elements, not an XML parser: a body
cut at the size cap still yields its URLs, and no entity is ever expanded.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

__all__ = [
    "MAX_SITEMAP_URLS",
    "HeadFacts",
    "RobotsLine",
    "RobotsTxt",
    "Sitemap",
    "noindex_in_header",
    "noindex_in_meta",
    "parse_head",
    "parse_robots",
    "parse_sitemap",
]

MAX_SITEMAP_URLS = 50_000  # the sitemaps.org limit of one file, and ours for a whole run
# Meta names and X-Robots-Tag agents whose noindex takes a page out of the big indexes.
SEARCH_AGENTS = frozenset({"robots", "googlebot", "bingbot"})
# X-Robots-Tag directives that carry a colon themselves (not an agent prefix).
_COLON_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)


@dataclass(frozen=True)
class HeadFacts:
    """What search engines read in a page: the exact tags, as the page wrote them."""

    title: str | None = None  # the text, whitespace collapsed; None when there is no <title>
    description: str | None = None  # the content; None when there is no description meta
    description_tag: str = ""
    robots_tags: tuple[tuple[str, str], ...] = ()  # (tag as written, its content)
    canonical: str | None = None  # href as written
    canonical_tag: str = ""


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self._in_title = False
        self._title_parts: list[str] = []
        self._svg_depth = 0
        self.description: str | None = None
        self.description_tag = ""
        self.robots: list[tuple[str, str]] = []
        self.canonical: str | None = None
        self.canonical_tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k.lower(): (v or "") for k, v in attrs}
        written = self.get_starttag_text() or f"<{tag}>"
        if tag == "svg":
            self._svg_depth += 1
        elif tag == "title" and self._svg_depth == 0 and self.title is None:
            self._in_title = True
        elif tag == "meta":
            name = named.get("name", "").strip().lower()
            if name == "description" and self.description is None:
                self.description = named.get("content", "")
                self.description_tag = written
            elif name in SEARCH_AGENTS:
                self.robots.append((written, named.get("content", "")))
        elif (
            tag == "link"
            and self.canonical is None
            and "canonical" in named.get("rel", "").lower().split()
            and named.get("href")
        ):
            self.canonical = named["href"].strip()
            self.canonical_tag = written

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg" and self._svg_depth:
            self._svg_depth -= 1
        elif tag == "title" and self._in_title:
            self._in_title = False
            self.title = " ".join("".join(self._title_parts).split())

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_parts.append(data)


def parse_head(document: str) -> HeadFacts:
    """Title, description, robots metas and canonical link of an HTML document.

    The whole document is read, not only ``<head>``: frameworks that stream metadata (Next.js
    15+) may write it into the body, where search engines still read it. A ``<title>`` inside
    an inline ``<svg>`` is the icon's, not the page's.
    """
    parser = _Head()
    parser.feed(document)
    parser.close()
    if parser._in_title:  # an unclosed <title>: what followed it
        parser.title = " ".join("".join(parser._title_parts).split())
    return HeadFacts(
        title=parser.title,
        description=parser.description,
        description_tag=parser.description_tag,
        robots_tags=tuple(parser.robots),
        canonical=parser.canonical,
        canonical_tag=parser.canonical_tag,
    )


def _has_noindex(directives: str) -> bool:
    tokens = {t.strip().lower() for t in directives.split(",")}
    return bool(tokens & {"noindex", "none"})


def noindex_in_meta(head: HeadFacts) -> str | None:
    """The first robots meta (robots, googlebot, bingbot) saying noindex, as written."""
    return next((tag for tag, content in head.robots_tags if _has_noindex(content)), None)


def noindex_in_header(values: list[str]) -> str | None:
    """The first X-Robots-Tag value saying noindex to every crawler or to a search engine's.

    ``X-Robots-Tag: otherbot: noindex`` concerns that bot only; ``unavailable_after: …`` is
    a directive, not an agent.
    """
    for value in values:
        agent, sep, rest = value.partition(":")
        name = agent.strip().lower()
        if sep and name not in _COLON_DIRECTIVES and " " not in name and "," not in name:
            if name not in SEARCH_AGENTS:
                continue
            directives = rest
        else:
            directives = value
        if _has_noindex(directives):
            return value.strip()
    return None


@dataclass(frozen=True)
class RobotsLine:
    """One rule of robots.txt: its line number and text, for evidence."""

    number: int
    text: str
    allow: bool
    pattern: str

    def matches(self, path: str) -> bool:
        regex = re.escape(self.pattern.rstrip("$")).replace(r"\*", ".*")
        return re.match(regex + ("$" if self.pattern.endswith("$") else ""), path) is not None


@dataclass(frozen=True)
class RobotsTxt:
    """robots.txt as groups of user agents and their rules, and the Sitemap lines."""

    groups: tuple[tuple[tuple[str, ...], tuple[RobotsLine, ...]], ...] = ()
    sitemaps: tuple[tuple[int, str], ...] = ()  # (line number, URL as written)

    def rules_for(self, agent: str) -> tuple[tuple[RobotsLine, ...], str]:
        """The rules ``agent`` obeys and the user-agent they were written for: its own groups
        if it has any, else those for ``*`` (RFC 9309 §2.2.1: the groups are merged)."""
        for wanted in (agent.lower(), "*"):
            rules = [r for agents, lines in self.groups if wanted in agents for r in lines]
            if rules or any(wanted in agents for agents, _ in self.groups):
                return tuple(rules), wanted
        return (), "*"

    def verdict(self, path: str, agent: str = "*") -> tuple[bool, RobotsLine | None, str]:
        """(allowed, the deciding line, the group's user agent) for ``path``: the longest
        matching pattern wins, Allow on a tie; no matching line allows."""
        rules, group = self.rules_for(agent)
        best: RobotsLine | None = None
        for line in rules:
            if not line.matches(path):
                continue
            longer = best is None or len(line.pattern) > len(best.pattern)
            tie_allow = best is not None and len(line.pattern) == len(best.pattern) and line.allow
            if longer or tie_allow:
                best = line
        return (best is None or best.allow), best, group


def parse_robots(text: str) -> RobotsTxt:
    """Groups and Sitemap lines of a robots.txt; unknown lines and comments are ignored."""
    groups: list[tuple[list[str], list[RobotsLine]]] = []
    sitemaps: list[tuple[int, str]] = []
    open_agents = False  # consecutive User-agent lines share one group
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if not open_agents:
                groups.append(([], []))
                open_agents = True
            groups[-1][0].append(value.lower())
        elif key in ("allow", "disallow"):
            open_agents = False
            # An empty Disallow allows everything: no rule. Rules before any group: none.
            if value and groups:
                groups[-1][1].append(RobotsLine(number, line, key == "allow", value))
        elif key == "sitemap":
            sitemaps.append((number, value))
        else:
            open_agents = False
    return RobotsTxt(
        groups=tuple((tuple(a), tuple(r)) for a, r in groups),
        sitemaps=tuple(sitemaps),
    )


_ROOT = re.compile(r"<(?:[\w-]+:)?(urlset|sitemapindex)\b", re.I)
_LOC = re.compile(r"<(?:[\w-]+:)?loc\s*>\s*(.*?)\s*</(?:[\w-]+:)?loc\s*>", re.I | re.S)
_CDATA = re.compile(r"^<!\[CDATA\[(.*)\]\]>$", re.S)


@dataclass(frozen=True)
class Sitemap:
    """A sitemap's kind and its ``<loc>`` URLs (at most ``limit``); kind None: not one."""

    kind: Literal["urlset", "sitemapindex"] | None
    locs: tuple[str, ...] = field(default=())
    more: bool = False  # URLs were left unread past the limit


def parse_sitemap(text: str, limit: int = MAX_SITEMAP_URLS) -> Sitemap:
    root = _ROOT.search(text)
    if root is None:
        return Sitemap(None)
    kind: Literal["urlset", "sitemapindex"] = (
        "urlset" if root.group(1).lower() == "urlset" else "sitemapindex"
    )
    locs: list[str] = []
    for match in _LOC.finditer(text, root.end()):
        if len(locs) == limit:
            return Sitemap(kind, tuple(locs), more=True)
        value = match.group(1)
        cdata = _CDATA.match(value)
        locs.append(cdata.group(1).strip() if cdata else html.unescape(value))
    return Sitemap(kind, tuple(locs))
