"""The security smoke suites end to end: the demo passes everything (info included), and
demo-broken is caught by exactly its planted flaws, each by its id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PLANTED = {
    # transport
    "redirect.missing",
    "hsts.missing",
    # headers
    "xcto.missing",
    "xfo.missing",
    "referrer.unsafe",
    "permissions-policy.missing",
    "header.deprecated",
    "header.x-xss-protection",
    # leaks and exposure
    "leak.server-version",
    "leak.powered-by",
    "leak.debug-page",
    "exposure.dotenv",
    "exposure.git",
    # a NEXT_PUBLIC_ mistake: Stripe secret and Supabase service-role keys in app.js
    "bundle.secret-key",
    "bundle.source-map",
    # CSP: default-src *, 'unsafe-inline' 'unsafe-eval', cdnjs and http: in script-src
    "csp.script-unsafe-inline",
    "csp.script-unsafe-eval",
    "csp.script-plain-scheme",
    "csp.script-allowlist-bypass",
    "csp.object-src-missing",
    "csp.object-allowlist-bypass",
    "csp.base-uri-missing",
    "csp.form-action-missing",
    "csp.frame-ancestors-missing",
    "csp.insecure-scheme",
    "csp.strict-dynamic-missing",
    "csp.style-unsafe-inline",
    "csp.reporting-missing",
    # cookies, caching, CORS
    "cookie.no-secure",
    "cookie.csrf-no-samesite",
    "cache.sensitive-cacheable",
    "cors.credentialed-reflection",
    "cors.null-origin",
}


def run(pytester: pytest.Pytester, env: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        str(ROOT / "suites"),
        "-m",
        "smoke and security",
        "--target-env",
        env,
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        *args,
    )


def finding_ids(result: pytest.RunResult) -> set[str]:
    return set(re.findall(r"^- \[[A-Z]+\] (\S+)", result.stdout.str(), re.MULTILINE))


def test_demo_has_no_finding_at_any_severity(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo", "--fail-on", "info")
    assert finding_ids(result) == set()
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] >= 20
    assert "failed" not in outcomes
    # A clean run still ends with the block: "nothing found" is the news after a deploy.
    result.stdout.fnmatch_lines(
        [
            "*- prodready summary -*",
            "env 'demo': 0 failing findings (0 high, 0 medium, 0 low, 0 info); 0 below "
            "--fail-on; 0 accepted; 0 skipped by the safety gate",
            "grade A+ (score *; how: docs/reports.md)",
            "reports: none written (ask with --prodready-json, --prodready-sarif, --html or "
            "--junitxml)",
        ],
        consecutive=True,
    )


def test_demo_broken_is_caught_by_exactly_its_planted_flaws(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo-broken", "--fail-on", "info")
    found = finding_ids(result)
    assert found - PLANTED == set(), "findings nothing planted explains"
    assert PLANTED - found == set(), "planted flaws the suites missed"


def test_fail_on_high_passes_tests_with_only_lower_findings(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo-broken", "--fail-on", "high", "-k", "leaky_headers")
    result.assert_outcomes(passed=3)
    strict = run(pytester, "demo-broken", "-k", "leaky_headers")
    strict.assert_outcomes(failed=3)
    strict.stdout.fnmatch_lines(["*leak.server-version*nginx/1.18.0*"])


def test_fail_on_high_passes_medium_and_low_cookie_findings_and_says_so(
    pytester: pytest.Pytester,
) -> None:
    # demo-broken's /login sets csrftoken without Secure (medium) and without SameSite (low).
    result = run(pytester, "demo-broken", "--fail-on", "high", "-k", "cookie_flags")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*- prodready summary -*",
            "env 'demo-broken': 0 failing findings (0 high, 0 medium, 0 low, 0 info); "
            "2 below --fail-on; 0 accepted; 0 skipped by the safety gate",
        ],
        consecutive=True,
    )
    assert finding_ids(result) == set(), "findings below --fail-on are no failure message"
    strict = run(pytester, "demo-broken", "-k", "cookie_flags")
    strict.assert_outcomes(passed=2, failed=1)
    assert finding_ids(strict) == {"cookie.no-secure", "cookie.csrf-no-samesite"}
    strict.stdout.fnmatch_lines(
        ["env 'demo-broken': 2 failing findings (0 high, 1 medium, 1 low, 0 info); 0 below *"]
    )


def test_bad_fail_on_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fail-on", "critical")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown severity 'critical'; valid: info, low, medium, high" in result.stderr.str()


@pytest.mark.parametrize(
    ("frame_ancestors", "outcome"),
    [("'self' https://partner.example.com", "passed"), ("'self' https:", "failed")],
)
def test_declared_framing_origins_are_the_only_ones_frame_ancestors_may_allow(
    pytester: pytest.Pytester, frame_ancestors: str, outcome: str
) -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    from tests.servers import serve

    policy = f"default-src 'self'; object-src 'none'; frame-ancestors {frame_ancestors}"

    async def home(request: object) -> HTMLResponse:
        return HTMLResponse("<p>embeddable</p>", headers={"Content-Security-Policy": policy})

    with serve(Starlette(routes=[Route("/", home)])) as server:
        (pytester.path / "prodready.toml").write_text(
            f'[envs.embed]\nbase_url = "{server.url}"\npages = ["/"]\n'
            '[envs.embed.expect]\nframing_origins = ["https://partner.example.com"]\n'
        )
        result = pytester.runpytest(
            str(ROOT / "suites" / "test_csp.py"),
            "--target-env=embed",
            "--prodready-config=prodready.toml",
            "-p",
            "no:cacheprovider",
        )
    out = result.stdout.str()
    assert ("csp.frame-ancestors-unexpected" in out) == (outcome == "failed")
    if outcome == "failed":
        assert "declared: https://partner.example.com" in out


def test_page_assets_nobody_listed_are_judged(pytester: pytest.Pytester) -> None:
    # demo-broken's pages load /static/app.js and /static/app.css, served without nosniff;
    # neither is in its `pages`.
    broken = run(pytester, "demo-broken", "-k", "page_assets")
    broken.assert_outcomes(failed=1)
    text = broken.stdout.str()
    assert re.search(r"xcto\.missing .* at https://127\.0\.0\.1:\d+/static/app\.js", text)
    assert re.search(r"xcto\.missing .* at https://127\.0\.0\.1:\d+/static/app\.css", text)
    run(pytester, "demo", "-k", "page_assets").assert_outcomes(passed=1)
