"""The SEO checks and their parsers on plain data: robots.txt as RFC 9309 reads it, head tags,
sitemaps, and each finding both ways."""

from __future__ import annotations

from urllib.robotparser import RobotFileParser

import pytest

from pytest_prodready import Finding
from pytest_prodready.checks import seo
from pytest_prodready.checks.seo_parse import (
    HeadFacts,
    Sitemap,
    noindex_in_header,
    parse_head,
    parse_robots,
    parse_sitemap,
)

SITE = "https://shop.example.com"
OWN = seo.own_hosts(SITE, ())


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


# -- robots.txt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "allowed"),
    [
        ("User-agent: *\nDisallow: /", "/", False),
        ("User-agent: *\nDisallow: /*", "/", False),
        ("User-agent: *\nDisallow: *", "/about", False),
        ("User-agent: *\nDisallow:", "/", True),
        ("User-agent: *\nAllow: /", "/", True),
        ("", "/", True),
        # The longest match wins, Allow on a tie: the order of the lines does not matter.
        ("User-agent: *\nDisallow: /\nAllow: /", "/", True),
        ("User-agent: *\nAllow: /$\nDisallow: /", "/", True),
        ("User-agent: *\nAllow: /$\nDisallow: /", "/about", False),
        ("User-agent: *\nDisallow: /\nAllow: /public", "/public/x", True),
        ("User-agent: *\nDisallow: /admin", "/", True),
        ("User-agent: *\nDisallow: /*.pdf$", "/a.pdf", False),
        ("User-agent: *\nDisallow: /*.pdf$", "/a.pdf?x", True),
        # Groups: consecutive User-agent lines share one; comments and case are ignored.
        ("User-agent: bingbot\nUser-agent: *  # all\nDISALLOW: /", "/", False),
        ("User-agent: AdsBot\nDisallow: /\n\nUser-agent: *\nAllow: /", "/", True),
    ],
)
def test_robots_verdict_follows_rfc_9309(text: str, path: str, allowed: bool) -> None:
    assert parse_robots(text).verdict(path)[0] is allowed


def test_urllib_robotparser_disagrees_where_we_do_not_use_it() -> None:
    """Why robots.txt is parsed here: the stdlib answers by the first matching line and knows
    no wildcards, so it reads these the other way round from search engines."""

    def stdlib(text: str, path: str) -> bool:
        parser = RobotFileParser()
        parser.parse(text.splitlines())
        return parser.can_fetch("*", path)

    for text, path in [
        ("User-agent: *\nDisallow: /\nAllow: /", "/"),
        ("User-agent: *\nAllow: /$\nDisallow: /", "/"),
        ("User-agent: *\nDisallow: /*", "/"),
    ]:
        assert stdlib(text, path) != parse_robots(text).verdict(path)[0], text


def test_googlebot_obeys_its_own_group_only() -> None:
    robots = parse_robots("User-agent: Googlebot\nAllow: /\n\nUser-agent: *\nDisallow: /\n")
    assert robots.verdict("/", "googlebot")[0] is True
    allowed, line, group = robots.verdict("/")
    assert (allowed, group) == (False, "*")
    assert line is not None
    assert (line.number, line.text) == (5, "Disallow: /")


def test_robots_sitemap_lines_anywhere() -> None:
    robots = parse_robots(f"Sitemap: {SITE}/a.xml\nUser-agent: *\nAllow: /\nsitemap: /b.xml\n")
    assert robots.sitemaps == ((1, f"{SITE}/a.xml"), (4, "/b.xml"))


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (200, "User-agent: *\nAllow: /\n", []),
        (404, None, []),
        (200, "User-agent: *\nDisallow: /\n", ["seo.robots-disallow-all"]),
        (200, "User-agent: Googlebot\nDisallow: /\n", ["seo.robots-disallow-all"]),
        (200, "User-agent: *\nDisallow: /admin\n", []),
        (503, None, ["seo.robots-disallow-all"]),
    ],
)
def test_evaluate_robots(status: int, text: str | None, expected: list[str]) -> None:
    facts = seo.RobotsFacts(f"{SITE}/robots.txt", status, parse_robots(text) if text else None)
    assert ids(seo.evaluate_robots(facts)) == expected


def test_disallow_all_evidence_quotes_the_line() -> None:
    facts = seo.RobotsFacts(f"{SITE}/robots.txt", 200, parse_robots("User-agent: *\nDisallow: /"))
    [finding] = seo.evaluate_robots(facts)
    assert finding.evidence == 'line 2 "Disallow: /" in the group for User-agent: * blocks /'
    assert finding.url == f"{SITE}/robots.txt"


# -- head tags ----------------------------------------------------------------------------


def test_parse_head_reads_the_tags_as_written() -> None:
    head = parse_head(
        "<html><head><title>\n  Shop  &amp; more </title>"
        '<meta name="Description" content="Plans for teams.">'
        '<META NAME="robots" CONTENT="noindex, nofollow">'
        '<link rel="canonical" href="/shop"></head>'
        "<body><svg><title>cart icon</title></svg></body></html>"
    )
    assert head.title == "Shop & more"
    assert head.description == "Plans for teams."
    assert head.robots_tags == (
        ('<META NAME="robots" CONTENT="noindex, nofollow">', "noindex, nofollow"),
    )
    assert (head.canonical, head.canonical_tag) == ("/shop", '<link rel="canonical" href="/shop">')


def test_svg_title_is_not_the_page_title() -> None:
    assert parse_head("<body><svg><title>icon</title></svg></body>").title is None
    assert parse_head("<head><title></title></head>").title == ""


@pytest.mark.parametrize(
    ("values", "noindex"),
    [
        (["noindex"], "noindex"),
        (["none"], "none"),
        (["googlebot: noindex, nofollow"], "googlebot: noindex, nofollow"),
        (["otherbot: noindex"], None),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], None),
        (["nofollow", "max-snippet: 20, noindex"], "max-snippet: 20, noindex"),
        (["index, follow"], None),
        ([], None),
    ],
)
def test_noindex_in_header(values: list[str], noindex: str | None) -> None:
    assert noindex_in_header(values) == noindex


def page(
    path: str = "/",
    title: str | None = "Shop",
    description: str | None = "Plans.",
    robots: str | None = None,
    header: tuple[str, ...] = (),
    canonical: str | None = None,
    target: seo.CanonicalTarget | None = None,
) -> seo.PageSeo:
    robots_tags = ((f'<meta name="robots" content="{robots}">', robots),) if robots else ()
    return seo.PageSeo(
        url=SITE + path,
        head=HeadFacts(
            title=title,
            description=description,
            description_tag=f'<meta name="description" content="{description}">'
            if description is not None
            else "",
            robots_tags=robots_tags,
            canonical=canonical,
            canonical_tag=f'<link rel="canonical" href="{canonical}">' if canonical else "",
        ),
        x_robots_tag=header,
        canonical_target=target,
    )


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (page(), []),
        (page(robots="index, follow"), []),
        (page(robots="noindex, nofollow"), ["seo.noindex"]),
        (page(header=("noindex",)), ["seo.noindex"]),
        (page(title=None), ["seo.title-missing"]),
        (page(title=""), ["seo.title-missing"]),
        (page(description=None), ["seo.description-missing"]),
        (page(description="  "), ["seo.description-missing"]),
        (page(canonical="/"), []),
        (page(canonical=f"{SITE}/"), []),
        (page(canonical="https://staging.example.com/"), ["seo.canonical-elsewhere"]),
        (page(canonical="javascript:alert(1)"), ["seo.canonical-elsewhere"]),
        (page(canonical="https://[::1"), ["seo.canonical-elsewhere"]),
        (page(canonical="https://shop.example.com:99999/"), ["seo.canonical-elsewhere"]),
        # Another path of the same site: a duplicate (same title) is fine, another page not.
        (
            page("/index.html", canonical="/", target=seo.CanonicalTarget(SITE + "/", 200, "Shop")),
            [],
        ),
        (
            page("/about", canonical="/", target=seo.CanonicalTarget(SITE + "/", 200, "Home")),
            ["seo.canonical-elsewhere"],
        ),
        (
            page("/a", canonical="/gone", target=seo.CanonicalTarget(SITE + "/gone", 404)),
            ["seo.canonical-elsewhere"],
        ),
        (page("/a", canonical="/b", target=seo.CanonicalTarget(SITE + "/b", 301)), []),
        (page("/a/", canonical="/a"), []),
    ],
)
def test_evaluate_page(facts: seo.PageSeo, expected: list[str]) -> None:
    assert ids(seo.evaluate_page(facts, OWN)) == expected


def test_declared_hosts_are_the_sites_own() -> None:
    facts = page(canonical="https://www.example.com/")
    assert ids(seo.evaluate_page(facts, OWN)) == ["seo.canonical-elsewhere"]
    assert seo.evaluate_page(facts, seo.own_hosts(SITE, ("www.example.com",))) == []


def test_a_login_page_may_keep_out_of_search_but_must_still_be_titled() -> None:
    login = page(robots="noindex")
    assert ids(seo.evaluate_page(login, OWN)) == ["seo.noindex"]
    assert seo.evaluate_page(login, OWN, login_page=True) == []
    untitled = page(robots="noindex", title=None)
    assert ids(seo.evaluate_page(untitled, OWN, login_page=True)) == ["seo.title-missing"]


def test_evidence_quotes_tag_and_header() -> None:
    [meta] = seo.evaluate_page(page(robots="noindex"), OWN)
    assert meta.evidence == '<meta name="robots" content="noindex">'
    [header] = seo.evaluate_page(page(header=("noindex, nofollow",)), OWN)
    assert header.evidence == "X-Robots-Tag: noindex, nofollow"
    [canonical] = seo.evaluate_page(page(canonical="https://staging.example.com/x"), OWN)
    assert canonical.evidence == (
        f'<link rel="canonical" href="https://staging.example.com/x">: another host than {SITE}/'
    )


def test_duplicates_name_the_first_page() -> None:
    pages = [page("/"), page("/about", title="About"), page("/gallery")]
    found = seo.evaluate_duplicates(pages)
    assert [(f.id, f.url, f.evidence) for f in found] == [
        ("seo.title-duplicate", f"{SITE}/gallery", f"<title>Shop</title>, as on {SITE}/"),
        ("seo.description-duplicate", f"{SITE}/about", f"'Plans.', as on {SITE}/"),
        ("seo.description-duplicate", f"{SITE}/gallery", f"'Plans.', as on {SITE}/"),
    ]
    unique = [page("/", "A", "a"), page("/b", "B", "b"), page("/c", "C", None)]
    assert seo.evaluate_duplicates(unique) == []


# -- sitemaps -----------------------------------------------------------------------------

URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{0}/</loc></url>
<url><loc> {0}/about?a=1&amp;b=2 </loc></url>
<url><loc><![CDATA[{0}/gallery]]></loc></url>
</urlset>"""


def test_parse_sitemap() -> None:
    sitemap = parse_sitemap(URLSET.format(SITE))
    assert sitemap.kind == "urlset"
    assert sitemap.locs == (f"{SITE}/", f"{SITE}/about?a=1&b=2", f"{SITE}/gallery")
    assert parse_sitemap(URLSET.format(SITE), limit=2) == Sitemap(
        "urlset", sitemap.locs[:2], more=True
    )
    index = parse_sitemap(f"<sitemapindex><sitemap><loc>{SITE}/s1.xml</loc></sitemap>")
    assert (index.kind, index.locs) == ("sitemapindex", (f"{SITE}/s1.xml",))
    # Cut at the size cap: the URLs read so far still count.
    assert parse_sitemap(URLSET.format(SITE)[:-40]).locs == sitemap.locs[:2]
    assert parse_sitemap("<html><body>Not found</body></html>").kind is None


def doc(
    url: str, status: int = 200, body: str | None = None, by: str = "robots.txt line 3"
) -> seo.SitemapDoc:
    return seo.SitemapDoc(url, status, parse_sitemap(body) if body is not None else None, by)


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        ([doc(f"{SITE}/sitemap.xml", body=URLSET.format(SITE))], []),
        (
            [doc(f"{SITE}/sitemap.xml", body=URLSET.format("https://staging.example.com"))],
            ["seo.sitemap-foreign-host"],
        ),
        ([doc("https://staging.example.com/sitemap.xml", 0)], ["seo.sitemap-foreign-host"]),
        ([doc(f"{SITE}/sitemap.xml", 404)], ["seo.sitemap-missing"]),
        ([doc(f"{SITE}/sitemap.xml", 0)], ["seo.sitemap-missing"]),  # could not be read
        ([doc(f"{SITE}/sitemap.xml", 200, "<html></html>")], ["seo.sitemap-missing"]),
        # An index and its children: a child on another host is named, never fetched.
        (
            [
                doc(f"{SITE}/index.xml", body=f"<sitemapindex><loc>{SITE}/1.xml</loc>"),
                doc(f"{SITE}/1.xml", body=URLSET.format(SITE), by="the sitemap index"),
            ],
            [],
        ),
        (
            [
                doc(f"{SITE}/index.xml", body="<sitemapindex><loc>http://localhost:3000/1.xml"),
                doc("http://localhost:3000/1.xml", 0, by="the sitemap index"),
            ],
            ["seo.sitemap-foreign-host"],
        ),
    ],
)
def test_evaluate_sitemaps(documents: list[seo.SitemapDoc], expected: list[str]) -> None:
    assert ids(seo.evaluate_sitemaps(seo.SitemapFacts(tuple(documents)), OWN)) == expected


def test_sitemap_evidence() -> None:
    [foreign] = seo.evaluate_sitemaps(
        seo.SitemapFacts(
            (doc(f"{SITE}/sitemap.xml", body=URLSET.format("https://staging.example.com")),)
        ),
        OWN,
    )
    assert foreign.evidence == (
        "3 of 3 <loc> URLs on another host: https://staging.example.com/, "
        "https://staging.example.com/about?a=1&b=2, https://staging.example.com/gallery"
    )
    [missing] = seo.evaluate_sitemaps(
        seo.SitemapFacts(
            (doc(f"{SITE}/sitemap.xml", 404, by="robots.txt names no sitemap; the default"),)
        ),
        OWN,
    )
    assert missing.evidence == (
        f"robots.txt names no sitemap; the default: {SITE}/sitemap.xml answered 404"
    )


def test_site_host_drops_default_ports() -> None:
    assert seo.site_host("https://Example.com:443/x") == "example.com"
    assert seo.site_host("http://example.com/") == "example.com"
    assert seo.site_host("http://127.0.0.1:8000/") == "127.0.0.1:8000"
    assert seo.site_host("http://[::1") == ""


# -- staging --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "robots", "expected"),
    [
        (page(), "User-agent: *\nAllow: /", ["seo.staging-indexable"]),
        (page(), None, ["seo.staging-indexable"]),
        (page(robots="noindex"), None, []),
        (page(header=("noindex",)), None, []),
        (page(), "User-agent: *\nDisallow: /", []),
    ],
)
def test_evaluate_staging(facts: seo.PageSeo, robots: str | None, expected: list[str]) -> None:
    robots_facts = seo.RobotsFacts(
        f"{SITE}/robots.txt", 200 if robots else 404, parse_robots(robots) if robots else None
    )
    assert ids(seo.evaluate_staging([facts], robots_facts)) == expected
