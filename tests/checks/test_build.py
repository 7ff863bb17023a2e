"""Production-mode configuration in the bundle, and page weight budgets: each id both ways."""

from __future__ import annotations

import base64
import json

import pytest

from pytest_prodready.checks import budget, build
from pytest_prodready.checks.bundle import Asset, evaluate
from pytest_prodready.config.bundle import Budgets, BuildExpect

SITE = "https://shop.example.com"
REF = "abcdefghijklmnopqrst"
OTHER_REF = "zyxwvutsrqponmlkjihg"


def anon_key(ref: str) -> str:
    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"iss": "supabase", "ref": ref, "role": "anon"}
    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJlLWJ5dGVz"


def ids(text: str, expect: BuildExpect | None = None) -> list[str]:
    assets = [Asset(f"{SITE}/_next/static/chunks/a.js", text)]
    return sorted(f.id for f in build.evaluate(assets, expect or BuildExpect(), site=SITE))


FULL = BuildExpect(
    stripe_mode="live",
    supabase_ref=REF,
    sentry_environment="production",
    api_origins=("https://api.example.com",),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Development builds: React DOM's development module, its DevTools invitation.
        (
            '"[project]/node_modules/next/dist/compiled/react-dom/cjs/'
            'react-dom-client.development.js [app-client] (ecmascript)"',
            ["bundle.dev-build"],
        ),
        (
            'console.info("%cDownload the React DevTools for a better development")',
            ["bundle.dev-build"],
        ),
        # A production build's own mention of development mode is not one.
        ('throw Error("hmrRefresh can only be used in development mode.")', []),
        # Another Supabase project, by URL or by its anon key's ref; ours is fine.
        (f'createClient("https://{OTHER_REF}.supabase.co","x")', ["bundle.foreign-project"]),
        (
            f'const url="https://{REF}.supabase.co",k="{anon_key(OTHER_REF)}"',
            ["bundle.foreign-project"],
        ),
        (f'createClient("https://{REF}.supabase.co","{anon_key(REF)}")', []),
        # Sentry's environment against the declared one.
        (
            'Sentry.init({dsn:"https://k@o1.ingest.sentry.io/1",environment:"development"})',
            ["bundle.sentry-environment"],
        ),
        ('Sentry.init({dsn:"https://k@o1.ingest.sentry.io/1",environment:"production"})', []),
        # API origins: local, staging, preview, or outside api_origins; allowed ones are fine.
        ('fetch("http://localhost:3001/api/items")', ["bundle.staging-origin"]),
        ('const b="http://127.0.0.1:8000"', ["bundle.staging-origin"]),
        ('const b="https://staging-api.example.com"', ["bundle.staging-origin"]),
        ('const b="https://shop-git-feature-team.vercel.app/api"', ["bundle.staging-origin"]),
        ('const b="https://api.other-vendor.com/v1"', ["bundle.staging-origin"]),
        ('const b="https://api.example.com/v1"', []),
        # Links that are not API bases, a .dev TLD, the site itself, a bare host name.
        ('const d="https://react.dev/errors/"+e', []),
        (f'const s="{SITE}/api/items"', []),
        ('if("localhost"===s.host)s.host=""', []),
    ],
)
def test_build_checks(text: str, expected: list[str]) -> None:
    assert ids(text, FULL) == expected


def test_a_local_site_may_name_local_hosts() -> None:
    text = 'const b="http://127.0.0.1:8000/api",s="https://staging-api.example.com"'
    assets = [Asset("http://127.0.0.1:3000/a.js", text)]
    found = build.evaluate(assets, BuildExpect(), site="http://127.0.0.1:3000")
    assert [f.evidence.split(" ")[0] for f in found] == ["https://staging-api.example.com"]


def test_nothing_is_judged_that_was_not_declared() -> None:
    text = (
        f'createClient("https://{OTHER_REF}.supabase.co");environment:"development";sentry;'
        'const b="https://api.other-vendor.com/v1"'
    )
    assert ids(text) == []


@pytest.mark.parametrize(
    ("expect", "protected", "live"),
    [
        (BuildExpect(stripe_mode="live"), False, True),
        (BuildExpect(stripe_mode="test"), True, False),
        (BuildExpect(), True, True),
        (BuildExpect(), False, False),
    ],
)
def test_live_mode_declared_or_protected(expect: BuildExpect, protected: bool, live: bool) -> None:
    assert build.live_mode(expect, protected=protected) is live
    key = 'const k = "pk_test_51AbCdEfGhIjKlMnOpQr";'
    found = [f.id for f in evaluate([Asset(f"{SITE}/a.js", key)], production=live)]
    assert found == (["bundle.test-mode-key"] if live else [])


def page(*parts: tuple[str, budget.Kind, int]) -> budget.PageWeight:
    return budget.PageWeight(f"{SITE}/", tuple(budget.Part(*p) for p in parts))


def test_budgets_both_ways() -> None:
    light = page((f"{SITE}/", "html", 20_000), (f"{SITE}/a.js", "script", 100_000))
    assert budget.evaluate([light], Budgets()) == []
    heavy = page(
        (f"{SITE}/", "html", 20_000),
        (f"{SITE}/big.js", "script", 240_000),
        (f"{SITE}/small.js", "script", 30_000),
        (f"{SITE}/font.woff2", "font", 800_000),
    )
    found = {f.id: f.evidence for f in budget.evaluate([heavy], Budgets())}
    assert set(found) == {"budget.first-load-js", "budget.page-weight"}
    assert found["budget.first-load-js"].startswith("270.0 kB of JavaScript in 2 scripts")
    assert f"largest: {SITE}/big.js 240.0 kB" in found["budget.first-load-js"]
    assert f"largest: {SITE}/font.woff2 800.0 kB" in found["budget.page-weight"]
    assert budget.evaluate([heavy], Budgets(first_load_js_kb=300, page_weight_kb=2000)) == []
