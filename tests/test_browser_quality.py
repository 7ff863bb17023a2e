"""Page quality in the browser: accessibility (axe-core), images, INP and TBT.

Pure judging on plain data first, then the suites in a real Chromium against a loopback app
with a good and a bad variant of the same page (and of the page a login lands on).
"""

from __future__ import annotations

import base64
import os
import random
import struct
import textwrap
import zlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from pytest_prodready.browser.a11y import accessibility, axe_options
from pytest_prodready.browser.facts import (
    AuditFacts,
    AxeViolation,
    ImageFact,
    PageFacts,
    VitalsSample,
)
from pytest_prodready.browser.images import images
from pytest_prodready.browser.vitals import (
    interaction_latency,
    not_a_page,
    samples_wanted,
    vitals,
)
from pytest_prodready.config import ConfigFile, load_config
from pytest_prodready.config.flows import A11y, Vitals
from pytest_prodready.core.findings import Finding
from tests.servers import serve
from tests.test_browser import ROOT, WITH_PYTEST_PLAYWRIGHT, finding_ids, one_browser_at_a_time

__all__ = ["one_browser_at_a_time"]  # a fixture, used by name

PAGE = "https://shop.test/gallery"
SECRET = "pq-token-shown-on-the-page-5e2b"
PASSWORD = "pq-password-typed-7c4d"


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


# -- accessibility on plain data --------------------------------------------------------------


def violation(rule: str, impact: str, nodes: int = 1) -> AxeViolation:
    targets = tuple(f"img:nth-child({n})" for n in range(1, nodes + 1))
    return AxeViolation(
        rule, impact, f"help for {rule}", f"https://deque.test/{rule}", targets, nodes
    )


def test_violations_fail_by_impact_and_name_the_rule_in_the_evidence() -> None:
    found = accessibility(
        [
            violation("image-alt", "critical", nodes=7),
            violation("color-contrast", "serious"),
            violation("region", "moderate"),
        ],
        A11y(),
        PAGE,
        axe_version="4.12.1",
    )
    assert [(f.id, f.severity.name) for f in found] == [
        ("a11y.violation", "HIGH"),
        ("a11y.violation", "MEDIUM"),
    ]
    assert found[0].evidence == (
        "image-alt (critical, axe 4.12.1): help for image-alt; 7 elements: img:nth-child(1), "
        "img:nth-child(2), img:nth-child(3), img:nth-child(4), img:nth-child(5) and 2 more; "
        "see https://deque.test/image-alt"
    )
    # Settings: a wider fail_on reports moderate (low); a disabled rule is never reported.
    wide = A11y(fail_on=("critical", "serious", "moderate"), disable_rules=("color-contrast",))
    found = accessibility(
        [violation("color-contrast", "serious"), violation("region", "moderate")], wide, PAGE
    )
    assert [(f.severity.name, f.evidence.split(" ")[0]) for f in found] == [("LOW", "region")]
    assert axe_options(wide)["rules"] == {"color-contrast": {"enabled": False}}
    assert axe_options(A11y())["runOnly"] == {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
    }
    assert accessibility([], A11y(), PAGE) == []


# -- images on plain data ---------------------------------------------------------------------


def image(**kw: object) -> ImageFact:
    base: dict[str, object] = {
        "url": "https://shop.test/hero.webp",
        "natural_width": 640,
        "natural_height": 480,
        "rendered_width": 640,
        "rendered_height": 480,
        "top": 100,
        "loading": "",
        "content_type": "image/webp",
        "bytes": 60_000,
        "cache_control": "public, max-age=31536000, immutable",
        "requested": True,
    }
    return ImageFact(**{**base, **kw})  # type: ignore[arg-type]


def judge(*found: ImageFact, ratio: float = 1.0) -> list[str]:
    facts = AuditFacts(PAGE, viewport_height=720, device_pixel_ratio=ratio, images=found)
    return ids(images(facts))


@pytest.mark.parametrize(
    ("fact", "expected"),
    [
        (image(), []),
        # Legacy formats over 10 KB; SVG and small PNGs are fine.
        (image(content_type="image/png", bytes=300_000), ["images.legacy-format"]),
        (image(content_type="image/jpeg; charset=x", bytes=10_241), ["images.legacy-format"]),
        (image(content_type="image/png", bytes=9_000), []),
        (image(content_type="image/svg+xml", bytes=90_000, rendered_width=10), []),
        # Oversized: over 2x the pixels shown and over 50 KB wasted.
        (image(rendered_width=100, rendered_height=75, bytes=300_000), ["images.oversized"]),
        (image(rendered_width=100, rendered_height=75, bytes=40_000), []),
        (image(rendered_width=500, rendered_height=375, bytes=300_000), []),
        (image(rendered_width=0, rendered_height=0, bytes=300_000), []),  # hidden
        # Cache lifetime under 30 days, or none at all.
        (image(cache_control="public, max-age=60"), ["images.short-cache"]),
        (image(cache_control="max-age=31536000, no-cache"), ["images.short-cache"]),
        (image(cache_control=None), ["images.short-cache"]),
        (image(cache_control="max-age=2592000"), []),
        # Below the fold and fetched without loading=lazy.
        (image(top=3000), ["images.not-lazy"]),
        (image(top=3000, loading="lazy"), []),
        (image(top=3000, requested=False, cache_control=None), []),  # a script's lazy load
        (image(top=700), []),
    ],
)
def test_image_rules(fact: ImageFact, expected: list[str]) -> None:
    assert judge(fact) == expected


def test_the_device_pixel_ratio_counts_and_a_url_is_judged_once() -> None:
    retina = image(rendered_width=320, rendered_height=240, bytes=300_000)
    assert judge(retina, ratio=1.0) == ["images.oversized"]
    assert judge(retina, ratio=2.0) == []
    twice = image(cache_control="max-age=60")
    assert judge(twice, twice) == ["images.short-cache"]
    facts = AuditFacts(
        PAGE,
        viewport_height=720,
        images=(
            image(
                url="https://shop.test/h.png",
                content_type="image/png",
                bytes=2_400_000,
                natural_width=2400,
                natural_height=1600,
                rendered_width=320,
                rendered_height=213,
            ),
        ),
    )
    found = images(facts)
    assert [f.evidence for f in found] == [
        "https://shop.test/h.png: image/png, 2344 KB, though the browser accepted image/avif "
        "and image/webp",
        "https://shop.test/h.png: 2400x1600 px, 2344 KB, shown at 320x213 CSS px (device pixel "
        "ratio 1): about 2302 KB wasted",
    ]


# -- INP and TBT on plain data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "page"),
    [
        ("text/html; charset=utf-8", True),
        ("application/xhtml+xml", True),
        (None, True),  # no header: the browser sniffs, most often HTML
        ("application/json", False),
        ("text/plain; charset=utf-8", False),
        ("image/svg+xml", False),
    ],
)
def test_only_an_html_document_has_its_vitals_judged(content_type: str | None, page: bool) -> None:
    reason = not_a_page(PageFacts(PAGE, "https://shop.test", content_type=content_type))
    assert (reason is None) is page
    if reason is not None:
        assert f"{PAGE} is {(content_type or '').split(';')[0]}, not an HTML page" in reason


def test_samples_that_miss_are_confirmed_up_to_three() -> None:
    def over(samples: object) -> bool:
        return False

    def within(samples: object) -> bool:
        return True

    assert samples_wanted([900], 1, within) == 1
    assert samples_wanted([900], 1, over) == 3  # one load missed: two more
    assert samples_wanted([900, 800], 3, over) == 3  # still taking the planned ones
    assert samples_wanted([900, 800, 700], 3, over) == 3  # three already: the median stands
    assert samples_wanted([900], 1, None) == 1  # nothing to confirm (not a page)
    assert samples_wanted([900, 800, 700, 600, 500], 5, over) == 5


def test_tbt_is_judged_with_the_other_vitals_and_inp_on_the_median_click() -> None:
    samples = [VitalsSample(tbt_ms=550), VitalsSample(tbt_ms=0), VitalsSample(tbt_ms=560)]
    assert [(f.id, f.severity.name, f.evidence) for f in vitals(samples, Vitals(), PAGE)] == [
        ("vitals.tbt", "LOW", "TBT 550 ms (median of 3 loads: 550, 0, 560) > budget 200 ms")
    ]
    assert vitals(samples, Vitals(tbt_ms=600), PAGE) == []
    found = interaction_latency([328, 304, 16], Vitals(), PAGE, "#add-to-cart")
    assert [(f.id, f.severity.name, f.evidence) for f in found] == [
        (
            "vitals.inp",
            "MEDIUM",
            "INP 304 ms clicking '#add-to-cart' (median of 3 clicks: 328, 304, 16) > budget 100 ms",
        )
    ]
    # web.dev's "good" is 200 ms; the default follows the checklists' 100 ms.
    assert interaction_latency([150], Vitals(inp_ms=200), PAGE, "#b") == []
    assert ids(interaction_latency([150], Vitals(), PAGE, "#b")) == ["vitals.inp"]
    assert interaction_latency([0, 0, 0], Vitals(), PAGE, "#b") == []
    assert interaction_latency([], Vitals(), PAGE, "#b") == []


# -- configuration ----------------------------------------------------------------------------


def load(tmp_path: Path, body: str) -> ConfigFile:
    path = tmp_path / "prodready.toml"
    path.write_text(textwrap.dedent(body))
    config = load_config(path, "test", known_ids=())
    assert config is not None
    return config


def test_a11y_interaction_and_budgets_are_read_from_the_environment(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
        [envs.shop]
        base_url = "https://shop.test"
        vitals = { inp_ms = 200, tbt_ms = 300 }
        a11y = { fail_on = ["critical"], disable_rules = ["region"], tags = ["wcag2a"] }
        interaction = { page = "/gallery", selector = "#add-to-cart" }
        """,
    )
    env = config.envs["shop"]
    assert (env.vitals.inp_ms, env.vitals.tbt_ms) == (200, 300)
    assert env.a11y == A11y(fail_on=("critical",), tags=("wcag2a",), disable_rules=("region",))
    assert env.interaction is not None
    assert (env.interaction.page, env.interaction.selector) == ("/gallery", "#add-to-cart")
    plain = load(tmp_path, '[envs.shop]\nbase_url = "https://shop.test"\n').envs["shop"]
    assert (plain.vitals.inp_ms, plain.vitals.tbt_ms, plain.interaction) == (100, 200, None)
    assert plain.a11y.fail_on == ("critical", "serious")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'a11y = { fail_on = ["blocker"] }',
            "[envs.shop.a11y] key 'fail_on' names 'blocker', which is not an axe-core impact. "
            "Valid impacts: critical, serious, moderate, minor",
        ),
        (
            'interaction = { page = "gallery", selector = "#b" }',
            "[envs.shop.interaction] key 'page' is 'gallery', which is not a path.",
        ),
        (
            'interaction = { page = "/gallery" }',
            "[envs.shop.interaction] key 'selector' is missing",
        ),
        ('a11y = { fail = ["critical"] }', "[envs.shop.a11y] has unknown key 'fail'"),
    ],
)
def test_bad_a11y_and_interaction_settings_are_one_paragraph(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(pytest.UsageError) as info:
        load(tmp_path, f'[envs.shop]\nbase_url = "https://shop.test"\n{table}\n')
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# -- the loopback app: a good and a bad page --------------------------------------------------


def png(width: int, height: int, *, noise: bool) -> bytes:
    """A grey PNG; with noise it does not compress (a photo's size, not a flat colour's)."""
    rng = random.Random(20261205)
    rows = b"".join(
        b"\x00" + (rng.randbytes(width) if noise else b"\x80" * width) for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


# A 1x1 lossy WebP (the classic feature-detection image).
WEBP = base64.b64decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA")
PHOTO_PNG = png(640, 480, noise=True)  # about 300 KB
ICON_PNG = png(16, 16, noise=False)
LONG = "public, max-age=31536000, immutable"

# Both pages are served under a strict nonce policy (no inline style attributes either): axe
# must run there, and the CSP test must see nothing of it.
NONCE = "pq-nonce-3f9a"
CSP = (
    f"default-src 'self'; script-src 'nonce-{NONCE}' 'strict-dynamic'; "
    f"style-src 'nonce-{NONCE}'; img-src 'self'; object-src 'none'; base-uri 'none'"
)
STYLE = f"""<style nonce="{NONCE}">.spacer {{ height: 5000px }} .thumb {{ width: 100px }}
.pale {{ color: #c8c8c8; background: #ffffff }}</style>"""
SPACER = '<div class="spacer"></div>'
# Each click also posts to the cart: timing an interaction must never let that write through.
CART = "fetch('/cart', {method: 'POST'}).catch(() => {})"
FAST = f"document.getElementById('add-to-cart').addEventListener('click', () => {CART});"
SLOW = f"""
const busy = (ms) => {{ const t = performance.now(); while (performance.now() - t < ms) {{}} }};
document.getElementById('add-to-cart').addEventListener('click', () => {{ busy(300); {CART} }});
addEventListener('load', () => setTimeout(() => busy(600), 0));
"""

GOOD = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Gallery</title>{STYLE}</head><body><main><h1>Gallery</h1>
<img src="/img/photo" alt="A photo" width="100" height="100">
<button id="add-to-cart">Add to cart</button>
<button class="cart" aria-label="Open cart"><img src="/img/icon.png" alt=""></button>
<p>Plain black text.</p>{SPACER}
<img src="/img/below-1.webp" alt="Below one" loading="lazy" width="50" height="50">
<img src="/img/below-2.webp" alt="Below two" loading="lazy" width="50" height="50">
</main><script nonce="{NONCE}">{FAST}</script></body></html>"""

BAD = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Gallery</title>{STYLE}</head><body><main><h1>Gallery</h1>
<img src="/img/huge.png" class="thumb">
<button id="add-to-cart">Add to cart</button>
<button class="cart"><img src="/img/icon.png" alt=""></button>
<p class="pale">Pale grey text nobody can read.</p>{SPACER}
<img src="/img/below-1.png" alt="Below one" width="50" height="50">
<img src="/img/below-2.png" alt="Below two" width="50" height="50">
</main><script nonce="{NONCE}">{SLOW}</script></body></html>"""

LOGIN = """<!DOCTYPE html><html lang="en"><head><title>Log in</title></head><body><main>
<h1>Log in</h1><form method="post" action="/login">
<label for="username">Email</label><input id="username" name="username">
<label for="password">Password</label><input id="password" name="password" type="password">
<button type="submit">Log in</button></form></main></body></html>"""


def home(bad: bool) -> str:
    # The signed-in page shows a token (declared a secret): in the bad variant it is the id
    # of an unlabelled button, so axe's selector for it quotes the token.
    button = f'<button id="k-{SECRET}"></button>' if bad else f"<p>Token {SECRET}</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Home</title></head><body><main>'
        f"<h1>Welcome</h1>{button}</main></body></html>"
    )


def quality_app() -> Starlette:
    async def page(request: Request) -> Response:
        bad = request.path_params["variant"] == "bad"
        return HTMLResponse(BAD if bad else GOOD, headers={"content-security-policy": CSP})

    async def photo(request: Request) -> Response:
        # Content negotiation: WebP to a browser that accepts it, PNG to one that does not.
        if "image/webp" in request.headers.get("accept", ""):
            return Response(WEBP, media_type="image/webp", headers={"cache-control": LONG})
        return Response(PHOTO_PNG, media_type="image/png", headers={"cache-control": LONG})

    async def img(request: Request) -> Response:
        name = request.path_params["name"]
        short = {"cache-control": "public, max-age=60"}
        if name == "huge.png":
            return Response(PHOTO_PNG, media_type="image/png", headers=short)
        if name == "icon.png":
            return Response(ICON_PNG, media_type="image/png", headers={"cache-control": LONG})
        if name.endswith(".webp"):
            return Response(WEBP, media_type="image/webp", headers={"cache-control": LONG})
        return Response(ICON_PNG, media_type="image/png", headers=short)

    async def login(request: Request) -> Response:
        if request.method == "POST":
            form = await request.form()
            where = "/bad/home" if form.get("username") == "bad@shop.test" else "/good/home"
            response = RedirectResponse(where, status_code=303)
            response.set_cookie("sid", "s", httponly=True, samesite="lax")
            return response
        return HTMLResponse(LOGIN)

    async def landing(request: Request) -> Response:
        return HTMLResponse(home(request.path_params["variant"] == "bad"))

    async def cart(request: Request) -> Response:
        request.app.state.posted.append(request.url.path)
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/cart", cart, methods=["POST"]),
            Route("/img/photo", photo),
            Route("/img/{name}", img),
            Route("/login", login, methods=["GET", "POST"]),
            Route("/{variant}/home", landing),
            Route("/{variant}/gallery", page),
        ]
    )
    app.state.posted = []
    return app


def config_for(path: Path, base_url: str) -> Path:
    envs = []
    for variant in ("good", "bad"):
        envs.append(
            f"""
            [envs.{variant}]
            base_url = "{base_url}"
            plain_http = true
            pages = ["/{variant}/gallery"]
            interaction = {{ page = "/{variant}/gallery", selector = "#add-to-cart" }}
            secrets = {{ password = "PQ_PASSWORD", token = "PQ_TOKEN" }}
            [envs.{variant}.flows.login]
            username = "{variant}@shop.test"
            password_secret = "password"
            submit_selector = "button[type=submit]"
            success_url = "/{variant}/home"
            """
        )
    path.write_text(textwrap.dedent("".join(envs)))
    return path


SELECTED = (
    "accessible or images or interaction or web_vitals or login_succeeds or csp_violations "
    "or console_errors"
)


def run_quality(
    pytester: pytest.Pytester, config: Path, env: str, selected: str = SELECTED
) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        str(ROOT / "suites" / "test_browser.py"),
        str(ROOT / "suites" / "test_flows.py"),
        *WITH_PYTEST_PLAYWRIGHT,
        f"--target-env={env}",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-k",
        selected,
        "--fail-on",
        "info",
        "-rfs",
        timeout=180,
    )


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_good_page_is_silent_and_bad_page_fires_each_id(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PQ_PASSWORD", PASSWORD)
    monkeypatch.setenv("PQ_TOKEN", SECRET)
    app = quality_app()
    with serve(app) as server:
        config = config_for(pytester.path / "prodready.toml", server.url)
        good = run_quality(pytester, config, "good")
        bad = run_quality(pytester, config, "bad")
    # Six clicks were timed, each asking to post to the cart: the browser refused every one.
    assert app.state.posted == []
    assert finding_ids(good) == set(), good.stdout.str()
    good.assert_outcomes(passed=8)
    assert finding_ids(bad) == {
        "a11y.violation",
        "images.legacy-format",
        "images.oversized",
        "images.short-cache",
        "images.not-lazy",
        "vitals.inp",
        "vitals.tbt",
    }
    # The login and, under the strict policy, the CSP and console tests pass.
    bad.assert_outcomes(passed=3, failed=5)
    out = bad.stdout.str()
    for rule_id in ("image-alt (critical", "button-name (critical", "color-contrast (serious"):
        assert f"(evidence: {rule_id}, axe " in out
    bad.stdout.fnmatch_lines_random(
        [
            "*images.oversized*(evidence: http://127.0.0.1:*/img/huge.png: 640x480 px, * KB, "
            "shown at 100x75 CSS px (device pixel ratio 1): about * KB wasted)*",
            "*images.short-cache*(evidence: http://127.0.0.1:*/img/huge.png: Cache-Control: "
            "public, max-age=60)*",
            "*images.not-lazy*/img/below-1.png: its top is at * px*",
            "*vitals.inp*(evidence: INP * ms clicking '#add-to-cart' (median of 3 clicks: *",
            "*vitals.tbt*(evidence: TBT * ms (median of 3 loads: *",
        ]
    )
    # The landing page's unlabelled button has the token in its id: masked, never shown.
    assert "[masked:token]" in out
    for text in (out, bad.stderr.str(), good.stdout.str()):
        assert SECRET not in text
        assert PASSWORD not in text


def test_axe_says_which_tag_or_rule_the_settings_get_wrong() -> None:
    # A real Chromium on a page set in place: a typo in tags or disable_rules is one line, not
    # an empty run that passes.
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from pytest_prodready.browser.audit import run_axe
    from pytest_prodready.browser.launch import chromium_switches, find_chromium

    chromium = find_chromium(None, "-", {})
    if chromium.path is None:
        pytest.skip(chromium.problem or "no system Chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium.path),
            args=chromium_switches(root=hasattr(os, "geteuid") and os.geteuid() == 0),
        )
        try:
            page = browser.new_page()
            page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main>')
            version, found = run_axe(page, A11y(), timeout_s=10)
            assert version.count(".") == 2
            assert [(v.rule, v.impact, v.targets) for v in found] == [
                ("image-alt", "critical", ("img",))
            ]
            with pytest.raises(PlaywrightError, match=r"has the tag wcag9z: fix tags in"):
                run_axe(page, A11y(tags=("wcag2a", "wcag9z")), timeout_s=10)
            with pytest.raises(PlaywrightError, match=r"unknown rule `imag-alt`"):
                run_axe(page, A11y(disable_rules=("imag-alt",)), timeout_s=10)
        finally:
            browser.close()


# A busy loop of 600 ms after the first frame that follows the load event (so after First
# Contentful Paint): 550 ms of TBT on whichever load runs it.
BLOCKING = (
    "<script>addEventListener('load', () => requestAnimationFrame(() => setTimeout(() => {"
    " const t = performance.now(); while (performance.now() - t < 600) {} }, 0)));</script>"
)


# A button whose first click is slow (300 ms) and the next ones quick; each click is counted.
BUTTON = """<!DOCTYPE html><html lang="en"><head><title>Button</title></head><body><main>
<h1>Button</h1><button id="once">Once</button></main><script>
document.getElementById('once').addEventListener('click', () => {
  fetch('/clicked');
  if (window.clicked) return;
  window.clicked = true;
  const t = performance.now(); while (performance.now() - t < 300) {}
});</script></body></html>"""


def hiccup_app() -> Starlette:
    """``/steady``: light; ``/hiccup``: blocks on its first load only (a runner's moment of
    contention, as one load sees it); ``/always``: blocks on every load; ``/api/health``:
    JSON; ``/button``: slow on its first click only. Counts the loads and clicks."""
    loads: dict[str, int] = {}

    def html(blocking: bool) -> str:
        script = BLOCKING if blocking else ""
        return (
            '<!DOCTYPE html><html lang="en"><head><title>Page</title></head><body><main>'
            f"<h1>Page</h1><p>Text.</p></main>{script}</body></html>"
        )

    async def page(request: Request) -> Response:
        name = request.url.path.strip("/")
        loads[name] = loads.get(name, 0) + 1
        blocking = name == "always" or (name == "hiccup" and loads[name] == 1)
        return HTMLResponse(html(blocking))

    async def health(request: Request) -> Response:
        loads["health"] = loads.get("health", 0) + 1
        return Response('{"status": "ok"}', media_type="application/json")

    async def button(request: Request) -> Response:
        loads["button"] = loads.get("button", 0) + 1
        return HTMLResponse(BUTTON)

    async def clicked(request: Request) -> Response:
        loads["clicked"] = loads.get("clicked", 0) + 1
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/api/health", health),
            Route("/button", button),
            Route("/clicked", clicked),
            *(Route(f"/{name}", page) for name in ("steady", "hiccup", "always")),
        ]
    )
    app.state.loads = loads
    return app


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_one_slow_load_or_click_is_confirmed_before_a_finding_and_json_is_no_page(
    pytester: pytest.Pytester,
) -> None:
    # One load per page (a smoke run's count): a page over its budget on that load is loaded
    # twice more and judged on the median, so a one-off stall passes and a steady one fails.
    app = hiccup_app()
    with serve(app) as server:
        config = pytester.path / "prodready.toml"
        config.write_text(
            textwrap.dedent(
                f"""
                [envs.field]
                base_url = "{server.url}"
                plain_http = true
                pages = ["/steady", "/hiccup", "/always", "/api/health"]
                interaction = {{ page = "/button", selector = "#once" }}
                [envs.field.vitals]
                runs = 1
                tbt_ms = 200
                """
            )
        )
        result = run_quality(pytester, config, "field", "web_vitals or interaction")
    out = result.stdout.str()
    assert finding_ids(result) == {"vitals.tbt"}, out
    result.assert_outcomes(passed=3, failed=1, skipped=1)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED *test_web_vitals_within_budget?/always?*",
            "*vitals.tbt*(evidence: TBT * ms (median of 3 loads: *) > budget 200 ms)*/always*",
            "SKIPPED*prodready: http://127.0.0.1:*/api/health is application/json, not an "
            "HTML page: web vitals judge*",
        ]
    )
    # A page within budget, and a response that is not a page, were loaded once; the others
    # three times, of which /hiccup blocked on the first alone. The button's slow first click
    # was followed by two more (one page load), both quick.
    loads = {"steady": 1, "hiccup": 3, "always": 3, "health": 1, "button": 1, "clicked": 3}
    assert app.state.loads == loads
