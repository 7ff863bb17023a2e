"""The health, release and pages suites end to end against the embedded demos."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUITES = [
    str(ROOT / "suites" / name) for name in ("test_health.py", "test_release.py", "test_pages.py")
]


def run(pytester: pytest.Pytester, env: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        *SUITES,
        "--target-env",
        env,
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        *args,
    )


def test_demo_passes_every_smoke_check(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo", "-m", "smoke")
    result.assert_outcomes(passed=11)


def test_demo_broken_fails_with_each_planted_flaw(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo-broken")
    result.assert_outcomes(passed=4, failed=5, skipped=2)
    out = result.stdout.str()
    for expected in [
        "[HIGH] health.component-unhealthy  A health component reports a non-healthy state "
        "(evidence: redis: 'degraded'",
        "[MEDIUM] health.cacheable",
        "[HIGH] release.mismatch  The deployed release is not the expected one "
        "(evidence: expected '1.4.2', deployed '1.4.1')",
        "[HIGH] page.protected-exposed",
        "[HIGH] endpoint.unguarded  An endpoint that needs a signature or secret accepts an "
        "unauthenticated call (evidence: GET without credentials answered 200)",
    ]:
        assert expected in out, expected


def test_expect_version_option_overrides_config(pytester: pytest.Pytester) -> None:
    result = run(pytester, "demo", "-k", "release", "--expect-version", "9.9.9")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*release.mismatch*expected '9.9.9', deployed '1.4.2'*"])


def test_accepted_finding_passes_and_expired_one_fails(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        prodready="""
        [envs.b]
        embedded = "demo-broken"
        protected_pages = ["/dashboard"]
        [[envs.b.accept]]
        id = "page.protected-exposed"
        reason = "public preview until the auth rewrite ships"
        until = 2099-01-31
        """.replace("        ", ""),
    )
    config = pytester.path / "prodready.toml"
    args = [str(ROOT / "suites" / "test_pages.py"), "--prodready-config", str(config)]
    args += ["--target-env", "b", "-k", "protected", "-p", "no:cacheprovider"]
    pytester.runpytest(*args).assert_outcomes(passed=1)
    config.write_text(config.read_text().replace("2099-01-31", "2020-01-31"))
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "[HIGH] page.protected-exposed" in out
    assert "the acceptance of page.protected-exposed ('public preview until" in out
    assert "expired on 2020-01-31" in out


def test_figures_and_the_target_url_reach_the_reports_from_xdist_workers(
    pytester: pytest.Pytester,
) -> None:
    # Under xdist only the workers start the embedded demo (one each): the controller, which
    # writes the reports, learns its URL, the latencies and the version from their reports.
    result = pytester.runpytest_subprocess(
        *SUITES,
        "-m",
        "smoke",
        "-n",
        "2",
        "--target-env",
        "demo",
        "--prodready-config",
        str(ROOT / "prodready.toml"),
        "-p",
        "no:cacheprovider",
        "--prodready-json=run.json",
        "--html=run.html",
        "--self-contained-html",
    )
    result.assert_outcomes(passed=11)
    summary = json.loads((pytester.path / "run.json").read_text())
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", summary["env"]["base_url"])
    figures = {
        test.split("::", 1)[1]: values
        for test, values in summary["figures"].items()
        if "test_health" in test or "test_page_answers" in test
    }
    assert sorted(figures) == [
        "test_health_endpoint[/api/health/detailed]",
        "test_health_endpoint[/api/health]",
        "test_page_answers[/]",
        "test_page_answers[/api/health]",
        "test_page_answers[/login]",
    ]
    assert all(v["latency_median_ms"] > 0 for k, v in figures.items() if "health_endpoint" in k)
    assert all(v["ttfb_ms"] > 0 for k, v in figures.items() if "page_answers" in k)
    page = (pytester.path / "run.html").read_text()
    match = re.search(r'data-jsonblob="([^"]*)"', page)
    assert match
    environment = json.loads(html.unescape(match.group(1)))["environment"]
    assert summary["env"]["base_url"] in environment["prodready base_url"]
    assert environment["prodready version seen"] == "1.4.2"
