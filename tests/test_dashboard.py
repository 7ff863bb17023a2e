"""The dashboard, its grade, the history and the Markdown job summary.

The grade is pinned against the MDN HTTP Observatory's own tests (mdn/mdn-http-observatory
``test/*.test.js`` and ``test/scanner.test.js``): for the header categories we classify
(CSP, HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy, COOP, CORP, COEP) the
same headers give the same result, modifier and grade. Whole runs of the shipped suites
against the embedded demo write the dashboard, which headless Chromium then opens.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_prodready.report import dashboard, markdown
from pytest_prodready.report.grade import (
    MODIFIERS,
    classify_headers,
    grade_for_score,
    grade_headers,
    grade_summary,
)
from pytest_prodready.report.history import append, drift, load_runs

ROOT = Path(__file__).resolve().parent.parent
SHOTS = os.environ.get("PRODREADY_DASHBOARD_SHOTS")

# --- the Observatory's grade chart (test/grader.test.js and src/grader/charts.js) ---


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (120, "A+"),
        (100, "A+"),
        (99, "A"),
        (90, "A"),
        (89, "A-"),
        (85, "A-"),
        (80, "B+"),
        (79, "B"),
        (70, "B"),
        (65, "B-"),
        (60, "C+"),
        (50, "C"),
        (45, "C-"),
        (40, "D+"),
        (30, "D"),
        (25, "D-"),
        (24, "F"),
        (0, "F"),
        (-10, "F"),
    ],
)
def test_grade_chart_is_the_observatory_s(score: int, letter: str) -> None:
    assert grade_for_score(score) == letter


# --- per category: the Observatory's analyzer tests, header value -> expected result ---

OBSERVATORY_CASES = [
    # test/referrer-policy.test.js
    ("referrer-policy", "no-referrer", "referrer-policy-private"),
    ("referrer-policy", "STRICT-ORIGIN", "referrer-policy-private"),
    ("referrer-policy", "strict-origin-when-cross-origin", "referrer-policy-private"),
    ("referrer-policy", "whimsy", "referrer-policy-header-invalid"),
    ("referrer-policy", "unsafe-url", "referrer-policy-unsafe"),
    ("referrer-policy", "no-referrer, unsafe-url", "referrer-policy-unsafe"),
    ("referrer-policy", "no-referrer, whimsy", "referrer-policy-private"),
    ("referrer-policy", None, "referrer-policy-not-implemented"),
    # test/strict-transport-security.test.js
    ("strict-transport-security", None, "hsts-not-implemented"),
    ("strict-transport-security", "includeSubDomains; preload", "hsts-header-invalid"),
    (
        "strict-transport-security",
        "max-age=15768000; includeSubDomains, max-age=15768000; includeSubDomains",
        "hsts-header-invalid",
    ),
    ("strict-transport-security", "max-age=86400", "hsts-implemented-max-age-less-than-six-months"),
    (
        "strict-transport-security",
        "max-age=15768000; includeSubDomains; preload",
        "hsts-implemented-max-age-at-least-six-months",
    ),
    # test/x-content-type-options.test.js
    ("x-content-type-options", "nosniff", "x-content-type-options-nosniff"),
    ("x-content-type-options", "whimsy", "x-content-type-options-header-invalid"),
    ("x-content-type-options", None, "x-content-type-options-not-implemented"),
    # test/x-frame-options.test.js
    ("x-frame-options", "DENY", "x-frame-options-sameorigin-or-deny"),
    ("x-frame-options", "sameorigin", "x-frame-options-sameorigin-or-deny"),
    ("x-frame-options", "ALLOW-FROM https://mozilla.org", "x-frame-options-allow-from-origin"),
    ("x-frame-options", "whimsy", "x-frame-options-header-invalid"),
    ("x-frame-options", None, "x-frame-options-not-implemented"),
    # test/cross-origin-*.test.js
    ("cross-origin-opener-policy", "same-origin", "coop-implemented-with-same-origin"),
    ("cross-origin-opener-policy", "unsafe-none", "coop-implemented-with-unsafe-none"),
    ("cross-origin-opener-policy", "whimsy", "coop-header-invalid"),
    ("cross-origin-resource-policy", "same-site", "corp-implemented-with-same-site"),
    ("cross-origin-resource-policy", "cross-origin", "corp-implemented-with-cross-origin"),
    ("cross-origin-resource-policy", "whimsy", "corp-header-invalid"),
    ("cross-origin-embedder-policy", "require-corp", "coep-implemented-with-require-corp"),
    ("cross-origin-embedder-policy", "credentialless", "coep-implemented-with-credentialless"),
    ("cross-origin-embedder-policy", "whimsy", "coep-header-invalid"),
    # test/csp.test.js
    ("content-security-policy", None, "csp-not-implemented"),
    (
        "content-security-policy",
        "default-src 'none'",
        "csp-implemented-with-no-unsafe-default-src-none",
    ),
    ("content-security-policy", "default-src 'self'", "csp-implemented-with-no-unsafe"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline'",
        "csp-implemented-with-unsafe-inline",
    ),
    (
        "content-security-policy",
        "default-src 'self'; script-src data:",
        "csp-implemented-with-unsafe-inline",
    ),
    ("content-security-policy", "default-src *", "csp-implemented-with-unsafe-inline"),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self' 'unsafe-eval'",
        "csp-implemented-with-unsafe-eval",
    ),
    (
        "content-security-policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'",
        "csp-implemented-with-unsafe-inline-in-style-src-only",
    ),
    (
        "content-security-policy",
        "default-src 'self'; img-src http://example.com",
        "csp-implemented-with-insecure-scheme-in-passive-content-only",
    ),
    (
        "content-security-policy",
        "default-src 'self'; script-src http://example.com",
        "csp-implemented-with-insecure-scheme",
    ),
    (
        "content-security-policy",
        "default-src 'self'; script-src 'nonce-abc' 'unsafe-inline'",
        "csp-implemented-with-no-unsafe",
    ),
    ("content-security-policy", "default-src 'self'; default-src 'none'", "csp-header-invalid"),
]


@pytest.mark.parametrize(("header", "value", "expected"), OBSERVATORY_CASES)
def test_header_category_matches_the_observatory(
    header: str, value: str | None, expected: str
) -> None:
    headers = {} if value is None else {header: value}
    assert classify_headers(headers, https=True)[header] == expected
    assert expected in MODIFIERS


def test_hsts_over_plain_http_and_report_only_csp() -> None:
    results = classify_headers(
        {
            "strict-transport-security": "max-age=31536000",
            "content-security-policy-report-only": "default-src 'none'",
        },
        https=False,
    )
    assert results["strict-transport-security"] == "hsts-not-implemented-no-https"
    assert results["content-security-policy"] == "csp-not-implemented-but-reporting-enabled"


def test_frame_ancestors_counts_as_x_frame_options() -> None:
    results = classify_headers({"content-security-policy": "frame-ancestors 'none'"}, https=True)
    assert results["x-frame-options"] == "x-frame-options-implemented-via-csp"


# --- whole header sets: test/scanner.test.js fixtures (test/fixtures/*.json) ---

OBSERVATORY_MOZILLA_ORG = {
    "referrer-policy": "strict-origin-when-cross-origin",
    "content-security-policy": (
        "default-src 'self'; script-src 'report-sample' 'self' 'wasm-unsafe-eval' "
        "https://www.google-analytics.com/analytics.js https://*.googletagmanager.com "
        "'sha256-XNBp89FG76amD8BqrJzyflxOF9PaWPqPqvJfKZPCv7M='; style-src 'report-sample' "
        "'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; img-src 'self' data: "
        "*.githubusercontent.com; frame-src 'self' mdn.github.io; worker-src 'self';"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "strict-transport-security": "max-age=63072000",
}
MOZILLA_ORG = {
    "x-content-type-options": "nosniff",
    "content-security-policy": (
        "frame-src 'self' accounts.firefox.com; script-src 'self' 'unsafe-eval' 'unsafe-inline' "
        "cdn.transcend.io www.mozilla.org; form-action 'self' https://basket.mozilla.org; "
        "style-src 'self' 'unsafe-inline' www.mozilla.org; default-src 'self' *.mozilla.org; "
        "frame-ancestors 'none'; upgrade-insecure-requests; img-src 'self' data: "
        "www.mozilla.org; object-src 'none'; base-uri 'none'"
    ),
    "cross-origin-opener-policy": "same-origin",
    "strict-transport-security": "max-age=31536000",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def test_observatory_mozilla_org_scores_a_plus_110_as_in_the_observatory() -> None:
    # scanner.test.js: grade A+, score 110; its other categories (cookies, CORS,
    # redirection, SRI) score 0 there.
    grade = grade_headers(OBSERVATORY_MOZILLA_ORG, https=True)
    assert (grade.letter, grade.score) == ("A+", 110)


def test_mozilla_org_matches_the_observatory_with_its_sri_result_added() -> None:
    # scanner.test.js: grade B, score 75. Our header categories give 80; the Observatory's
    # fifth point is SRI (external scripts over HTTPS without integrity: -5), which needs
    # the page body and is not one of our categories.
    grade = grade_headers(MOZILLA_ORG, https=True)
    assert grade.score == 80
    assert grade_for_score(grade.score - 5) == "B"


# --- our extension: findings beyond the Observatory's categories ---


def finding(
    fid: str, severity: str, *, status: str = "failing", test: str = "t::x"
) -> dict[str, Any]:
    return {
        "id": fid,
        "severity": severity,
        "title": f"title of {fid}",
        "evidence": "e",
        "remediation": f"fix {fid}",
        "url": "https://127.0.0.1:1/",
        "test": test,
        "status": status,
    }


def summary(
    findings: list[dict[str, Any]], headers: dict[str, str] | None = None, **kw: Any
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "env": {
            "name": "x",
            "base_url": "https://127.0.0.1:1",
            "protected": False,
            "expected_version": None,
        },
        "started": kw.get("started", "2026-01-01T00:00:00+00:00"),
        "duration_s": 1.0,
        "outcomes": {"passed": 1, "failed": 1, "skipped": 0, "error": 0, "skipped_by_safety": 0},
        "findings": findings,
        "accepted": kw.get("accepted", []),
        "headers": {"/": headers} if headers is not None else {},
        "figures": {},
    }


def test_extension_charges_each_id_once_by_severity_and_maps_cookies_to_the_observatory() -> None:
    clean = grade_summary(summary([], OBSERVATORY_MOZILLA_ORG))
    assert clean.score == 110
    findings = [
        finding("exposure.dotenv", "high", test="a"),
        finding("exposure.dotenv", "high", test="b"),  # same id twice: charged once
        finding("health.slow", "medium"),
        finding("leak.server-version", "low"),
        finding("page.slow", "info"),
        finding("cookie.session-no-httponly", "high"),  # the Observatory's -30
        finding("cookie.no-secure", "medium"),  # same category: only the worst counts
        finding("hsts.missing", "high"),  # graded from the headers, not charged again
        finding("release.mismatch", "high", status="below-threshold"),  # not failing
    ]
    graded = grade_summary(summary(findings, OBSERVATORY_MOZILLA_ORG))
    # The bonuses (+10) vanish below 90: 100 - 20 - 10 - 5 - 30 = 35.
    assert (graded.score, graded.letter) == (35, "D")


# --- history and drift ---


def test_history_keeps_the_last_n_per_env_and_drift_is_by_id_and_test(tmp_path: Path) -> None:
    for i in range(5):
        data = summary(
            [finding("a.one", "low", test=f"t{i % 2}")], started=f"2026-01-0{i + 1}T00:00:00+00:00"
        )
        append(tmp_path, data, json.dumps(data), keep=3)
    other = {**summary([]), "env": {**summary([])["env"], "name": "other env/../x"}}
    append(tmp_path, other, json.dumps(other), keep=3)
    runs = load_runs(tmp_path, "x")
    assert [r["started"][:10] for r in runs] == ["2026-01-03", "2026-01-04", "2026-01-05"]
    assert len(load_runs(tmp_path, "other env/../x")) == 1
    assert all(p.parent == tmp_path for p in tmp_path.iterdir())
    d = drift(runs[-2], runs[-1])
    assert ([f["test"] for f in d.new], [f["test"] for f in d.fixed], d.still_open) == (
        ["t0"],
        ["t1"],
        [],
    )


def test_dashboard_for_500_findings_stays_under_one_megabyte() -> None:
    ids = [f"exposure.f{i % 60}" for i in range(500)]
    many = [
        {
            **finding(fid, ("high", "medium", "low", "info")[i % 4], test=f"t{i}"),
            "evidence": "x" * 400,
        }
        for i, fid in enumerate(ids)
    ]
    runs = [summary(many, started=f"2026-01-{d:02d}T00:00:00+00:00") for d in range(1, 31)]
    page = dashboard.render(runs[-1], runs=runs, drift=drift(runs[-2], runs[-1]))
    assert len(page.encode()) < 1_000_000
    assert page.count('<tr class="finding"') == 60
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert not re.search(r"<(script|link)\b", page), "self-contained: no script, no stylesheet"


def test_markdown_puts_new_findings_first_and_names_the_artifact() -> None:
    before = summary([finding("leak.server-version", "low")])
    after = summary(
        [
            finding("leak.server-version", "low"),
            finding("health.slow", "medium"),
            finding("exposure.git", "high"),
        ]
    )
    text = markdown.render(after, drift=drift(before, after), artifact="prodready.html")
    assert text.startswith("## prodready: x — grade ")
    assert "**2 new**, 0 fixed" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert [re.search(r"`([^`]+)`", r).group(1) for r in rows] == [
        "exposure.git",
        "health.slow",
        "leak.server-version",
    ]  # type: ignore[union-attr]
    assert text.rstrip().endswith("Full report: prodready.html")


# --- whole runs of the shipped suites against the embedded demo ---


def run(where: Path, env_kind: str, *extra: str, env: dict[str, str] | None = None) -> str:
    (where / "site.toml").write_text(
        f'[envs.site]\nembedded = "{env_kind}"\npages = ["/", "/login"]\n'
        'release = { expect = "1.4.2" }\n'
    )
    child_env = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    child_env.update(env or {})
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "suites"),
            "-m",
            "smoke",
            "--target-env",
            "site",
            "--prodready-config",
            str(where / "site.toml"),
            "-p",
            "no:cacheprovider",
            f"--prodready-json={where / 'run.json'}",
            f"--prodready-report={where / 'dashboard.html'}",
            f"--prodready-history={where / 'history'}",
            *extra,
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=child_env,
    )
    return proc.stdout + proc.stderr


def failing_keys(data: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f["id"], f["test"]) for f in data["findings"] if f["status"] == "failing"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """demo, then demo-broken, then demo again: one env name, its configuration changed."""
    where = tmp_path_factory.mktemp("runs")
    out: dict[str, Any] = {"where": where}
    for step, kind in enumerate(("demo", "demo-broken", "demo")):
        extra = ["--prodready-markdown", str(where / f"summary{step}.md")]
        step_summary = where / "step-summary.md"
        out[f"stdout{step}"] = run(
            where, kind, *extra, env={"GITHUB_STEP_SUMMARY": str(step_summary)}
        )
        out[f"json{step}"] = json.loads((where / "run.json").read_text())
        out[f"html{step}"] = (where / "dashboard.html").read_text()
        (where / f"dashboard{step}.html").write_text(out[f"html{step}"])
    return out


def test_two_runs_with_history_show_new_and_fixed(runs: dict[str, Any]) -> None:
    clean, broken, again = runs["json0"], runs["json1"], runs["json2"]
    new = failing_keys(broken) - failing_keys(clean)
    assert len(new) > 10
    page1 = runs["html1"]
    assert f"<b>{len(new)} new</b>" in page1
    fixed_after = failing_keys(broken) - failing_keys(again)
    assert fixed_after
    assert new - failing_keys(again) <= fixed_after
    assert f"<b>{len(fixed_after)} fixed</b>" in runs["html2"]
    assert 'id="drift-none"' in runs["html0"]
    terminal = runs["stdout1"]
    assert re.search(
        rf"grade F \(score \d+; how: docs/reports.md\); "
        rf"since the previous run: {len(new)} new, \d+ fixed",
        terminal,
    )
    assert f"report written: {runs['where'] / 'dashboard.html'}" in terminal
    # The job summary got one section per run, appended; --prodready-markdown the same text.
    step = (runs["where"] / "step-summary.md").read_text()
    assert step.count("## prodready: site — grade") == 3
    assert (runs["where"] / "summary1.md").read_text() in step
    assert f"**{len(new)} new**" in (runs["where"] / "summary1.md").read_text()


def test_dashboard_grade_and_rows_match_the_json(runs: dict[str, Any]) -> None:
    for step in range(3):
        data, page = runs[f"json{step}"], runs[f"html{step}"]
        grade = grade_summary(data)
        assert f'id="grade" data-score="{grade.score}">{grade.letter}</div>' in page
        ids = {f["id"] for f in data["findings"]}
        assert page.count('<tr class="finding"') == len(ids)
    assert grade_summary(runs["json0"]).letter.startswith("A")
    assert grade_summary(runs["json1"]).letter == "F"


@pytest.fixture(scope="module")
def chromium_page() -> Any:
    from playwright.sync_api import sync_playwright

    from tests.test_browser import real_chromium

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(real_chromium()), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_dashboard_renders_in_chromium_at_desktop_and_phone_width(
    runs: dict[str, Any], chromium_page: Any, width: int, height: int, tmp_path: Path
) -> None:
    data = runs["json1"]
    page = chromium_page.new_page(viewport={"width": width, "height": height})
    try:
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto((runs["where"] / "dashboard1.html").as_uri())
        assert page.inner_text("#grade") == grade_summary(data).letter
        rows = page.locator("tr.finding")
        ids = sorted({f["id"] for f in data["findings"]})
        assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.id)")) == ids
        assert page.locator("#trend .trend-point").count() == 2  # this run and the one before
        assert page.locator("#drift-new").is_visible()
        # Nothing is fetched: the page and its figures are all inline.
        assert [u for u in requests if not u.startswith("file:")] == []
        # Readable: no horizontal scroll of the page itself at this width.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        shot = tmp_path / f"dashboard-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            (Path(SHOTS) / shot.name).write_bytes(shot.read_bytes())
    finally:
        page.close()


def test_the_docs_table_is_the_scoring() -> None:
    from pytest_prodready.report.grade import FINDING_MODIFIERS, GRADE_CHART, SEVERITY_PENALTY

    text = (ROOT / "docs" / "reports.md").read_text()
    rows = re.findall(r"^\| (.+?) \| (.+?) \|(?: (.+?) \|)?$", text, re.MULTILINE)
    documented = {(a.strip("`"), b.strip("`"), c) for a, b, c in rows if not set(a) <= {"-", " "}}
    for result, modifier in MODIFIERS.items():
        assert any(b == result and c == f"{modifier:+d}" for _, b, c in documented), result
    for fid, (category, modifier) in FINDING_MODIFIERS.items():
        assert (fid, category, f"{modifier:+d}") in documented
    for severity, modifier in SEVERITY_PENALTY.items():
        assert (severity, f"{modifier:+d}", "") in documented
    for floor, letter in GRADE_CHART:
        assert (f"{floor} and above", letter, "") in documented


def test_load_chart_and_vitals_reach_the_figures_section() -> None:
    from pytest_prodready.load.report import HistoryPoint, chart_svg

    points = [HistoryPoint(float(t), 5, 10.0 + t, 40.0 + t) for t in range(10)]
    extra = {"format_type": "html", "content": "<h3>load</h3>" + chart_svg(points, 200.0)}
    charts = dashboard.load_charts([{"format_type": "image", "content": "x"}, extra])
    assert len(charts) == 1
    assert charts[0].startswith("<svg")
    assert charts[0].endswith("</svg>")
    data = summary([])
    data["figures"] = {
        "suites/test_browser.py::test_vitals[/]": {"lcp_ms": 3100.0, "cls": 0.02},
        "suites/test_browser.py::test_vitals[/login]": {"lcp_ms": 900.0},
    }
    page = dashboard.render(data, extras=dashboard.Extras(charts=charts))
    assert "<h3>Load: requests/s and p95</h3>" in page
    assert 'class="prodready-load-chart"' in page
    vitals = page[page.index('id="vitals"') :]
    assert "test_vitals[/] lcp_ms" in vitals
    assert "test_vitals[/login] lcp_ms" in vitals
    assert "<title>3100 (budget 2500)</title>" in vitals
    assert "<title>0.02 (budget 0.1)</title>" in vitals
    assert vitals.count(dashboard.COLOURS["high"]) == 1  # only the LCP over budget


def test_accepted_findings_are_listed_apart_with_reason_and_expiry() -> None:
    accepted = {
        **finding("leak.server-version", "low"),
        "reason": "the CDN adds it; ticket OPS-12",
        "until": "2027-01-31",
        "days_left": 40,
    }
    page = dashboard.render(summary([finding("exposure.git", "high")], accepted=[accepted]))
    section = page[page.index('id="accepted"') :]
    assert 'data-id="leak.server-version"' in section
    assert "the CDN adds it; ticket OPS-12" in section
    assert "2027-01-31 (40 days left)" in section
    assert page.count('<tr class="finding"') == 1


def test_prodready_diff_renders_the_same_dashboard(runs: dict[str, Any], tmp_path: Path) -> None:
    from pytest_prodready.report.diff import main as diff_main

    staging = {**runs["json0"], "env": {**runs["json0"]["env"], "name": "staging"}}
    prod = runs["json1"]
    (tmp_path / "staging.json").write_text(json.dumps(staging))
    (tmp_path / "prod.json").write_text(json.dumps(prod))
    out = tmp_path / "drift" / "drift.html"
    args = [str(tmp_path / "staging.json"), str(tmp_path / "prod.json"), "--html", str(out)]
    assert diff_main(args) == 1
    page = out.read_text()
    new = failing_keys(prod) - failing_keys(staging)
    assert f"<b>{len(new)} new</b>" in page
    assert "against environment staging (since the run of " in page
    assert page.count('<tr class="finding"') == len({f["id"] for f in prod["findings"]})


def test_bad_history_keep_is_a_usage_error_naming_its_source(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest_subprocess(
        "--prodready-history-keep", "0", "-p", "no:cacheprovider"
    )
    result.stderr.fnmatch_lines(
        ["*--prodready-history-keep: must be a whole number from 1 to 10000, got '0'*"]
    )
    pytester.makeini("[pytest]\nprodready_history_keep = many\n")
    (pytester.path / "prodready.toml").write_text('[envs.site]\nembedded = "demo"\n')
    result = pytester.runpytest_subprocess("--target-env", "site", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*prodready: ini prodready_history_keep is 'many'; it must be a whole number from 1 "
            "to 10000 (the runs per environment the history keeps). Fix it in your pytest "
            "configuration or remove it for the default of 30.*"
        ]
    )
    assert "Traceback" not in result.stderr.str()
