"""The browser layer: pure parts on plain data, then the suites in a real headless Chromium.

Suite runs use ``runpytest_subprocess``: pytest-playwright keeps a global soft-assertion scope
per test call that an in-process nested run would open twice. They take a file lock, so under
xdist two Chromiums never compete for this machine's two cores.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from pytest_prodready.browser.artifacts import apply, mode_from, policy_for, withhold_recordings
from pytest_prodready.browser.checks import (
    console_errors,
    cookie_findings,
    csp_violations,
    failed_requests,
    judge_anonymous,
    mixed_content,
)
from pytest_prodready.browser.facts import (
    ConsoleEntry,
    DocumentScripts,
    FailedRequest,
    LoginOutcome,
    PageFacts,
    Violation,
    VitalsSample,
)
from pytest_prodready.browser.launch import (
    Chromium,
    chromium_switches,
    find_chromium,
    leaf_pin,
    spki_sha256,
)
from pytest_prodready.browser.vitals import vitals
from pytest_prodready.config.flows import Vitals
from pytest_prodready.core.findings import Finding
from pytest_prodready.demo import DemoServer
from pytest_prodready.target.runtime import NO_TARGET

ROOT = Path(__file__).resolve().parent.parent
SUITES = [str(ROOT / "suites" / "test_browser.py"), str(ROOT / "suites" / "test_flows.py")]
ORIGIN = "https://shop.test"
PAGE = f"{ORIGIN}/"
SECRET_PASSWORD = "pw-typed-in-the-browser-7f3a"
SECRET_TOKEN = "token-typed-in-the-browser-9c1d"


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]


# -- which Chromium -------------------------------------------------------------------------


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_env_chromium_wins_over_config_and_autodetect(tmp_path: Path) -> None:
    # Option > environment variable > config file > default, as for every other setting.
    configured, from_env = executable(tmp_path / "a"), executable(tmp_path / "b")
    env = {"PRODREADY_CHROMIUM": str(from_env)}
    found = find_chromium(configured, "prodready.toml", env, which=lambda _: None)
    assert found == Chromium(
        from_env,
        "PRODREADY_CHROMIUM environment variable",
        overrides="[browser] executable in prodready.toml",
    )
    assert found.describe() == (
        f"{from_env} (from PRODREADY_CHROMIUM environment variable, "
        "over [browser] executable in prodready.toml)"
    )
    found = find_chromium(configured, "prodready.toml", {}, which=lambda _: None)
    assert found.describe() == f"{configured} (from [browser] executable in prodready.toml)"
    # A bad value in the variable is reported: the config file does not stand in for it.
    bad = find_chromium(
        configured, "p.toml", {"PRODREADY_CHROMIUM": str(tmp_path / "nope")}, which=lambda _: None
    )
    assert not bad.found
    assert bad.describe() == (
        "none usable (PRODREADY_CHROMIUM environment variable does not name an executable file)"
    )


def test_explicit_chromium_that_is_missing_is_reported_not_replaced(tmp_path: Path) -> None:
    system = executable(tmp_path / "chromium")
    found = find_chromium(
        None, "prodready.toml", {"PRODREADY_CHROMIUM": "/nope/chrome"}, which=lambda _: str(system)
    )
    assert not found.found
    assert "PRODREADY_CHROMIUM environment variable points at /nope/chrome" in str(found.problem)
    assert "apt-get install chromium" in str(found.problem)


def test_autodetect_finds_one_on_path_and_can_be_turned_off(tmp_path: Path) -> None:
    chrome = executable(tmp_path / "google-chrome")
    on_path = {"google-chrome": str(chrome)}
    found = find_chromium(None, "p.toml", {}, which=on_path.get)
    assert found.path in (chrome, Path("/usr/bin/chromium"))  # Debian's comes first
    assert found.describe() == f"{found.path} (auto-detected)"
    off = find_chromium(None, "p.toml", {"PRODREADY_CHROMIUM_AUTODETECT": "0"}, which=on_path.get)
    assert not off.found
    assert off.describe() == "none found"
    assert "PRODREADY_CHROMIUM_AUTODETECT=0 turns auto-detection off" in str(off.problem)
    with pytest.raises(pytest.UsageError, match="PRODREADY_CHROMIUM_AUTODETECT='maybe'"):
        find_chromium(None, "p.toml", {"PRODREADY_CHROMIUM_AUTODETECT": "maybe"})


def test_switches_disable_background_traffic_and_pin_the_leaf() -> None:
    switches = chromium_switches(root=True, pins=["abc=", "def="])
    for switch in ("--disable-quic", "--disable-background-networking", "--no-first-run"):
        assert switch in switches
    assert "--no-sandbox" in switches
    assert "--ignore-certificate-errors-spki-list=abc=,def=" in switches
    assert "--no-sandbox" not in chromium_switches(root=False)


def test_leaf_pin_only_for_a_certificate_the_ca_bundle_verifies(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    import ssl

    pin = leaf_pin(demo_server.base_url, demo_server.ca_bundle, timeout_s=5)
    host, port = demo_server.base_url.removeprefix("https://").split(":")
    pem = ssl.get_server_certificate((host, int(port)))
    assert pin == spki_sha256(ssl.PEM_cert_to_DER_cert(pem))
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    assert leaf_pin(demo_server.base_url, other_ca, timeout_s=5) is None
    assert leaf_pin("http://127.0.0.1:1", demo_server.ca_bundle, timeout_s=5) is None


# -- artifacts ------------------------------------------------------------------------------


def test_artifacts_mode_precedence_and_errors() -> None:
    assert mode_from("all", {"PRODREADY_ARTIFACTS": "none"}) == ("all", "--prodready-artifacts")
    assert mode_from(None, {"PRODREADY_ARTIFACTS": "none"}) == (
        "none",
        "PRODREADY_ARTIFACTS environment variable",
    )
    assert mode_from(None, {}) == ("auto", "default")
    with pytest.raises(pytest.UsageError, match=r"'everything' \(from PRODREADY_ARTIFACTS"):
        mode_from(None, {"PRODREADY_ARTIFACTS": "everything"})


@pytest.mark.parametrize(
    ("mode", "protected", "tracing", "video"),
    [
        ("auto", False, "retain-on-failure", "retain-on-failure"),
        ("auto", True, "off", "off"),
        ("all", True, "retain-on-failure", "retain-on-failure"),
        ("screenshots", False, "off", "off"),
    ],
)
def test_traces_and_videos_only_on_failure_and_never_on_protected_unless_all(
    mode: str, protected: bool, tracing: str, video: str
) -> None:
    option = argparse.Namespace(screenshot="off", tracing="on", video="on")
    line = apply(option, policy_for(mode, "default", protected=protected), protected=protected)
    assert (option.screenshot, option.tracing, option.video) == ("only-on-failure", tracing, video)
    assert line.startswith(f"prodready browser: artifacts {mode} (from default)")
    none = argparse.Namespace(screenshot="on", tracing="on", video="on")
    apply(none, policy_for("none", "default", protected=False), protected=False)
    assert (none.screenshot, none.tracing, none.video) == ("off", "off", "off")


def teardown_report(user_properties: list[tuple[str, object]]) -> pytest.TestReport:
    return pytest.TestReport(
        "t.py::test_x",
        ("t.py", 1, "test_x"),
        {},
        "passed",
        None,
        "teardown",
        [],
        0.1,
        user_properties=user_properties,
    )


def test_recordings_of_a_test_that_typed_a_secret_are_deleted_and_noted(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "test-x-chromium"
    folder.mkdir(parents=True)
    for name in ("trace.zip", "video.webm", "test-failed-1.png"):
        (folder / name).write_bytes(b"recorded")
    report = teardown_report(
        [
            ("playwright_trace", "out/test-x-chromium/trace.zip"),
            ("playwright_video", str(folder / "video.webm")),
            ("playwright_screenshot", "out/test-x-chromium/test-failed-1.png"),
            ("mine", 1),
        ]
    )
    report.extras = [  # type: ignore[attr-defined]
        {"name": "Trace", "format_type": "url", "content": "out/test-x-chromium/trace.zip"},
        {"name": "Video", "format_type": "video", "content": "d2VibQ=="},
        {"name": "Screenshot", "format_type": "image", "content": "cG5n"},
    ]
    note = withhold_recordings(report, tmp_path, "the log_in fixture typed the login's password")
    assert note == (
        "prodready: trace and video of this test not kept: the log_in fixture typed the login's "
        "password; traces and videos hold what was typed, the page's DOM, and requests with "
        "their cookies and bodies"
    )
    assert sorted(p.name for p in folder.iterdir()) == ["test-failed-1.png"]
    assert report.user_properties == [
        ("playwright_screenshot", "out/test-x-chromium/test-failed-1.png"),
        ("mine", 1),
        ("prodready_artifacts", note),
    ]
    assert [e["name"] for e in report.extras] == ["Screenshot"]
    # "teardown" in the name: pytest and pytest-html show it with the failed test.
    assert report.sections == [("prodready artifacts (teardown)", note)]
    # Only a trace, in a folder of its own: the folder goes too.
    (folder / "trace.zip").write_bytes(b"recorded")
    (folder / "test-failed-1.png").unlink()
    only = teardown_report([("playwright_trace", str(folder / "trace.zip"))])
    assert str(withhold_recordings(only, tmp_path, "typed")).startswith(
        "prodready: trace of this test not kept: typed;"
    )
    assert not folder.exists()


def test_nothing_kept_means_no_note() -> None:
    report = teardown_report([("playwright_screenshot", "shot.png")])
    assert withhold_recordings(report, Path("/nonexistent"), "typed") is None
    assert report.user_properties == [("playwright_screenshot", "shot.png")]
    assert report.sections == []


# -- checks on plain facts ------------------------------------------------------------------


def test_console_errors_keep_exceptions_and_errors_not_reported_elsewhere() -> None:
    facts = PageFacts(
        PAGE,
        ORIGIN,
        console=(
            ConsoleEntry("pageerror", "boom", "https://shop.test/app.js:3"),
            ConsoleEntry("error", "TypeError: x is undefined", "https://shop.test/app.js", 9),
            ConsoleEntry("warning", "deprecated API"),
            ConsoleEntry(
                "error",
                "Executing inline script violates the following Content "
                "Security Policy directive 'script-src 'self''",
            ),
            ConsoleEntry(
                "error",
                "Mixed Content: The page at 'https://shop.test/' was loaded "
                "over HTTPS, but requested an insecure script 'http://cdn.test/a.js'. "
                "This request has been blocked",
            ),
            ConsoleEntry("error", "Failed to load resource: 404", "https://shop.test/a.png"),
            ConsoleEntry(
                "error", "Failed to load resource: net::ERR_UNSAFE_PORT", "http://cdn.test/a.js"
            ),
            ConsoleEntry("error", "Failed to load resource: 500", "https://cdn.test/lib.js"),
            ConsoleEntry("error", "TypeError: x is undefined", "https://shop.test/app.js", 9),
        ),
    )
    evidence = [f.evidence for f in console_errors(facts)]
    assert evidence == [
        "uncaught exception: boom at https://shop.test/app.js:3",
        "console error: TypeError: x is undefined at https://shop.test/app.js:9",
        "console error: Failed to load resource: 500 at https://cdn.test/lib.js",
    ]


def test_failed_requests_are_same_origin_only_and_ignore_aborts() -> None:
    facts = PageFacts(
        PAGE,
        ORIGIN,
        failed=(
            FailedRequest("GET", "https://shop.test/", "document", status=500),
            FailedRequest("GET", "https://shop.test:443/app.css", "stylesheet", status=404),
            FailedRequest("GET", "https://shop.test/a.js", "script", failure="net::ERR_ABORTED"),
            FailedRequest("GET", "https://cdn.test/a.js", "script", status=404),
            FailedRequest("POST", "https://shop.test/api", "fetch", failure="net::ERR_FAILED"),
        ),
    )
    found = failed_requests(facts)
    assert [(f.severity.name, f.evidence) for f in found] == [
        ("HIGH", "GET https://shop.test/ (document): HTTP 500"),
        ("MEDIUM", "GET https://shop.test:443/app.css (stylesheet): HTTP 404"),
        ("MEDIUM", "POST https://shop.test/api (fetch): net::ERR_FAILED"),
    ]


def test_mixed_content_from_console_and_requests_once_per_url() -> None:
    message = (
        "Mixed Content: The page at 'https://shop.test/' was loaded over HTTPS, but requested "
        "an insecure element 'http://img.test/p.png'. This request was automatically upgraded "
        "to HTTPS."
    )
    facts = PageFacts(
        PAGE,
        ORIGIN,
        console=(ConsoleEntry("warning", message), ConsoleEntry("warning", message)),
        insecure_requests=("http://img.test/p.png", "http://api.test/x"),
    )
    assert [f.evidence for f in mixed_content(facts)] == [
        "http://api.test/x: requested over plain HTTP",
        "http://img.test/p.png: This request was automatically upgraded to HTTPS.",
    ]
    assert mixed_content(PageFacts("http://shop.test/", "http://shop.test")) == []


def test_csp_violation_events_say_directive_uri_and_disposition() -> None:
    blocked = Violation("img-src", "https://evil.test/x.png", "enforce", "https://shop.test/:4")
    facts = PageFacts(
        PAGE,
        ORIGIN,
        violations=(
            blocked,
            blocked,
            Violation("script-src-elem", "inline", "report", sample="alert(1)"),
            # The browser's own favicon fetch, not the page's doing.
            Violation("img-src", "https://shop.test/favicon.ico", "enforce"),
        ),
    )
    found = csp_violations(facts)
    assert [(f.severity.name, f.evidence) for f in found] == [
        (
            "MEDIUM",
            "img-src blocked https://evil.test/x.png; enforced; source https://shop.test/:4; "
            "2 times",
        ),
        ("LOW", "script-src-elem would block inline; report-only; sample 'alert(1)'"),
    ]


def test_inline_script_that_ran_under_a_meta_policy_is_its_own_finding() -> None:
    import base64
    import hashlib

    hashed = "console.log('ok')"
    digest = base64.b64encode(hashlib.sha256(hashed.encode()).digest()).decode()
    policy = f"script-src 'nonce-abc' 'sha256-{digest}' 'unsafe-inline'"
    scripts = (("abc", "a()", False), ("", hashed, False), ("", "b()", True))
    fine = DocumentScripts(PAGE, (policy,), scripts, meta=(policy,))
    assert csp_violations(PageFacts(PAGE, ORIGIN, documents=(fine,))) == []
    lax = "script-src 'self' 'unsafe-inline'"
    ran = DocumentScripts(PAGE, (lax,), (("wrong", "x()", False),), meta=(lax,))
    found = csp_violations(PageFacts(PAGE, ORIGIN, documents=(ran,)))
    assert ids(found) == ["csp.meta-inline-script-ran"]
    assert found[0].severity.name == "HIGH"
    assert "1 inline <script> without a valid nonce or hash ran under the <meta>" in (
        found[0].evidence
    )
    unprotected = DocumentScripts(PAGE, (), (("", "x()", False),))
    assert csp_violations(PageFacts(PAGE, ORIGIN, documents=(unprotected,))) == []


def test_a_header_policy_that_lets_inline_run_is_the_header_check_s_finding() -> None:
    """Issue 14, defect 4: no browser finding claims a violation nobody reported; the header
    check's csp.script-unsafe-inline says it, from the policy itself."""
    lax = "script-src 'self' 'unsafe-inline'"
    ran = DocumentScripts(PAGE, (lax,), (("", "x()", False),))
    assert csp_violations(PageFacts(PAGE, ORIGIN, documents=(ran,))) == []


def test_vitals_are_judged_on_the_median_of_the_loads() -> None:
    samples = [
        VitalsSample(lcp_ms=2400, cls=0.0, fcp_ms=900, ttfb_ms=100),
        VitalsSample(lcp_ms=3100, cls=0.25, fcp_ms=1000, ttfb_ms=120),
        VitalsSample(lcp_ms=3300, cls=0.3, fcp_ms=None, ttfb_ms=900),
    ]
    found = vitals(samples, Vitals(), PAGE)
    assert [(f.id, f.evidence) for f in found] == [
        ("vitals.lcp", "LCP 3100 ms (median of 3 loads: 2400, 3100, 3300) > budget 2500 ms"),
        ("vitals.cls", "CLS 0.25 (median of 3 loads: 0, 0.25, 0.3) > budget 0.1"),
    ]
    assert vitals([VitalsSample()], Vitals(), PAGE) == []


def test_login_cookies_are_checked_with_their_values_masked() -> None:
    outcome = LoginOutcome(
        True,
        f"{ORIGIN}/login",
        set_cookies=(
            (f"{ORIGIN}/login", "session=********; Path=/"),
            (f"{ORIGIN}/login", "session=********; Path=/"),
            (f"{ORIGIN}/login", "pref=********; Path=/; Secure; SameSite=Lax"),
        ),
    )
    found = cookie_findings(outcome, ("session",))
    assert sorted(ids(found)) == [
        "cookie.csrf-no-samesite",
        "cookie.session-no-httponly",
        "cookie.session-no-secure",
    ]


@pytest.mark.parametrize(
    ("status", "landed", "login_path", "redirected"),
    [
        (200, "/login?next=%2Fdashboard", "/login", True),
        (200, "/auth/", "/auth", True),
        (200, "/auth/signin", "/auth", True),  # the HTTP check's rule: login or signin
        (200, "/sso/login-start", "/auth", True),
        (401, "/dashboard", "/login", True),
        (403, "/dashboard", "/login", True),
        (200, "/dashboard", "/login", False),
        (200, "/", "/login", False),
        (404, "/auth", "/login", False),
        (None, "/dashboard", "/login", False),
    ],
)
def test_anonymous_browser_must_reach_a_login_page_or_be_refused(
    status: int | None, landed: str, login_path: str, redirected: bool
) -> None:
    found = judge_anonymous("/dashboard", status, ORIGIN + landed, login_path, ORIGIN)
    assert ids(found) == ([] if redirected else ["flow.protected-not-redirected"])
    if found:
        assert found[0].evidence == (
            f"an anonymous browser asking for /dashboard got HTTP {status} at "
            f"{landed.partition('?')[0]}, not the login page {login_path} (nor another login "
            "or signin path, nor HTTP 401/403)"
        )
        assert found[0].url == f"{ORIGIN}/dashboard"


# -- the suites in a real Chromium ----------------------------------------------------------


@pytest.fixture
def one_browser_at_a_time(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Serialise suite runs across xdist workers (they share the parent of the base temp)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    lock = tmp_path_factory.getbasetemp().parent / "prodready-browser.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# These runs see the repository's addopts, which block pytest-playwright: its artifacts
# (traces, screenshots) are what they check, so it is brought back. tests/test_startup.py
# runs the browser suites without it.
WITH_PYTEST_PLAYWRIGHT = ("-p", "playwright")


def run(pytester: pytest.Pytester, config: Path, env: str, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        *SUITES,
        *WITH_PYTEST_PLAYWRIGHT,
        "--target-env",
        env,
        "--prodready-config",
        str(config),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-rs",
        *args,
        timeout=120,
    )


def finding_ids(result: pytest.RunResult) -> set[str]:
    return set(re.findall(r"^- \[[A-Z]+\] (\S+)", result.stdout.str(), re.MULTILINE))


@pytest.fixture
def secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODREADY_DEMO_ADMIN_PASSWORD", SECRET_PASSWORD)
    monkeypatch.setenv("PRODREADY_DEMO_API_TOKEN", SECRET_TOKEN)
    monkeypatch.delenv("PRODREADY_ARTIFACTS", raising=False)


def assert_no_secret_in(*texts: str) -> None:
    for text in texts:
        assert SECRET_PASSWORD not in text
        assert SECRET_TOKEN not in text


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_demo_passes_login_console_csp_and_vitals(pytester: pytest.Pytester) -> None:
    html, junit = pytester.path / "report.html", pytester.path / "junit.xml"
    result = run(
        pytester,
        ROOT / "prodready.toml",
        "demo",
        "--fail-on",
        "info",
        f"--html={html}",
        "--self-contained-html",
        f"--junitxml={junit}",
    )
    assert finding_ids(result) == set()
    # Skipped: no interaction table, and the vitals of /api/health (JSON, not a page).
    result.assert_outcomes(passed=28, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "prodready browser: chromium * (*)",
            "prodready browser: artifacts auto (from default): screenshots, traces of failed tests",
        ]
    )
    out = result.stdout.str() + result.stderr.str()
    assert_no_secret_in(out, html.read_text(), junit.read_text())


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_demo_broken_is_caught_by_id(pytester: pytest.Pytester) -> None:
    result = run(pytester, ROOT / "prodready.toml", "demo-broken", "--fail-on", "info")
    assert finding_ids(result) == {
        "browser.console-error",
        "browser.mixed-content",
        "csp.meta-inline-script-ran",
        "cookie.session-no-secure",
        "cookie.session-no-httponly",
        "cookie.csrf-no-samesite",
        "cookie.no-secure",
        "flow.protected-not-redirected",
    }
    result.assert_outcomes(passed=23, failed=5, skipped=2)
    result.stdout.fnmatch_lines_random(
        [
            "*browser.console-error*(evidence: uncaught exception: demo-broken: boom at https://*",
            "*browser.mixed-content*(evidence: http://127.0.0.1:1/pixel.png: *",
            "*[[]HIGH] csp.meta-inline-script-ran*(evidence: 2 inline <script> without a valid "
            "nonce or hash ran under the <meta> policy (script-src 'self' 'unsafe-inline')*",
            "*cookie.session-no-secure*(evidence: Set-Cookie: session=********; Path=/)*",
            "*flow.protected-not-redirected*asking for /dashboard got HTTP 200 at /dashboard*",
        ]
    )
    assert_no_secret_in(result.stdout.str() + result.stderr.str())


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_failed_login_on_protected_env_keeps_screenshot_not_trace_nor_secret(
    pytester: pytest.Pytester,
) -> None:
    # The browser types the API token as the password: a wrong one, and a known secret.
    config = pytester.path / "prodready.toml"
    config.write_text(
        textwrap.dedent(
            """
            [envs.shop]
            embedded = "demo"
            protected = true
            pages = ["/"]
            protected_pages = ["/dashboard"]
            [envs.shop.secrets]
            admin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"
            api_token = "PRODREADY_DEMO_API_TOKEN"
            [envs.shop.flows.login]
            username = "admin@demo.test"
            password_secret = "api_token"
            submit_selector = "#login-submit"
            success_url = "/dashboard"
            logout_selector = "#logout-submit"
            session_cookie = "session"
            """
        )
    )
    html, junit, summary = (pytester.path / n for n in ("r.html", "j.xml", "s.json"))
    result = pytester.runpytest_subprocess(
        SUITES[1],
        *WITH_PYTEST_PLAYWRIGHT,
        "--target-env=shop",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "--tracing=on",
        f"--html={html}",
        "--self-contained-html",
        f"--junitxml={junit}",
        f"--prodready-json={summary}",
        timeout=120,
    )
    result.assert_outcomes(passed=2, failed=2, errors=3, skipped=1)
    out = result.stdout.str()
    assert (
        "- [HIGH] flow.login-failed  The configured login does not succeed in a real browser "
        "(evidence: after submitting the form on /login the browser is at /login (HTTP 401), not "
        "at the URL /dashboard; the page says 'Invalid username or password.')"
    ) in out
    assert "screenshots of failed tests; no traces or videos on a protected environment" in out
    report = html.read_text()
    assert "Screenshot of the failed login" in report
    assert list(pytester.path.rglob("*.png")), "pytest-playwright's failure screenshot"
    assert not list(pytester.path.rglob("trace*.zip")), "a trace on a protected environment"
    assert_no_secret_in(out, result.stderr.str(), report, junit.read_text(), summary.read_text())


USER_FLOW = '''
import pytest

PAGE = """<!DOCTYPE html><html><head><title>t</title></head><body><p>csp probe</p>
<script nonce="abc">window.ok = 1;</script><script>window.injected = 1;</script>
<img src="/static/favicon.svg" alt=""></body></html>"""


@pytest.mark.flows
def test_violations_survive_navigation(page, page_watch):
    watch = page_watch(page)
    page.route(
        "**/csp-probe",
        lambda route: route.fulfill(
            status=200,
            body=PAGE,
            headers={
                "content-type": "text/html",
                "content-security-policy": "script-src 'nonce-abc'",
                "content-security-policy-report-only": "img-src 'none'",
            },
        ),
    )
    page.goto("/csp-probe")
    assert page.evaluate("[window.ok, window.injected]") == [1, None]
    page.goto("/login")
    found = sorted((f.id, f.severity.name, f.evidence) for f in watch.findings())
    assert [(i, s) for i, s, _ in found] == [("csp.violation", "LOW"), ("csp.violation", "MEDIUM")]
    assert found[0][2].startswith("img-src would block https://") and "report-only" in found[0][2]
    assert found[1][2].startswith("script-src-elem blocked inline; enforced; source https://")
'''


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_page_watch_records_enforced_and_report_only_events_across_navigations(
    pytester: pytest.Pytester,
) -> None:
    # A user flow: the page is served by the demo's origin (through a route), with a policy
    # that blocks one inline script and would block (report-only) the image.
    pytester.makepyfile(test_user_flow=USER_FLOW)
    result = pytester.runpytest_subprocess(
        "--target-env=demo",
        f"--prodready-config={ROOT / 'prodready.toml'}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        timeout=120,
    )
    result.assert_outcomes(passed=1)


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_without_chromium_every_browser_test_skips_with_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRODREADY_CHROMIUM", str(pytester.path / "no-such-chromium"))
    monkeypatch.setenv("PRODREADY_CHROMIUM_AUTODETECT", "0")
    result = run(pytester, ROOT / "prodready.toml", "demo")
    result.assert_outcomes(skipped=30)
    reasons = {line.split(": ", 1)[1] for line in result.stdout.lines if line.startswith("SKIPPED")}
    assert reasons == {
        f"prodready: no Chromium for the browser tests: PRODREADY_CHROMIUM environment variable "
        f"points at {pytester.path / 'no-such-chromium'}, which is not an executable file. "
        "Install one (Debian/Ubuntu: apt-get install chromium; elsewhere, where downloads work: "
        "python -m playwright install chromium), or point PRODREADY_CHROMIUM or [browser] "
        "executable in prodready.toml at a Chrome/Chromium binary."
    }


def test_a_chromium_that_does_not_start_fails_each_test_in_one_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_browser = pytester.path / "chromium"
    not_a_browser.write_text("#!/bin/sh\nexit 0\n")
    not_a_browser.chmod(0o755)
    monkeypatch.setenv("PRODREADY_CHROMIUM", str(not_a_browser))
    result = run(pytester, ROOT / "prodready.toml", "demo", "-k", "test_no_console_errors")
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) >= 1
    assert "passed" not in outcomes
    out = result.stdout.str()
    # At least once per test (on CI, pytest repeats whole messages in the short summary).
    shown = out.count(f"prodready browser: Chromium did not start: {not_a_browser}")
    assert shown >= outcomes["errors"]
    assert "<launching>" not in out  # Playwright's launch log stays out of the report
    assert "Traceback" not in out


def test_without_a_target_env_every_browser_test_says_so(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As the `target` fixture says it for the other suites: not "got empty parameter set for
    # (page_spec)", nor Playwright's "install" box from a browser launched with no target.
    for var in ("PRODREADY_TARGET_ENV", "PRODREADY_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    for suite in SUITES:
        shutil.copy(suite, pytester.path)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:xdist", "-rs", timeout=120
    )
    result.assert_outcomes(errors=16)
    assert [line for line in result.stdout.lines if line == NO_TARGET] == [NO_TARGET] * 16
    out = result.stdout.str()
    assert "empty parameter set" not in out
    assert "playwright install" not in out


def real_chromium() -> Path:
    found = find_chromium(None, "-", {})
    if found.path is None:
        pytest.skip(found.problem or "no system Chromium")
    return found.path


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_env_chromium_over_config_and_anonymous_redirect_without_a_login_table(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config names no browser that exists: the variable must win, and the header say so.
    # The env has protected pages and no [flows.login]: the anonymous visit still runs.
    chromium = real_chromium()
    monkeypatch.setenv("PRODREADY_CHROMIUM", str(chromium))
    config = pytester.path / "prodready.toml"
    config.write_text(
        textwrap.dedent(
            """
            [browser]
            executable = "no-such-browser"
            [envs.shop]
            embedded = "demo"
            pages = ["/"]
            protected_pages = ["/dashboard"]
            login_path = "/login"
            [envs.shop.secrets]
            admin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"
            api_token = "PRODREADY_DEMO_API_TOKEN"
            """
        )
    )
    args = [
        *WITH_PYTEST_PLAYWRIGHT,
        "--target-env=shop",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
    ]
    result = pytester.runpytest_subprocess(SUITES[1], *args, "-p", "no:xdist", "-v", timeout=120)
    result.assert_outcomes(passed=1, skipped=7)
    result.stdout.fnmatch_lines(
        [
            f"prodready browser: chromium {chromium} (from PRODREADY_CHROMIUM environment "
            "variable, over [browser] executable in prodready.toml)",
            "*test_flows.py::test_protected_page_redirects_anonymous_browser*PASSED*",
        ]
    )
    # The command line beats both: pytest-playwright launches that channel.
    channel = pytester.runpytest_subprocess(
        SUITES[1], *args, "--collect-only", "--browser-channel=chrome", timeout=120
    )
    channel.stdout.fnmatch_lines(
        ["prodready browser: chromium channel chrome (from --browser-channel)"]
    )


TOKEN_LOGIN = '''
import pytest

# A script form: a failed login leaves the page, and what was typed, where it was.
FORM = """<!DOCTYPE html><html><head><title>t</title></head><body>
<form onsubmit="event.preventDefault(); err.textContent = 'Invalid token.'">
<input id="username" type="text"><input id="password" type="text">
<button id="go" type="submit">Go</button></form><p id="err" role="alert"></p>
</body></html>"""


def test_token_login(page, log_in):
    page.route(
        "**/token-login",
        lambda route: route.fulfill(body=FORM, headers={"content-type": "text/html"}),
    )
    outcome = log_in(page)
    assert not outcome.ok
    assert outcome.evidence.endswith("within 1 s; the page says 'Invalid token.'")
    # Plain text fields: they would show the secrets in pytest-playwright's screenshot.
    assert page.input_value("#username") == page.input_value("#password") == ""
    pytest.fail("failing on purpose: its artifacts are kept")
'''


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_a_test_that_typed_secrets_keeps_screenshots_but_no_trace(
    pytester: pytest.Pytester,
) -> None:
    # Both secrets typed into text fields: the API token as the username, then the password.
    config = pytester.path / "prodready.toml"
    config.write_text(
        textwrap.dedent(
            """
            [envs.shop]
            embedded = "demo"
            timeout_s = 1
            [envs.shop.secrets]
            admin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"
            api_token = "PRODREADY_DEMO_API_TOKEN"
            [envs.shop.flows.login]
            path = "/token-login"
            username_secret = "api_token"
            password_secret = "admin_password"
            submit_selector = "#go"
            success_url = "/dashboard"
            """
        )
    )
    pytester.makepyfile(test_token_login=TOKEN_LOGIN)
    html, junit, output = (pytester.path / n for n in ("r.html", "j.xml", "artifacts"))
    result = pytester.runpytest_subprocess(
        "test_token_login.py",
        "--target-env=shop",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "--prodready-artifacts=all",
        f"--output={output}",
        f"--html={html}",
        "--self-contained-html",
        f"--junitxml={junit}",
        timeout=120,
    )
    result.assert_outcomes(failed=1)
    note = (
        "prodready: trace of this test not kept: the log_in fixture typed the login's password; "
        "traces and videos hold what was typed, the page's DOM, and requests with their cookies "
        "and bodies"
    )
    out = result.stdout.str()
    assert "Failed: failing on purpose: its artifacts are kept" in out
    result.stdout.fnmatch_lines(["*- prodready artifacts (teardown) -*", note])
    report, xml = html.read_text(), junit.read_text()
    # Quotes are escaped there: the HTML log and the JUnit property of the test.
    assert "trace of this test not kept: the log_in fixture typed the login" in report
    assert '<property name="prodready_artifacts" value="prodready: trace of this test' in xml
    assert [p.name for p in output.rglob("*") if p.is_file()] == ["test-failed-1.png"]
    assert_no_secret_in(out, result.stderr.str(), report, xml)


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_an_interrupted_test_that_typed_secrets_leaves_no_trace(pytester: pytest.Pytester) -> None:
    """Ctrl-C right after the secret was typed: no teardown report, but pytest-playwright
    still saves the unfinished test's trace as the session ends; it must not survive."""
    config = pytester.path / "prodready.toml"
    config.write_text(
        '[envs.shop]\nembedded = "demo"\ntimeout_s = 1\n'
        '[envs.shop.secrets]\nadmin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"\n'
        'api_token = "PRODREADY_DEMO_API_TOKEN"\n'
        '[envs.shop.flows.login]\npath = "/token-login"\nusername_secret = "api_token"\n'
        'password_secret = "admin_password"\nsubmit_selector = "#go"\n'
        'success_url = "/dashboard"\n'
    )
    interrupted = TOKEN_LOGIN.replace(
        '    pytest.fail("failing on purpose: its artifacts are kept")',
        "    raise KeyboardInterrupt  # as a CI runner cancelling the job",
    )
    pytester.makepyfile(test_token_login=interrupted)
    output = pytester.path / "artifacts"
    result = pytester.runpytest_subprocess(
        "test_token_login.py",
        "--target-env=shop",
        f"--prodready-config={config}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "--prodready-artifacts=all",
        f"--output={output}",
        timeout=120,
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    kept = [p.name for p in output.rglob("*") if p.is_file()]
    assert not [name for name in kept if name.endswith((".zip", ".webm"))], kept
    assert_no_secret_in(result.stdout.str(), result.stderr.str())


LOGGED_IN_FAILS = """
import pytest


def test_dashboard(logged_in_page):
    logged_in_page.goto("/dashboard")
    pytest.fail("failing on purpose: its artifacts are kept")
"""


@pytest.mark.usefixtures("one_browser_at_a_time", "secrets_in_env")
def test_a_test_on_the_logged_in_page_keeps_no_trace_of_its_session_cookie(
    pytester: pytest.Pytester,
) -> None:
    # The page carries the session the typed password bought: a credential, like the password.
    pytester.makepyfile(test_logged_in=LOGGED_IN_FAILS)
    junit, output = pytester.path / "j.xml", pytester.path / "artifacts"
    result = pytester.runpytest_subprocess(
        "test_logged_in.py",
        "--target-env=demo",
        f"--prodready-config={ROOT / 'prodready.toml'}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        f"--output={output}",
        f"--junitxml={junit}",
        timeout=120,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "prodready browser: artifacts auto (from default): screenshots, traces of failed tests",
            "*- prodready artifacts (teardown) -*",
            "prodready: trace of this test not kept: the logged_in_page fixture's page carries "
            "the session cookie of a login that typed the login's password; traces and videos "
            "hold what was typed, the page's DOM, and requests with their cookies and bodies",
        ]
    )
    assert [p.name for p in output.rglob("*") if p.is_file()] == ["test-failed-1.png"]
    assert_no_secret_in(result.stdout.str(), result.stderr.str(), junit.read_text())


@pytest.mark.parametrize(
    ("configured", "markexpr", "expected"),
    [
        (None, "smoke", 1),
        (None, "smoke and not slow", 1),
        (None, "", 3),
        (None, "flows", 3),
        (None, "smokescreen", 3),
        (None, "not smoke", 3),
        (None, "security and not smoke", 3),
        (None, "smoke or flows", 1),
        (5, "smoke", 5),
        (1, "", 1),
    ],
)
def test_vitals_runs_follow_the_selection_unless_configured(
    configured: int | None, markexpr: str, expected: int
) -> None:
    from pytest_prodready.browser.vitals import runs_for

    assert runs_for(configured, markexpr) == expected
