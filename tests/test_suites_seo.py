"""The SEO suite end to end against a real site on 127.0.0.1: a good configuration passes,
each bad one fails with its id; a staging environment's noindex is silent, and its absence
is the finding when the environment is declared not indexable."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.servers import ThreadedServer, serve

ROOT = Path(__file__).resolve().parent.parent
SUITE = str(ROOT / "suites" / "test_seo.py")
STAGING = "staging.example.com"  # named in the bad sitemap, never fetched

TITLES = {"/": "Shop", "/about": "About us", "/thanks": "Thanks"}


class Recorded:
    """An ASGI app that notes the path of every request it is sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requested: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requested.append(scope["path"])
        await self.app(scope, receive, send)


def requested(server: ThreadedServer) -> list[str]:
    app = server.server.config.app
    assert isinstance(app, Recorded)
    return app.requested


def site(*flaws: str, foreign: str = f"https://{STAGING}") -> Recorded:
    """A small site: three pages, a login-guarded account, robots.txt, a sitemap; ``flaws``
    plant what a bad release ships."""

    def page(request: Request) -> Response:
        path = request.url.path
        title = TITLES["/"] if "title-duplicate" in flaws else TITLES[path]
        base = f"{request.url.scheme}://{request.url.netloc}"
        head = [f"<title>{title}</title>"]
        if "description-missing" not in flaws or path == "/":
            head.append(f'<meta name="description" content="About {path}">')
        if "meta-noindex" in flaws or path == "/thanks":
            head.append('<meta name="robots" content="noindex, nofollow">')
        canonical = f"{base}{path}"
        if "canonical-elsewhere" in flaws and path == "/about":
            canonical = f"{foreign}/about"
        if "canonical-home" in flaws and path == "/about":
            canonical = f"{base}/"
        head.append(f'<link rel="canonical" href="{canonical}">')
        response = HTMLResponse(
            f"<!DOCTYPE html><html><head>{''.join(head)}</head><body><h1>{title}</h1>"
            "<svg><title>cart</title></svg></body></html>"
        )
        if "header-noindex" in flaws:
            response.headers["X-Robots-Tag"] = "noindex"
        return response

    def account(request: Request) -> Response:
        return Response(status_code=302, headers={"location": "/login"})

    def robots(request: Request) -> Response:
        if "robots-disallow-all" in flaws:
            return PlainTextResponse("User-agent: *\nDisallow: /\n")
        if "robots-5xx" in flaws:
            return PlainTextResponse("busy", status_code=503)
        base = f"{request.url.scheme}://{request.url.netloc}"
        sitemap = "" if "sitemap-missing" in flaws else f"Sitemap: {base}/sitemap-index.xml\n"
        if "robots-foreign-sitemap" in flaws:
            sitemap += f"Sitemap: {foreign}/sitemap.xml\n"
        return PlainTextResponse(f"User-agent: *\nAllow: /\nDisallow: /account\n{sitemap}")

    def sitemap_index(request: Request) -> Response:
        if "sitemap-missing" in flaws:
            return PlainTextResponse("Not Found", status_code=404)
        base = f"{request.url.scheme}://{request.url.netloc}"
        entries = [f"{base}/sitemap-pages.xml"]
        if "index-foreign-child" in flaws:
            entries.append(f"{foreign}/sitemap-2.xml")
        listed = "".join(f"<sitemap><loc>{url}</loc></sitemap>" for url in entries)
        return Response(f"<sitemapindex>{listed}</sitemapindex>", media_type="application/xml")

    def sitemap_pages(request: Request) -> Response:
        base = f"{request.url.scheme}://{request.url.netloc}"
        if "sitemap-foreign-host" in flaws:
            base = foreign
        urls = "".join(f"<url><loc>{base}{p}</loc></url>" for p in ("/", "/about"))
        return Response(f"<urlset>{urls}</urlset>", media_type="application/xml")

    def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/about", page),
            Route("/thanks", page),
            Route("/account", account),
            Route("/robots.txt", robots),
            Route("/sitemap-index.xml", sitemap_index),
            Route("/sitemap-pages.xml", sitemap_pages),
            Route("/api/health", health),
        ]
    )
    return Recorded(app)


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Iterator[ThreadedServer]:
    with serve(site(*getattr(request, "param", ()))) as server:
        yield server


def config(server: ThreadedServer, env: str = "prod", seo: str = "") -> str:
    return (
        f'[envs.{env}]\nbase_url = "{server.url}"\nplain_http = true\n'
        'pages = ["/", "/about", { path = "/thanks", noindex = true }, "/api/health"]\n'
        'protected_pages = ["/account"]\n' + (f"[envs.{env}.seo]\n{seo}\n" if seo else "")
    )


def run(pytester: pytest.Pytester, text: str, env: str = "prod") -> pytest.RunResult:
    path = pytester.path / "prodready.toml"
    path.write_text(text, encoding="utf-8")
    return pytester.runpytest(
        SUITE,
        "--target-env",
        env,
        "--prodready-config",
        str(path),
        "-p",
        "no:cacheprovider",
        "--fail-on",
        "info",
        "-rs",
    )


def finding_ids(result: pytest.RunResult) -> set[str]:
    return set(re.findall(r"^- \[[A-Z]+\] (\S+)", result.stdout.str(), re.MULTILINE))


def test_good_site_passes(pytester: pytest.Pytester, target: ThreadedServer) -> None:
    result = run(pytester, config(target))
    assert finding_ids(result) == set()
    # /, /about judged; /thanks opted out and /api/health not HTML: skipped with the reason;
    # the staging test is for environments declared not indexable.
    result.assert_outcomes(passed=5, skipped=3)
    result.stdout.fnmatch_lines(
        [
            "*/thanks: listed with noindex = true*",
            "*/api/health: not an HTML page*",
        ]
    )
    sent = requested(target)
    assert "/account" not in sent  # protected pages are neither fetched nor judged
    assert {"/robots.txt", "/sitemap-index.xml", "/sitemap-pages.xml"} <= set(sent)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (("meta-noindex",), {"seo.noindex"}),
        (("header-noindex",), {"seo.noindex"}),
        (("robots-disallow-all",), {"seo.robots-disallow-all", "seo.sitemap-missing"}),
        (("robots-5xx",), {"seo.robots-disallow-all", "seo.sitemap-missing"}),
        (("sitemap-foreign-host",), {"seo.sitemap-foreign-host"}),
        (("sitemap-missing",), {"seo.sitemap-missing"}),
        (("title-duplicate",), {"seo.title-duplicate"}),
        (("description-missing",), {"seo.description-missing"}),
        (("canonical-elsewhere",), {"seo.canonical-elsewhere"}),
        (("canonical-home",), {"seo.canonical-elsewhere"}),
    ],
    indirect=["target"],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_each_flaw_is_caught_by_its_id(
    pytester: pytest.Pytester, target: ThreadedServer, expected: set[str]
) -> None:
    result = run(pytester, config(target))
    assert finding_ids(result) == expected
    assert result.ret == 1


def test_evidence_names_page_and_tag(pytester: pytest.Pytester) -> None:
    with serve(site("meta-noindex", "canonical-elsewhere", "sitemap-foreign-host")) as server:
        result = run(pytester, config(server))
    out = result.stdout.str()
    for line in [
        "[HIGH] seo.noindex  A production page tells search engines not to index it (evidence: "
        f'<meta name="robots" content="noindex, nofollow">) at {server.url}/about',
        f"[MEDIUM] seo.canonical-elsewhere  A page's canonical URL points at another site or "
        f'another page (evidence: <link rel="canonical" href="https://{STAGING}/about">: another '
        f"host than {server.url}/about) at {server.url}/about",
        "[MEDIUM] seo.sitemap-foreign-host  The sitemap lists URLs of another host (evidence: 2 "
        f"of 2 <loc> URLs on another host: https://{STAGING}/, https://{STAGING}/about) at "
        f"{server.url}/sitemap-pages.xml",
    ]:
        assert line in out, line


def test_another_host_is_named_never_fetched(pytester: pytest.Pytester) -> None:
    """The other host here is a live loopback server (another port): it must see nothing."""
    with serve(Recorded(Starlette())) as other:
        flaws = ("canonical-elsewhere", "sitemap-foreign-host", "robots-foreign-sitemap")
        with serve(site(*flaws, "index-foreign-child", foreign=other.url)) as server:
            result = run(pytester, config(server))
    assert finding_ids(result) == {"seo.canonical-elsewhere", "seo.sitemap-foreign-host"}
    out = result.stdout.str()
    assert f"robots.txt line 5 names {other.url}/sitemap.xml (not fetched)" in out
    assert (
        f"the sitemap index {server.url}/sitemap-index.xml names {other.url}/sitemap-2.xml" in out
    )
    assert requested(other) == []


def test_accepted_finding_passes(pytester: pytest.Pytester) -> None:
    with serve(site("description-missing")) as server:
        text = config(server) + (
            '\n[[envs.prod.accept]]\nid = "seo.description-missing"\npath = "/about"\n'
            'reason = "the about page is being rewritten"\nuntil = 2099-01-01\n'
        )
        result = run(pytester, text)
    assert result.ret == 0
    result.assert_outcomes(passed=5, skipped=3)


@pytest.mark.parametrize("target", [("meta-noindex",), ("header-noindex",)], indirect=True)
def test_staging_noindex_is_silent(pytester: pytest.Pytester, target: ThreadedServer) -> None:
    undeclared = run(pytester, config(target, env="staging"), env="staging")
    undeclared.assert_outcomes(skipped=8)
    undeclared.stdout.fnmatch_lines(["*staging is not a production environment*"])
    declared = run(pytester, config(target, "staging", "indexable = false"), env="staging")
    assert finding_ids(declared) == set()
    declared.assert_outcomes(passed=1, skipped=7)


@pytest.mark.parametrize("target", [("meta-noindex",)], indirect=True)
def test_the_login_page_may_say_noindex(pytester: pytest.Pytester, target: ThreadedServer) -> None:
    # Every page says noindex; with /about as the login page, only / still fails for it.
    everywhere = run(pytester, config(target)).parseoutcomes()
    text = config(target).replace(
        "plain_http = true\n", 'plain_http = true\nlogin_path = "/about"\n'
    )
    login = run(pytester, text)
    assert login.parseoutcomes()["failed"] == everywhere["failed"] - 1
    assert finding_ids(login) == {"seo.noindex"}


def test_indexable_staging(pytester: pytest.Pytester) -> None:
    with serve(site()) as server:
        open_door = run(pytester, config(server, "staging", "indexable = false"), env="staging")
    assert finding_ids(open_door) == {"seo.staging-indexable"}
    assert (
        "[MEDIUM] seo.staging-indexable  A non-production environment can be indexed by search "
        'engines (evidence: no noindex in <meta name="robots"> or X-Robots-Tag, and robots.txt '
        f"(200) lets crawlers fetch /about) at {server.url}/about"
    ) in open_door.stdout.str()
    with serve(site("robots-disallow-all")) as server:
        closed = run(pytester, config(server, "staging", "indexable = false"), env="staging")
    assert finding_ids(closed) == set()
    assert closed.ret == 0


def test_production_can_be_declared_not_indexable(pytester: pytest.Pytester) -> None:
    with serve(site("meta-noindex")) as server:
        result = run(pytester, config(server, seo="indexable = false"))
    assert result.ret == 0
    assert finding_ids(result) == set()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            'indexable = "yes"',
            "[envs.prod.seo] key 'indexable' must be true or false, got 'yes'. Use a TOML boolean.",
        ),
        (
            'hosts = ["https://www.example.com"]',
            "[envs.prod.seo] key 'hosts' has 'https://www.example.com', which is not a host "
            'name. Write bare host names (a port if not the default), e.g. "www.example.com".',
        ),
    ],
)
def test_bad_setting_is_a_one_paragraph_usage_error(
    pytester: pytest.Pytester, setting: str, message: str
) -> None:
    result = run(
        pytester, f'[envs.prod]\nbase_url = "http://127.0.0.1:9"\n[envs.prod.seo]\n{setting}\n'
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [line] = [line for line in result.stderr.lines if line.strip()]
    assert line.startswith("ERROR: prodready: ")
    assert line.endswith(message)


def demo_run(pytester: pytest.Pytester, env: str) -> pytest.RunResult:
    return pytester.runpytest(
        SUITE,
        "--target-env",
        env,
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        "--fail-on",
        "info",
    )


def test_the_demo_passes_and_demo_broken_fails_by_its_planted_ids(
    pytester: pytest.Pytester,
) -> None:
    demo = demo_run(pytester, "demo")
    assert finding_ids(demo) == set()
    # /api/health is not HTML; the staging test is for environments declared not indexable.
    demo.assert_outcomes(passed=5, skipped=2)
    broken = demo_run(pytester, "demo-broken")
    assert finding_ids(broken) == {
        "seo.noindex",
        "seo.robots-disallow-all",
        "seo.sitemap-foreign-host",
    }
    # noindex fails / only: /login, the demo's login page, may say it.
    broken.assert_outcomes(passed=2, failed=3, skipped=2)
