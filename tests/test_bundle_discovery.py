"""Every chunk a visitor can load, found on real servers on 127.0.0.1: script tags, the
Next.js build manifest and App Router payload, lazy chunks, Vite's manifest; bounded; and
page weights measured in bytes transferred."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pytest_prodready.checks import bundle
from pytest_prodready.checks.budget import PageWeight
from pytest_prodready.config import Environment
from pytest_prodready.config.bundle import BundleLimits
from pytest_prodready.http import ResponseCache, make_client
from pytest_prodready.probes.budget import measure
from pytest_prodready.probes.bundle import gather_all
from tests.servers import serve

# Format-valid, obviously fake.
RESEND = "re_FAKEfake_FAKEfakeFAKEfakeFAKEfake"
BUILD_ID = "fAkEbUiLdId123"

NEXT_HOME = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="/_next/static/chunks/app.css"/>
<script src="/_next/static/chunks/main.js" async=""></script>
<script src="/_next/static/chunks/polyfill.js" noModule=""></script>
</head><body><main>Shop</main>
<script>self.__next_f.push([1,"4:\\"/_next/static/chunks/flight.js\\"\\n0:{{\\"b\\":\\"{BUILD_ID}\\"}}"])</script>
</body></html>"""
BUILD_MANIFEST = (
    'self.__BUILD_MANIFEST = {"/billing": ["static/chunks/pages/billing.js"], '
    '"sortedPages": ["/_app", "/billing"]};'
)


def js(body: str) -> Response:
    return Response(body, media_type="application/javascript")


def next_app(billing: str) -> Starlette:
    files = {
        "/_next/static/chunks/main.js": 'import("./x");e.l("static/chunks/lazy.js");' + "a" * 400,
        "/_next/static/chunks/flight.js": "flight();",
        "/_next/static/chunks/lazy.js": "lazy();",
        "/_next/static/chunks/polyfill.js": "p" * 5000,
        f"/_next/static/{BUILD_ID}/_buildManifest.js": BUILD_MANIFEST,
        "/_next/static/chunks/pages/billing.js": billing,
    }

    async def route(request: Request) -> Response:
        path = request.url.path
        if path == "/":
            return HTMLResponse(NEXT_HOME)
        if path == "/_next/static/chunks/app.css":
            return Response(
                "@font-face{src:url(/_next/static/media/f.woff2) format('woff2')}" + " " * 3000,
                media_type="text/css",
            )
        if path == "/_next/static/media/f.woff2":
            return Response(b"\x00" * 2000, media_type="font/woff2")
        if path in files:
            return js(files[path])
        return HTMLResponse("not found", status_code=404)

    app = Starlette(middleware=[Middleware(GZipMiddleware, minimum_size=100)])
    app.add_route("/{path:path}", route)
    return app


def vite_app(admin: str) -> Starlette:
    manifest = (
        '{"index.html": {"file": "assets/index-AbCd1234.js", "isEntry": true},'
        ' "src/admin.ts": {"file": "assets/admin-XyZ98765.js", "isDynamicEntry": true}}'
    )

    async def route(request: Request) -> Response:
        path = request.url.path
        if path == "/":
            return HTMLResponse('<script type="module" src="/assets/index-AbCd1234.js"></script>')
        if path == "/.vite/manifest.json":
            return Response(manifest, media_type="application/json")
        if path == "/assets/index-AbCd1234.js":
            return js("main();")
        if path == "/assets/admin-XyZ98765.js":
            return js(admin)
        return HTMLResponse("<html>app shell</html>")  # an SPA answers every path

    app = Starlette()
    app.add_route("/{path:path}", route)
    return app


Site = Callable[[Starlette], ResponseCache]


@pytest.fixture
def site() -> Iterator[Site]:
    """Serve an app on 127.0.0.1; its session response cache (closed after the test)."""
    with contextlib.ExitStack() as stack:

        def start(app: Starlette) -> ResponseCache:
            running = stack.enter_context(serve(app))
            env = Environment(name="t", base_url=running.url, plain_http=True)
            return ResponseCache(stack.enter_context(make_client(env)))

        yield start


def secret_urls(assets: list[bundle.Asset]) -> list[str]:
    return [f.url or "" for f in bundle.evaluate(assets, production=True)]


def test_next_manifest_route_chunk_is_scanned(site: Site) -> None:
    fetch = site(next_app(f'const k="{RESEND}";'))
    assets, coverage = gather_all(fetch, ("/",))
    urls = [a.url.split("/_next/", 1)[-1] for a in assets[1:]]
    # Script tags first, then the manifest, the payload's chunks, then what scripts name.
    assert urls == [
        "static/chunks/main.js",
        "static/chunks/polyfill.js",
        f"static/{BUILD_ID}/_buildManifest.js",
        "static/chunks/flight.js",
        "static/chunks/lazy.js",
        "static/chunks/pages/billing.js",
    ]
    assert [u.rsplit("/", 1)[-1] for u in secret_urls(assets)] == ["billing.js"]
    assert (coverage.read, coverage.left) == (6, 0)
    assert bundle.coverage(coverage) == []


def test_next_site_without_a_key_is_silent(site: Site) -> None:
    fetch = site(next_app('const k="pk_live_51AbCdEfGhIjKlMnOpQr";'))
    assets, _ = gather_all(fetch, ("/",))
    assert len(assets) == 7
    assert secret_urls(assets) == []


def test_bounds_cut_the_list_and_say_so(site: Site) -> None:
    fetch = site(next_app(f'const k="{RESEND}";'))
    assets, coverage = gather_all(fetch, ("/",), BundleLimits(max_assets=3))
    assert (coverage.read, coverage.left, coverage.bound) == (3, 3, "max_assets")
    assert secret_urls(assets) == []
    [finding] = bundle.coverage(coverage)
    assert finding.id == "bundle.scan-truncated"
    assert finding.evidence.startswith("3 scripts read")
    assert finding.evidence.endswith("3 left unread by max_assets")
    _, by_bytes = gather_all(site(next_app("x")), ("/",), BundleLimits(max_bytes_mb=0.0001))
    assert by_bytes.bound == "max_bytes_mb"
    assert by_bytes.read < 6
    assert by_bytes.left > 0


def test_vite_manifest_chunk_is_scanned(site: Site) -> None:
    assets, _ = gather_all(site(vite_app(f'const k="{RESEND}";')), ("/",))
    assert [u.rsplit("/", 1)[-1] for u in secret_urls(assets)] == ["admin-XyZ98765.js"]
    quiet, _ = gather_all(site(vite_app("admin();")), ("/",))
    assert [a.url.rsplit("/", 1)[-1] for a in quiet[1:]] == [
        "index-AbCd1234.js",
        "admin-XyZ98765.js",
    ]
    assert secret_urls(quiet) == []


def test_page_weight_counts_transferred_bytes(site: Site) -> None:
    fetch = site(next_app("b" * 100))
    [page] = measure(fetch, ("/",))
    assert isinstance(page, PageWeight)
    kinds = [(p.url.rsplit("/", 1)[-1], p.kind) for p in page.parts]
    # The nomodule polyfill is not loaded by a modern browser; the font comes from the CSS.
    assert kinds == [
        ("", "html"),
        ("app.css", "stylesheet"),
        ("main.js", "script"),
        ("f.woff2", "font"),
    ]
    sizes = {p.url.rsplit("/", 1)[-1]: p.bytes for p in page.parts}
    # Compressed on the wire: the 3 kB stylesheet of spaces transfers in far less.
    assert 0 < sizes["app.css"] < 500
    assert sizes["f.woff2"] < 2000 + 100
    assert page.first_load_js == sizes["main.js"]
