"""SEO basics from HTTP alone: what a release can do to a site's place in search results.

Judged only on environments meant to be indexed (``[envs.X.seo] indexable``, by default the
protected ones), on the listed pages that answer 200 with HTML (a page behind a login, and a
page listed with ``noindex = true``, are left alone). The facts come from
:mod:`pytest_prodready.probes.seo`; the parsers are in :mod:`.seo_parse`.

``seo.canonical-elsewhere`` decision: a canonical link on another host always counts (the
page's ranking goes to that site: a staging copy, the template's demo domain). One naming
another path of the same host counts only when the two are different pages: the target
answers an error, or answers with another title. A target with the same title is taken for
a deliberate duplicate (``/index.html`` or ``/?ref=…`` pointing at ``/``), and a target that
redirects is not judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from pytest_prodready.checks.seo_parse import (
    HeadFacts,
    RobotsTxt,
    Sitemap,
    noindex_in_header,
    noindex_in_meta,
)
from pytest_prodready.core.evidence import clip
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "CanonicalTarget",
    "PageSeo",
    "RobotsFacts",
    "SitemapDoc",
    "SitemapFacts",
    "evaluate_duplicates",
    "evaluate_page",
    "evaluate_robots",
    "evaluate_sitemaps",
    "evaluate_staging",
    "own_hosts",
    "site_host",
]

NOINDEX = rule(
    "seo.noindex",
    Severity.HIGH,
    "A production page tells search engines not to index it",
    'Remove the noindex from the production build (a staging <meta name="robots" '
    'content="noindex"> or X-Robots-Tag header shipped with the release: set it from the '
    "deploy's environment, e.g. Next.js metadata robots: { index: isProd }); list the page "
    "with noindex = true if it is meant to stay out of search.",
)
ROBOTS_DISALLOW_ALL = rule(
    "seo.robots-disallow-all",
    Severity.HIGH,
    "robots.txt keeps every search engine out of the whole site",
    "Serve the production robots.txt (User-agent: * / Allow: / and a Sitemap: line) and keep "
    "Disallow: / to staging (generate it from the deploy's environment, e.g. Next.js "
    "app/robots.ts); a robots.txt answering 5xx counts as Disallow: / for Google.",
)
TITLE_MISSING = rule(
    "seo.title-missing",
    Severity.MEDIUM,
    "A page has no title",
    "Give every page its own <title> (Next.js: export metadata = { title } per page or a "
    "title template in the root layout): it is the headline of the search result.",
)
TITLE_DUPLICATE = rule(
    "seo.title-duplicate",
    Severity.LOW,
    "Two pages share the same title",
    "Give each page a title of its own (Next.js: metadata.title per page, not only in the "
    "root layout): search engines show one of the duplicates and fold the other away.",
)
DESCRIPTION_MISSING = rule(
    "seo.description-missing",
    Severity.LOW,
    "A page has no meta description",
    'Add <meta name="description" content="..."> (one or two sentences about this page; '
    "Next.js: metadata.description): otherwise the result shows whatever text the engine "
    "picks.",
)
DESCRIPTION_DUPLICATE = rule(
    "seo.description-duplicate",
    Severity.LOW,
    "Two pages share the same meta description",
    "Write a description per page, or leave a page's out rather than copy the home page's.",
)
CANONICAL_ELSEWHERE = rule(
    "seo.canonical-elsewhere",
    Severity.MEDIUM,
    "A page's canonical URL points at another site or another page",
    "Point rel=canonical at the page's own production URL (Next.js: metadataBase from the "
    "deploy's environment and alternates.canonical per page, not one in the root layout); "
    "list your other host names in [envs.X.seo] hosts.",
)
SITEMAP_MISSING = rule(
    "seo.sitemap-missing",
    Severity.LOW,
    "No sitemap: robots.txt names none and /sitemap.xml is not one",
    "Serve a sitemap of the public pages at /sitemap.xml (Next.js: app/sitemap.ts) and name "
    "it in robots.txt (Sitemap: https://example.com/sitemap.xml).",
)
SITEMAP_FOREIGN_HOST = rule(
    "seo.sitemap-foreign-host",
    Severity.MEDIUM,
    "The sitemap lists URLs of another host",
    "Build the sitemap from the production base URL (a staging or localhost base URL baked "
    "into the build is the usual cause); a sitemap may only list its own host's URLs.",
)
STAGING_INDEXABLE = rule(
    "seo.staging-indexable",
    Severity.MEDIUM,
    "A non-production environment can be indexed by search engines",
    'Send X-Robots-Tag: noindex (or <meta name="robots" content="noindex">) on every page of '
    "this environment, or put it behind a login: a staging copy in search results competes "
    "with production and leaks unreleased work.",
)

_SAMPLES = 3


def site_host(url: str) -> str:
    """``host`` or ``host:port`` of ``url``, lower-case, the scheme's default port left out."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # "http://[::1", a port out of range: no host of ours
        return ""
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/") or "/"


@dataclass(frozen=True)
class CanonicalTarget:
    """What another same-host path a canonical link names answered (fetched by the probe)."""

    url: str
    status: int
    title: str | None = None


@dataclass(frozen=True)
class PageSeo:
    """A listed page that answered 200 with HTML: its head facts and X-Robots-Tag values."""

    url: str
    head: HeadFacts
    x_robots_tag: tuple[str, ...] = ()
    canonical_target: CanonicalTarget | None = None

    @property
    def canonical_url(self) -> str | None:
        if not self.head.canonical:
            return None
        try:
            return urljoin(self.url, self.head.canonical)
        except ValueError:
            return self.head.canonical

    def noindex(self) -> str | None:
        """The noindex as the page wrote it (a tag or ``X-Robots-Tag: …``), or None."""
        header = noindex_in_header(list(self.x_robots_tag))
        return noindex_in_meta(self.head) or (f"X-Robots-Tag: {header}" if header else None)


def evaluate_page(
    page: PageSeo, own_hosts: frozenset[str], *, login_page: bool = False
) -> list[Finding]:
    """noindex, a missing title or description, a canonical elsewhere, on one indexable page.

    A ``login_page`` may say noindex: sites keep their sign-in form out of search on purpose
    (WordPress does it for every site), and nothing is lost when it is not found."""
    findings: list[Finding] = []
    if (noindex := page.noindex()) is not None and not login_page:
        findings.append(NOINDEX(clip(noindex, 200), url=page.url))
    if not page.head.title:
        what = "<title></title> is empty" if page.head.title is not None else "no <title>"
        findings.append(TITLE_MISSING(what, url=page.url))
    if not (page.head.description or "").strip():
        tag = page.head.description_tag
        what = f"{clip(tag, 160)} is empty" if tag else 'no <meta name="description">'
        findings.append(DESCRIPTION_MISSING(what, url=page.url))
    findings += _canonical(page, own_hosts)
    return findings


def _canonical(page: PageSeo, own_hosts: frozenset[str]) -> list[Finding]:
    canonical = page.canonical_url
    if canonical is None:
        return []
    tag = clip(page.head.canonical_tag, 200)
    scheme = canonical.partition(":")[0].lower() if "://" in canonical else ""
    if scheme not in ("http", "https") or site_host(canonical) not in own_hosts:
        return [CANONICAL_ELSEWHERE(f"{tag}: another host than {page.url}", url=page.url)]
    target = page.canonical_target
    if _path(canonical) == _path(page.url) or target is None:
        return []
    if target.status >= 400:
        why = f"{target.url} answers {target.status}"
    elif target.status == 200 and target.title != page.head.title:
        why = f"another page: its title is {target.title!r}, this one's {page.head.title!r}"
    else:
        return []
    return [CANONICAL_ELSEWHERE(f"{tag}: {why}", url=page.url)]


def evaluate_duplicates(pages: list[PageSeo]) -> list[Finding]:
    """One finding per page whose title (or description) an earlier listed page has."""
    findings: list[Finding] = []
    for rule_ in (TITLE_DUPLICATE, DESCRIPTION_DUPLICATE):
        first: dict[str, str] = {}
        for page in pages:
            value = page.head.title if rule_ is TITLE_DUPLICATE else page.head.description
            value = (value or "").strip()
            if not value:
                continue
            if value in first and _path(first[value]) != _path(page.url):
                shown = f"<title>{value}</title>" if rule_ is TITLE_DUPLICATE else repr(value)
                findings.append(rule_(f"{clip(shown, 160)}, as on {first[value]}", url=page.url))
            first.setdefault(value, page.url)
    return findings


@dataclass(frozen=True)
class RobotsFacts:
    """robots.txt as fetched: its URL, status and (on 200) its parsed rules."""

    url: str
    status: int
    robots: RobotsTxt | None = None


# Crawlers whose robots.txt group decides whether the site is in search results.
_AGENTS = ("*", "googlebot")


def evaluate_robots(facts: RobotsFacts) -> list[Finding]:
    """robots.txt shutting out every crawler: ``Disallow: /`` for ``*`` (or Googlebot's own
    group), judged at the home page, or a server error (RFC 9309 §2.3.1.4: a crawler then
    assumes complete disallow)."""
    if facts.status >= 500:
        return [
            ROBOTS_DISALLOW_ALL(
                f"robots.txt answered {facts.status}: crawlers treat that as Disallow: /",
                url=facts.url,
            )
        ]
    if facts.robots is None:
        return []
    for agent in _AGENTS:
        allowed, line, group = facts.robots.verdict("/", agent)
        if not allowed and line is not None:
            return [
                ROBOTS_DISALLOW_ALL(
                    f'line {line.number} "{clip(line.text, 120)}" in the group for '
                    f"User-agent: {group} blocks /",
                    url=facts.url,
                )
            ]
    return []


@dataclass(frozen=True)
class SitemapDoc:
    """A sitemap the probe fetched, or named without fetching (another host: status 0)."""

    url: str
    status: int
    sitemap: Sitemap | None = None
    named_by: str = ""  # where it was found: "robots.txt line 3", "the index ...", "default"


@dataclass(frozen=True)
class SitemapFacts:
    """Every sitemap named in robots.txt (or /sitemap.xml), and the children of an index."""

    documents: tuple[SitemapDoc, ...] = ()


def evaluate_sitemaps(facts: SitemapFacts, own_hosts: frozenset[str]) -> list[Finding]:
    """A sitemap on or listing another host; none at all among the documents tried."""
    findings: list[Finding] = []
    for doc in facts.documents:
        if site_host(doc.url) not in own_hosts:
            findings.append(
                SITEMAP_FOREIGN_HOST(f"{doc.named_by} names {doc.url} (not fetched)", url=doc.url)
            )
            continue
        if doc.sitemap is None or doc.sitemap.kind is None:
            continue
        foreign = [u for u in doc.sitemap.locs if site_host(u) not in own_hosts]
        if foreign and doc.sitemap.kind == "urlset":
            samples = ", ".join(foreign[:_SAMPLES])
            findings.append(
                SITEMAP_FOREIGN_HOST(
                    f"{len(foreign)} of {len(doc.sitemap.locs)} <loc> URLs on another host: "
                    f"{samples}",
                    url=doc.url,
                )
            )
    if not any(d.sitemap is not None and d.sitemap.kind is not None for d in facts.documents):
        tried = [d for d in facts.documents if site_host(d.url) in own_hosts]
        if tried and not findings:
            said = "; ".join(f"{d.named_by}: {d.url} {_answer(d.status)}" for d in tried)
            findings.append(SITEMAP_MISSING(said, url=tried[0].url))
    return findings


def _answer(status: int) -> str:
    if status == 0:
        return "could not be read"
    return f"answered {status}" if status != 200 else "answered 200, not a sitemap"


def evaluate_staging(pages: list[PageSeo], robots: RobotsFacts) -> list[Finding]:
    """Pages of an environment meant to stay out of search that a crawler may index: no
    noindex, and robots.txt lets crawlers in."""
    findings: list[Finding] = []
    for page in pages:
        path = urlsplit(page.url).path or "/"
        blocked = robots.status >= 500 or (
            robots.robots is not None and not robots.robots.verdict(path)[0]
        )
        if page.noindex() is None and not blocked:
            findings.append(
                STAGING_INDEXABLE(
                    'no noindex in <meta name="robots"> or X-Robots-Tag, and robots.txt '
                    f"({robots.status}) lets crawlers fetch {path}",
                    url=page.url,
                )
            )
    return findings


def own_hosts(base_url: str, hosts: tuple[str, ...]) -> frozenset[str]:
    """The site's own hosts: the base URL's and the declared others."""
    return frozenset({site_host(base_url), *hosts})
